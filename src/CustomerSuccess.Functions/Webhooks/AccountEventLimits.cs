using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>
/// Whether a mapped effect can be written: every key it produces is a valid Table key, every id and text fits a
/// Table property (64 KiB, i.e. 32 Ki UTF-16 characters, with room for the other properties of the row), every
/// property name is one the service accepts, and an account id a provider names is one the keys can hold.
/// Checked where the effect is made, so the edge refuses what the applier could not write.
/// </summary>
internal static class AccountEventLimits
{
    /// <summary>Longest id kept: long enough for a JWT as a Segment userId, far below a property's limit.</summary>
    public const int MaxIdLength = 8 * 1024;

    /// <summary>Longest text kept in one property (names, titles, joined tags).</summary>
    public const int MaxTextLength = 16 * 1024;

    /// <summary>Longest event type: types are short words; the row keeps it as a property.</summary>
    public const int MaxEventTypeLength = 256;

    private const int MaxPropertyNameLength = 255;

    /// <summary>Null when <paramref name="e"/> can be written; otherwise why not, naming the field.</summary>
    public static string? Problem(AccountEvent e)
    {
        if (!ExternalIdKinds.All.Contains(e.IdKind))
        {
            return $"unknown id kind '{e.IdKind}'";
        }

        if (IdProblem(e.ExternalId) is { } external)
        {
            return $"the {e.IdKind} id {external}";
        }

        if (e.LinkToAccountId is { } accountId && AccountIds.Problem(accountId) is { } account)
        {
            return $"the account id it names {account}";
        }

        foreach (var alias in e.AlsoKnownAs)
        {
            if (!ExternalIdKinds.All.Contains(alias.Kind))
            {
                return $"unknown id kind '{alias.Kind}'";
            }

            if (alias.ExternalId.Length > MaxIdLength)
            {
                return $"the {alias.Kind} id {TooLong(alias.ExternalId, MaxIdLength)}";
            }
        }

        if (e.ActiveUserId is { } user && IdProblem(user) is { } userProblem)
        {
            return $"the user id {userProblem}";
        }

        foreach (var (name, _) in e.Counters)
        {
            if (!IsPropertyName(name))
            {
                return $"'{Shown(name)}' is not a property name";
            }
        }

        foreach (var state in e.States)
        {
            if (!ProviderIdKeys.IsValidKey(state.RowKey))
            {
                return "a row key it produces is not a valid Table key";
            }

            foreach (var (name, value) in state.Properties)
            {
                if (!IsPropertyName(name))
                {
                    return $"'{Shown(name)}' is not a property name";
                }

                if (value is string text && text.Length > MaxTextLength)
                {
                    return $"{name} {TooLong(text, MaxTextLength)}";
                }
            }
        }

        if (e.Subscription is { } sub)
        {
            if (IdProblem(sub.SubscriptionId) is { } subscription)
            {
                return $"the subscription id {subscription}";
            }

            if ((sub.Plan?.Length ?? 0) > MaxTextLength || sub.Status.Length > MaxTextLength)
            {
                return $"the subscription's plan or status is longer than {MaxTextLength} characters";
            }
        }

        return null;
    }

    /// <summary>Why an event's own id or type cannot be kept, or null.</summary>
    public static string? EnvelopeProblem(string eventId, string eventType)
    {
        if (eventId.Length > MaxIdLength)
        {
            return "event id " + TooLong(eventId, MaxIdLength);
        }

        return eventType.Length > MaxEventTypeLength ? "event type " + TooLong(eventType, MaxEventTypeLength) : null;
    }

    private static string? IdProblem(string id) =>
        string.IsNullOrWhiteSpace(id) ? "is empty" : id.Length > MaxIdLength ? TooLong(id, MaxIdLength) : null;

    private static string TooLong(string value, int max) => $"is {value.Length} characters long; at most {max} are kept";

    // Table property names follow C# identifier rules; the app only makes ASCII ones.
    private static bool IsPropertyName(string name) =>
        name.Length is > 0 and <= MaxPropertyNameLength &&
        (char.IsAsciiLetter(name[0]) || name[0] == '_') &&
        name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static string Shown(string name) => name.Length <= 40 ? name : name[..40] + "…";
}
