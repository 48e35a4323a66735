using System.Globalization;
using System.Text;

namespace PulseStream.Export;

/// <summary>
/// One CSV field as RFC 4180 writes it, and the cell texts of the export's value kinds. Text that a spreadsheet
/// would run as a formula (starting with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab or CR: OWASP "CSV injection")
/// is prefixed with <c>'</c>, which spreadsheets show as text and do not evaluate. Routes and consumer ids come
/// from whoever sends events with a tenant's key, so an exported file must not turn them into formulas on the
/// machine of whoever opens it. Text that itself starts with <c>'</c> gets the prefix too, so a reader gets every
/// value back by removing one leading <c>'</c> where there is one. Numbers use the invariant culture, times
/// ISO 8601 in UTC, null is an empty field.
/// </summary>
public static class CsvField
{
    /// <summary>Text as a cell, with the formula-injection guard.</summary>
    public static string? Text(string? value) =>
        value is { Length: > 0 } && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' or '\'' ? "'" + value : value;

    public static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A real number in its shortest round-trip form (the JSON API's digits), empty for null.</summary>
    public static string? Real(double? value) => value?.ToString("R", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Appends a cell as one field: quoted, with quotes doubled, when it holds a comma, a quote, CR or LF.</summary>
    public static void Append(StringBuilder line, string? cell)
    {
        if (cell is null) return;
        if (cell.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            line.Append(cell);
            return;
        }
        line.Append('"').Append(cell.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}
