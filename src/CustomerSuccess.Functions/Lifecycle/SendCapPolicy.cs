namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>What to do with a contact's due lifecycle emails now.</summary>
public sealed record SendCapDecision(LifecycleDueStep? Send, DateTimeOffset? NotBefore, string? Reason)
{
    public static SendCapDecision Nothing { get; } = new(null, null, "nothing due");
}

/// <summary>
/// Per-contact caps: at most one lifecycle email per window across all sequences, the most important sequence
/// first when several are due, and never during the recipient's quiet hours. Pure: the caller supplies the last
/// send time and the clock reading.
/// </summary>
public sealed class SendCapPolicy
{
    private readonly TimeSpan _window;
    private readonly QuietHoursOptions _quiet;

    public SendCapPolicy(LifecycleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _window = TimeSpan.FromDays(options.CapWindowDays);
        _quiet = options.QuietHours;
    }

    public SendCapDecision Decide(LifecycleContact contact, IReadOnlyList<LifecycleDueStep> due, DateTimeOffset? lastSentAt, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(contact);
        ArgumentNullException.ThrowIfNull(due);
        var first = due.OrderBy(d => d.Priority).ThenBy(d => d.DueAt).ThenBy(d => d.Sequence, StringComparer.Ordinal).FirstOrDefault();
        if (first is null)
        {
            return SendCapDecision.Nothing;
        }

        if (lastSentAt is { } last && now < last + _window)
        {
            return new SendCapDecision(null, last + _window, "contact cap window");
        }

        var quietEnd = QuietHoursEnd(contact.TimeZoneId, now);
        if (quietEnd is not null)
        {
            return new SendCapDecision(null, quietEnd, "quiet hours");
        }

        return new SendCapDecision(first, null, null);
    }

    /// <summary>When the quiet hours that contain <paramref name="now"/> end (UTC), or null outside quiet hours.</summary>
    public DateTimeOffset? QuietHoursEnd(string? timeZoneId, DateTimeOffset now)
    {
        if (_quiet.Start == _quiet.End)
        {
            return null;
        }

        var zone = FindZone(timeZoneId) ?? FindZone(_quiet.DefaultTimeZone) ?? TimeZoneInfo.Utc;
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var time = TimeOnly.FromDateTime(local.DateTime);
        var wraps = _quiet.Start > _quiet.End;
        var quiet = wraps ? time >= _quiet.Start || time < _quiet.End : time >= _quiet.Start && time < _quiet.End;
        if (!quiet)
        {
            return null;
        }

        var endDate = DateOnly.FromDateTime(local.DateTime);
        if (wraps && time >= _quiet.Start)
        {
            endDate = endDate.AddDays(1);
        }

        var endLocal = endDate.ToDateTime(_quiet.End, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(endLocal))
        {
            endLocal = endLocal.AddMinutes(30);
        }

        return new DateTimeOffset(endLocal, zone.GetUtcOffset(endLocal)).ToUniversalTime();
    }

    private static TimeZoneInfo? FindZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return null;
        }

        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : null;
    }
}
