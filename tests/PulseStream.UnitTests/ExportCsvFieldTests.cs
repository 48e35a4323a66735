using System.Text;
using PulseStream.Export;

namespace PulseStream.UnitTests;

/// <summary>The export's CSV cells: RFC 4180 quoting, the formula-injection guard, invariant numbers and UTC times.</summary>
public class ExportCsvFieldTests
{
    private static string Field(string? cell)
    {
        var line = new StringBuilder();
        CsvField.Append(line, cell);
        return line.ToString();
    }

    [Theory]
    [InlineData("/v1/orders", "/v1/orders")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\r\nlines", "\"two\r\nlines\"")]
    [InlineData("line\nfeed", "\"line\nfeed\"")]
    [InlineData("", "")]
    public void Fields_with_a_comma_quote_or_line_break_are_quoted_with_quotes_doubled(string cell, string written)
    {
        Assert.Equal(written, Field(cell));
    }

    [Fact]
    public void Null_is_an_empty_field()
    {
        Assert.Equal("", Field(null));
        Assert.Null(CsvField.Real(null));
        Assert.Null(CsvField.Text(null));
    }

    [Theory]
    [InlineData("=1+2", "'=1+2")]
    [InlineData("+1", "'+1")]
    [InlineData("-1", "'-1")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tindented", "'\tindented")]
    [InlineData("\rreturn", "'\rreturn")]
    [InlineData("/=cmd|x", "/=cmd|x")]
    [InlineData("customer=1", "customer=1")]
    [InlineData("'quoted", "''quoted")]
    [InlineData("'=1", "''=1")]
    public void Text_a_spreadsheet_would_run_as_a_formula_or_that_starts_with_an_apostrophe_is_prefixed_with_one(string text, string cell)
    {
        Assert.Equal(cell, CsvField.Text(text));
    }

    [Fact]
    public void A_guarded_formula_with_a_comma_is_quoted_after_the_guard()
    {
        Assert.Equal("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"", Field(CsvField.Text("=HYPERLINK(\"http://x\",\"y\")")));
    }

    [Fact]
    public void Numbers_are_invariant_and_round_trip_and_times_are_utc_iso_8601()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            Assert.Equal("0.1", CsvField.Real(0.1));
            Assert.Equal("1234567.125", CsvField.Real(1234567.125));
            Assert.Equal(1.0 / 3, double.Parse(CsvField.Real(1.0 / 3)!, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal("1234567", CsvField.Integer(1234567));
            Assert.Equal("2026-03-01T10:59:00.1234567Z", CsvField.Time(new DateTimeOffset(2026, 3, 1, 12, 59, 0, TimeSpan.FromHours(2)).AddTicks(1234567)));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }
}
