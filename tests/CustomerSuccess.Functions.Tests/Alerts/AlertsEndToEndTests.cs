using System.Text.Json;
using Xunit.Abstractions;

namespace CustomerSuccess.Functions.Tests.Alerts;

/// <summary>
/// Issue 5, "Done when", end-to-end: on the standalone runner and Azurite, signals push an account Green → Yellow →
/// Red; exactly one Watch then one Critical notification reach the right CSM's outbox; a consumer that throws twice
/// succeeds on the third delivery with one notification; one that always throws ends in the dead-letter list.
/// The scenario runs once (<see cref="AlertsEndToEndScenario"/>); each test asserts one part of what it recorded.
/// </summary>
public sealed class AlertsEndToEndTests(AlertsEndToEndScenario scenario, ITestOutputHelper output) : IClassFixture<AlertsEndToEndScenario>
{
    private const string Main = AlertsEndToEndScenario.MainCsm;
    private const string Broken = AlertsEndToEndScenario.BrokenCsm;

    [Fact]
    public void BandPath_GreenYellowRed_AssignedCsmGetsOneWatchThenOneCritical()
    {
        Report();

        // The account went Green → Yellow → Red, and Red only when the champion left.
        Assert.Equal("Green", Band("green"));
        Assert.Equal("Green", Band("day6"));
        Assert.Equal("Yellow", Band("yellow"));
        Assert.Equal("Yellow", Band("before-departure"));
        Assert.Equal("Red", Band("red"));

        // Watch: raised on Yellow, parked for the digest (no email yet), then exactly one digest naming the account.
        Assert.Empty(To(Main, "yellow"));
        var watch = Assert.Single(To(Main, "digest"));
        Assert.Equal("alert/watch-digest", watch.Category);
        Assert.Contains("northwind Ltd", watch.Text, StringComparison.Ordinal);
        Assert.Contains("Health band dropped to Yellow", watch.Text, StringComparison.Ordinal);

        // Critical: the band alert escalated on Red, one email to the assigned CSM (working hours), copied to escalations.
        var afterRed = To(Main, "red");
        Assert.Equal(["alert/watch-digest", "alert/critical"], afterRed.Select(e => e.Category).OrderBy(c => c == "alert/critical"));
        var critical = afterRed.Single(e => e.Category == "alert/critical");
        Assert.StartsWith("[Critical] northwind Ltd: Health band is Red", critical.Subject, StringComparison.Ordinal);
        Assert.Contains("Rule: health-band", critical.Text, StringComparison.Ordinal);
        Assert.Equal(AlertsEndToEndScenario.EscalationContact, critical.Cc);

        // Further ticks (hourly recomputes, the next day, the due time passing) add nothing for the CSM; the overdue
        // Critical goes to the escalation contact instead.
        Assert.Equal(afterRed.Select(e => e.File), To(Main, "final").Select(e => e.File));
        Assert.Contains(scenario.Emails["final"], e => e.To == AlertsEndToEndScenario.EscalationContact && e.Subject.StartsWith("[Overdue Critical] northwind Ltd", StringComparison.Ordinal));

        // Nor was anything sent twice and hidden by the outbox keeping one file per operation id.
        Assert.Equal(["alert/watch-digest", "alert/critical"], scenario.EmailFaults.PassedThrough.Where(m => m.To == Main).Select(m => m.Category));

        // The alerts API tells the same story, with tiers and statuses as words.
        Assert.Equal("Watch", Alert("yellow").GetProperty("tier").GetString());
        Assert.Equal(System.Net.HttpStatusCode.OK, scenario.AcknowledgeStatus);
        Assert.Equal("Acknowledged", Alert("before-departure").GetProperty("status").GetString());
        Assert.Equal("Critical", Alert("red").GetProperty("tier").GetString());
        Assert.Equal("Open", Alert("red").GetProperty("status").GetString());
        Assert.Equal(Main, Alert("red").GetProperty("csmEmail").GetString());
    }

    [Fact]
    public void CriticalConsumer_EmailFailsTwice_ThirdDeliverySendsExactlyOneEmail()
    {
        var critical = Assert.Single(To(Main, "final"), e => e.Category == "alert/critical");
        var operationId = critical.File["alert-critical_".Length..^".eml".Length];

        Assert.Equal(3, scenario.EmailFaults.AttemptsFor(operationId));
        Assert.DoesNotContain(scenario.CriticalDeadLetters["red"].EnumerateArray(), d => d.GetProperty("messageId").GetString()!.StartsWith(AlertsEndToEndScenario.MainAccount, StringComparison.Ordinal));
    }

    [Fact]
    public void CriticalConsumer_EmailAlwaysFails_DeadLetteredWithReasonThenRedrivenOnce()
    {
        var letter = Assert.Single(scenario.CriticalDeadLetters["red"].EnumerateArray());
        Assert.Equal($"{AlertsEndToEndScenario.BrokenAccount}-health-band-1-critical-2", letter.GetProperty("messageId").GetString());
        Assert.Equal("MaxDeliveryCountExceeded", letter.GetProperty("reason").GetString());
        Assert.Equal(AlertsEndToEndScenario.CriticalMaxDeliveryCount, letter.GetProperty("deliveryCount").GetInt32());
        Assert.Contains("Injected email outage for " + Broken, letter.GetProperty("errorDescription").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(To(Broken, "red"), e => e.Category == "alert/critical");

        // Re-driven after the fix: delivered once, gone from the dead letters, and no duplicate later.
        Assert.Equal(System.Net.HttpStatusCode.Accepted, scenario.RedriveStatus);
        Assert.Empty(scenario.CriticalDeadLetters["redriven"].EnumerateArray());
        Assert.Single(To(Broken, "redriven"), e => e.Category == "alert/critical");
        Assert.Single(To(Broken, "final"), e => e.Category == "alert/critical");
        Assert.Single(To(Broken, "final"), e => e.Category == "alert/watch-digest");
    }

    private List<OutboxEmail> To(string csm, string phase) => [.. scenario.Emails[phase].Where(e => e.To == csm)];

    private string? Band(string phase) => scenario.MainHealth[phase].GetProperty("band").GetString();

    private JsonElement Alert(string phase) =>
        Assert.Single(scenario.MainAlerts[phase].EnumerateArray(), a => a.GetProperty("ruleId").GetString() == "health-band");

    private void Report()
    {
        output.WriteLine($"Scenario took {scenario.Duration.TotalSeconds:F1} s.");
        foreach (var (phase, health) in scenario.MainHealth)
        {
            output.WriteLine($"{phase}: score {health.GetProperty("score")} band {health.GetProperty("band")}; emails {string.Join(", ", scenario.Emails[phase].Select(e => e.To + " " + e.Category))}");
        }
    }
}
