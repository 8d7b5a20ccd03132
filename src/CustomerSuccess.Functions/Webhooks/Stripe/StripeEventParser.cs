using System.Text.Json;
using CustomerSuccess.Functions.Accounts;

namespace CustomerSuccess.Functions.Webhooks.Stripe;

/// <summary>Reads the envelope of a Stripe event: <c>{"id":"evt_...","object":"event","type":...,"created":unix,"data":{"object":{...}}}</c>.</summary>
internal static class StripeEventParser
{
    public static WebhookParseResult Parse(ReadOnlyMemory<byte> body)
    {
        if (!WebhookJson.TryParse(body, out var document, out var error))
        {
            return WebhookParseResult.Invalid(error);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return WebhookParseResult.Invalid("expected a Stripe event object");
            }

            if (!root.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(id.GetString()))
            {
                return WebhookParseResult.Invalid("missing event id");
            }

            if (!root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(type.GetString()))
            {
                return WebhookParseResult.Invalid("missing event type");
            }

            if (StripeEventMapper.Created(root) is not { } created)
            {
                return WebhookParseResult.Invalid(StripeEventMapper.CreatedRule);
            }

            if (JsonRead.Path(root, "data", "object") is not { ValueKind: JsonValueKind.Object })
            {
                return WebhookParseResult.Invalid("missing data.object");
            }

            if (AccountEventLimits.EnvelopeProblem(id.GetString()!, type.GetString()!) is { } problem)
            {
                return WebhookParseResult.Invalid(problem);
            }

            var json = System.Text.Encoding.UTF8.GetString(body.Span);
            return WebhookParseResult.Of([new WebhookEvent(id.GetString()!, type.GetString()!, created, json)]);
        }
    }
}
