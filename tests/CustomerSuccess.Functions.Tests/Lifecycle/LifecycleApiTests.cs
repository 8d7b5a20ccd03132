using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Email;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Lifecycle;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Tests.Health;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Moq;

namespace CustomerSuccess.Functions.Tests.Lifecycle;

/// <summary>The lifecycle functions through the real pipeline and the real Table store on Azurite; signals, email and the queue are stand-ins.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class LifecycleApiTests : IDisposable
{
    private const string FunctionKey = "test-function-key";
    private const string SigningKey = "lifecycle-test-signing-key-0123456789abcdef";
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    private readonly string _account = "acct_api_" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _email;
    private readonly ManualTimeProvider _time = new(Now);
    private readonly Mock<IEmailSender> _sender = new();
    private readonly List<(string Queue, OutgoingMessage Message)> _published = [];
    private readonly WebApplicationFactory<Program> _factory;
    private readonly HttpClient _client;

    public LifecycleApiTests(AzuriteFixture azurite)
    {
        _email = "ana@" + _account.Replace('_', '-') + ".example";
        var signals = new AccountSignals
        {
            AccountId = _account,
            Name = "Acme Shop",
            SubscriptionStatus = "active",
            MrrCents = 9_900,
            CustomerSince = Now.AddHours(-1),
            RenewalDate = Now.AddYears(1),
            Users = [new AccountUser("u-ana", _email, "Ana", "Europe/Berlin"), new AccountUser("u-gone", "gone@example.com", Departed: true)],
        };
        var publisher = new Mock<IMessagePublisher>();
        publisher.Setup(p => p.SendAsync(It.IsAny<string>(), It.IsAny<OutgoingMessage>(), It.IsAny<CancellationToken>()))
            .Callback<string, OutgoingMessage, CancellationToken>((q, m, _) => _published.Add((q, m)))
            .Returns(Task.CompletedTask);
        publisher.Setup(p => p.SendBatchAsync(It.IsAny<string>(), It.IsAny<IReadOnlyList<OutgoingMessage>>(), It.IsAny<CancellationToken>()))
            .Callback<string, IReadOnlyList<OutgoingMessage>, CancellationToken>((q, m, _) => _published.AddRange(m.Select(message => (q, message))))
            .Returns(Task.CompletedTask);
        _sender.Setup(s => s.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((EmailMessage m, CancellationToken _) => new EmailSendResult(EmailSendStatus.Accepted, m.OperationId));
        var facts = new Mock<ILifecycleFactsSource>();
        facts.Setup(f => f.GetAsync(_account, It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => LifecycleFactsReader.Build(signals, null, new HealthScoreCalculator(new HealthOptions()), new ProductOptions(), DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime)));

        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
            b.UseSetting("FunctionKeys:Default", FunctionKey);
            b.UseSetting("LocalRunner:Enabled", "false");
            b.UseSetting("Lifecycle:UnsubscribeSigningKey", SigningKey);
            b.UseSetting("Lifecycle:UnsubscribeBaseUrl", "https://cs.example.com/api/lifecycle/unsubscribe");
            b.UseSetting("Lifecycle:UnsubscribeMailto", "unsubscribe@cs.example.com");

            // Every test starts its clock at the same instant on the shared Azurite: each gets a send quota of its own.
            b.UseSetting("Lifecycle:SendQuotaScope", _account);
            b.ConfigureTestServices(s =>
            {
                s.RemoveAll<IAccountSignalSource>();
                s.AddSingleton<IAccountSignalSource>(new FakeSignalSource([signals]));
                s.RemoveAll<ILifecycleFactsSource>();
                s.AddSingleton(facts.Object);
                s.RemoveAll<IMessagePublisher>();
                s.AddSingleton(publisher.Object);
                s.RemoveAll<TimeProvider>();
                s.AddSingleton<TimeProvider>(_time);
                s.AddSingleton(_sender.Object);
            });
        });
        _client = _factory.CreateClient();
    }

    private static LifecycleOptions Options => new()
    {
        UnsubscribeSigningKey = SigningKey,
        UnsubscribeBaseUrl = new Uri("https://cs.example.com/api/lifecycle/unsubscribe"),
    };

    private string ContactId => LifecycleContactId.For(_email);

    private ILifecycleStore Store => _factory.Services.GetRequiredService<ILifecycleStore>();

    private static object Invocation(string body, int deliveryCount = 1) => new
    {
        Data = new { message = body },
        Metadata = new { MessageId = "m-1", DeliveryCount = deliveryCount },
    };

    private async Task<OutgoingMessage> ScanAsync()
    {
        using var response = await InvokeAsync("/LifecycleScheduler", new { Data = new { timer = new { IsPastDue = false } }, Metadata = new { } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Assert.Single(_published, p => p.Queue == QueueNames.LifecycleSend).Message;
    }

    /// <summary>An invocation as the local runner sends it: standalone, invocation routes take the function key.</summary>
    private async Task<HttpResponseMessage> InvokeAsync(string path, object payload)
    {
        using var request = Authorized(HttpMethod.Post, path, JsonContent.Create(payload));
        return await _client.SendAsync(request);
    }

    private static HttpRequestMessage Authorized(HttpMethod method, string path, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add("x-functions-key", FunctionKey);
        return request;
    }

    private string UnsubscribePath() => new UnsubscribeLinkSigner(Options).LinkFor(ContactId).PathAndQuery;

    private static FormUrlEncodedContent OneClick() => new([new("List-Unsubscribe", "One-Click")]);

    [Fact]
    public async Task Scheduler_WelcomeDue_QueuesOneSendKeyedBySendIdAndNeverCallsTheEmailProvider()
    {
        var queued = await ScanAsync();

        var message = LifecycleSendProcessor.Parse(queued.Body)!;
        Assert.Equal(("onboarding", "welcome", ContactId), (message.Sequence, message.Step, message.ContactId));
        Assert.Equal(message.SendId, queued.MessageId);
        _sender.Verify(s => s.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()), Times.Never);

        // The enrollment was stored with the step taken: the next scan queues nothing again.
        _published.Clear();
        using var again = await InvokeAsync("/LifecycleScheduler", new { Data = new { }, Metadata = new { } });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Empty(_published);
        Assert.Single(await Store.GetEnrollmentsAsync(_account, default), e => e.Sequence == "onboarding" && e.StepOccurrences["welcome"] == 1);
    }

    [Fact]
    public async Task Send_DeliveredTwice_EmailsOnceWithSendIdAsOperationIdAndUnsubscribeHeaders()
    {
        var queued = await ScanAsync();
        var sent = new List<EmailMessage>();
        _sender.Setup(s => s.SendAsync(Capture.In(sent), It.IsAny<CancellationToken>())).ReturnsAsync(new EmailSendResult(EmailSendStatus.Accepted));

        using var first = await InvokeAsync("/LifecycleSend", Invocation(queued.Body));
        using var second = await InvokeAsync("/LifecycleSend", Invocation(queued.Body, 2));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var email = Assert.Single(sent);
        Assert.Equal(queued.MessageId, email.OperationId);
        Assert.Equal(_email, email.To);
        Assert.Equal("lifecycle/onboarding/welcome", email.Category);
        Assert.StartsWith("<https://cs.example.com/api/lifecycle/unsubscribe?c=" + ContactId + "&s=", email.Headers["List-Unsubscribe"], StringComparison.Ordinal);
        Assert.Contains(", <mailto:unsubscribe@cs.example.com?subject=unsubscribe%20" + ContactId + ">", email.Headers["List-Unsubscribe"], StringComparison.Ordinal);
        Assert.Equal("List-Unsubscribe=One-Click", email.Headers["List-Unsubscribe-Post"]);
        Assert.Contains("Acme Shop", email.Html, StringComparison.Ordinal);
        Assert.True(await Store.WasSentAsync(queued.MessageId, default));
    }

    [Fact]
    public async Task Send_ProviderThrottles_ReschedulesAfterRetryAfterInsteadOfDropping()
    {
        var queued = await ScanAsync();
        _published.Clear();
        _sender.Setup(s => s.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>())).ReturnsAsync(new EmailSendResult(EmailSendStatus.Throttled, RetryAfter: TimeSpan.FromSeconds(90)));

        using var response = await InvokeAsync("/LifecycleSend", Invocation(queued.Body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rescheduled = Assert.Single(_published);
        Assert.Equal(QueueNames.LifecycleSend, rescheduled.Queue);
        Assert.Equal(Now.AddSeconds(90), rescheduled.Message.ScheduledEnqueueTime);
        Assert.NotEqual(queued.MessageId, rescheduled.Message.MessageId); // not swallowed by duplicate detection
        Assert.Equal(queued.Body, rescheduled.Message.Body);
        Assert.False(await Store.WasSentAsync(queued.MessageId, default));
    }

    [Fact]
    public async Task Send_QuotaTaken_IsReservedOnLifecycleSendReservedAndThatFunctionSendsItOnItsSlot()
    {
        var queued = await ScanAsync();
        _published.Clear();
        Assert.True((await _factory.Services.GetRequiredService<ISendRateLimiter>().AdmitAsync(null, default)).Granted); // the fleet's token for now

        using var first = await InvokeAsync("/LifecycleSend", Invocation(queued.Body));
        var (queue, reserved) = Assert.Single(_published);
        _time.Set(reserved.ScheduledEnqueueTime!.Value);
        using var onItsSlot = await InvokeAsync("/LifecycleSendReserved", Invocation(reserved.Body));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, onItsSlot.StatusCode));
        Assert.Equal(QueueNames.LifecycleSendReserved, queue);
        Assert.True(reserved.ScheduledEnqueueTime > Now);
        _sender.Verify(s => s.SendAsync(It.Is<EmailMessage>(m => m.OperationId == queued.MessageId), It.IsAny<CancellationToken>()), Times.Once);
        Assert.True(await Store.WasSentAsync(queued.MessageId, default));
    }

    [Fact]
    public async Task Send_OvertakesTheSaveOfItsEnrollment_WaitsAndSendsOnceTheSaveLands()
    {
        var queued = LifecycleSendProcessor.Parse((await ScanAsync()).Body)! with { EnrollmentKey = "19990101" }; // an enrollment not stored (yet)
        _published.Clear();

        using var early = await InvokeAsync("/LifecycleSend", Invocation(LifecycleSendProcessor.ToQueueMessage(queued).Body));

        // Not redelivered at once (that would use up the delivery count in seconds under load) and not dropped: a copy waits.
        Assert.Equal(HttpStatusCode.OK, early.StatusCode);
        var (queue, copy) = Assert.Single(_published);
        Assert.Equal(QueueNames.LifecycleSend, queue);
        Assert.Equal(Now.AddSeconds(30), copy.ScheduledEnqueueTime);
        Assert.NotEqual(queued.SendId, copy.MessageId);
        Assert.Equal(queued with { EnrollmentWaits = 1 }, LifecycleSendProcessor.Parse(copy.Body));
        _sender.Verify(s => s.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()), Times.Never);

        // The save lands; the waiting copy sends.
        var stored = Assert.Single(await Store.GetEnrollmentsAsync(_account, default), e => e.Sequence == queued.Sequence);
        await Store.SaveEnrollmentsAsync([stored with { EnrollmentKey = queued.EnrollmentKey }], default);
        _time.Set(copy.ScheduledEnqueueTime!.Value);
        using var again = await InvokeAsync("/LifecycleSend", Invocation(copy.Body));

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.True(await Store.WasSentAsync(queued.SendId, default));
    }

    [Fact]
    public async Task Send_EnrollmentNeverSaved_WaitsLongerEachTimeThenFailsTheDeliveryTowardsTheDeadLetters()
    {
        var message = LifecycleSendProcessor.Parse((await ScanAsync()).Body)! with { EnrollmentKey = "19990101" };
        _published.Clear();
        var waits = new List<TimeSpan>();

        for (var attempt = 0; attempt <= 6; attempt++)
        {
            using var response = await InvokeAsync("/LifecycleSend", Invocation(LifecycleSendProcessor.ToQueueMessage(message).Body));
            if (_published.Count == 0)
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.Contains("enrollment not saved", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                break;
            }

            var (_, copy) = Assert.Single(_published);
            _published.Clear();
            waits.Add(copy.ScheduledEnqueueTime!.Value - _time.GetUtcNow());
            _time.Set(copy.ScheduledEnqueueTime!.Value);
            message = LifecycleSendProcessor.Parse(copy.Body)!;
        }

        // Six waits, each twice the one before, over two 15-minute scans in all; then the queue's own redelivery and dead letter.
        Assert.Equal([30, 60, 120, 240, 480, 960], waits.Select(w => w.TotalSeconds));
        Assert.True(waits.Aggregate(TimeSpan.Zero, (a, b) => a + b) > TimeSpan.FromMinutes(30));
        _sender.Verify(s => s.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Send_MalformedMessage_Returns400AndSendsNothing()
    {
        using var response = await InvokeAsync("/LifecycleSend", Invocation("{\"sendId\":\"x\"}"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        _sender.Verify(s => s.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()), Times.Never);
        Assert.Empty(_published);
    }

    [Fact]
    public async Task Unsubscribe_OneClickPost_SuppressesContactAndTheQueuedSendIsDropped()
    {
        var queued = await ScanAsync();

        using var response = await _client.PostAsync(UnsubscribePath(), OneClick());
        using var send = await InvokeAsync("/LifecycleSend", Invocation(queued.Body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await Store.GetContactStateAsync(ContactId, default)).Suppressed);
        Assert.Equal(HttpStatusCode.OK, send.StatusCode);
        _sender.Verify(s => s.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Unsubscribe_ForgedSignature_Returns401AndSuppressesNothing()
    {
        var path = UnsubscribePath();
        var forged = path[..^4] + (path[^4] == 'A' ? "B" : "A") + path[^3..];

        using var response = await _client.PostAsync(forged, OneClick());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False((await Store.GetContactStateAsync(ContactId, default)).Suppressed);
    }

    [Fact]
    public async Task Unsubscribe_SignatureOfAnotherContact_Returns401AndSuppressesNothing()
    {
        var other = new UnsubscribeLinkSigner(Options).LinkFor(LifecycleContactId.For("someone@else.example")).Query;
        var signature = other[(other.IndexOf("&s=", StringComparison.Ordinal) + 3)..];

        using var response = await _client.PostAsync($"/api/lifecycle/unsubscribe?c={ContactId}&s={signature}", OneClick());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False((await Store.GetContactStateAsync(ContactId, default)).Suppressed);
    }

    [Fact]
    public async Task Unsubscribe_MissingToken_Returns400AndSuppressesNothing()
    {
        using var response = await _client.PostAsync("/api/lifecycle/unsubscribe?c=" + ContactId, OneClick());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False((await Store.GetContactStateAsync(ContactId, default)).Suppressed);
    }

    [Fact]
    public async Task Unsubscribe_PostWithoutOneClickBody_Returns400AndSuppressesNothing()
    {
        using var response = await _client.PostAsync(UnsubscribePath(), new FormUrlEncodedContent([new("unsubscribe", "yes")]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False((await Store.GetContactStateAsync(ContactId, default)).Suppressed);
    }

    [Fact]
    public async Task Unsubscribe_Get_ShowsConfirmationFormAndChangesNothing()
    {
        using var response = await _client.GetAsync(UnsubscribePath());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<form method=\"post\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"List-Unsubscribe\" value=\"One-Click\"", html, StringComparison.Ordinal);
        Assert.False((await Store.GetContactStateAsync(ContactId, default)).Suppressed);
    }

    [Fact]
    public async Task Bounces_HardBounce_SuppressesTheAddressForEverySequence()
    {
        using var request = Authorized(HttpMethod.Post, "/api/lifecycle/bounces", JsonContent.Create(new { email = _email.ToUpperInvariant(), kind = "hard" }));

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var state = await Store.GetContactStateAsync(ContactId, default);
        Assert.Equal((true, "hard bounce"), (state.Suppressed, state.SuppressedReason));
    }

    [Theory]
    [InlineData("{\"email\":\"not-an-address\"}")]
    [InlineData("{\"kind\":\"hard\"}")]
    [InlineData("not json")]
    public async Task Bounces_InvalidBody_Returns400AndSuppressesNothing(string body)
    {
        using var request = Authorized(HttpMethod.Post, "/api/lifecycle/bounces", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False((await Store.GetContactStateAsync(ContactId, default)).Suppressed);
    }

    [Fact]
    public async Task Bounces_SoftBounce_Returns400AndSuppressesNothing()
    {
        using var request = Authorized(HttpMethod.Post, "/api/lifecycle/bounces", JsonContent.Create(new { email = _email, kind = "soft" }));

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False((await Store.GetContactStateAsync(ContactId, default)).Suppressed);
    }

    [Fact]
    public async Task Bounces_WithoutFunctionKey_Returns401AndSuppressesNothing()
    {
        using var response = await _client.PostAsJsonAsync("/api/lifecycle/bounces", new { email = _email });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False((await Store.GetContactStateAsync(ContactId, default)).Suppressed);
    }

    [Fact]
    public async Task Preview_AnyStepForAnAccount_RendersWithItsDataAndSendsNothing()
    {
        using var request = Authorized(HttpMethod.Get, $"/api/lifecycle/preview/{_account}/renewal/value-recap");

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(_email, (string?)json["to"]);
        Assert.Contains("Hi Ana,", (string?)json["html"], StringComparison.Ordinal);
        Assert.Contains("renews on 2 March 2027", (string?)json["html"], StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace((string?)json["subject"]));
        Assert.Equal("List-Unsubscribe=One-Click", (string?)json["headers"]!["List-Unsubscribe-Post"]);
        _sender.Verify(s => s.SendAsync(It.IsAny<EmailMessage>(), It.IsAny<CancellationToken>()), Times.Never);
        Assert.Empty(_published);
    }

    [Theory]
    [InlineData("onboarding/no-such-step")]
    [InlineData("no-such-sequence/welcome")]
    public async Task Preview_UnknownSequenceOrStep_Returns404(string path)
    {
        using var request = Authorized(HttpMethod.Get, $"/api/lifecycle/preview/{_account}/{path}");

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Preview_UnknownAccount_Returns404()
    {
        using var request = Authorized(HttpMethod.Get, "/api/lifecycle/preview/acct_nobody/onboarding/welcome");

        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    public void Dispose()
    {
        _client.Dispose();
        _factory.Dispose();
    }
}
