using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// What a deployment of the compiled template tells the escalation contact, and where an operator looks: an action group
/// that emails the contact, an alert rule per signal the issue names (each to that action group, each on a metric the
/// app really emits or the broker's own), and one workbook showing them.
/// </summary>
public sealed class MonitoringInfraTests
{
    private const string ActionGroups = "Microsoft.Insights/actionGroups";
    private const string MetricAlerts = "Microsoft.Insights/metricAlerts";
    private const string LogAlerts = "Microsoft.Insights/scheduledQueryRules";
    private const string Workbooks = "Microsoft.Insights/workbooks";

    private static DeploymentSnapshot Snapshot => CompiledInfra.Current.Snapshot;

    private static string ActionGroupId => Snapshot.Single(ActionGroups).Id;

    private static string ApplicationInsightsId => Snapshot.Single("Microsoft.Insights/components").Id;

    [Fact]
    public void ActionGroup_EmailsTheEscalationContact()
    {
        var group = Snapshot.Single(ActionGroups);

        Assert.Equal("true", group.Text("properties.enabled"), ignoreCase: true);
        var receiver = Assert.Single(group.At("properties.emailReceivers")!.AsArray());
        Assert.Equal(CompiledInfra.Default.AlertEscalationContact, (string?)receiver!["emailAddress"]);
        Assert.True(group.Text("properties.groupShortName") is { Length: > 0 and <= 12 }, "an action group's short name has at most 12 characters");
    }

    [Fact]
    public void DeadLetterAlert_AnyQueueAboveZero_OnTheServiceBusNamespace()
    {
        var rule = Assert.Single(Snapshot.OfType(MetricAlerts));
        var criterion = Assert.Single(rule.At("properties.criteria.allOf")!.AsArray())!;

        Assert.Equal(Snapshot.Single("Microsoft.ServiceBus/namespaces").Id, (string?)rule.At("properties.scopes")![0], StringComparer.OrdinalIgnoreCase);
        Assert.Equal(("DeadletteredMessages", "GreaterThan", 0.0), ((string?)criterion["metricName"], (string?)criterion["operator"], (double)criterion["threshold"]!));
        var byQueue = Assert.Single(criterion["dimensions"]!.AsArray())!;
        Assert.Equal(("EntityName", "*"), ((string?)byQueue["name"], (string?)byQueue["values"]![0]));
        AssertNotifiesTheActionGroup(rule, (string?)rule.At("properties.actions")![0]!["actionGroupId"]);
    }

    public static TheoryData<string, string, string, double, string> Signals => new()
    {
        // signal, what the query must read, operator, threshold, window
        { "applier lag above 5 minutes", "customer_success.webhook.applier.lag", "GreaterThan", 300, "PT5M" },
        { "webhook 5xx above 1% over 5 minutes", "requests | where url has \"/api/webhooks/\"", "GreaterThan", 1, "PT5M" },
        { "a recompute missed", "customer_success.health.recompute.duration", "LessThan", 1, "PT2H" },
        { "email throttling", "customer_success.lifecycle.emails.throttled", "GreaterThan", 0, "PT15M" },
    };

    [Theory]
    [MemberData(nameof(Signals))]
    public void LogAlert_EachSignal_OnApplicationInsightsToTheActionGroup(string signal, string reads, string comparison, double threshold, string window)
    {
        var rule = Assert.Single(Snapshot.OfType(LogAlerts), r => QueryOf(r).Contains(reads, StringComparison.Ordinal));
        var criterion = rule.At("properties.criteria.allOf")![0]!;

        Assert.True(rule.Text("properties.enabled") == "true" || rule.Text("properties.enabled") == "True", signal + ": the rule is enabled");
        Assert.Equal(ApplicationInsightsId, (string?)rule.At("properties.scopes")![0], StringComparer.OrdinalIgnoreCase);
        Assert.Equal((comparison, threshold, window), ((string?)criterion["operator"], (double)criterion["threshold"]!, rule.Text("properties.windowSize")));
        Assert.Contains((string)criterion["metricMeasureColumn"]!, QueryOf(rule), StringComparison.Ordinal);
        AssertNotifiesTheActionGroup(rule, (string?)rule.At("properties.actions.actionGroups")![0]);
    }

    [Fact]
    public void AlertQueries_NameOnlyMetricsTheAppEmits()
    {
        var emitted = AppMetricNames();
        var named = Snapshot.OfType(LogAlerts).Select(QueryOf).Append(WorkbookQueries())
            .SelectMany(q => System.Text.RegularExpressions.Regex.Matches(q, @"customer_success\.[a-z_.]+").Select(m => m.Value))
            .Distinct()
            .ToList();

        Assert.NotEmpty(named);
        Assert.All(named, name => Assert.Contains(name, emitted));
    }

    [Fact]
    public void Workbook_ShowsEveryAlertedSignalOnOnePage()
    {
        var workbook = Snapshot.Single(Workbooks);
        var queries = WorkbookQueries();

        Assert.Equal(ApplicationInsightsId, workbook.Text("properties.sourceId"), StringComparer.OrdinalIgnoreCase);
        Assert.True(Guid.TryParse(workbook.LeafName, out _), "a workbook's name is a GUID");
        foreach (var shown in new[]
        {
            "customer_success.webhook.applier.lag", "customer_success.webhook.applier.backlog", "customer_success.webhook.deliveries.quarantined",
            "customer_success.health.recompute.duration", "customer_success.health.accounts.scored", "customer_success.lifecycle.emails.throttled",
            "customer_success.lifecycle.quota.utilization", "customer_success.alerts.raised", "resultCode",
        })
        {
            Assert.Contains(shown, queries, StringComparison.Ordinal);
        }
    }

    private static string QueryOf(PredictedResource rule) => (string?)rule.At("properties.criteria.allOf")?[0]?["query"] ?? string.Empty;

    private static string WorkbookQueries()
    {
        var data = JsonNode.Parse(Snapshot.Single(Workbooks).Text("properties.serializedData") ?? "{}")!;
        return string.Join('\n', data["items"]!.AsArray().Select(i => (string?)i!["content"]!["query"]));
    }

    private static void AssertNotifiesTheActionGroup(PredictedResource rule, string? target)
    {
        target ??= string.Empty;
        Assert.True(
            target.Equals(ActionGroupId, StringComparison.OrdinalIgnoreCase) || target.Contains(Snapshot.Single(ActionGroups).Name, StringComparison.Ordinal),
            $"{rule.Name} notifies {target}, not the escalation action group {ActionGroupId}");
    }

    /// <summary>The names of every instrument the app's meter creates, observable ones included.</summary>
    private static HashSet<string> AppMetricNames()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new AppMetrics(services.GetRequiredService<IMeterFactory>());
        metrics.ObserveWebhookBacklog(() => 0, () => 0);
        metrics.ObserveDeadLetters(() => []);
        metrics.ObserveLifecycleQuota(() => (0, 0));
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == AppMetrics.MeterName)
                {
                    names.Add(instrument.Name);
                }
            },
        };
        listener.Start();
        return names;
    }
}
