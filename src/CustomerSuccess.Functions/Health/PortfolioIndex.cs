using System.Globalization;
using System.IO.Compression;
using System.Text;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Health;

/// <summary>One live account as the portfolio views filter, count and rank it: a few columns of its latest score row.</summary>
public sealed record PortfolioEntry(
    string AccountId,
    string? AccountName,
    AccountSegment Segment,
    int Score,
    HealthBand ComputedBand,
    HealthBand? OverrideBand,
    DateTimeOffset? OverrideExpiresAt,
    DateTimeOffset? RenewalDate,
    string? CsmEmail,
    string? Drivers)
{
    /// <summary>The band the views show: a CSM's override while it lasts, else the computed band.</summary>
    public HealthBand BandAt(DateTimeOffset now) => OverrideBand is { } overridden && OverrideExpiresAt > now ? overridden : ComputedBand;

    /// <summary>The entry of a score row, or null for a churned account (gone: kept on its account, never counted live).</summary>
    internal static PortfolioEntry? From(HealthScoreEntity row) =>
        row is { AccountId: { } id } && row.Lifecycle != AccountLifecycleState.Churned
            ? new PortfolioEntry(id, row.AccountName, row.Segment, row.Score, row.ComputedBand, row.OverrideBand, row.OverrideExpiresAt, row.RenewalDate, row.CsmEmail, row.Drivers)
            : null;
}

/// <summary>
/// Counts and ranks portfolio entries into one <see cref="PortfolioPage"/>: band counts per segment, renewals in the
/// window by band, and the at-risk accounts ranked by score, then days to renewal, kept only up to the requested page
/// (a bounded heap), so memory follows the page, not the portfolio. Pure: the scan and the index feed it alike.
/// </summary>
public sealed class PortfolioPageBuilder
{
    private readonly PortfolioQuery _query;
    private readonly DateTimeOffset _now;
    private readonly int _keep;
    private readonly Dictionary<AccountSegment, Dictionary<HealthBand, int>> _counts;
    private readonly Dictionary<HealthBand, int> _renewals;

    // Max-heap on rank (the worst kept, highest score / farthest renewal, on top and evicted first).
    private readonly PriorityQueue<PortfolioEntry, (int Score, int Renewal, string Id)> _top =
        new(Comparer<(int Score, int Renewal, string Id)>.Create((a, b) => b.CompareTo(a)));

    private int _atRiskTotal;

    public PortfolioPageBuilder(PortfolioQuery query, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(query);
        _query = Normalize(query);
        _now = now;
        _keep = (_query.Page + 1) * _query.PageSize;
        _counts = Enum.GetValues<AccountSegment>().ToDictionary(s => s, _ => Enum.GetValues<HealthBand>().ToDictionary(b => b, _ => 0));
        _renewals = Enum.GetValues<HealthBand>().ToDictionary(b => b, _ => 0);
    }

    /// <summary>The query with its page and page size brought into range.</summary>
    public static PortfolioQuery Normalize(PortfolioQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return query with { Page = Math.Max(0, query.Page), PageSize = Math.Clamp(query.PageSize, 1, PortfolioQuery.MaxPageSize) };
    }

    public void Add(PortfolioEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if ((_query.Segment is { } only && entry.Segment != only)
            || (_query.CsmEmail is { } csm && !string.Equals(entry.CsmEmail, csm, StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        var band = entry.BandAt(_now);
        if (_query.Band is { } wanted && band != wanted)
        {
            return;
        }

        _counts[entry.Segment][band]++;
        int? daysToRenewal = entry.RenewalDate is { } renewal ? (int)Math.Floor((renewal - _now).TotalDays) : null;
        if (daysToRenewal is >= 0 and <= HealthQueries.RenewalWindowDays)
        {
            _renewals[band]++;
        }

        if (band == HealthBand.Green)
        {
            return;
        }

        _atRiskTotal++;
        var rank = (entry.Score, daysToRenewal ?? int.MaxValue, entry.AccountId);
        if (_top.Count < _keep)
        {
            _top.Enqueue(entry, rank);
        }
        else if (_top.TryPeek(out _, out var worst) && rank.CompareTo(worst) < 0)
        {
            _top.EnqueueDequeue(entry, rank);
        }
    }

    public PortfolioPage Build()
    {
        var ranked = new List<PortfolioEntry>(_top.Count);
        while (_top.TryDequeue(out var entry, out _))
        {
            ranked.Add(entry);
        }

        ranked.Reverse();
        return new PortfolioPage(
            _query,
            _counts.ToDictionary(c => c.Key, c => (IReadOnlyDictionary<HealthBand, int>)c.Value),
            _renewals,
            _atRiskTotal,
            [.. ranked.Skip(_query.Page * _query.PageSize).Select(AtRisk)]);
    }

    private AtRiskAccount AtRisk(PortfolioEntry e) => new(
        e.AccountId,
        e.AccountName,
        e.Segment,
        e.Score,
        e.BandAt(_now),
        e.RenewalDate is { } renewal ? (int)Math.Floor((renewal - _now).TotalDays) : null,
        e.CsmEmail,
        [.. HealthScoreEntity.ParseDrivers(e.Drivers).Select(d => d.ToDriver())]);
}

/// <summary>
/// Every live account's <see cref="PortfolioEntry"/>, written as one compressed read model (table
/// <c>HealthPortfolioIndex</c>) by the hourly portfolio snapshot and at the end of every recompute run, and held in
/// memory by each app instance, so any portfolio view (any filter, any page) is counted and ranked in memory instead
/// of scanning every score row: at 100,000 accounts a scan takes seconds on Table storage, a view of the index
/// milliseconds.
/// <para>
/// Layout: a header row (<c>index</c>/<c>current</c>) names the generation; the generation's entries, gzip-compressed,
/// are cut into rows of at most <see cref="ChunkBytes"/> bytes (a binary column holds 64 KiB) in partition
/// <c>g|{generation}</c>. A build writes a new generation, then swaps the header, then deletes older generations,
/// so a reader never sees half an index. A reader that finds a generation's rows gone (a newer build deleted them
/// after the reader read the header) reads the header again.
/// </para>
/// <para>
/// The index serves a view only while it is current: built within <see cref="ServesFor"/> and after the latest
/// completed recompute run. Otherwise <see cref="HealthQueries"/> scans. An override a CSM sets shows on the account
/// at once and in the portfolio views from the next build.
/// </para>
/// </summary>
public sealed class PortfolioIndex(AppTables tables, TimeProvider time)
{
    public const string Table = "HealthPortfolioIndex";

    /// <summary>How old an index may be and still serve views (the snapshot timer runs hourly).</summary>
    public static readonly TimeSpan ServesFor = TimeSpan.FromMinutes(90);

    /// <summary>Compressed bytes per row: under the 64 KiB a binary column holds.</summary>
    public const int ChunkBytes = 60 * 1024;

    // A transaction is at most 4 MiB on the wire, where binary travels as base64 (4/3): 40 chunks are about 3.3 MB.
    private const int ChunksPerTransaction = 40;
    private const string HeaderPartition = "index";
    private const string CurrentRow = "current";
    private const byte FormatVersion = 1;

    private static readonly string[] Columns =
    [
        nameof(HealthScoreEntity.AccountId), nameof(HealthScoreEntity.AccountName), nameof(HealthScoreEntity.Segment), nameof(HealthScoreEntity.Score),
        nameof(HealthScoreEntity.ComputedBand), nameof(HealthScoreEntity.RenewalDate), nameof(HealthScoreEntity.OverrideBand), nameof(HealthScoreEntity.OverrideExpiresAt),
        nameof(HealthScoreEntity.Lifecycle), nameof(HealthScoreEntity.CsmEmail), nameof(HealthScoreEntity.Drivers),
    ];

    private readonly AppTable _index = tables[Table];
    private readonly AppTable _scores = tables[HealthTables.Scores];
    private readonly AppTable _runs = tables[HealthTables.Runs];
    private readonly Lock _gate = new();
    private Loaded? _loaded;
    private (string Generation, Task<Loaded?> Load)? _loading;

    /// <summary>A loaded generation: every live account's entry, and when the index was built.</summary>
    public sealed record Loaded(string Generation, DateTimeOffset BuiltAt, IReadOnlyList<PortfolioEntry> Entries);

    /// <summary>Every live account's entry, streamed from one scan of the score rows' few columns (churned accounts left out).</summary>
    public async IAsyncEnumerable<PortfolioEntry> ScanAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in _scores.QueryAsync<HealthScoreEntity>(TableFilter.All, Columns, cancellationToken: cancellationToken))
        {
            if (PortfolioEntry.From(row) is { } entry)
            {
                yield return entry;
            }
        }
    }

    /// <summary>Writes a new generation from one scan of the score rows and makes it current.</summary>
    public async Task<Loaded> BuildAsync(CancellationToken cancellationToken)
    {
        var builtAt = time.GetUtcNow();
        var list = new List<PortfolioEntry>();
        await foreach (var entry in ScanAsync(cancellationToken))
        {
            list.Add(entry);
        }

        var generation = builtAt.UtcDateTime.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
        var bytes = Encode(list);
        var chunks = Enumerable.Range(0, (bytes.Length + ChunkBytes - 1) / ChunkBytes)
            .Select(i => new ChunkRow
            {
                PartitionKey = GenerationPartition(generation),
                RowKey = i.ToString("D5", CultureInfo.InvariantCulture),
                Data = bytes.AsSpan(i * ChunkBytes, Math.Min(ChunkBytes, bytes.Length - (i * ChunkBytes))).ToArray(),
            })
            .ToList();
        foreach (var batch in chunks.Chunk(ChunksPerTransaction))
        {
            var written = await _index.SubmitAsync([.. batch.Select(c => new TableTransactionAction(TableTransactionActionType.UpsertReplace, c))], cancellationToken);
            if (!written.Succeeded)
            {
                throw new TableStorageUnavailableException($"The portfolio index could not be written: {written.FailedStatus} {written.ErrorCode}.");
            }
        }

        var header = new HeaderRow { PartitionKey = HeaderPartition, RowKey = CurrentRow, Generation = generation, BuiltAt = builtAt, Chunks = chunks.Count, Accounts = list.Count };
        var swapped = await _index.UpsertAsync(header, TableUpdateMode.Replace, cancellationToken);
        if (!swapped.Succeeded)
        {
            throw new TableStorageUnavailableException($"The portfolio index could not be made current: {swapped.Status}.");
        }

        var loaded = new Loaded(generation, builtAt, list);
        _loaded = loaded;
        await DeleteOtherGenerationsAsync(generation, cancellationToken);
        return loaded;
    }

    /// <summary>The current index, from memory when this instance holds its generation, or null when it is not current.</summary>
    public async Task<Loaded?> TryReadAsync(CancellationToken cancellationToken)
    {
        var headerRead = _index.GetAsync<HeaderRow>(HeaderPartition, CurrentRow, cancellationToken: cancellationToken);
        var runRead = _runs.GetAsync<HealthRunPointerEntity>(HealthTables.RunPartition, HealthTables.CurrentRunRow, cancellationToken: cancellationToken);
        var (header, run) = (await headerRead, await runRead);
        if (header is null || !IsCurrent(header.BuiltAt, run?.CompletedAt, time.GetUtcNow()))
        {
            return null;
        }

        if (_loaded is { } held && held.Generation == header.Generation)
        {
            return held;
        }

        for (var attempt = 0; attempt < 3 && header is not null; attempt++)
        {
            // Concurrent first views of a generation share one load.
            Task<Loaded?> load;
            lock (_gate)
            {
                if (_loaded is { } loadedMeanwhile && loadedMeanwhile.Generation == header.Generation)
                {
                    return loadedMeanwhile;
                }

                if (_loading is not { } pending || pending.Generation != header.Generation)
                {
                    _loading = (header.Generation, LoadAsync(header, CancellationToken.None));
                }

                load = _loading.Value.Load;
            }

            if (await load.WaitAsync(cancellationToken) is { } loaded)
            {
                lock (_gate)
                {
                    _loaded = loaded;
                }

                return loaded;
            }

            // A newer build replaced the generation between the header read and the rows': read the header again.
            lock (_gate)
            {
                if (_loading?.Load == load)
                {
                    _loading = null;
                }
            }

            header = await _index.GetAsync<HeaderRow>(HeaderPartition, CurrentRow, cancellationToken: cancellationToken);
        }

        return null;
    }

    /// <summary>Whether an index built at <paramref name="builtAt"/> may serve a view at <paramref name="now"/>.</summary>
    public static bool IsCurrent(DateTimeOffset builtAt, DateTimeOffset? lastRunCompletedAt, DateTimeOffset now) =>
        now - builtAt <= ServesFor && (lastRunCompletedAt is not { } completed || completed <= builtAt);

    private async Task<Loaded?> LoadAsync(HeaderRow header, CancellationToken cancellationToken)
    {
        var chunks = new List<byte[]>(header.Chunks);
        await foreach (var row in _index.QueryAsync<ChunkRow>(TableFilter.Partition(GenerationPartition(header.Generation)), cancellationToken: cancellationToken))
        {
            chunks.Add(row.Data);
        }

        if (chunks.Count != header.Chunks)
        {
            return null;
        }

        var entries = Decode(chunks, header.Accounts);
        return new Loaded(header.Generation, header.BuiltAt, entries);
    }

    private async Task DeleteOtherGenerationsAsync(string current, CancellationToken cancellationToken)
    {
        var stale = new List<ChunkRow>();
        await foreach (var row in _index.QueryAsync<ChunkRow>(TableFilter.Of($"PartitionKey ne {HeaderPartition} and PartitionKey ne {GenerationPartition(current)}"), [nameof(ITableEntity.PartitionKey), nameof(ITableEntity.RowKey)], cancellationToken: cancellationToken))
        {
            stale.Add(row);
        }

        foreach (var batch in stale.GroupBy(r => r.PartitionKey).SelectMany(g => g.Chunk(AppTable.MaxTransactionActions)))
        {
            // Best effort: a generation left behind is deleted by the next build.
            _ = await _index.SubmitAsync([.. batch.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, Azure.ETag.All))], cancellationToken);
        }
    }

    private static string GenerationPartition(string generation) => "g|" + generation;

    internal static byte[] Encode(IReadOnlyList<PortfolioEntry> entries)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new BinaryWriter(gzip, Encoding.UTF8))
        {
            writer.Write(FormatVersion);
            writer.Write(entries.Count);
            foreach (var e in entries)
            {
                writer.Write(e.AccountId);
                WriteOptional(writer, e.AccountName);
                writer.Write((byte)e.Segment);
                writer.Write((short)e.Score);
                writer.Write((byte)e.ComputedBand);
                writer.Write(e.OverrideBand is { } band ? (byte)band : byte.MaxValue);
                writer.Write(e.OverrideExpiresAt?.UtcTicks ?? 0L);
                writer.Write(e.RenewalDate?.UtcTicks ?? 0L);
                WriteOptional(writer, e.CsmEmail);
                WriteOptional(writer, e.Drivers);
            }
        }

        return buffer.ToArray();
    }

    internal static PortfolioEntry[] Decode(IReadOnlyList<byte[]> chunks, int expected)
    {
        using var joined = new MemoryStream(chunks.Sum(c => c.Length));
        foreach (var chunk in chunks)
        {
            joined.Write(chunk);
        }

        joined.Position = 0;
        using var gzip = new GZipStream(joined, CompressionMode.Decompress);
        using var reader = new BinaryReader(gzip, Encoding.UTF8);
        var version = reader.ReadByte();
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"The portfolio index is in format {version}; this build reads {FormatVersion}.");
        }

        var count = reader.ReadInt32();
        if (count != expected)
        {
            throw new InvalidDataException($"The portfolio index holds {count} accounts; its header says {expected}.");
        }

        var entries = new PortfolioEntry[count];
        // A portfolio has a few CSMs for many accounts: one string per CSM, not one per account.
        var csms = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var id = reader.ReadString();
            var name = ReadOptional(reader);
            var segment = (AccountSegment)reader.ReadByte();
            var score = reader.ReadInt16();
            var computed = (HealthBand)reader.ReadByte();
            var overrideByte = reader.ReadByte();
            var overrideExpires = reader.ReadInt64();
            var renewal = reader.ReadInt64();
            var csm = ReadOptional(reader) is { } email ? csms.TryGetValue(email, out var known) ? known : csms[email] = email : null;
            var drivers = ReadOptional(reader);
            entries[i] = new PortfolioEntry(
                id,
                name,
                segment,
                score,
                computed,
                overrideByte == byte.MaxValue ? null : (HealthBand)overrideByte,
                overrideExpires == 0 ? null : new DateTimeOffset(overrideExpires, TimeSpan.Zero),
                renewal == 0 ? null : new DateTimeOffset(renewal, TimeSpan.Zero),
                csm,
                drivers);
        }

        return entries;
    }

    private static void WriteOptional(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    private static string? ReadOptional(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;

    internal sealed class HeaderRow : TableRow
    {
        public string Generation { get; set; } = string.Empty;

        public DateTimeOffset BuiltAt { get; set; }

        public int Chunks { get; set; }

        public int Accounts { get; set; }
    }

    internal sealed class ChunkRow : TableRow
    {
        public byte[] Data { get; set; } = [];
    }
}
