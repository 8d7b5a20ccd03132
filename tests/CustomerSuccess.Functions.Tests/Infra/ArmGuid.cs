using System.Security.Cryptography;
using System.Text;

namespace CustomerSuccess.Functions.Tests.Infra;

/// <summary>
/// The template function guid(a, b, ...): a name-based UUID (RFC 4122 §4.3, SHA-1, version 5) of the arguments joined
/// by '-' in UTF-8, in the namespace 11fb06fb-712d-4ddd-98c7-e71bbd588830. Checked against the Bicep CLI's own
/// evaluation in <see cref="InfraCheckSelfTests"/>, so the role assignment test can tell which arguments a name was
/// made of.
/// </summary>
internal static class ArmGuid
{
    private static readonly Guid Namespace = Guid.Parse("11fb06fb-712d-4ddd-98c7-e71bbd588830");

    public static Guid Of(params string[] arguments)
    {
        var name = Encoding.UTF8.GetBytes(string.Join('-', arguments));
        var input = new byte[16 + name.Length];
        Namespace.TryWriteBytes(input, bigEndian: true, out _);
        name.CopyTo(input, 16);
#pragma warning disable CA5350 // RFC 4122 version 5 is defined on SHA-1; this reproduces a name, it protects nothing.
        var hash = SHA1.HashData(input);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
