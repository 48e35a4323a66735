using PulseStream.Metrics;

namespace PulseStream.Export;

/// <summary>The columns of each dataset of the export, named and ordered as the JSON API names its fields.</summary>
public static class ExportTables
{
    public static readonly IReadOnlyList<ExportColumn<RouteReport>> Routes =
    [
        ExportColumn.Text<RouteReport>("route", r => r.Route),
        ExportColumn.Text<RouteReport>("method", r => r.Method),
        ExportColumn.Integer<RouteReport>("requests", r => r.Requests),
        ExportColumn.Real<RouteReport>("errorRate", r => r.ErrorRate),
        ExportColumn.Real<RouteReport>("p50", r => r.P50),
        ExportColumn.Real<RouteReport>("p95", r => r.P95),
        ExportColumn.Real<RouteReport>("p99", r => r.P99),
        ExportColumn.Integer<RouteReport>("requestBytes", r => r.RequestBytes),
        ExportColumn.Integer<RouteReport>("responseBytes", r => r.ResponseBytes),
        ExportColumn.Time<RouteReport>("lastSeen", r => r.LastSeen),
    ];

    public static readonly IReadOnlyList<ExportColumn<ConsumerReport>> Consumers =
    [
        ExportColumn.Text<ConsumerReport>("consumerId", c => c.ConsumerId),
        ExportColumn.Integer<ConsumerReport>("requests", c => c.Requests),
        ExportColumn.Real<ConsumerReport>("errorRate", c => c.ErrorRate),
        ExportColumn.Real<ConsumerReport>("p50", c => c.P50),
        ExportColumn.Real<ConsumerReport>("p95", c => c.P95),
        ExportColumn.Real<ConsumerReport>("p99", c => c.P99),
        ExportColumn.Integer<ConsumerReport>("requestBytes", c => c.RequestBytes),
        ExportColumn.Integer<ConsumerReport>("responseBytes", c => c.ResponseBytes),
        ExportColumn.Time<ConsumerReport>("lastSeen", c => c.LastSeen),
    ];

    public static readonly IReadOnlyList<ExportColumn<SeriesPoint>> Timeseries =
    [
        ExportColumn.Time<SeriesPoint>("ts", p => p.Ts),
        ExportColumn.Real<SeriesPoint>("value", p => p.Value),
    ];
}
