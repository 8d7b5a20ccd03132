using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Storage;

var builder = WebApplication.CreateBuilder(args);

builder.AddCustomHandlerHosting();
builder.AddTableStorage();
builder.AddAlerts();

var app = builder.Build();

app.MapCustomHandlerFunctions();
app.MapAlerts();

app.Run();

/// <summary>Entry point, public so tests can host the real pipeline with WebApplicationFactory.</summary>
public partial class Program;
