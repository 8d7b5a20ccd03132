using System.Text;
using CustomerSuccess.Functions.Email;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace CustomerSuccess.Functions.Tests.Email;

public sealed class OutboxEmailSenderTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "outbox-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task SendAsync_WritesMultipartEmlWithUnsubscribeHeaders()
    {
        var sender = new OutboxEmailSender(_folder, "cs@example.com", _time, NullLogger<OutboxEmailSender>.Instance);

        var result = await sender.SendAsync(Message("0f8fad5b-d9cb-469f-a165-70867728950e", "Bienvenue à bord"));

        Assert.Equal(EmailSendStatus.Accepted, result.Status);
        var path = Path.Combine(_folder, "lifecycle-onboarding-welcome_0f8fad5b-d9cb-469f-a165-70867728950e.eml");
        var eml = await File.ReadAllTextAsync(path);
        Assert.Contains("From: cs@example.com\r\n", eml, StringComparison.Ordinal);
        Assert.Contains("To: ana@customer.example\r\n", eml, StringComparison.Ordinal);
        Assert.Contains("Subject: =?utf-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes("Bienvenue à bord")) + "?=\r\n", eml, StringComparison.Ordinal);
        Assert.Contains("List-Unsubscribe: <https://u.example/x>\r\n", eml, StringComparison.Ordinal);
        Assert.Contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", eml, StringComparison.Ordinal);
        Assert.Contains("Content-Type: multipart/alternative; boundary=", eml, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain; charset=utf-8", eml, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/html; charset=utf-8", eml, StringComparison.Ordinal);
        Assert.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes("Hello")), eml, StringComparison.Ordinal);
        Assert.True(eml.IndexOf("text/plain", StringComparison.Ordinal) < eml.IndexOf("text/html", StringComparison.Ordinal), "plain text part comes first (least preferred)");
    }

    [Fact]
    public async Task SendAsync_SameOperationIdTwice_KeepsTheFirstFile()
    {
        var sender = new OutboxEmailSender(_folder, "cs@example.com", _time, NullLogger<OutboxEmailSender>.Instance);
        await sender.SendAsync(Message("op-1", "First"));

        var second = await sender.SendAsync(Message("op-1", "Second"));

        Assert.Equal(EmailSendStatus.Accepted, second.Status);
        var file = Assert.Single(Directory.GetFiles(_folder));
        Assert.Contains("Subject: First", await File.ReadAllTextAsync(file), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static EmailMessage Message(string operationId, string subject) => new()
    {
        OperationId = operationId,
        To = "ana@customer.example",
        Subject = subject,
        PlainText = "Hello",
        Html = "<p>Hello</p>",
        Headers = new Dictionary<string, string>
        {
            ["List-Unsubscribe"] = "<https://u.example/x>",
            ["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click",
        },
        Category = "lifecycle/onboarding/welcome",
    };
}
