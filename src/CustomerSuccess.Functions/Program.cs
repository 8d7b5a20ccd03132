using CustomerSuccess.Functions.Accounts;

using CustomerSuccess.Functions.Health;

using CustomerSuccess.Functions.Alerts;

using CustomerSuccess.Functions.Email;
using CustomerSuccess.Functions.Expansion;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Lifecycle;
using CustomerSuccess.Functions.LocalRunner;
using CustomerSuccess.Functions.Messaging;
using CustomerSuccess.Functions.Metrics;
using CustomerSuccess.Functions.Pages;
using CustomerSuccess.Functions.Playbooks;
using CustomerSuccess.Functions.Renewals;
using CustomerSuccess.Functions.Reviews;
using CustomerSuccess.Functions.Storage;
using CustomerSuccess.Functions.Telemetry;
using CustomerSuccess.Functions.Webhooks;

var builder = WebApplication.CreateBuilder(args);

builder.AddCustomHandlerHosting();
builder.AddTelemetry();
builder.AddStorage();
builder.AddMessaging();
builder.AddLocalRunner();

builder.AddWebhooks();
builder.AddAccounts();

builder.AddHealth();

builder.AddExpansion();

builder.AddAlerts();

builder.AddPlaybooks();

builder.AddEmail();

builder.AddLifecycle();

builder.AddRenewals();

builder.AddMetrics();

builder.AddReviews();

builder.AddPages();

var app = builder.Build();

app.MapCustomHandlerFunctions();
app.MapMessaging();
app.MapLocalRunner();

app.MapWebhooks();
app.MapAccounts();

app.MapHealth();

app.MapAlerts();

app.MapPlaybooks();

app.MapLifecycle();

app.MapRenewals();

app.MapMetrics();

app.MapReviews();

app.MapPages();

app.Run();

/// <summary>Entry point, public so tests can host the real pipeline with WebApplicationFactory.</summary>
public partial class Program;
