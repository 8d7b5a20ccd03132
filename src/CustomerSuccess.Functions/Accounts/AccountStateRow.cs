using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// A row of AccountStates (see <see cref="AccountStateStore"/>): the main row of an account (<see cref="Rows"/> says how
/// many rows its state spans) or one of its spilled rows, each holding its part of the serialised state in up to
/// <see cref="AccountStateStore.ChunksPerRow"/> binary properties, in order.
/// </summary>
internal sealed class AccountStateRow : TableRow
{
    /// <summary>Main row: rows the state spans (1 = this row alone). Spilled rows: 0.</summary>
    public int Rows { get; set; }

    /// <summary>The main row's write count; a spilled row belongs to the state whose main row has the same.</summary>
    public long Generation { get; set; }

    public byte[]? State0 { get; set; }

    public byte[]? State1 { get; set; }

    public byte[]? State2 { get; set; }

    public byte[]? State3 { get; set; }

    public byte[]? State4 { get; set; }

    public byte[]? State5 { get; set; }

    public byte[]? State6 { get; set; }

    public byte[]? State7 { get; set; }

    public byte[]? State8 { get; set; }

    public byte[]? State9 { get; set; }

    public byte[]? State10 { get; set; }

    public byte[]? State11 { get; set; }

    public byte[]? State12 { get; set; }

    public byte[]? State13 { get; set; }

    public byte[]? State14 { get; set; }

    public int PayloadLength()
    {
        var length = 0;
        for (var i = 0; i < AccountStateStore.ChunksPerRow && Chunk(i) is { } chunk; i++)
        {
            length += chunk.Length;
        }

        return length;
    }

    public int CopyPayload(Span<byte> destination)
    {
        var at = 0;
        for (var i = 0; i < AccountStateStore.ChunksPerRow && Chunk(i) is { } chunk; i++)
        {
            chunk.CopyTo(destination[at..]);
            at += chunk.Length;
        }

        return at;
    }

    public byte[]? Chunk(int index) => index switch
    {
        0 => State0,
        1 => State1,
        2 => State2,
        3 => State3,
        4 => State4,
        5 => State5,
        6 => State6,
        7 => State7,
        8 => State8,
        9 => State9,
        10 => State10,
        11 => State11,
        12 => State12,
        13 => State13,
        14 => State14,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public void SetChunk(int index, byte[]? value)
    {
        switch (index)
        {
            case 0:
                State0 = value;
                break;
            case 1:
                State1 = value;
                break;
            case 2:
                State2 = value;
                break;
            case 3:
                State3 = value;
                break;
            case 4:
                State4 = value;
                break;
            case 5:
                State5 = value;
                break;
            case 6:
                State6 = value;
                break;
            case 7:
                State7 = value;
                break;
            case 8:
                State8 = value;
                break;
            case 9:
                State9 = value;
                break;
            case 10:
                State10 = value;
                break;
            case 11:
                State11 = value;
                break;
            case 12:
                State12 = value;
                break;
            case 13:
                State13 = value;
                break;
            case 14:
                State14 = value;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(index));
        }
    }
}
