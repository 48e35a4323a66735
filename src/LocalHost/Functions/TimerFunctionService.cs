using Cronos;
using Microsoft.Azure.Functions.Worker;

namespace PulseStream.LocalHost.Functions;

/// <summary>Runs every <c>TimerTrigger</c> function on its six-field CRON schedule, one invocation at a time each.</summary>
public sealed class TimerFunctionService(FunctionCatalog catalog, FunctionInvoker invoker, TimeProvider time, ILogger<TimerFunctionService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(catalog.Functions.Where(f => f.Trigger is TimerTriggerAttribute).Select(f => RunAsync(f, stoppingToken)));

    private async Task RunAsync(FunctionDescriptor function, CancellationToken ct)
    {
        var schedule = ((TimerTriggerAttribute)function.Trigger).Schedule;
        var cron = CronExpression.Parse(schedule, schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        DateTime? last = null;
        while (!ct.IsCancellationRequested)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var next = cron.GetNextOccurrence(now);
            if (next is null) return;
            try
            {
                await Task.Delay(next.Value - now, time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var timer = new TimerInfo
            {
                IsPastDue = time.GetUtcNow().UtcDateTime - next.Value > TimeSpan.FromSeconds(5),
                ScheduleStatus = new ScheduleStatus { Last = last ?? DateTime.MinValue, Next = cron.GetNextOccurrence(next.Value) ?? DateTime.MaxValue, LastUpdated = next.Value },
            };
            last = next;
            try
            {
                await invoker.InvokeAsync(function, timer, new Dictionary<string, object?>(), ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                logger.LogError(e, "Timer function {Function} failed", function.Name);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
