using System.Globalization;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;

namespace CustomerSuccess.Functions.Tests.Webhooks;

/// <summary>
/// A JSON tree that can hold what System.Text.Json refuses to write (a string with a lone surrogate is written as
/// its <c>\uXXXX</c> escape, the way a provider's JSON would carry it), with FsCheck generators of arbitrary
/// values: any type where any type could be, ids far past key limits, the characters Table keys refuse, lone
/// surrogates, numbers past every range. Objects use the field names the mappers read, so the values reach them.
/// </summary>
internal abstract record Json
{
    public static readonly string[] FieldNames =
    [
        "id", "type", "created", "data", "object", "customer", "metadata", "account_id", "csm_email", "name", "description", "email",
        "status", "items", "price", "plan", "quantity", "unit_amount", "amount", "recurring", "interval", "interval_count",
        "current_period_end", "start_date", "cancel_at_period_end", "amount_due", "next_payment_attempt", "period_end", "charge", "nickname",
        "messageId", "userId", "anonymousId", "groupId", "context", "traits", "properties", "event", "timestamp", "originalTimestamp",
        "sentAt", "receivedAt", "timezone", "seats", "employees", "company", "champion", "executive_sponsor", "role", "title", "firstName",
        "stripe_customer_id", "zendesk_organization_id", "batch", "detail", "time", "organization_id", "external_id", "tags", "priority",
        "satisfaction_rating", "score", "updated_at", "previous", "current", "subject",
    ];

    public abstract void Write(StringBuilder text);

    public string Text()
    {
        var text = new StringBuilder();
        Write(text);
        return text.ToString();
    }

    public static Json From(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => new JObject([.. element.EnumerateObject().Select(p => (p.Name, From(p.Value)))]),
        JsonValueKind.Array => new JArray([.. element.EnumerateArray().Select(From)]),
        JsonValueKind.String => new JString(element.GetString()!),
        JsonValueKind.Number => new JNumber(element.GetRawText()),
        JsonValueKind.True => new JBool(true),
        JsonValueKind.False => new JBool(false),
        _ => new JNull(),
    };

    public static Json Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return From(document.RootElement);
    }

    /// <summary>Strings a provider might send, and the ones that broke the app: empty, blank, 3,000 characters, key-forbidden characters, lone surrogates, emoji.</summary>
    public static Gen<string> Strings { get; } = Gen.OneOf(
        Gen.Elements("", " ", "cus_123", "evt_1", "acme-corp", "2025-11-22T09:00:00Z", "1763769600", "active", "month", "year", "true", "ticket.created", "zen:event-type:ticket.created", "customer.updated", "track", "identify", "group", "Report Exported", "urgent", "good", "bad", "solved"),
        Gen.Elements("a/b", "a\\b", "a#b", "a?b", "a%2Fb", "a|b", "tab\tnew\nline", "\u007f\u0085", "'quoted'", "ü", "😀", "\ud800", "cus_\udfff", "\udc00x\ud800", "😀\ud83d"),
        Gen.Elements(new string('x', 3000), new string('%', 200), new string('/', 600), "eyJhbGciOiJIUzI1NiJ9." + new string('A', 2500), new string('é', 20_000)),
        ArbMap.Default.GeneratorFor<string>().Where(s => s is not null));

    /// <summary>Numbers at and past the edges: of Unix times (years 1-9999 in seconds), of long, of double.</summary>
    public static Gen<Json> Numbers { get; } = Gen.OneOf(
        Gen.Elements("0", "-1", "1763769600", "1.5", "-62135596801", "-62135596800", "253402300799", "253402300800", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1e400", "-0", "3", "100000000000000")
            .Select(n => (Json)new JNumber(n)),
        ArbMap.Default.GeneratorFor<long>().Select(n => (Json)new JNumber(n.ToString(CultureInfo.InvariantCulture))));

    public static Gen<Json> Scalars { get; } = Gen.Frequency(
        (1, Gen.Constant<Json>(new JNull())),
        (1, Gen.Elements<Json>(new JBool(true), new JBool(false))),
        (3, Numbers),
        (3, Strings.Select(s => (Json)new JString(s))));

    public static Gen<Json> Values(int depth) => depth <= 0
        ? Scalars
        : Gen.Frequency(
            (4, Scalars),
            (2, Gen.Sized(n => Values(depth - 1).ListOf(Math.Min(n, 4))).Select(items => (Json)new JArray([.. items]))),
            (3, Objects(depth - 1)));

    public static Gen<Json> Objects(int depth) =>
        Gen.Sized(n => Gen.Zip(Gen.Elements(FieldNames), depth <= 0 ? Scalars : Values(depth)).ListOf(Math.Min(n, 6)))
            .Select(fields => (Json)new JObject([.. fields.DistinctBy(f => f.Item1)]));

    /// <summary>A valid event with one value, anywhere in it, replaced by an arbitrary one (or removed).</summary>
    public static Gen<string> Mutations(string validJson)
    {
        var root = Parse(validJson);
        // Fields the mappers read are picked far more often than the rest of a provider's (large) payload.
        var paths = root.Paths([]).ToArray();
        var read = paths.Where(p => p[^1] is string name && FieldNames.Contains(name)).ToArray();
        var path = read.Length == 0 ? Gen.Elements(paths) : Gen.Frequency((1, Gen.Elements(paths)), (4, Gen.Elements(read)));
        var edit = Gen.Zip(path, Gen.Frequency((1, Gen.Constant<Json?>(null)), (6, Values(2).Select(v => (Json?)v))));

        // One to three values changed; a path gone with an earlier change is left alone.
        return Gen.Choose(1, 3).SelectMany(n => edit.ArrayOf(n))
            .Select(edits => edits.Aggregate(root, (doc, e) => doc.Replace(e.Item1, 0, e.Item2)).Text());
    }

    private IEnumerable<IReadOnlyList<object>> Paths(IReadOnlyList<object> prefix)
    {
        if (prefix.Count > 0)
        {
            yield return prefix;
        }

        var children = this switch
        {
            JObject o => o.Fields.Select(f => ((object)f.Name, f.Value)),
            JArray a => a.Items.Select((v, i) => ((object)i, v)),
            _ => [],
        };
        foreach (var (key, value) in children)
        {
            foreach (var path in value.Paths([.. prefix, key]))
            {
                yield return path;
            }
        }
    }

    private Json Replace(IReadOnlyList<object> path, int at, Json? replacement)
    {
        Json? Child(Json value) => at == path.Count - 1 ? replacement : value.Replace(path, at + 1, replacement);
        switch (this)
        {
            case JObject o:
                var fields = new List<(string Name, Json Value)>();
                foreach (var (name, value) in o.Fields)
                {
                    var next = Equals(name, path[at]) ? Child(value) : value;
                    if (next is not null)
                    {
                        fields.Add((name, next));
                    }
                }

                return new JObject(fields);
            case JArray a:
                var items = new List<Json>();
                for (var i = 0; i < a.Items.Count; i++)
                {
                    var next = Equals(i, path[at]) ? Child(a.Items[i]) : a.Items[i];
                    if (next is not null)
                    {
                        items.Add(next);
                    }
                }

                return new JArray(items);
            default:
                return this;
        }
    }

    internal static void WriteString(StringBuilder text, string value)
    {
        text.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var paired = char.IsHighSurrogate(c) ? i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])
                : !char.IsLowSurrogate(c) || (i > 0 && char.IsHighSurrogate(value[i - 1]));
            if (c is '"' or '\\')
            {
                text.Append('\\').Append(c);
            }
            else if (c < ' ' || !paired)
            {
                text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append(c);
            }
        }

        text.Append('"');
    }
}

internal sealed record JNull : Json
{
    public override void Write(StringBuilder text) => text.Append("null");
}

internal sealed record JBool(bool Value) : Json
{
    public override void Write(StringBuilder text) => text.Append(Value ? "true" : "false");
}

internal sealed record JNumber(string Raw) : Json
{
    public override void Write(StringBuilder text) => text.Append(Raw);
}

internal sealed record JString(string Value) : Json
{
    public override void Write(StringBuilder text) => WriteString(text, Value);
}

internal sealed record JArray(IReadOnlyList<Json> Items) : Json
{
    public override void Write(StringBuilder text)
    {
        text.Append('[');
        for (var i = 0; i < Items.Count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            Items[i].Write(text);
        }

        text.Append(']');
    }
}

internal sealed record JObject(IReadOnlyList<(string Name, Json Value)> Fields) : Json
{
    public override void Write(StringBuilder text)
    {
        text.Append('{');
        for (var i = 0; i < Fields.Count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            WriteString(text, Fields[i].Name);
            text.Append(':');
            Fields[i].Value.Write(text);
        }

        text.Append('}');
    }
}
