using System.Collections.Concurrent;
using CustomerSuccess.Functions.Storage;

namespace CustomerSuccess.Functions.Webhooks;

/// <summary>How one copy of an event fared at the acknowledgement.</summary>
internal enum CopyStored
{
    /// <summary>Inserted into the inbox: the first copy this process stored.</summary>
    Stored,

    /// <summary>The inbox row was there already (a copy received into the same part of a second, or an insert retried).</summary>
    InInbox,

    /// <summary>A copy of an event this process stored lately: not stored again; the first copy is applied or will be.</summary>
    StoredBefore,
}

/// <summary>
/// The events this process stored in the inbox lately, so that a provider's redelivery is acknowledged as a duplicate
/// without a second inbox row. The inbox is keyed by arrival, so a later copy would otherwise land beside the first,
/// and the applier would take it in a page only to settle it as a duplicate: an insert and a delete for nothing, a
/// hundred of each for a redelivered Segment batch.
/// <para>
/// Safe because the first copy's insert finished before a copy is answered: the first copy is in the inbox until it is
/// applied, and in the archive after that. A copy that arrives while the first is being inserted waits for that insert;
/// if it failed, the copy is stored itself. Bounded by <see cref="Capacity"/> and by half the archive's retention on the
/// app's clock (the archive keeps a settled event at least that long); a copy this process no longer remembers, or one
/// that reaches another instance, is stored and settled by the applier as before.
/// </para>
/// </summary>
internal sealed class StoredLately(TimeProvider timeProvider)
{
    /// <summary>Events remembered at most; the oldest go first.</summary>
    public const int Capacity = 50_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    // The entries, counted here: ConcurrentDictionary.Count takes every lock of the dictionary.
    private int _size;

    public int Count => Volatile.Read(ref _size);

    /// <summary>
    /// Stores the event's copy with <paramref name="store"/>, unless a copy stored by this process within
    /// <paramref name="within"/> makes it <see cref="CopyStored.StoredBefore"/>.
    /// </summary>
    public async Task<CopyStored> StoreOnceAsync(string eventKey, TimeSpan within, Func<Task<TableWriteStatus>> store)
    {
        ArgumentNullException.ThrowIfNull(store);
        while (true)
        {
            var now = timeProvider.GetUtcNow();
            if (_entries.TryGetValue(eventKey, out var earlier))
            {
                if (now - earlier.At < within)
                {
                    if (await earlier.Stored.Task.ConfigureAwait(false))
                    {
                        return CopyStored.StoredBefore;
                    }

                    // The earlier insert failed, and its entry went before it said so: store this copy, perhaps as the
                    // first.
                    continue;
                }

                Remove(eventKey, earlier);
                continue;
            }

            var entry = new Entry(now);
            if (!_entries.TryAdd(eventKey, entry))
            {
                continue;
            }

            Interlocked.Increment(ref _size);
            _order.Enqueue(eventKey);
            Trim();
            try
            {
                var status = await store().ConfigureAwait(false);
                entry.Stored.TrySetResult(true);
                return Status(status);
            }
            catch (Exception)
            {
                // Nothing is known to be stored: the entry goes, and copies waiting on it store themselves.
                Remove(eventKey, entry);
                entry.Stored.TrySetResult(false);
                throw;
            }
        }
    }

    private static CopyStored Status(TableWriteStatus status) =>
        status == TableWriteStatus.AlreadyExists ? CopyStored.InInbox : CopyStored.Stored;

    private void Trim()
    {
        while (Volatile.Read(ref _size) > Capacity && _order.TryDequeue(out var oldest))
        {
            // An insert still running loses its entry too: a copy arriving meanwhile is then stored itself.
            if (_entries.TryRemove(oldest, out _))
            {
                Interlocked.Decrement(ref _size);
            }
        }
    }

    private void Remove(string eventKey, Entry entry)
    {
        if (_entries.TryRemove(new KeyValuePair<string, Entry>(eventKey, entry)))
        {
            Interlocked.Decrement(ref _size);
        }
    }

    private sealed class Entry(DateTimeOffset at)
    {
        public DateTimeOffset At { get; } = at;

        public TaskCompletionSource<bool> Stored { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
