using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// A process-local memory of facts that never change once stored, so a remembered answer is never stale. Holds at
/// most <paramref name="capacity"/> entries; past that it starts over rather than evicting one at a time.
/// </summary>
internal sealed class RememberedFacts<TKey, TValue>(int capacity)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, TValue> _facts = new();

    public bool TryGet(TKey key, [MaybeNullWhen(false)] out TValue value) => _facts.TryGetValue(key, out value);

    public void Remember(TKey key, TValue value)
    {
        if (_facts.Count >= capacity)
        {
            _facts.Clear();
        }

        _facts[key] = value;
    }
}
