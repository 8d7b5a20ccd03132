using CustomerSuccess.Functions.Accounts;
using CustomerSuccess.Functions.Health;
using CustomerSuccess.Functions.Hosting;
using CustomerSuccess.Functions.Reviews.Views;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CustomerSuccess.Functions.Reviews;

/// <summary>
/// Reviews: the QBR pack of one account, <c>GET /api/accounts/{id}/qbr</c> (function key), as a page printable to PDF
/// by a browser, or as JSON (<c>Accept: application/json</c> or <c>?format=json</c>). Read through Accounts', Health's
/// and Alerts' ports; it owns no table.
/// </summary>
internal static class ReviewsModule
{
    public static WebApplicationBuilder AddReviews(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<QbrPackReader>();
        return builder;
    }

    public static WebApplication MapReviews(this WebApplication app)
    {
        app.MapGet("/api/accounts/{id}/qbr", QbrAsync).WithFunction("AccountQbr").RequireFunctionKey();
        return app;
    }

    /// <summary>The pack as the printable page, or as JSON when asked for; 404 for an account unknown or not scored yet.</summary>
    private static async Task<IResult> QbrAsync(string id, string? format, HttpContext http, QbrPackReader reader, CancellationToken ct)
    {
        if (AccountIds.Problem(id) is not null || await reader.ReadAsync(id, ct) is not { } pack)
        {
            return Results.NotFound();
        }

        var json = string.Equals(format, "json", StringComparison.OrdinalIgnoreCase)
            || http.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase));
        http.Response.Headers.CacheControl = "no-store";
        return json
            ? Results.Json(pack, HealthJson.Options)
            : new RazorComponentResult<QbrPackView>(new Dictionary<string, object?> { ["Model"] = pack });
    }
}
