using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CustomerSuccess.Simulator.Observation;

internal enum EmailKind
{
    /// <summary>An alert to a CSM (Critical or Warning, raised or escalated, or overdue to the escalation contact).</summary>
    Alert,

    /// <summary>The daily digest of Watch alerts to a CSM.</summary>
    WatchDigest,
    Lifecycle,
    Other,
}

/// <summary>
/// One email from the outbox, as its recipient gets it, with what it is about: the category comes from the X-Category
/// header (alert/critical, alert/warning, alert/watch-digest, lifecycle/{sequence}/{step}); the alerts are the
/// (account, rule) pairs its acknowledge links name (one for an alert email, each listed alert for a digest).
/// </summary>
internal sealed record EmailView(
    string File,
    string? MessageId,
    string? To,
    string? Subject,
    string Category,
    EmailKind Kind,
    string? Tier,
    bool Overdue,
    string? Sequence,
    string? Step,
    DateTimeOffset? Date,
    IReadOnlyList<(string AccountId, string RuleId)> Alerts,
    string Text);

/// <summary>The app's email outbox folder read once: one .eml file per email.</summary>
internal sealed partial class Outbox
{
    public static readonly Outbox Empty = new([]);

    private Outbox(IReadOnlyList<EmailView> emails) => Emails = emails;

    public IReadOnlyList<EmailView> Emails { get; }

    public static int Count(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.eml", SearchOption.AllDirectories).Count() : 0;

    public static Outbox Read(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return Empty;
        }

        var emails = new List<EmailView>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.eml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            emails.Add(Parse(file, File.ReadAllText(file)));
        }

        return new Outbox(emails);
    }

    internal static EmailView Parse(string file, string eml)
    {
        var headers = EmlHeaders.Parse(eml);
        var category = headers.GetValueOrDefault("x-category") ?? "email";
        var parts = category.Split('/');
        var subject = headers.GetValueOrDefault("subject");
        var text = PlainText(eml, headers.GetValueOrDefault("content-type"));
        var (kind, tier) = parts switch
        {
            ["alert", "watch-digest"] => (EmailKind.WatchDigest, "Watch"),
            ["alert", var t] => (EmailKind.Alert, CultureInfo.InvariantCulture.TextInfo.ToTitleCase(t)),
            ["lifecycle", ..] => (EmailKind.Lifecycle, (string?)null),
            _ => (EmailKind.Other, null),
        };
        var alerts = AcknowledgeLink().Matches(text).Select(m => (Uri.UnescapeDataString(m.Groups[1].Value), Uri.UnescapeDataString(m.Groups[2].Value))).Distinct().ToList();
        DateTimeOffset? date = headers.TryGetValue("date", out var d) && DateTimeOffset.TryParse(d, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
        return new EmailView(
            file,
            headers.GetValueOrDefault("message-id"),
            headers.GetValueOrDefault("to"),
            subject,
            category,
            kind,
            tier,
            subject?.StartsWith("[Overdue ", StringComparison.Ordinal) == true,
            kind == EmailKind.Lifecycle ? parts.ElementAtOrDefault(1) : null,
            kind == EmailKind.Lifecycle ? parts.ElementAtOrDefault(2) : null,
            date,
            alerts,
            text);
    }

    /// <summary>The text/plain part of a multipart/alternative message (base64 or as is), or the whole body of a single-part one.</summary>
    private static string PlainText(string eml, string? contentType)
    {
        var bodyStart = eml.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var body = bodyStart < 0 ? string.Empty : eml[(bodyStart + 4)..];
        var boundary = contentType is null ? null : Boundary().Match(contentType) is { Success: true } m ? m.Groups[1].Value : null;
        if (boundary is null)
        {
            return body;
        }

        foreach (var part in body.Split("--" + boundary, StringSplitOptions.None))
        {
            var split = part.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (split < 0)
            {
                continue;
            }

            var partHeaders = part[..split];
            if (!partHeaders.Contains("text/plain", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var content = part[(split + 4)..].Trim();
            if (!partHeaders.Contains("base64", StringComparison.OrdinalIgnoreCase))
            {
                return content;
            }

            try
            {
                return Encoding.UTF8.GetString(Convert.FromBase64String(content.Replace("\r\n", "", StringComparison.Ordinal)));
            }
            catch (FormatException)
            {
                return string.Empty;
            }
        }

        return string.Empty;
    }

    // Alert emails and digests link each alert to its row on its account page: .../accounts/{accountId}#alert-{ruleId}.
    [GeneratedRegex(@"/accounts/([^/\s""<>#]+)#alert-([^/\s""<>#]+)")]
    private static partial Regex AcknowledgeLink();

    [GeneratedRegex("boundary=\"?([^\";]+)\"?")]
    private static partial Regex Boundary();
}

/// <summary>The header block of an RFC 5322 message (folded lines unfolded), names lower-cased.</summary>
internal static class EmlHeaders
{
    public static Dictionary<string, string> Read(string path) => Parse(File.ReadAllText(path));

    public static Dictionary<string, string> Parse(string eml)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? last = null;
        foreach (var line in eml.Split('\n').Select(l => l.TrimEnd('\r')))
        {
            if (line.Length == 0)
            {
                break;
            }

            if ((line[0] == ' ' || line[0] == '\t') && last is not null)
            {
                headers[last] += " " + line.Trim();
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            last = line[..colon].Trim().ToLowerInvariant();
            headers[last] = line[(colon + 1)..].Trim();
        }

        return headers;
    }
}
