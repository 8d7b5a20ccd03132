using System.Buffers;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// <see cref="AccountState"/> as bytes: System.Text.Json (source-generated, defaults left out) compressed with Brotli
/// at its fastest setting, behind a one-byte format tag so a later layout can be told apart.
/// </summary>
internal static class AccountStateSerializer
{
    private const byte Format = 1;

    public static byte[] Serialize(AccountState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var json = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(json))
        {
            JsonSerializer.Serialize(writer, state, AccountStateJsonContext.Default.AccountState);
        }

        var output = new byte[1 + BrotliEncoder.GetMaxCompressedLength(json.WrittenCount)];
        output[0] = Format;
        if (!BrotliEncoder.TryCompress(json.WrittenSpan, output.AsSpan(1), out var written, quality: 1, window: 22))
        {
            throw new InvalidOperationException("Brotli could not compress an account state.");
        }

        return output.AsSpan(0, written + 1).ToArray();
    }

    public static AccountState Deserialize(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty || data[0] != Format)
        {
            throw new InvalidDataException("An account state in an unknown format.");
        }

        using var decoder = new BrotliDecoder();
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(4096, data.Length * 8));
        try
        {
            var source = data[1..];
            var length = 0;
            while (true)
            {
                var status = decoder.Decompress(source, buffer.AsSpan(length), out var consumed, out var written);
                source = source[consumed..];
                length += written;
                if (status == OperationStatus.Done)
                {
                    break;
                }

                if (status != OperationStatus.DestinationTooSmall)
                {
                    throw new InvalidDataException("An account state is cut short.");
                }

                var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

            return JsonSerializer.Deserialize(buffer.AsSpan(0, length), AccountStateJsonContext.Default.AccountState)
                ?? throw new InvalidDataException("An account state is empty.");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault, IgnoreReadOnlyProperties = true)]
[JsonSerializable(typeof(AccountState))]
internal sealed partial class AccountStateJsonContext : JsonSerializerContext;
