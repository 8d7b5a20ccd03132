using CustomerSuccess.Functions.Alerts;
using CustomerSuccess.Functions.Playbooks;

namespace CustomerSuccess.Functions.Tests.Playbooks;

/// <summary>Unusable playbooks fail at start, naming the setting.</summary>
public sealed class PlaybooksOptionsValidatorTests
{
    private static string? Failure(PlaybooksOptions options) => new PlaybooksOptionsValidator().Validate(null, options).FailureMessage;

    private static PlaybookOptions Valid(params string[] rules) => new() { Title = "T", Rules = [.. rules], Steps = [new() { Name = "Call", DueAfter = TimeSpan.FromDays(1) }] };

    [Fact]
    public void Validate_Defaults_Succeed() => Assert.Null(Failure(new PlaybooksOptions()));

    [Fact]
    public void Validate_NegativeThreshold_NamesTheSetting() =>
        Assert.Contains("Playbooks:TechTouchMaxArr", Failure(new PlaybooksOptions { TechTouchMaxArr = -1 }), StringComparison.Ordinal);

    [Fact]
    public void Validate_UnknownRule_NamesThePlaybookAndTheRule()
    {
        var options = new PlaybooksOptions();
        options.Playbooks[PlaybookCatalog.Expansion] = Valid("upsell-signal");

        Assert.Contains("Playbooks:Playbooks:expansion:Rules names 'upsell-signal'", Failure(options), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RuleInTwoPlaybooks_Refused()
    {
        var options = new PlaybooksOptions();
        options.Playbooks["churn-call"] = Valid(AlertRules.NpsDetractor);

        var failure = Failure(options);

        Assert.Contains("names 'nps-detractor', which playbook 'churn-call' already opens", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoStepsOrBadStep_Refused()
    {
        var options = new PlaybooksOptions();
        options.Playbooks[PlaybookCatalog.Expansion] = new PlaybookOptions { Title = "X", Rules = [AlertRules.ExpansionOpportunity] };
        options.Playbooks[PlaybookCatalog.DetractorFollowUp] = new PlaybookOptions { Title = "Y", Rules = [AlertRules.NpsDetractor], Steps = [new() { Name = " ", DueAfter = TimeSpan.FromDays(-1) }] };

        var failure = Failure(options);

        Assert.Contains("Playbooks:Playbooks:expansion:Steps is empty", failure, StringComparison.Ordinal);
        Assert.Contains("Playbooks:Playbooks:detractor-follow-up:Steps:0:Name is empty", failure, StringComparison.Ordinal);
        Assert.Contains("Playbooks:Playbooks:detractor-follow-up:Steps:0:DueAfter", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PlaybookSwitchedOffWithoutRules_Accepted()
    {
        var options = new PlaybooksOptions();
        options.Playbooks[PlaybookCatalog.Expansion] = new PlaybookOptions { Title = "Expansion" };

        Assert.Null(Failure(options));
    }
}
