using System.Buffers;
using System.IO.Compression;
using System.Text.Json;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// One account's scoring input as one row: its current-state rows and the last <see cref="DaysKept"/> days of daily
/// counters, copied from the account's partition of AccountSignals after every applied event. A recompute shard
/// reads a hundred accounts with one query instead of one query per account.
/// Every row the signal writer writes carries <see cref="RevProperty"/>, which grows by one with each write of that
/// row (the writes are ETag-guarded), so copies merged out of order still leave the newest version of each row.
/// Pure: merge, pack, unpack; <see cref="AccountDigestStore"/> does the I/O.
/// </summary>
internal sealed class AccountDigest(string accountId)
{
    public const string RevProperty = "Rev";

    /// <summary>Days kept behind the newest day: the scorer reads 60.</summary>
    public const int DaysKept = 62;

    /// <summary>Binary properties hold at most 64 KiB; an entity at most 1 MiB.</summary>
    public const int ChunkBytes = 64 * 1024;

    /// <summary>Above this the digest is marked overflowed and readers fall back to the account's partition.</summary>
    public const int DefaultMaxPayloadBytes = 12 * ChunkBytes;

    private const string DayPrefix = "day|";
    private const string RowsProperty = "Rows";
    private const string DaysProperty = "Days";

    // Sorted like the partition, so the projection sees rows in the same order whichever way it was read.
    private readonly SortedDictionary<string, TableEntity> _rows = new(StringComparer.Ordinal);
    private readonly Dictionary<int, (long Rev, DailySignals Day)> _days = [];

    public string AccountId { get; } = accountId;

    public DateTimeOffset? ObservedSince { get; set; }

    /// <summary>Too large for one row: readers read the account's partition instead, and merges are skipped.</summary>
    public bool Overflow { get; private set; }

    public IReadOnlyCollection<TableEntity> Rows => _rows.Values;

    public static string Partition(string accountId) => AccountShard.BucketKey(AccountShard.BucketOf(accountId));

    /// <summary>Folds in a copy of one row of the account's partition; false when the digest already held it or newer.</summary>
    public bool Merge(TableEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (Overflow || row.RowKey.StartsWith('~'))
        {
            return false;
        }

        var rev = row.GetInt64(RevProperty) ?? 0;
        if (row.RowKey.StartsWith(DayPrefix, StringComparison.Ordinal))
        {
            var day = AccountSignalReader.DayFrom(AccountSignalReader.ParseDayKey(row.RowKey), row);
            var number = day.Day.DayNumber;
            if (_days.TryGetValue(number, out var held) && held.Rev >= rev)
            {
                return false;
            }

            _days[number] = (rev, day);
            PruneDays();
            return true;
        }

        if (_rows.TryGetValue(row.RowKey, out var existing) && (existing.GetInt64(RevProperty) ?? 0) >= rev)
        {
            return false;
        }

        var copy = new TableEntity(string.Empty, row.RowKey);
        foreach (var (name, value) in row.Properties)
        {
            // The event id is an audit column of the partition's row; scoring never reads it.
            if (name != "EventId")
            {
                copy[name] = value;
            }
        }

        _rows[row.RowKey] = copy;
        return true;
    }

    /// <summary>The days, oldest first, as the scorer reads them.</summary>
    public DailySignals[] Days()
    {
        var days = new DailySignals[_days.Count];
        var i = 0;
        foreach (var (_, held) in _days)
        {
            days[i++] = held.Day;
        }

        Array.Sort(days, static (a, b) => a.Day.CompareTo(b.Day));
        return days;
    }

    public AccountSignals ToSignals(DateOnly asOf) =>
        AccountSignalReader.Build(AccountId, asOf, _rows.Values, Days()) with { ObservedSince = ObservedSince };

    /// <summary>The stored row. Payloads over <paramref name="maxPayloadBytes"/> mark the digest overflowed instead.</summary>
    public TableEntity ToEntity(int maxPayloadBytes = DefaultMaxPayloadBytes)
    {
        var entity = new TableEntity(Partition(AccountId), AccountId) { ["ObservedSince"] = ObservedSince };
        if (!Overflow)
        {
            var days = PackDays();
            var rows = PackRows();
            if (days.Length + rows.Length > maxPayloadBytes || days.Length > ChunkBytes)
            {
                Overflow = true;
                _rows.Clear();
                _days.Clear();
            }
            else
            {
                entity[DaysProperty] = days;
                for (var chunk = 0; chunk * ChunkBytes < rows.Length; chunk++)
                {
                    entity[ChunkName(chunk)] = rows.AsSpan(chunk * ChunkBytes, Math.Min(ChunkBytes, rows.Length - (chunk * ChunkBytes))).ToArray();
                }
            }
        }

        entity["Overflow"] = Overflow;
        return entity;
    }

    public static AccountDigest FromEntity(TableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var digest = new AccountDigest(entity.RowKey)
        {
            ObservedSince = entity.GetDateTimeOffset("ObservedSince"),
            Overflow = entity.GetBoolean("Overflow") ?? false,
        };
        if (digest.Overflow)
        {
            return digest;
        }

        if (entity.GetBinary(DaysProperty) is { } days)
        {
            digest.UnpackDays(days);
        }

        var length = 0;
        for (var chunk = 0; entity.GetBinary(ChunkName(chunk)) is { } part; chunk++)
        {
            length += part.Length;
        }

        if (length > 0)
        {
            var packed = new byte[length];
            var at = 0;
            for (var chunk = 0; entity.GetBinary(ChunkName(chunk)) is { } part; chunk++)
            {
                part.CopyTo(packed, at);
                at += part.Length;
            }

            digest.UnpackRows(packed);
        }

        return digest;
    }

    private static string ChunkName(int chunk) => chunk == 0 ? RowsProperty : RowsProperty + chunk.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private void PruneDays()
    {
        var newest = int.MinValue;
        foreach (var number in _days.Keys)
        {
            newest = Math.Max(newest, number);
        }

        foreach (var number in _days.Keys)
        {
            if (number < newest - DaysKept)
            {
                _days.Remove(number);
            }
        }
    }

    // Days: a varint count, then per day (oldest first) the day-number gap, the row's Rev and the counters as zigzag
    // varints. Most counters are small, so a day takes about 20 bytes.
    private byte[] PackDays()
    {
        var writer = new ArrayBufferWriter<byte>(16 + (_days.Count * 24));
        WriteVarint(writer, (ulong)_days.Count);
        var previous = 0;
        foreach (var number in _days.Keys.Order())
        {
            var (rev, day) = _days[number];
            WriteVarint(writer, (ulong)(number - previous));
            previous = number;
            WriteVarint(writer, (ulong)rev);
            foreach (var value in DayCounters(day))
            {
                WriteVarint(writer, (ulong)((value << 1) ^ (value >> 63)));
            }
        }

        return writer.WrittenSpan.ToArray();
    }

    private void UnpackDays(ReadOnlySpan<byte> data)
    {
        var count = (int)ReadVarint(ref data);
        var number = 0;
        Span<long> values = stackalloc long[CounterCount];
        for (var i = 0; i < count; i++)
        {
            number += (int)ReadVarint(ref data);
            var rev = (long)ReadVarint(ref data);
            for (var c = 0; c < CounterCount; c++)
            {
                var raw = ReadVarint(ref data);
                values[c] = (long)(raw >> 1) ^ -(long)(raw & 1);
            }

            _days[number] = (rev, DayOf(DateOnly.FromDayNumber(number), values));
        }
    }

    // Rows: the Table service's own JSON entity format (types kept), Brotli-compressed.
    private byte[] PackRows()
    {
        var json = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartArray();
            foreach (var row in _rows.Values)
            {
                TableEntityJson.Write(writer, row);
            }

            writer.WriteEndArray();
        }

        var compressed = new byte[BrotliEncoder.GetMaxCompressedLength(json.WrittenCount)];
        if (!BrotliEncoder.TryCompress(json.WrittenSpan, compressed, out var written, quality: 4, window: 22))
        {
            throw new InvalidOperationException("Brotli could not compress the account digest.");
        }

        return compressed.AsSpan(0, written).ToArray();
    }

    private void UnpackRows(byte[] packed)
    {
        using var input = new MemoryStream(packed, writable: false);
        using var brotli = new BrotliStream(input, CompressionMode.Decompress);
        using var json = JsonDocument.Parse(brotli);
        foreach (var element in json.RootElement.EnumerateArray())
        {
            var row = TableEntityJson.Read(element);
            _rows[row.RowKey] = row;
        }
    }

    private const int CounterCount = 16;

    private static long[] DayCounters(DailySignals d) =>
    [
        d.ActiveUsers, d.Logins, d.Events, d.TicketsOpened, d.UrgentOrHighTicketsOpened, d.TicketsSolved, d.SatisfactionGood, d.SatisfactionBad,
        d.PaymentsFailed, d.PaymentsSucceeded, d.DisputesOpened, d.Refunds, d.Meetings, d.Qbrs, d.EmailReplies, d.MrrDeltaCents,
    ];

    private static DailySignals DayOf(DateOnly day, ReadOnlySpan<long> v) => new()
    {
        Day = day,
        ActiveUsers = (int)v[0],
        Logins = (int)v[1],
        Events = (int)v[2],
        TicketsOpened = (int)v[3],
        UrgentOrHighTicketsOpened = (int)v[4],
        TicketsSolved = (int)v[5],
        SatisfactionGood = (int)v[6],
        SatisfactionBad = (int)v[7],
        PaymentsFailed = (int)v[8],
        PaymentsSucceeded = (int)v[9],
        DisputesOpened = (int)v[10],
        Refunds = (int)v[11],
        Meetings = (int)v[12],
        Qbrs = (int)v[13],
        EmailReplies = (int)v[14],
        MrrDeltaCents = v[15],
    };

    private static void WriteVarint(ArrayBufferWriter<byte> writer, ulong value)
    {
        var span = writer.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        writer.Advance(i);
    }

    private static ulong ReadVarint(ref ReadOnlySpan<byte> data)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (data.IsEmpty || shift > 63)
            {
                throw new InvalidDataException("The account digest's days are cut short.");
            }

            var b = data[0];
            data = data[1..];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
