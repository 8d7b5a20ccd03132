using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Storage.Rest;

namespace CustomerSuccess.Functions.Health;

/// <summary>
/// Table layout of health. Table "health", partition = the account's shard ("s007"), so one page of a shard is
/// written in entity-group batches: "score|{bucket}|{account}" (current score, override columns), "hist|{account}|{yyyyMMdd}"
/// (daily history), "tx|{account}|{runId}" (transition pending for alerting, written in the same batch as the score).
/// Table "healthruns": partition "run", row = run id (plus "current"); partition "run|{runId}", row = "shard|{n}" (checkpoints).
/// </summary>
public static class HealthRows
{
    public const string Table = "health";
    public const string RunsTable = "healthruns";
    public const string RunPartition = "run";
    public const string CurrentRunRow = "current";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(), new ReadOnlyStringSetConverter() } };

    public static string Partition(int shard) => "s" + shard.ToString("D3", CultureInfo.InvariantCulture);

    public static string PartitionOf(string accountId, int shardCount) => Partition(AccountShard.Of(accountId, shardCount));

    /// <summary>"score|{bucket}|{account}": a shard's score rows sort in the order its signal pages arrive (bucket, then account).</summary>
    public static string ScoreRow(string accountId) => "score|" + AccountShard.BucketKey(AccountShard.BucketOf(accountId)) + "|" + accountId;

    public static string HistoryRow(string accountId, DateOnly day) => "hist|" + accountId + "|" + day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public static string TransitionRow(string accountId, string runId) => "tx|" + accountId + "|" + runId;

    public static string ShardRunPartition(string runId) => "run|" + runId;

    public static string ShardRow(int shard) => "shard|" + shard.ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>OData string literal.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>Rows of one partition whose keys start with <paramref name="prefix"/> and lie between the two suffixes (inclusive).</summary>
    public static string RangeFilter(string partition, string prefix, string fromSuffix, string toSuffix) =>
        $"PartitionKey eq {Quote(partition)} and RowKey ge {Quote(prefix + fromSuffix)} and RowKey le {Quote(prefix + toSuffix)}";

    public static string PrefixFilter(string partition, string prefix) =>
        $"PartitionKey eq {Quote(partition)} and RowKey ge {Quote(prefix)} and RowKey lt {Quote(prefix[..^1] + (char)(prefix[^1] + 1))}";

    // ----- score rows -----

    /// <summary>The score columns only (Merge leaves a CSM's override columns untouched).</summary>
    public static TableEntity ToScoreEntity(string partition, HealthScore score, AccountSignals signals)
    {
        var e = new TableEntity(partition, ScoreRow(score.AccountId));
        e["AccountId"] = score.AccountId;
        e["AccountName"] = signals.Name;
        e["CsmEmail"] = signals.CsmEmail;
        e["RenewalDate"] = signals.RenewalDate;
        e["Day"] = score.Day.DayNumber;
        e["ScoredAt"] = score.ScoredAt;
        e["Segment"] = score.Segment.ToString();
        e["Score"] = score.Score;
        e["ComputedBand"] = score.ComputedBand.ToString();
        e["Band"] = score.Band.ToString();
        e["Onboarding"] = score.Onboarding;
        for (var d = 0; d < score.Dimensions.Count; d++)
        {
            e[((HealthDimension)d).ToString()] = score.Dimensions[d];
        }

        e["Flags"] = (long)score.Flags.Bits;
        e["Drivers"] = FormatDrivers(score.Drivers);
        e["Trend"] = score.Trend.ToString();
        e["TrendDelta"] = score.TrendDelta;
        e["BandSince"] = score.BandSince.DayNumber;
        e["HistoryLastDay"] = score.History.LastDay.DayNumber;
        e["History"] = Convert.ToBase64String(score.History.ToBytes());
        return e;
    }

    /// <summary>The stored score, or null when the row holds no score yet (e.g. only an override).</summary>
    public static HealthScore? ToScore(TableEntity e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.GetInt32("Score") is not { } score || e.GetString("AccountId") is not { } accountId)
        {
            return null;
        }

        var dims = new int[6];
        for (var d = 0; d < dims.Length; d++)
        {
            dims[d] = e.GetInt32(((HealthDimension)d).ToString()) ?? 0;
        }

        var history = e.GetString("History") is { } h
            ? HealthScoreHistory.FromBytes(DateOnly.FromDayNumber(e.GetInt32("HistoryLastDay") ?? 0), Convert.FromBase64String(h))
            : HealthScoreHistory.Empty;

        return new HealthScore
        {
            AccountId = accountId,
            Day = DateOnly.FromDayNumber(e.GetInt32("Day") ?? 0),
            ScoredAt = e.GetDateTimeOffset("ScoredAt") ?? DateTimeOffset.MinValue,
            Segment = Enum.TryParse<AccountSegment>(e.GetString("Segment"), out var seg) ? seg : AccountSegment.Smb,
            Score = score,
            ComputedBand = Enum.TryParse<HealthBand>(e.GetString("ComputedBand"), out var cb) ? cb : HealthBand.Red,
            Band = Enum.TryParse<HealthBand>(e.GetString("Band"), out var b) ? b : HealthBand.Red,
            Override = ToOverride(e),
            Onboarding = e.GetBoolean("Onboarding") ?? false,
            Dimensions = dims,
            Flags = new HealthFlagMask((uint)(e.GetInt64("Flags") ?? 0)),
            Drivers = ParseDrivers(e.GetString("Drivers")),
            Trend = Enum.TryParse<HealthTrend>(e.GetString("Trend"), out var t) ? t : HealthTrend.Stable,
            TrendDelta = e.GetInt32("TrendDelta") ?? 0,
            BandSince = DateOnly.FromDayNumber(e.GetInt32("BandSince") ?? 0),
            History = history,
        };
    }

    public static HealthBandOverride? ToOverride(TableEntity e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (!Enum.TryParse<HealthBand>(e.GetString("OverrideBand"), out var band) || e.GetDateTimeOffset("OverrideExpiresAt") is not { } expires)
        {
            return null;
        }

        return new HealthBandOverride(band, e.GetString("OverrideReason") ?? string.Empty, expires, e.GetString("OverrideSetBy"), e.GetDateTimeOffset("OverrideSetAt") ?? expires);
    }

    public static void WriteOverride(TableEntity e, HealthBandOverride o)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(o);
        e["OverrideBand"] = o.Band.ToString();
        e["OverrideReason"] = o.Reason;
        e["OverrideExpiresAt"] = o.ExpiresAt;
        e["OverrideSetBy"] = o.SetBy;
        e["OverrideSetAt"] = o.SetAt;
    }

    public static TableEntity ToHistoryEntity(string partition, HealthScore score)
    {
        var e = new TableEntity(partition, HistoryRow(score.AccountId, score.Day));
        e["Score"] = score.Score;
        e["Band"] = score.Band.ToString();
        e["ComputedBand"] = score.ComputedBand.ToString();
        e["Onboarding"] = score.Onboarding;
        for (var d = 0; d < score.Dimensions.Count; d++)
        {
            e[((HealthDimension)d).ToString()] = score.Dimensions[d];
        }

        return e;
    }

    public static TableEntity ToTransitionEntity(string partition, HealthTransition transition)
    {
        ArgumentNullException.ThrowIfNull(transition);
        var e = new TableEntity(partition, TransitionRow(transition.AccountId, transition.RunId));
        e["Payload"] = JsonSerializer.Serialize(transition, Json);
        return e;
    }

    public static HealthTransition? ToTransition(TableEntity e) =>
        e?.GetString("Payload") is { } payload ? JsonSerializer.Deserialize<HealthTransition>(payload, Json) : null;

    private static string FormatDrivers(IReadOnlyList<HealthDriverDelta> drivers)
    {
        if (drivers.Count == 0)
        {
            return string.Empty;
        }

        var sb = new StringBuilder();
        foreach (var d in drivers)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{(sb.Length > 0 ? ";" : string.Empty)}{(int)d.Dimension}:{d.Points:R}:{d.From}:{d.To}");
        }

        return sb.ToString();
    }

    private static HealthDriverDelta[] ParseDrivers(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        var parts = text.Split(';');
        var drivers = new HealthDriverDelta[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var f = parts[i].Split(':');
            drivers[i] = new HealthDriverDelta(
                (HealthDimension)int.Parse(f[0], CultureInfo.InvariantCulture),
                double.Parse(f[1], CultureInfo.InvariantCulture),
                int.Parse(f[2], CultureInfo.InvariantCulture),
                int.Parse(f[3], CultureInfo.InvariantCulture));
        }

        return drivers;
    }
}

/// <summary>System.Text.Json cannot create an IReadOnlySet (HealthTransition.Flags); read it as a HashSet.</summary>
internal sealed class ReadOnlyStringSetConverter : JsonConverter<IReadOnlySet<string>>
{
    public override IReadOnlySet<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonSerializer.Deserialize<HashSet<string>>(ref reader, options) ?? [];

    public override void Write(Utf8JsonWriter writer, IReadOnlySet<string> value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartArray();
        foreach (var item in value)
        {
            writer.WriteStringValue(item);
        }

        writer.WriteEndArray();
    }
}
