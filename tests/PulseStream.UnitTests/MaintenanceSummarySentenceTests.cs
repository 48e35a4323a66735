using PulseStream.Alerting.Maintenance;

namespace PulseStream.UnitTests;

/// <summary>The sentence a maintenance summary opens with.</summary>
public class MaintenanceSummarySentenceTests
{
    [Theory]
    [InlineData(2, 2, "2 alerts fired and resolved during maintenance")]
    [InlineData(1, 1, "1 alert fired and resolved during maintenance")]
    [InlineData(3, 2, "3 alerts fired during maintenance: 2 resolved, 1 still open")]
    [InlineData(1, 0, "1 alert fired during maintenance: 0 resolved, 1 still open")]
    public void Says_how_many_fired_and_how_many_resolved(int fired, int resolved, string expected) =>
        Assert.Equal(expected, MaintenanceSummaries.Sentence(fired, resolved));
}
