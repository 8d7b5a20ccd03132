namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// What the product's own account id may look like. Account ids are used as they are in Table keys across
/// features (the row of AccountStates, "{account}|n" spilled rows, "hist|{account}|{day}" and "tx|{account}|{run}"
/// rows of health), so unlike provider ids they are not escaped: an id the keys cannot hold is refused where it
/// enters (a provider naming it, or the link API), with the reason.
/// </summary>
internal static class AccountIds
{
    public const int MaxLength = 128;

    /// <summary>Null when <paramref name="accountId"/> is usable; otherwise why not.</summary>
    public static string? Problem(string accountId)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        if (string.IsNullOrWhiteSpace(accountId))
        {
            return "is empty";
        }

        if (accountId.Length > MaxLength)
        {
            return $"is {accountId.Length} characters long; an account id has at most {MaxLength}";
        }

        if (char.IsWhiteSpace(accountId[0]) || char.IsWhiteSpace(accountId[^1]))
        {
            return "starts or ends with white space";
        }

        foreach (var c in accountId)
        {
            // '|' separates an account id from what follows it in composite row keys.
            if (c is '/' or '\\' or '#' or '?' or '|' || char.IsControl(c) || char.IsSurrogate(c))
            {
                return "contains a character an account id cannot have (/ \\ # ? |, control characters or characters outside the Basic Multilingual Plane)";
            }
        }

        return null;
    }
}
