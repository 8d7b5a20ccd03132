using System.Collections.Concurrent;
using System.Globalization;
using HandlebarsDotNet;

namespace CustomerSuccess.Functions.Lifecycle;

/// <summary>A rendered lifecycle email, before addressing.</summary>
public sealed record RenderedLifecycleEmail(string Subject, string Html, string PlainText);

/// <summary>
/// Renders a step from Templates/{sequence}/{step}.subject.hbs, .html.hbs and .txt.hbs with the account's own data.
/// HTML output is escaped; subject and plain text are not (they are not HTML). Templates are files so CS
/// operations can edit them without code changes; compiled templates are cached.
/// </summary>
public sealed class LifecycleTemplateRenderer
{
    private readonly string _root;
    private readonly IHandlebars _html = Handlebars.Create();
    private readonly IHandlebars _text = Handlebars.Create(new HandlebarsConfiguration { NoEscape = true });
    private readonly ConcurrentDictionary<string, HandlebarsTemplate<object, object>> _compiled = new(StringComparer.Ordinal);

    public LifecycleTemplateRenderer(string templateRoot)
    {
        _root = templateRoot;
    }

    public static string DefaultRoot => Path.Combine(AppContext.BaseDirectory, "Lifecycle", "Templates");

    public bool Exists(string sequence, string step) => File.Exists(PathOf(sequence, step, "html.hbs"));

    public RenderedLifecycleEmail Render(string sequence, string step, LifecycleAccountFacts facts, LifecycleContact contact, Uri unsubscribeUrl)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(contact);
        ArgumentNullException.ThrowIfNull(unsubscribeUrl);
        var model = new Dictionary<string, object?>
        {
            ["account"] = new Dictionary<string, object?>
            {
                ["id"] = facts.AccountId,
                ["name"] = facts.Name ?? "your workspace",
                ["activeUsers30d"] = facts.ActiveUsers30d,
                ["logins30d"] = facts.Logins30d,
                ["events30d"] = facts.Events30d,
                ["renewalDate"] = facts.RenewalDate?.ToString("d MMMM yyyy", CultureInfo.InvariantCulture),
            },
            ["contact"] = new Dictionary<string, object?> { ["firstName"] = contact.FirstName, ["email"] = contact.Email },
            ["unsubscribeUrl"] = unsubscribeUrl.AbsoluteUri,
        };
        var subject = Compile(_text, sequence, step, "subject.hbs")(model).Trim();
        return new RenderedLifecycleEmail(subject.ReplaceLineEndings(" "), Compile(_html, sequence, step, "html.hbs")(model), Compile(_text, sequence, step, "txt.hbs")(model));
    }

    private HandlebarsTemplate<object, object> Compile(IHandlebars env, string sequence, string step, string kind) =>
        _compiled.GetOrAdd(sequence + "/" + step + "." + kind, _ =>
        {
            var path = PathOf(sequence, step, kind);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"Lifecycle template missing: {path}", path);
            }

            return env.Compile(File.ReadAllText(path));
        });

    private string PathOf(string sequence, string step, string kind)
    {
        if (sequence.Contains("..", StringComparison.Ordinal) || step.Contains("..", StringComparison.Ordinal) || sequence.IndexOfAny(['/', '\\']) >= 0 || step.IndexOfAny(['/', '\\']) >= 0)
        {
            throw new ArgumentException("Sequence and step names are plain names.", nameof(sequence));
        }

        return Path.Combine(_root, sequence, step + "." + kind);
    }
}
