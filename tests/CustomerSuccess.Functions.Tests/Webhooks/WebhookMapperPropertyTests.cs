using System.Text;
using System.Text.Json;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Webhooks;
using CustomerSuccess.Functions.Webhooks.Segment;
using CustomerSuccess.Functions.Webhooks.Stripe;
using CustomerSuccess.Functions.Webhooks.Zendesk;
using FsCheck;
using FsCheck.Fluent;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>
/// The parsers and mappers are total: for any JSON (and, for the parsers, any bytes) they give an effect, ignored,
/// or a rejection with a reason, and never throw; and every key an effect leads to is one the Table service
/// accepts (checked with the storage layer's own key rules, not the mapper's).
/// </summary>
public sealed class WebhookMapperPropertyTests
{
    private static readonly ProductOptions Signals = new()
    {
        FirstValueMilestone = "Report Exported",
        SuccessMilestones = ["a/b"],
        KeyFeatures = ["Report Exported", "a#b"],
        LoginEvents = ["Logged In"],
        SegmentGroupLinkTraits = new() { ["stripe_customer_id"] = ExternalIdKinds.StripeCustomer, ["zendesk_organization_id"] = ExternalIdKinds.ZendeskOrganization },
    };

    private static readonly Config Thorough = Config.QuickThrowOnFailure.WithMaxTest(3000);

    private static string Fixture(string path) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", path));

    private static Gen<string> Documents(params string[] fixtures) => Gen.OneOf(
        [
            Json.Objects(3).Select(j => j.Text()),
            Json.Values(2).Select(j => j.Text()),
            .. fixtures.Select(f => Json.Mutations(Fixture(f))),
        ]);

    [Fact]
    public void StripeMapper_AnyJson_MapsIgnoresOrRejectsAndNeverThrows()
    {
        var types = Gen.Elements("customer.created", "customer.updated", "customer.subscription.created", "customer.subscription.deleted", "invoice.paid", "invoice.payment_failed", "invoice.upcoming", "charge.dispute.created", "charge.refunded", "product.created");

        // Mostly each fixture under its own kind of type, so the mutations reach the fields that type reads.
        var cases = Gen.OneOf(
            Gen.Zip(types, Documents()),
            Gen.Zip(Gen.Elements("customer.created", "customer.updated"), Json.Mutations(Fixture("Stripe/customer.created.json"))),
            Gen.Zip(Gen.Elements("customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted"), Json.Mutations(Fixture("Stripe/customer.subscription.updated.json"))),
            Gen.Zip(Gen.Elements("invoice.paid", "invoice.payment_failed", "invoice.upcoming", "charge.dispute.created", "charge.refunded"), Json.Mutations(Fixture("Stripe/invoice.payment_failed.json"))))
            .Select(c => (type: c.Item1, json: c.Item2));

        Check.One(Thorough, Prop.ForAll(cases.ToArbitrary(), c => IsTotal(StripeEventMapper.Map(c.type, c.json))));
    }

    [Fact]
    public void SegmentMapper_AnyJson_MapsIgnoresOrRejectsAndNeverThrows()
    {
        var identify = Fixture("Segment/identify.json");
        var messages = JsonDocument.Parse(Fixture("Segment/batch.json")).RootElement.GetProperty("batch").EnumerateArray().Select(m => m.GetRawText()).ToArray();
        var cases = Gen.OneOf([Documents(), Json.Mutations(identify), .. messages.Select(Json.Mutations)]);

        Check.One(Thorough, Prop.ForAll(cases.ToArbitrary(), json => IsTotal(SegmentEventMapper.Map(json, Signals))));
    }

    [Fact]
    public void ZendeskMapper_AnyJson_MapsIgnoresOrRejectsAndNeverThrows()
    {
        var types = Gen.Elements("zen:event-type:ticket.created", "zen:event-type:ticket.status_changed", "zen:event-type:ticket.satisfaction_rating_changed", "zen:event-type:organization.created", "ticket.created", "zen:event-type:user.created", "");
        var cases = from type in types
                    from json in Documents("Zendesk/ticket.created.json", "Zendesk/ticket.status_changed.json")
                    select (type, json);

        Check.One(Thorough, Prop.ForAll(cases.ToArbitrary(), c => IsTotal(ZendeskEventMapper.Map(c.type, c.json, Signals))));
    }

    [Fact]
    public void Parsers_AnyBytes_ParseOrRejectAndNeverThrow()
    {
        var texts = Documents("Stripe/customer.created.json", "Segment/batch.json", "Zendesk/ticket.created.json").Select(Encoding.UTF8.GetBytes);
        var bodies = Gen.OneOf(texts, texts.SelectMany(WithInvalidUtf8), ArbMap.Default.GeneratorFor<byte[]>());

        Check.One(Thorough, Prop.ForAll(bodies.ToArbitrary(), body =>
            ParsedOrRejected(StripeEventParser.Parse(body)) && ParsedOrRejected(SegmentEventParser.Parse(body)) && ParsedOrRejected(ZendeskEventParser.Parse(body))));
    }

    /// <summary>Bytes that are not UTF-8 (a lone continuation byte, a truncated sequence, an overlong form) spliced in somewhere.</summary>
    internal static Gen<byte[]> WithInvalidUtf8(byte[] body) =>
        from at in Gen.Choose(0, body.Length)
        from bad in Gen.Elements<byte[]>([0x80], [0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF], [0xF4, 0x90, 0x80, 0x80])
        select (byte[])[.. body.AsSpan(0, at), .. bad, .. body.AsSpan(at)];

    private static bool ParsedOrRejected(WebhookParseResult result) =>
        result.Error is { Length: > 0 } ? result.Events.Count == 0 : result.Events.Count > 0 && result.Events.All(e => e.EventId.Length > 0 && e.EventType.Length > 0);

    private static bool IsTotal(EventMapping mapping)
    {
        if (mapping.IsRejected)
        {
            return mapping.Event is null && !string.IsNullOrWhiteSpace(mapping.Rejection);
        }

        return mapping.Event is null || KeysAreValid(mapping.Event);
    }

    /// <summary>Every key the account stores form from an event passes the storage layer's own validation.</summary>
    private static bool KeysAreValid(AccountEvent e)
    {
        var ids = new List<ExternalIdRef>([e.Account, .. e.AlsoKnownAs]);
        var keys = new List<string>();
        foreach (var id in ids)
        {
            keys.Add(ProviderIdKeys.Escape(id.ExternalId)); // AccountLinks RK
            keys.Add(id.Kind + "|" + ProviderIdKeys.Escape(id.ExternalId)); // AccountParked PK
        }

        if (!string.IsNullOrWhiteSpace(e.NamedAccountId))
        {
            keys.Add(e.NamedAccountId); // AccountStates RK
            keys.Add(e.NamedAccountId + "|1"); // a spilled row
            keys.Add("hist|" + e.NamedAccountId + "|20251122");
        }

        foreach (var key in keys)
        {
            TableKeys.ValidateKey(key, "key");
            _ = Uri.EscapeDataString(key); // addressable: the SDK escapes keys into the entity's URL this way, and a lone surrogate throws
        }

        // The state the event folds into can be written and read back.
        var state = AccountState.New("acct", DateTimeOffset.UnixEpoch);
        state.Apply(e, "key", DateTimeOffset.UnixEpoch.AddDays(1));
        _ = AccountStateSerializer.Deserialize(AccountStateSerializer.Serialize(state)).ToSignals(new DateOnly(2025, 11, 22));
        return true;
    }
}
