namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// Whether an event fits the account model: the kinds of id it names are known, every id and text is short enough to
/// keep (ids become keys through <see cref="ProviderIdKeys"/>, which takes any length; the state keeps them whole), and
/// an account id a provider names is one the keys can hold (<see cref="AccountIds"/>). Checked where the event is
/// made, so the edge refuses what applying could not keep.
/// </summary>
internal static class AccountEventLimits
{
    /// <summary>Longest id kept: long enough for a JWT as a Segment userId, far below what a state can hold.</summary>
    public const int MaxIdLength = 8 * 1024;

    /// <summary>Longest text kept in one field (names, titles, joined tags).</summary>
    public const int MaxTextLength = 16 * 1024;

    /// <summary>Longest event type: types are short words; the stored row keeps it.</summary>
    public const int MaxEventTypeLength = 256;

    /// <summary>Null when <paramref name="e"/> can be applied; otherwise why not, naming the field.</summary>
    public static string? Problem(AccountEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (IdProblem(e.Account) is { } account)
        {
            return account;
        }

        if (e.NamedAccountId is { } accountId && AccountIds.Problem(accountId) is { } named)
        {
            return $"the account id it names {named}";
        }

        foreach (var alias in e.AlsoKnownAs)
        {
            if (IdProblem(alias) is { } problem)
            {
                return problem;
            }
        }

        foreach (var fact in e.Facts)
        {
            if (FactProblem(fact) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    /// <summary>Why an event's own id or type cannot be kept, or null.</summary>
    public static string? EnvelopeProblem(string eventId, string eventType)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        ArgumentNullException.ThrowIfNull(eventType);
        if (eventId.Length > MaxIdLength)
        {
            return "event id " + TooLong(eventId, MaxIdLength);
        }

        return eventType.Length > MaxEventTypeLength ? "event type " + TooLong(eventType, MaxEventTypeLength) : null;
    }

    private static string? IdProblem(ExternalIdRef id)
    {
        if (!ExternalIdKinds.All.Contains(id.Kind))
        {
            return $"unknown id kind '{id.Kind}'";
        }

        return Id($"the {id.Kind} id", id.ExternalId);
    }

    private static string? FactProblem(AccountFact fact) => fact switch
    {
        ProfileUpdated p => Text("the name", p.Name) ?? Text("the CSM email", p.CsmEmail) ?? Text("the billing email", p.BillingEmail) ?? Text("the plan", p.Plan),
        SubscriptionChanged s => Id("the subscription id", s.SubscriptionId) ?? Text("the subscription's plan", s.Plan) ?? Text("the subscription's status", s.Status),
        UserSeen u => Id("the user id", u.UserId) ?? Text("the email", u.Email) ?? Text("the first name", u.FirstName) ?? Text("the time zone", u.TimeZone) ?? Text("the role", u.Role) ?? Text("the title", u.Title) ?? Text("the department", u.Department),
        UserActive a => Id("the user id", a.UserId),
        FeatureUsed f => Text("the feature", f.Name),
        HigherTierFeatureTried h => Text("the higher-tier feature", h.Name),
        MilestoneReached m => Text("the milestone", m.Name),
        TicketChanged t => Id("the ticket id", t.TicketId) ?? Text("the ticket status", t.Status) ?? Text("the ticket priority", t.Priority) ?? Text("the ticket type", t.Type) ?? Text("the ticket tags", t.Tags),
        _ => null,
    };

    private static string? Id(string what, string id) =>
        string.IsNullOrWhiteSpace(id) ? $"{what} is empty" : id.Length > MaxIdLength ? $"{what} {TooLong(id, MaxIdLength)}" : null;

    private static string? Text(string what, string? text) =>
        text is not null && text.Length > MaxTextLength ? $"{what} {TooLong(text, MaxTextLength)}" : null;

    private static string TooLong(string value, int max) => $"is {value.Length} characters long; at most {max} are kept";
}
