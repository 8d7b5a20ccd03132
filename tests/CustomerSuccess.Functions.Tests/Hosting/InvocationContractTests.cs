using System.Text.Json;
using CustomerSuccess.Functions.Hosting;

namespace CustomerSuccess.Functions.Tests.Hosting;

/// <summary>The invocation payloads as the custom-handler documentation shows them, parsed by our typed models.</summary>
public sealed class InvocationContractTests
{
    // Timer trigger payload: the binding value is the host's TimerInfo, metadata carries "sys".
    private const string TimerPayload = """
        {
          "Data": {
            "timer": {
              "Schedule": { "AdjustForDST": true },
              "ScheduleStatus": {
                "Last": "2026-11-22T06:00:00.0049255+00:00",
                "Next": "2026-11-22T07:00:00+00:00",
                "LastUpdated": "2026-11-22T06:00:00.0049255+00:00"
              },
              "IsPastDue": false
            }
          },
          "Metadata": {
            "sys": { "MethodName": "HealthRecomputeTimer", "UtcNow": "2026-11-22T07:00:00.0123Z", "RandGuid": "0d1f2ee4-6a4e-4d39-9e9c-0f5c1a6d3b1e" }
          }
        }
        """;

    // Service Bus trigger payload: the body arrives as a JSON string under the binding name; message
    // properties (the trigger metadata the Service Bus extension publishes) under Metadata.
    private const string ServiceBusPayload = """
        {
          "Data": {
            "message": "{\"runId\":\"2026112207\",\"shard\":3,\"shardCount\":8}"
          },
          "Metadata": {
            "MessageId": "2026112207-3",
            "DeliveryCount": 2,
            "EnqueuedTimeUtc": "2026-11-22T07:00:01.25Z",
            "ExpiresAtUtc": "2026-12-06T07:00:01.25Z",
            "SequenceNumber": 1042,
            "ContentType": "application/json",
            "ApplicationProperties": { "tier": "Critical", "accountId": "acct_42" },
            "sys": { "MethodName": "HealthRecomputeShard", "UtcNow": "2026-11-22T07:00:02Z", "RandGuid": "6f9d1c1a-2d55-4b0b-9a83-6e1c1b7a9d10" }
          }
        }
        """;

    [Fact]
    public void TimerPayload_FromDocumentedShape_ParsesScheduleStatus()
    {
        var request = JsonSerializer.Deserialize<InvocationRequest>(TimerPayload)!;

        var timer = request.GetData<TimerInfo>("timer", JsonSerializerOptions.Default)!;

        Assert.False(timer.IsPastDue);
        Assert.True(timer.Schedule!.AdjustForDST);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 7, 0, 0, TimeSpan.Zero), timer.ScheduleStatus!.Next);
        Assert.Equal("HealthRecomputeTimer", request.Metadata["sys"].GetProperty("MethodName").GetString());
    }

    [Fact]
    public void ServiceBusPayload_FromDocumentedShape_ReadsBodyAndMessageProperties()
    {
        var request = JsonSerializer.Deserialize<InvocationRequest>(ServiceBusPayload)!;

        var delivery = ServiceBusDelivery.From(request, "message");

        Assert.Equal("""{"runId":"2026112207","shard":3,"shardCount":8}""", delivery.Body);
        Assert.Equal("2026112207-3", delivery.MessageId);
        Assert.Equal(2, delivery.DeliveryCount);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 7, 0, 1, 250, TimeSpan.Zero), delivery.EnqueuedTimeUtc);
        Assert.Equal("Critical", delivery.ApplicationProperties["tier"]);
        Assert.Equal("acct_42", delivery.ApplicationProperties["accountId"]);
    }

    [Fact]
    public void ServiceBusPayload_BodyAsJsonObject_ReadsTheSameBody()
    {
        const string payload = """{"Data":{"message":{"runId":"r1","shard":0}},"Metadata":{"MessageId":"m1","DeliveryCount":"1"}}""";
        var request = JsonSerializer.Deserialize<InvocationRequest>(payload)!;

        var delivery = ServiceBusDelivery.From(request, "message");

        Assert.Equal("""{"runId":"r1","shard":0}""", delivery.Body);
        Assert.Equal(1, delivery.DeliveryCount);
        Assert.Empty(delivery.ApplicationProperties);
    }

    [Fact]
    public void Response_Serialized_UsesTheContractMemberNames()
    {
        var response = new InvocationResponse { Logs = { "scored 120 accounts" }, ReturnValue = "done" };
        response.Outputs["res"] = new { body = "ok" };

        using var doc = JsonDocument.Parse(JsonSerializer.Serialize(response));

        Assert.Equal("ok", doc.RootElement.GetProperty("Outputs").GetProperty("res").GetProperty("body").GetString());
        Assert.Equal("scored 120 accounts", doc.RootElement.GetProperty("Logs")[0].GetString());
        Assert.Equal("done", doc.RootElement.GetProperty("ReturnValue").GetString());
    }
}
