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
    private static readonly SignalsOptions Signals = new()
    {
        FirstValueMilestones = ["Report Exported", "a/b"],
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
            return mapping.Effect is null && !string.IsNullOrWhiteSpace(mapping.Rejection);
        }

        return mapping.Effect is null || KeysAreValid(mapping.Effect);
    }

    /// <summary>Every key the writer and the identity store form from an effect passes the storage layer's own validation.</summary>
    private static bool KeysAreValid(AccountEvent e)
    {
        var keys = new List<string>
        {
            ProviderIdKeys.Escape(e.ExternalId),
            e.IdKind + "|" + ProviderIdKeys.Escape(e.ExternalId),
            "~mrr|2025-11-22|" + ProviderIdKeys.Escape(e.ExternalId),
        };
        keys.AddRange(e.States.Select(s => s.RowKey));
        keys.AddRange(e.AlsoKnownAs.Select(a => ProviderIdKeys.Escape(a.ExternalId)));
        if (e.ActiveUserId is { } user)
        {
            keys.Add("~dau|2025-11-22|" + ProviderIdKeys.Escape(user));
        }

        if (e.Subscription is { } sub)
        {
            keys.Add("sub|" + ProviderIdKeys.Escape(sub.SubscriptionId));
        }

        if (!string.IsNullOrWhiteSpace(e.LinkToAccountId))
        {
            keys.Add(e.LinkToAccountId);
            keys.Add("hist|" + e.LinkToAccountId + "|20251122");
        }

        foreach (var key in keys)
        {
            TableKeys.ValidateKey(key, "key");
            _ = Functions.Storage.Rest.RestTableKeys.EntityPath("t", key, key); // addressable: a lone surrogate would make the URL escaping throw
        }

        return true;
    }
}
