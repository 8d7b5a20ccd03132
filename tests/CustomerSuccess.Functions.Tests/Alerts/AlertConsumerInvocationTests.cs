using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Email;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace CustomerSuccess.Functions.Tests.Alerts;

/// <summary>The Service Bus-triggered consumers through the custom-handler invocation contract.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AlertConsumerInvocationTests : IDisposable
{
    private readonly Mock<IEmailSender> _email = new();
    private readonly WebApplicationFactory<Program> _factory;

    public AlertConsumerInvocationTests(AzuriteFixture azurite)
    {
        _email.Setup(e => e.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>())).ReturnsAsync(new EmailSendResult(EmailSendStatus.Accepted));
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            b.UseSetting("FunctionKeys:Default", FunctionKey);
            b.ConfigureTestServices(s => s.AddSingleton(_email.Object));
        });
    }

    private const string FunctionKey = "alerts-test-key";

    private HttpClient Runner()
    {
        // Standalone, invocation routes take the function key, as the local runner presents it.
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", FunctionKey);
        return client;
    }

    private static object Invocation(string body, int deliveryCount) => new
    {
        Data = new { message = body },
        Metadata = new { MessageId = "m-1", DeliveryCount = deliveryCount, ApplicationProperties = new { tier = "Critical" } },
    };

    [Fact]
    public async Task AlertsCritical_ValidMessageDeliveredTwice_Returns200AndEmailsOnce()
    {
        var alert = new Alert
        {
            AccountId = "acc-" + Guid.NewGuid().ToString("N")[..8],
            RuleId = AlertRules.PaymentRisk,
            Occurrence = 1,
            Tier = AlertTier.Critical,
            Status = AlertStatus.Open,
            RaisedAt = DateTimeOffset.UtcNow,
            DueBy = DateTimeOffset.UtcNow.AddDays(1),
            CsmEmail = "csm@example.com",
            Reason = "Payment failed",
        };
        var body = JsonSerializer.Serialize(new AlertNotification(AlertChangeKind.Raise, alert), AlertStore.Json);
        using var client = Runner();

        var first = await client.PostAsJsonAsync("/AlertsCritical", Invocation(body, 1));
        var second = await client.PostAsJsonAsync("/AlertsCritical", Invocation(body, 2));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        using var json = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        Assert.True(json.RootElement.TryGetProperty("Outputs", out _));
        _email.Verify(e => e.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task AlertsCritical_UnreadableMessage_ReturnsNon2xxSoTheQueueRedelivers()
    {
        using var client = Runner();

        var response = await client.PostAsJsonAsync("/AlertsCritical", Invocation("not json", 1));

        Assert.False(response.IsSuccessStatusCode);
        _email.Verify(e => e.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    public void Dispose() => _factory.Dispose();
}
