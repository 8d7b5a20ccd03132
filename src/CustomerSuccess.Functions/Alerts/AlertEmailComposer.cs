using System.Globalization;
using System.Net;
using System.Text;
using CustomerSuccess.Functions.Email;

namespace CustomerSuccess.Functions.Alerts;

/// <summary>Builds the alert emails: account, tier, rule, due-by, the health drivers, and links. Pure.</summary>
public static class AlertEmailComposer
{
    public static EmailMessage Compose(AlertNotification notification, AlertRecipients recipients, AlertsOptions options)
    {
        ArgumentNullException.ThrowIfNull(notification);
        ArgumentNullException.ThrowIfNull(recipients);
        ArgumentNullException.ThrowIfNull(options);
        var alert = notification.Alert;
        var account = alert.AccountName ?? alert.AccountId;
        var prefix = notification.Kind == AlertChangeKind.EscalateToContact ? "Overdue " : string.Empty;
        var subject = $"[{prefix}{alert.Tier}] {account}: {alert.Reason}";
        var (ack, health) = Links(alert, options);

        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"Account: {account} ({alert.AccountId})")
            .AppendLine(CultureInfo.InvariantCulture, $"Tier: {alert.Tier}")
            .AppendLine(CultureInfo.InvariantCulture, $"Rule: {alert.RuleId} - {alert.Reason}")
            .AppendLine(CultureInfo.InvariantCulture, $"Due by: {alert.DueBy.UtcDateTime:yyyy-MM-dd HH:mm} UTC")
            .AppendLine("Health drivers:");
        foreach (var d in alert.Drivers)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {d.Name} {d.Delta:+0;-0;0}: {d.Explanation}");
        }

        if (alert.Opportunity is { } opportunity)
        {
            text.AppendLine("Expansion signals:");
            foreach (var signal in opportunity.Signals)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {signal.Kind}: {signal.Reason}");
            }

            var e = opportunity.Estimate;
            text.AppendLine(CultureInfo.InvariantCulture, $"Estimated expansion MRR: {e.ExpansionMrrCents / 100m:N2} ({e.ExtraSeats} seats at {e.SeatPriceCents / 100m:N2}, {e.LicensedSeats} licensed, {e.ActivePeople} active)");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"Acknowledge: {ack}").AppendLine(CultureInfo.InvariantCulture, $"Account health: {health}");

        var html = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"<h2>{E(alert.Tier.ToString())} alert: {E(account)}</h2><table>")
            .Append(CultureInfo.InvariantCulture, $"<tr><th>Rule</th><td>{E(alert.RuleId)}: {E(alert.Reason)}</td></tr>")
            .Append(CultureInfo.InvariantCulture, $"<tr><th>Due by</th><td>{alert.DueBy.UtcDateTime:yyyy-MM-dd HH:mm} UTC</td></tr></table><h3>Health drivers</h3><ul>");
        foreach (var d in alert.Drivers)
        {
            html.Append(CultureInfo.InvariantCulture, $"<li>{E(d.Name)} {d.Delta:+0;-0;0}: {E(d.Explanation)}</li>");
        }

        html.Append("</ul>");
        if (alert.Opportunity is { } found)
        {
            html.Append("<h3>Expansion signals</h3><ul>");
            foreach (var signal in found.Signals)
            {
                html.Append(CultureInfo.InvariantCulture, $"<li>{E(signal.Kind)}: {E(signal.Reason)}</li>");
            }

            var e = found.Estimate;
            html.Append(CultureInfo.InvariantCulture, $"</ul><p>Estimated expansion MRR: {e.ExpansionMrrCents / 100m:N2} ({e.ExtraSeats} seats at {e.SeatPriceCents / 100m:N2})</p>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<p><a href=\"{E(ack)}\">Acknowledge</a> · <a href=\"{E(health)}\">Account health</a></p>");

        return new EmailMessage
        {
            OperationId = OperationId(alert.MessageId, recipients.To),
            To = recipients.To,
            Cc = recipients.Cc,
            Subject = subject,
            PlainText = text.ToString(),
            Html = html.ToString(),
            Category = "alert/" + alert.Tier.ToString().ToLowerInvariant(),
        };
    }

    public static EmailMessage ComposeDigest(string recipient, DateOnly day, IReadOnlyList<AlertNotification> items, AlertsOptions options)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(options);
        // Watch alerts, and the alerts that eased (stepped down or resolved) since the last digest.
        var text = new StringBuilder().AppendLine(CultureInfo.InvariantCulture, $"Watch alerts for {day:yyyy-MM-dd}:");
        var html = new StringBuilder().Append(CultureInfo.InvariantCulture, $"<h2>Watch alerts for {day:yyyy-MM-dd}</h2><ul>");
        foreach (var item in items.OrderBy(i => i.Alert.AccountName ?? i.Alert.AccountId, StringComparer.Ordinal))
        {
            var alert = item.Alert;
            var (ack, health) = Links(alert, options);
            var account = alert.AccountName ?? alert.AccountId;
            switch (item.Kind)
            {
                case AlertChangeKind.Clear:
                    // The alert's own link names it (acknowledging a resolved alert changes nothing).
                    text.AppendLine(CultureInfo.InvariantCulture, $"- {account}: resolved, {alert.ResolutionNote} ({alert.RuleId}: {alert.Reason}) {health} alert: {ack}");
                    html.Append(CultureInfo.InvariantCulture, $"<li><a href=\"{E(health)}\">{E(account)}</a>: resolved, {E(alert.ResolutionNote ?? string.Empty)} (<a href=\"{E(ack)}\">{E(alert.RuleId)}</a>: {E(alert.Reason)})</li>");
                    break;
                case AlertChangeKind.StepDown:
                    text.AppendLine(CultureInfo.InvariantCulture, $"- {account}: eased to {alert.Tier}, {alert.Reason} {health} acknowledge: {ack}");
                    html.Append(CultureInfo.InvariantCulture, $"<li><a href=\"{E(health)}\">{E(account)}</a>: eased to {alert.Tier}, {E(alert.Reason)} <a href=\"{E(ack)}\">Acknowledge</a></li>");
                    break;
                default:
                    text.AppendLine(CultureInfo.InvariantCulture, $"- {account}: {alert.Reason} (due {alert.DueBy.UtcDateTime:yyyy-MM-dd}) {health} acknowledge: {ack}");
                    html.Append(CultureInfo.InvariantCulture, $"<li><a href=\"{E(health)}\">{E(account)}</a>: {E(alert.Reason)} (due {alert.DueBy.UtcDateTime:yyyy-MM-dd}) <a href=\"{E(ack)}\">Acknowledge</a></li>");
                    break;
            }
        }

        return new EmailMessage
        {
            OperationId = OperationId("digest-" + day.ToString("yyyyMMdd", CultureInfo.InvariantCulture), recipient),
            To = recipient,
            Subject = string.Create(CultureInfo.InvariantCulture, $"[Watch] {items.Count} account(s) to watch"),
            PlainText = text.ToString(),
            Html = html.Append("</ul>").ToString(),
            Category = "alert/watch-digest",
        };
    }

    /// <summary>Deterministic per notification and recipient, so the email service drops a repeated send.</summary>
    public static string OperationId(string about, string recipient)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(about + "|" + recipient.ToUpperInvariant()));
        return new Guid(hash.AsSpan(0, 16)).ToString();
    }

    /// <summary>
    /// The alert on its account page, where acknowledge is one click (a signed-in form post, never a link that changes
    /// state), and the account page itself. The page routes are the app's (Pages: <c>/api/dashboard/accounts/{id}</c>,
    /// the alert's row anchored <c>#alert-{ruleId}</c>); a test follows every link of a composed email to a page.
    /// </summary>
    internal static (string Ack, string Health) Links(Alert alert, AlertsOptions options)
    {
        var root = options.DashboardBaseUrl.TrimEnd('/');
        var account = $"{root}/api/dashboard/accounts/{Uri.EscapeDataString(alert.AccountId)}";
        return ($"{account}#alert-{Uri.EscapeDataString(alert.RuleId)}", account);
    }

    private static string E(string value) => WebUtility.HtmlEncode(value);
}
