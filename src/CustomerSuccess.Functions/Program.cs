using CustomerSuccess.Functions.Email;
using CustomerSuccess.Functions.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddCustomHandlerHosting();
builder.AddEmail();

var app = builder.Build();

app.MapCustomHandlerFunctions();

app.Run();

/// <summary>Entry point, public so tests can host the real pipeline with WebApplicationFactory.</summary>
public partial class Program;
