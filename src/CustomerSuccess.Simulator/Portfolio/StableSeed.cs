namespace CustomerSuccess.Simulator.Portfolio;

/// <summary>
/// Derives the seed of one random stream (an account's, the dispatcher's ...) from the run's seed and a few
/// labels. Unlike <see cref="HashCode"/>, which is randomised per process, the same inputs give the same seed in
/// every process, so a run is reproduced from its seed alone.
/// </summary>
internal static class StableSeed
{
    public static int Of(int seed, params ReadOnlySpan<long> labels)
    {
        // Mix the seed before the first label: a plain seed ^ label would make (seed 7, account 4) the same stream as (seed 11, account 8).
        var x = Mix(unchecked((ulong)seed));
        foreach (var label in labels)
        {
            x = Mix(x ^ unchecked((ulong)label));
        }

        return unchecked((int)Mix(x));
    }

    // SplitMix64's finaliser: every input bit moves about half the output bits.
    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
