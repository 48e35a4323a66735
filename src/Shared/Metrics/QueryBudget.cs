using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Npgsql;
using PulseStream.Http;
using PulseStream.Storage;

namespace PulseStream.Metrics;

/// <summary>
/// Every read of the query API runs under a time budget: the transaction's <c>statement_timeout</c> and a
/// cancellation of the work around it. A read that runs out answers 503 with <c>Retry-After</c> (the caller may try a
/// shorter window, or again when the server is less busy) instead of holding a connection and the caller's request.
/// </summary>
public sealed class QueryBudget(Database database, IOptions<QueryOptions> options)
{
    private const int RetryAfterSeconds = 5;

    public async Task<IActionResult> RunAsync(Guid tenantId,
        Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<IActionResult>> work, CancellationToken ct)
    {
        var limit = options.Value.Budget;
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(limit);
        try
        {
            return await database.ForTenantAsync(tenantId, async (connection, transaction) =>
            {
                // No parallel workers: these reads touch thousands of rows, not millions, and starting workers cost them
                // two to three times their serial time on this project's reference machine (docs/PERFORMANCE.md), while
                // taking cores from every other tenant's reads and from the consumer.
                await using (var settings = new NpgsqlCommand(
                    $"SET LOCAL statement_timeout = {Math.Max(1, (int)limit.TotalMilliseconds)}; SET LOCAL max_parallel_workers_per_gather = 0", connection, transaction))
                    await settings.ExecuteNonQueryAsync(budget.Token);
                return await work(connection, transaction, budget.Token);
            }, budget.Token);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && IsBudgetExceeded(e, budget))
        {
            return ApiResults.Unavailable(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"The query did not finish within its {limit.TotalSeconds:0.###} s budget. Try a shorter window or a narrower filter."), RetryAfterSeconds);
        }
    }

    private static bool IsBudgetExceeded(Exception e, CancellationTokenSource budget) =>
        e is PostgresException { SqlState: PostgresErrorCodes.QueryCanceled }
        || (e is OperationCanceledException or NpgsqlException && budget.IsCancellationRequested)
        || (e.InnerException is { } inner && IsBudgetExceeded(inner, budget));
}
