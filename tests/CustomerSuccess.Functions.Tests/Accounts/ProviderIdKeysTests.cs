using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Tests.Webhooks;
using FsCheck;
using FsCheck.Fluent;

namespace CustomerSuccess.Functions.Tests.Accounts;

/// <summary>Provider ids to Table keys: one-to-one over every string, always a valid key, ordinary ids unchanged.</summary>
public sealed class ProviderIdKeysTests
{
    // Ordinary text, the characters keys refuse, lone surrogates, and lengths either side of the hashing threshold.
    private static readonly Gen<string> Ids = Gen.OneOf(
        ArbMap.Default.GeneratorFor<string>().Where(s => s is not null),
        Json.Strings,
        from head in Json.Strings
        from length in Gen.Choose(ProviderIdKeys.MaxLength - 8, ProviderIdKeys.MaxLength + 8)
        from fill in Gen.Elements('x', '/', '%', '\ud800', 'é')
        select (head + new string(fill, length))[..length],
        from length in Gen.Choose(1, 600)
        from chars in Gen.Elements('a', '/', '%', '\udfff', '\ud83d', '\ude00', '#', '\u0085').ArrayOf(length)
        select new string(chars));

    [Fact]
    public void Escape_TwoDifferentIds_NeverTheSameKey()
    {
        var pairs = Gen.OneOf(
            Gen.Zip(Ids, Ids),

            // Near misses: the same id with one character changed, which a lossy encoding (a surrogate turned into U+FFFD,
            // a hash of a truncated head) would merge.
            from id in Ids.Where(s => s.Length > 0)
            from at in Gen.Choose(0, 10_000)
            from c in Gen.Elements('a', '\ud800', '\udc00', '\ufffd', '%', '/')
            select (id, id[..(at % id.Length)] + c + id[((at % id.Length) + 1)..]));

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5000), Prop.ForAll(pairs.ToArbitrary(), p =>
            p.Item1 == p.Item2 || ProviderIdKeys.Escape(p.Item1) != ProviderIdKeys.Escape(p.Item2)));
    }

    [Fact]
    public void Escape_AnyId_IsAValidAddressableKeyBehindTheLongestPrefix()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000), Prop.ForAll(Ids.ToArbitrary(), id =>
        {
            var key = "~mrr|2025-11-22|" + ProviderIdKeys.Escape(id);
            TableKeys.ValidateKey(key, "rowKey");
            _ = Uri.EscapeDataString(key); // addressable: the SDK escapes keys into the entity's URL this way
            return ProviderIdKeys.Escape(id).Length <= ProviderIdKeys.MaxLength && ProviderIdKeys.IsValidKey(key);
        }));
    }

    [Theory]
    [InlineData("cus_RYx8n1H3dq9ZpA")]
    [InlineData("ajs-next-1700000000000-4b2a")]
    [InlineData("cbe4028c-7239-495d-b020-f22348516046")]
    [InlineData("user@example.com")]
    [InlineData("😀 Ünïcødé 'quoted'")]
    public void Escape_OrdinaryId_KeepsTheKeyItAlwaysHad(string id) => Assert.Equal(id, ProviderIdKeys.Escape(id));

    [Fact]
    public void Escape_ForbiddenCharactersAndLoneSurrogates_Escaped()
    {
        Assert.Equal("a%2Fb%23c%3Fd%5Ce%25f%09", ProviderIdKeys.Escape("a/b#c?d\\e%f\t"));
        Assert.Equal("cus_%uDFFF", ProviderIdKeys.Escape("cus_\udfff"));
    }

    [Fact]
    public void Escape_IdOfAJwtsLength_HashedWithAReadableHead()
    {
        var jwt = "eyJhbGciOiJIUzI1NiJ9." + new string('A', 3000);

        var key = ProviderIdKeys.Escape(jwt);

        Assert.Equal(ProviderIdKeys.MaxLength, key.Length);
        Assert.StartsWith("eyJhbGciOiJIUzI1NiJ9.AAAA", key, StringComparison.Ordinal);
        Assert.Matches("%H[0-9a-f]{64}$", key);
    }
}
