using System.Globalization;

namespace CustomerSuccess.Simulator.Reporting;

/// <summary>
/// Where a run stands: the day under way (0-based), how much of it is done, and the running totals;
/// <see cref="DayComplete"/> once the day's steps and reads are all done.
/// </summary>
internal readonly record struct RunProgress(int Day, double DayFraction, int Days, long Events, int Alerts, long Emails, TimeSpan Elapsed, bool DayComplete = false)
{
    public double DaysDone => Day + DayFraction;
}

internal interface IProgressSink
{
    void Report(RunProgress progress);

    /// <summary>The run is over (done or stopped): leave the line as it is and move on.</summary>
    void Finish();
}

internal static class ProgressText
{
    /// <summary>One line that fits 80 columns at any size: "day 37/120 · 412 ev/s · 1:23 · ETA 2:41 · alerts 1,234 · emails 456".</summary>
    public static string Line(RunProgress p)
    {
        var seconds = Math.Max(p.Elapsed.TotalSeconds, 0.001);
        var rate = p.Events / seconds;
        var eta = p.DaysDone <= 0 ? "–" : Clock(TimeSpan.FromSeconds(seconds * (p.Days - p.DaysDone) / p.DaysDone));
        return string.Create(CultureInfo.InvariantCulture,
            $"day {Math.Min(p.Day + 1, p.Days)}/{p.Days} · {rate:N0} ev/s · {Clock(p.Elapsed)} · ETA {eta} · alerts {p.Alerts:N0} · emails {p.Emails:N0}");
    }

    public static string Clock(TimeSpan t) => t.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalMinutes}:{t.Seconds:D2}");
}

/// <summary>Plain lines for logs and CI (output not a terminal): about ten over a run, one per completed day at most.</summary>
internal sealed class PlainProgress(TextWriter writer) : IProgressSink
{
    public void Report(RunProgress progress)
    {
        var day = progress.Day + 1;
        if (progress.DayComplete && (day == progress.Days || day % Math.Max(1, progress.Days / 10) == 0))
        {
            writer.WriteLine(ProgressText.Line(progress));
        }
    }

    public void Finish()
    {
    }
}

/// <summary>One line redrawn in place on a terminal (carriage return, erase to end of line), cut to the window's width.</summary>
internal sealed class LiveProgress(TextWriter writer, Func<int> width) : IProgressSink
{
    private bool _drawn;

    public void Report(RunProgress progress)
    {
        var line = ProgressText.Line(progress);
        var max = Math.Max(20, width() - 1);
        writer.Write("\r" + (line.Length > max ? line[..max] : line) + "\u001b[K");
        writer.Flush();
        _drawn = true;
    }

    public void Finish()
    {
        if (_drawn)
        {
            writer.WriteLine();
            _drawn = false;
        }
    }
}
