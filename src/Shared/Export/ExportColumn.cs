namespace PulseStream.Export;

/// <summary>A column of an exported table: its name (the JSON API's name of the same value) and its CSV cell per row.</summary>
public sealed record ExportColumn<T>(string Name, Func<T, string?> Cell);

/// <summary>Columns by the kind of value they hold, each written as <see cref="CsvField"/> says.</summary>
public static class ExportColumn
{
    public static ExportColumn<T> Text<T>(string name, Func<T, string?> value) => new(name, row => CsvField.Text(value(row)));
    public static ExportColumn<T> Integer<T>(string name, Func<T, long> value) => new(name, row => CsvField.Integer(value(row)));
    public static ExportColumn<T> Real<T>(string name, Func<T, double?> value) => new(name, row => CsvField.Real(value(row)));
    public static ExportColumn<T> Time<T>(string name, Func<T, DateTimeOffset> value) => new(name, row => CsvField.Time(value(row)));
}
