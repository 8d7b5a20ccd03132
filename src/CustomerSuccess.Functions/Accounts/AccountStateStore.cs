using System.Collections.Concurrent;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// AccountStates: the one place that knows how an <see cref="AccountState"/> is stored. One row per account, PK = the
/// account's bucket (<see cref="AccountShard"/>), RK = the account id, holding the serialised state in binary
/// properties of up to <see cref="ChunkBytes"/> each. A state too large for one row spills into rows
/// "{account}|1", "{account}|2", … of the same partition, written in the same entity-group transaction as the main
/// row, whose ETag guards the write; every row carries the main row's <c>Generation</c>, so a reader that fetched them
/// in separate requests can tell a torn read. Past <see cref="MaxRows"/> rows the state sheds its least recently seen
/// people and oldest history and says so (<see cref="AccountState.Truncated"/>).
/// <para>The state this process last wrote for an account is kept in memory with its ETag (bounded by bytes), so the
/// account's next page folds onto it without a read; a write by anyone else since makes the ETag check fail and the
/// caller reads afresh.</para>
/// </summary>
internal sealed class AccountStateStore
{
    public const string Table = "AccountStates";

    /// <summary>A binary property holds at most 64 KiB.</summary>
    public const int DefaultChunkBytes = 64_000;

    /// <summary>Binary properties per row: 15 × 64 KB stays under the 1 MiB entity limit with room for the rest.</summary>
    public const int ChunksPerRow = 15;

    /// <summary>Rows per state: a transaction's payload is at most 4 MiB, and binary travels as base64.</summary>
    public const int DefaultMaxRows = 2;

    private const long MaxKeptBytes = 64L * 1024 * 1024;
    private const char SpillSeparator = '|';

    private readonly AppTables _tables;
    private readonly ConcurrentDictionary<string, StoredAccountState> _kept = new(StringComparer.Ordinal);
    private long _keptBytes;

    public AccountStateStore(AppTables tables, int chunkBytes = DefaultChunkBytes, int maxRows = DefaultMaxRows)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunkBytes, 64 * 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        _tables = tables;
        ChunkBytes = chunkBytes;
        MaxRows = maxRows;
    }

    public int ChunkBytes { get; }

    public int MaxRows { get; }

    private AppTable States => _tables[Table];

    public static string PartitionOf(string accountId) => AccountShard.BucketKey(AccountShard.BucketOf(accountId));

    /// <summary>The stored state, or null when the account is not known.</summary>
    public async Task<StoredAccountState?> ReadAsync(string accountId, CancellationToken cancellationToken)
    {
        if (AccountIds.Problem(accountId) is not null)
        {
            return null; // no account can have an id the keys cannot hold
        }

        var partition = PartitionOf(accountId);
        for (var attempt = 0; ; attempt++)
        {
            var main = await States.GetAsync<AccountStateRow>(partition, accountId, cancellationToken: cancellationToken);
            if (main is null)
            {
                return null;
            }

            var rows = new List<AccountStateRow>(main.Rows) { main };
            for (var i = 1; i < main.Rows; i++)
            {
                if (await States.GetAsync<AccountStateRow>(partition, SpillKey(accountId, i), cancellationToken: cancellationToken) is not { } spill || spill.Generation != main.Generation)
                {
                    break;
                }

                rows.Add(spill);
            }

            if (rows.Count == main.Rows)
            {
                return Unpack(accountId, rows);
            }

            // A writer replaced the state between our reads: read it again.
            if (attempt == 4)
            {
                throw new InvalidDataException($"The stored state of account {accountId} kept changing while it was read.");
            }
        }
    }

    /// <summary>
    /// The state to fold onto: the copy this process last wrote (taken out of memory: it is handed back by a successful
    /// <see cref="WriteAsync"/>), else a point read. Null when the account is not known.
    /// </summary>
    public async Task<StoredAccountState?> TakeAsync(string accountId, CancellationToken cancellationToken)
    {
        if (_kept.TryRemove(accountId, out var kept))
        {
            Interlocked.Add(ref _keptBytes, -kept.Bytes);
            return kept;
        }

        return await ReadAsync(accountId, cancellationToken);
    }

    /// <summary>Hands back a state taken with <see cref="TakeAsync"/> that was not changed.</summary>
    public void Return(StoredAccountState stored) => Keep(stored);

    /// <summary>
    /// Stores <paramref name="state"/> over <paramref name="previous"/> (null: the account is new). Null when someone else
    /// wrote it since <paramref name="previous"/> was read (or created it first): read again and fold again.
    /// </summary>
    public async Task<StoredAccountState?> WriteAsync(StoredAccountState? previous, AccountState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var payload = Pack(state);
        var generation = (previous?.Generation ?? 0) + 1;
        var rows = Rows(state.AccountId, payload, generation);

        // Rows the previous version used that this one does not are written empty rather than deleted, so the
        // transaction cannot fail on a row someone else removed; readers go by the main row's count.
        for (var i = rows.Count; i < (previous?.Rows ?? 0); i++)
        {
            rows.Add(new AccountStateRow { PartitionKey = rows[0].PartitionKey, RowKey = SpillKey(state.AccountId, i), Generation = generation });
        }

        ETag etag;
        if (rows.Count == 1)
        {
            var outcome = previous is null
                ? await States.AddAsync(rows[0], cancellationToken)
                : await States.UpdateAsync(rows[0], previous.ETag, TableUpdateMode.Replace, cancellationToken);
            if (!outcome.Succeeded)
            {
                return null;
            }

            etag = outcome.ETag;
        }
        else
        {
            var actions = new List<TableTransactionAction>(rows.Count)
            {
                previous is null
                    ? new TableTransactionAction(TableTransactionActionType.Add, rows[0])
                    : new TableTransactionAction(TableTransactionActionType.UpdateReplace, rows[0], previous.ETag),
            };
            actions.AddRange(rows.Skip(1).Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r)));
            var outcome = await States.SubmitAsync(actions, cancellationToken);
            if (!outcome.Succeeded)
            {
                if (outcome.FailedActionIndex == 0 && outcome.FailedStatus is 409 or 412)
                {
                    return null;
                }

                throw new InvalidOperationException($"Storing the state of account {state.AccountId} failed: {outcome.FailedStatus} {outcome.ErrorCode}.");
            }

            etag = outcome.ETags[0];
        }

        var stored = new StoredAccountState(state, etag, rows[0].Rows, generation, payload.Length);
        Keep(stored);
        return stored;
    }

    /// <summary>Creates the state of a newly linked account; false when it exists already.</summary>
    public async Task<bool> TryCreateAsync(string accountId, DateTimeOffset observedSince, CancellationToken cancellationToken) =>
        await WriteAsync(null, AccountState.New(accountId, observedSince), cancellationToken) is not null;

    /// <summary>
    /// One page of a shard's accounts in (bucket, account id) order: one range query over the shard's partitions, and
    /// point reads only for a state whose spilled rows the page does not hold in full.
    /// </summary>
    public async Task<AccountStatePage> ReadPageAsync(int shard, int shardCount, string? continuation, int pageSize, CancellationToken cancellationToken)
    {
        var (first, end) = AccountShard.BucketRange(shard, shardCount);
        var filter = TableFilter.PartitionRange(AccountShard.BucketKey(first), AccountShard.BucketKey(end));
        var page = await States.QueryPageAsync<AccountStateRow>(filter, continuation, pageSize, cancellationToken: cancellationToken);
        var spills = page.Entities.Where(r => IsSpill(r.RowKey)).ToDictionary(r => r.RowKey, StringComparer.Ordinal);
        var states = new List<AccountState>(page.Entities.Count);
        foreach (var main in page.Entities)
        {
            if (IsSpill(main.RowKey))
            {
                continue;
            }

            var rows = new List<AccountStateRow>(main.Rows) { main };
            for (var i = 1; i < main.Rows && spills.TryGetValue(SpillKey(main.RowKey, i), out var spill) && spill.Generation == main.Generation; i++)
            {
                rows.Add(spill);
            }

            if (rows.Count == main.Rows)
            {
                states.Add(Unpack(main.RowKey, rows).State);
            }
            else if (await ReadAsync(main.RowKey, cancellationToken) is { } whole)
            {
                states.Add(whole.State);
            }
        }

        return new AccountStatePage(states, page.Continuation);
    }

    /// <summary>The rows a first write of <paramref name="state"/> stores (what a bulk load writes directly).</summary>
    internal IReadOnlyList<AccountStateRow> RowsOf(AccountState state) => Rows(state.AccountId, Pack(state), generation: 1);

    private byte[] Pack(AccountState state)
    {
        var capacity = (long)ChunkBytes * ChunksPerRow * MaxRows;
        while (true)
        {
            var payload = AccountStateSerializer.Serialize(state);
            if (payload.Length <= capacity)
            {
                return payload;
            }

            if (!state.Shed())
            {
                throw new InvalidDataException($"The state of account {state.AccountId} does not fit {MaxRows} rows even after shedding its history.");
            }
        }
    }

    private List<AccountStateRow> Rows(string accountId, byte[] payload, long generation)
    {
        var partition = PartitionOf(accountId);
        var chunks = Math.Max(1, (payload.Length + ChunkBytes - 1) / ChunkBytes);
        var rowCount = (chunks + ChunksPerRow - 1) / ChunksPerRow;
        var rows = new List<AccountStateRow>(rowCount);
        for (var r = 0; r < rowCount; r++)
        {
            var row = new AccountStateRow
            {
                PartitionKey = partition,
                RowKey = r == 0 ? accountId : SpillKey(accountId, r),
                Generation = generation,
                Rows = r == 0 ? rowCount : 0,
            };
            for (var c = 0; c < ChunksPerRow; c++)
            {
                var offset = ((r * ChunksPerRow) + c) * ChunkBytes;
                if (offset >= payload.Length)
                {
                    break;
                }

                row.SetChunk(c, payload.AsSpan(offset, Math.Min(ChunkBytes, payload.Length - offset)).ToArray());
            }

            rows.Add(row);
        }

        return rows;
    }

    private static StoredAccountState Unpack(string accountId, List<AccountStateRow> rows)
    {
        var length = rows.Sum(r => r.PayloadLength());
        var payload = new byte[length];
        var at = 0;
        foreach (var row in rows)
        {
            at += row.CopyPayload(payload.AsSpan(at));
        }

        var state = AccountStateSerializer.Deserialize(payload);
        state.AccountId = accountId;
        return new StoredAccountState(state, rows[0].ETag, rows[0].Rows, rows[0].Generation, length);
    }

    private void Keep(StoredAccountState stored)
    {
        var id = stored.State.AccountId;
        if (_kept.TryRemove(id, out var old))
        {
            Interlocked.Add(ref _keptBytes, -old.Bytes);
        }

        if (Interlocked.Add(ref _keptBytes, stored.Bytes) > MaxKeptBytes)
        {
            // Past the bound the memory starts over (the next page of each account reads its state once).
            _kept.Clear();
            Interlocked.Exchange(ref _keptBytes, stored.Bytes);
        }

        _kept[id] = stored;
    }

    /// <summary>The copy kept in memory, if any, without taking it (callers hold the account's turn).</summary>
    public StoredAccountState? Kept(string accountId) => _kept.TryGetValue(accountId, out var kept) ? kept : null;

    private static string SpillKey(string accountId, int index) => accountId + SpillSeparator + index.ToString(CultureInfo.InvariantCulture);

    private static bool IsSpill(string rowKey) => rowKey.Contains(SpillSeparator, StringComparison.Ordinal);
}

/// <summary>A state as stored: its ETag, how many rows it spans and its write generation.</summary>
internal sealed record StoredAccountState(AccountState State, ETag ETag, int Rows, long Generation, long Bytes);

internal sealed record AccountStatePage(IReadOnlyList<AccountState> States, string? Continuation);
