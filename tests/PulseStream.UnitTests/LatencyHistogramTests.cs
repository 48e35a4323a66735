using PulseStream.Metrics;

namespace PulseStream.UnitTests;

public class LatencyHistogramTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Percentiles_are_within_one_percent_of_exact_on_generated_data(int seed)
    {
        var random = new Random(seed);
        // Log-normal latencies spanning four orders of magnitude, as real APIs have.
        var values = Enumerable.Range(0, 50_000).Select(_ => 20 * Math.Exp(1.5 * Gaussian(random))).ToArray();
        var histogram = new LatencyHistogram();
        foreach (var v in values) histogram.Add(v);
        Array.Sort(values);
        foreach (var q in new[] { 0.5, 0.9, 0.95, 0.99, 0.999 })
        {
            var exact = values[(int)Math.Floor(q * (values.Length - 1))];
            var estimate = histogram.Quantile(q)!.Value;
            Assert.InRange(Math.Abs(estimate - exact) / exact, 0, 0.01);
        }
    }

    [Fact]
    public void Merged_histograms_answer_like_one_built_from_all_values()
    {
        var random = new Random(7);
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        var all = new LatencyHistogram();
        for (var i = 0; i < 10_000; i++)
        {
            var v = random.NextDouble() * 1000;
            (i % 2 == 0 ? a : b).Add(v);
            all.Add(v);
        }
        a.Merge(b);
        Assert.Equal(all.Count, a.Count);
        Assert.Equal(all.Quantile(0.95), a.Quantile(0.95));
    }

    [Fact]
    public void The_stored_form_round_trips_including_zero_latencies()
    {
        var histogram = new LatencyHistogram();
        histogram.Add(0);
        histogram.Add(0);
        histogram.Add(5);
        histogram.Add(500);
        var copy = LatencyHistogram.FromBytes(histogram.ToBytes());
        Assert.Equal(4, copy.Count);
        Assert.Equal(0, copy.Quantile(0.0));
        Assert.Equal(histogram.Quantile(1.0), copy.Quantile(1.0));
        Assert.Null(new LatencyHistogram().Quantile(0.5));
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
