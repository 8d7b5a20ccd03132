namespace CustomerSuccess.Functions.Webhooks;

/// <summary>Why a delivery's signature was or was not accepted; every outcome but <see cref="Valid"/> answers 401.</summary>
public enum SignatureCheck
{
    Valid,
    MissingHeader,
    Malformed,
    NoSecretConfigured,
    Mismatch,
    TimestampOutOfTolerance,
}

internal static class SignatureEncoding
{
    /// <summary>Decodes lowercase or uppercase hex; null when the text is not hex of the expected length.</summary>
    public static byte[]? TryDecodeHex(string text, int expectedBytes)
    {
        if (text.Length != expectedBytes * 2)
        {
            return null;
        }

        try
        {
            return Convert.FromHexString(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static byte[]? TryDecodeBase64(string text, int expectedBytes)
    {
        var buffer = new byte[expectedBytes];
        return Convert.TryFromBase64String(text, buffer, out var written) && written == expectedBytes ? buffer : null;
    }
}
