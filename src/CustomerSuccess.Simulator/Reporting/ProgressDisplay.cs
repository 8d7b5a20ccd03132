using System.Globalization;
using CustomerSuccess.Simulator.Driving;
using Spectre.Console;

namespace CustomerSuccess.Simulator.Reporting;

internal interface IProgressSink
{
    void Day(int day, int days, RunCounters counters);
}

internal static class ProgressText
{
    public static string Line(int day, int days, RunCounters c) => string.Create(CultureInfo.InvariantCulture,
        $"day {day}/{days} · webhooks {c.Requests:N0} ({c.Events:N0} events, {c.NotAcknowledged:N0} not acknowledged) · scores {c.ScoresSeen:N0} · alerts {c.AlertsSeen:N0} · emails {c.EmailsSeen:N0}");
}

/// <summary>Plain lines, for logs and CI (output not a terminal): one every few days.</summary>
internal sealed class PlainProgress(TextWriter writer) : IProgressSink
{
    public void Day(int day, int days, RunCounters counters)
    {
        if (day == days || day % Math.Max(1, days / 12) == 0)
        {
            writer.WriteLine(ProgressText.Line(day, days, counters));
        }
    }
}

/// <summary>A live progress bar with the running totals, on an interactive terminal.</summary>
internal sealed class LiveProgress(ProgressTask task) : IProgressSink
{
    public void Day(int day, int days, RunCounters counters)
    {
        task.Value = day;
        task.Description = Markup.Escape(ProgressText.Line(day, days, counters));
    }
}
