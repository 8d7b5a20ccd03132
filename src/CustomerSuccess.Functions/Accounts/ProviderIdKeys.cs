using System.Text;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>Makes arbitrary provider ids safe as Table keys (which forbid / \ # ? and control characters).</summary>
internal static class ProviderIdKeys
{
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var needs = false;
        foreach (var c in value)
        {
            if (c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c))
            {
                needs = true;
                break;
            }
        }

        if (!needs)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c))
            {
                builder.Append('%').Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
