namespace CustomerSuccess.Functions.Accounts;

/// <summary>
/// Which accounts the period's figures count and how to read them. Both predicates look at the account's MRR at the
/// start of the period, or at its end for an account that had none at the start (so an account that churned in the
/// period is placed where it was, a new one where it landed): <see cref="Include"/> filters (null = every account),
/// <see cref="GetsQbrs"/> says whether QBRs are due from it.
/// </summary>
internal sealed record AccountMetricsQuery(DateOnly From, DateOnly To, DateOnly Today, ValueMetricsSettings Settings, Func<long, bool>? Include, Func<long, bool> GetsQbrs);

/// <summary>A period's figures from the accounts, and the ids of the accounts counted when a filter chose them.</summary>
internal sealed record AccountMetrics(RevenueMetrics Revenue, ValueMetrics Value, IReadOnlySet<string>? AccountIds);

/// <summary>Revenue retention and the value metrics over every account, read a page of account states at a time.</summary>
internal sealed class RevenueMetricsReader(AccountStateStore states)
{
    private const int PageSize = 500;

    public async Task<AccountMetrics> ReadAsync(AccountMetricsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var revenue = new RevenueMetricsBuilder(query.From, query.To);
        var value = new ValueMetricsBuilder(query.From, query.To, query.Today, query.Settings);
        var ids = query.Include is null ? null : new HashSet<string>(StringComparer.Ordinal);
        string? continuation = null;
        do
        {
            var page = await states.ReadPageAsync(0, 1, continuation, PageSize, cancellationToken);
            foreach (var state in page.States)
            {
                var start = state.MrrAtStartOf(query.From.DayNumber);
                var mrr = start > 0 ? start : state.MrrAtStartOf(query.To.DayNumber + 1);
                if (query.Include is { } include && !include(mrr))
                {
                    continue;
                }

                ids?.Add(state.AccountId);
                revenue.Add(state);
                value.Add(state, query.GetsQbrs(mrr));
            }

            continuation = page.Continuation;
        }
        while (continuation is not null);

        return new AccountMetrics(revenue.Build(), value.Build(), ids);
    }
}
