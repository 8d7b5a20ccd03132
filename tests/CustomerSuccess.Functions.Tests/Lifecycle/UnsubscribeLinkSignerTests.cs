using System.Web;
using CustomerSuccess.Functions.Lifecycle;

namespace CustomerSuccess.Functions.Tests.Lifecycle;

public sealed class UnsubscribeLinkSignerTests
{
    private static readonly LifecycleOptions Options = new()
    {
        UnsubscribeBaseUrl = new Uri("https://cs.example.com/api/lifecycle/unsubscribe"),
        UnsubscribeSigningKey = "test-only-signing-key-0123456789abcdef",
    };

    [Fact]
    public void LinkFor_RoundTrips_AndCarriesOneClickHeaders()
    {
        var signer = new UnsubscribeLinkSigner(Options);

        var link = signer.LinkFor("acct_1:ana@acme.example");
        var query = HttpUtility.ParseQueryString(link.Query);

        Assert.True(signer.IsValid(query["c"], query["s"]));
        var headers = signer.HeadersFor("acct_1:ana@acme.example");
        Assert.Equal("<" + link.AbsoluteUri + ">", headers["List-Unsubscribe"]);
        Assert.Equal("List-Unsubscribe=One-Click", headers["List-Unsubscribe-Post"]);
    }

    [Fact]
    public void IsValid_SignatureOfAnotherContact_IsRefused()
    {
        var signer = new UnsubscribeLinkSigner(Options);
        var other = HttpUtility.ParseQueryString(signer.LinkFor("c2").Query)["s"];

        Assert.False(signer.IsValid("c1", other));
        Assert.False(signer.IsValid("c1", null));
        Assert.False(signer.IsValid("c1", "AAAA"));
    }

    [Fact]
    public void IsValid_OtherKey_IsRefused()
    {
        var signer = new UnsubscribeLinkSigner(Options);
        var forged = new UnsubscribeLinkSigner(new LifecycleOptions { UnsubscribeBaseUrl = Options.UnsubscribeBaseUrl, UnsubscribeSigningKey = "another-key-another-key-another-key!!" });

        var s = HttpUtility.ParseQueryString(forged.LinkFor("c1").Query)["s"];

        Assert.False(signer.IsValid("c1", s));
    }
}
