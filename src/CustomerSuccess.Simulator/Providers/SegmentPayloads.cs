using System.Globalization;
using System.Text.Json.Nodes;
using CustomerSuccess.Simulator.Portfolio;

namespace CustomerSuccess.Simulator.Providers;

/// <summary>
/// Segment messages as the Segment spec defines them (identify, group, track, page; common fields messageId,
/// timestamp, sentAt, context, integrations), and the batch envelope {"batch":[...]}. B2B sources put the account
/// in context.groupId; a person's link to the account comes from the group call.
/// </summary>
internal static class SegmentPayloads
{
    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static JsonObject Common(string type, string messageId, SimulatedUser user, string? groupId, DateTimeOffset timestamp)
    {
        var context = new JsonObject
        {
            ["library"] = new JsonObject { ["name"] = "analytics.js", ["version"] = "next-1.70.0" },
            ["locale"] = "en-US",
            ["userAgent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
        };
        if (groupId is not null)
        {
            context["groupId"] = groupId;
        }

        return new JsonObject
        {
            ["type"] = type,
            ["messageId"] = messageId,
            ["userId"] = user.UserId,
            ["anonymousId"] = "anon-" + user.UserId[4..],
            ["timestamp"] = Iso(timestamp),
            ["context"] = context,
            ["integrations"] = new JsonObject(),
            ["version"] = 2,
        };
    }

    public static JsonObject Identify(string messageId, SimulatedUser user, SimulatedAccount account, DateTimeOffset timestamp, bool deactivated = false)
    {
        var message = Common("identify", messageId, user, account.AccountId, timestamp);
        var traits = new JsonObject
        {
            ["email"] = user.Email,
            // Segment's reserved traits: firstName and lastName beside name (email greetings read the first name).
            ["firstName"] = user.FirstName,
            ["lastName"] = user.LastName,
            ["name"] = user.Name,
            ["title"] = user.Title,
            ["role"] = user.Role switch { UserRole.Champion => "champion", UserRole.ExecutiveSponsor => "executive_sponsor", _ => "member" },
            ["is_champion"] = user.Role == UserRole.Champion && !deactivated,
            ["is_executive_sponsor"] = user.Role == UserRole.ExecutiveSponsor && !deactivated,
            ["company"] = new JsonObject { ["id"] = account.AccountId, ["name"] = account.Name },
        };
        if (user.Department is { } department)
        {
            traits["department"] = department;
        }

        if (deactivated)
        {
            traits["status"] = "deactivated";
            traits["deactivated_at"] = Iso(timestamp);
        }

        message["traits"] = traits;
        return message;
    }

    public static JsonObject Group(string messageId, SimulatedUser user, SimulatedAccount account, DateTimeOffset timestamp)
    {
        var message = Common("group", messageId, user, account.AccountId, timestamp);
        message["groupId"] = account.AccountId;
        message["traits"] = new JsonObject
        {
            ["name"] = account.Name,
            ["website"] = "https://" + account.Domain,
            ["industry"] = account.Industry,
            ["employees"] = account.Employees,
            ["plan"] = account.Plan,
            ["seats"] = account.Seats,
            ["csm_email"] = account.CsmEmail,
            ["stripe_customer_id"] = account.StripeCustomerId,
            ["zendesk_organization_id"] = account.ZendeskOrganizationId.ToString(CultureInfo.InvariantCulture),
            ["created_at"] = Iso(account.CustomerSince),
        };
        return message;
    }

    public static JsonObject Track(string messageId, SimulatedUser user, string? groupId, string eventName, JsonObject properties, DateTimeOffset timestamp)
    {
        var message = Common("track", messageId, user, groupId, timestamp);
        message["event"] = eventName;
        message["properties"] = properties;
        return message;
    }

    public static JsonObject Page(string messageId, SimulatedUser user, string? groupId, string name, string path, DateTimeOffset timestamp)
    {
        var message = Common("page", messageId, user, groupId, timestamp);
        message["name"] = name;
        message["properties"] = new JsonObject { ["path"] = path, ["url"] = "https://app.example.com" + path, ["title"] = name };
        return message;
    }

    /// <summary>The batch envelope. Each message is sent once, so it is stamped and moved into the batch, not copied.</summary>
    public static JsonObject Batch(IEnumerable<JsonObject> messages, DateTimeOffset sentAt)
    {
        var batch = new JsonArray();
        foreach (var m in messages)
        {
            m["sentAt"] = Iso(sentAt);
            batch.Add(m);
        }

        return new JsonObject { ["batch"] = batch, ["sentAt"] = Iso(sentAt) };
    }

    public static JsonObject Single(JsonObject message, DateTimeOffset sentAt)
    {
        message["sentAt"] = Iso(sentAt);
        return message;
    }
}
