namespace CustomerSuccess.Functions.Storage;

/// <summary>
/// Key and table-name rules of the Table service. A table name is checked when a feature first names the table, so a
/// typo fails with a message naming it. Keys are made valid where they are built from outside input
/// (<c>ProviderIdKeys</c>), and the tests hold every key a mapping produces to <see cref="ValidateKey"/>.
/// </summary>
internal static class TableKeys
{
    /// <summary>Keys may be up to 1 KiB, measured in UTF-16: 512 characters (Azurite enforces the same).</summary>
    public const int MaxKeyLength = 512;

    public static void ValidateTableName(string table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (table.Length is < 3 or > 63 || !char.IsAsciiLetter(table[0]) || !table.All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException($"Table name '{table}' is invalid: 3-63 ASCII letters or digits, starting with a letter.", nameof(table));
        }
    }

    public static void ValidateKey(string key, string paramName)
    {
        if (key is null)
        {
            throw new ArgumentNullException(paramName);
        }

        if (key.Length > MaxKeyLength)
        {
            throw new ArgumentException($"{paramName} is {key.Length} characters long; the Table service allows at most {MaxKeyLength} (1 KiB).", paramName);
        }

        foreach (var c in key)
        {
            if (c is '/' or '\\' or '#' or '?' || c <= '\u001F' || c is >= '\u007F' and <= '\u009F')
            {
                var shown = char.IsControl(c) ? $"U+{(int)c:X4}" : c.ToString();
                throw new ArgumentException($"{paramName} contains '{shown}', which the Table service does not allow in keys (/ \\ # ? and control characters).", paramName);
            }
        }
    }
}
