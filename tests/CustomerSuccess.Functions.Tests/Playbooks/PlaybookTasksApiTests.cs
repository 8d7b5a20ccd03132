using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Playbooks;
using CustomerSuccess.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CustomerSuccess.Functions.Tests.Playbooks;

/// <summary>The task API through the real pipeline, on Azurite, with the standalone function-key check.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class PlaybookTasksApiTests(AzuriteFixture azurite) : IDisposable
{
    private const string Key = "test-function-key";
    private static readonly JsonSerializerOptions Json = PlaybookTaskStore.Json;
    private readonly WebApplicationFactory<Program> _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
    {
        b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString);
        b.UseSetting("FunctionKeys:Default", Key);
        b.UseSetting("LocalRunner:Enabled", "false");
    });

    /// <summary>An open Warning for a detractor, written as the dispatcher would and told to the app's listeners; no account facts, so not tech-touch.</summary>
    private async Task<string> RaiseAsync()
    {
        var account = "acc-" + Guid.NewGuid().ToString("N")[..8];
        var alert = new Alert
        {
            AccountId = account,
            RuleId = AlertRules.NpsDetractor,
            Occurrence = 1,
            Tier = AlertTier.Warning,
            Status = AlertStatus.Open,
            RaisedAt = DateTimeOffset.UtcNow,
            DueBy = DateTimeOffset.UtcNow.AddDays(7),
            CsmEmail = "csm@example.com",
            Reason = "NPS detractor (3)",
        };
        var change = new AlertChange(AlertChangeKind.Raise, alert);
        Assert.Equal(AlertWriteStatus.Written, await _factory.Services.GetRequiredService<AlertStore>().ApplyAsync(account, [change], default));
        await _factory.Services.GetRequiredService<AlertChangeFanOut>().WrittenAsync(account, [], [change], default);
        return account;
    }

    private HttpClient Client()
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", Key);
        return client;
    }

    [Fact]
    public async Task List_WithoutFunctionKey_Is401()
    {
        using var client = _factory.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/api/accounts/acc-1/tasks", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync(new Uri("/api/accounts/acc-1/tasks/nps-detractor-1/steps/1/complete", UriKind.Relative), null)).StatusCode);
    }

    [Fact]
    public async Task List_AfterARaise_TheDetractorFollowUpWithItsSteps()
    {
        var account = await RaiseAsync();
        using var client = Client();

        var tasks = await client.GetFromJsonAsync<List<PlaybookTask>>($"/api/accounts/{account}/tasks", Json);

        var task = Assert.Single(tasks!);
        Assert.Equal((PlaybookCatalog.DetractorFollowUp, "nps-detractor-1", PlaybookTaskStatus.Open), (task.PlaybookId, task.TaskId, task.Status));
        Assert.Equal(3, task.Steps.Count);
        Assert.Equal(task.TriggeredAt.AddDays(2), task.Steps[0].DueBy);
    }

    [Fact]
    public async Task List_AccountWithoutTasks_EmptyList()
    {
        using var client = Client();

        Assert.Empty((await client.GetFromJsonAsync<List<PlaybookTask>>("/api/accounts/acc-none/tasks", Json))!);
    }

    [Fact]
    public async Task CompleteStep_MarksItWithWhoAndIsIdempotent()
    {
        var account = await RaiseAsync();
        using var client = Client();

        var first = await client.PostAsJsonAsync($"/api/accounts/{account}/tasks/nps-detractor-1/steps/1/complete", new { by = "csm@example.com" });
        var again = await client.PostAsJsonAsync($"/api/accounts/{account}/tasks/nps-detractor-1/steps/1/complete", new { by = "someone-else@example.com" });

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, again.StatusCode));
        var stored = Assert.Single(await _factory.Services.GetRequiredService<PlaybookTaskStore>().ListForAccountAsync(account, default));
        Assert.Equal("csm@example.com", stored.Steps[0].CompletedBy);
        Assert.NotNull(stored.Steps[0].CompletedAt);
        Assert.All(stored.Steps.Skip(1), s => Assert.False(s.IsDone));
        Assert.Equal("csm@example.com", (await again.Content.ReadFromJsonAsync<PlaybookTask>(Json))!.Steps[0].CompletedBy);
    }

    [Theory]
    [InlineData("nps-detractor-1/steps/9")]
    [InlineData("nps-detractor-2/steps/1")]
    [InlineData("not%20a%20task/steps/1")]
    public async Task CompleteStep_NoSuchTaskOrStep_404AndNothingChanged(string path)
    {
        var account = await RaiseAsync();
        using var client = Client();

        var response = await client.PostAsync(new Uri($"/api/accounts/{account}/tasks/{path}/complete", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.All(Assert.Single(await _factory.Services.GetRequiredService<PlaybookTaskStore>().ListForAccountAsync(account, default)).Steps, s => Assert.False(s.IsDone));
    }

    [Fact]
    public async Task CompleteStep_StepNotANumber_400()
    {
        using var client = Client();

        var response = await client.PostAsync(new Uri("/api/accounts/acc-1/tasks/nps-detractor-1/steps/first/complete", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task ResolveAlertThroughTheApi_ClosesTheTaskAndItsStepsCanNoLongerBeCompleted()
    {
        var account = await RaiseAsync();
        using var client = Client();

        var resolved = await client.PostAsJsonAsync($"/api/alerts/{account}/{AlertRules.NpsDetractor}/resolve", new { note = "Called back, fix agreed" });
        var complete = await client.PostAsync(new Uri($"/api/accounts/{account}/tasks/nps-detractor-1/steps/1/complete", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, complete.StatusCode);
        var task = Assert.Single((await client.GetFromJsonAsync<List<PlaybookTask>>($"/api/accounts/{account}/tasks", Json))!);
        Assert.Equal((PlaybookTaskStatus.Closed, "Alert resolved: Called back, fix agreed"), (task.Status, task.CloseNote));
        Assert.All(task.Steps, s => Assert.False(s.IsDone));
    }

    public void Dispose() => _factory.Dispose();
}
