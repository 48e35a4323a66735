using System.ComponentModel.DataAnnotations;

namespace PulseStream.Metrics;

/// <summary>How long a read of the query API may take (app setting <c>Query__Budget</c>), see <see cref="QueryBudget"/>.</summary>
public sealed class QueryOptions
{
    public const string Section = "Query";

    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan Budget { get; set; } = TimeSpan.FromSeconds(5);
}
