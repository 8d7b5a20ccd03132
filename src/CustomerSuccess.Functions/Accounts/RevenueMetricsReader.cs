namespace CustomerSuccess.Functions.Accounts;

/// <summary>Revenue retention over every account's MRR movements, read a page of account states at a time.</summary>
internal sealed class RevenueMetricsReader(AccountStateStore states)
{
    private const int PageSize = 500;

    public async Task<RevenueMetrics> ReadAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        var metrics = new RevenueMetricsBuilder(from, to);
        string? continuation = null;
        do
        {
            var page = await states.ReadPageAsync(0, 1, continuation, PageSize, cancellationToken);
            foreach (var state in page.States)
            {
                metrics.Add(state);
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);

        return metrics.Build();
    }
}
