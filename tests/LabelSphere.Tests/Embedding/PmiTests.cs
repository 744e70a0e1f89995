using System.Text.Json;
using LabelSphere.Embedding;

namespace LabelSphere.Tests.Embedding;

public sealed class PmiTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static PmiOptions OptionsOf(JsonElement o) => new()
    {
        Measure = o.TryGetProperty("measure", out var m) && m.GetString() == "normalized" ? PmiMeasure.Normalized : PmiMeasure.Pmi,
        Unseen = o.TryGetProperty("unseen", out var u) ? u.GetString() switch
        {
            "halfCount" => UnseenPairs.HalfCount,
            "minObserved" => UnseenPairs.MinObserved,
            _ => UnseenPairs.Zero,
        } : UnseenPairs.Zero,
        Diagonal = o.TryGetProperty("diagonal", out var d) ? d.GetString() switch
        {
            "zero" => DiagonalMode.Zero,
            "rowMax" => DiagonalMode.RowMax,
            _ => DiagonalMode.SelfInformation,
        } : DiagonalMode.SelfInformation,
        Positive = o.TryGetProperty("positive", out var p) && p.GetBoolean(),
        Shift = o.TryGetProperty("shift", out var s) ? s.GetDouble() : 1.0,
        Alpha = o.TryGetProperty("alpha", out var a) ? a.GetDouble() : 1.0,
    };

    [Fact]
    public void Pmi_matches_numpy_for_every_option_in_the_golden_file()
    {
        // Given the tiny set and the matrices numpy computed for it (TestData/make_pmi_golden.py)
        var (vocabulary, labels) = Fixtures.Tiny();
        var counts = CooccurrenceCounts.Count(vocabulary, labels, cancellationToken: Ct);
        using var golden = JsonDocument.Parse(File.ReadAllBytes(Fixtures.TestData("pmi_golden.json")));
        int cases = 0;
        foreach (var c in golden.RootElement.GetProperty("cases").EnumerateArray())
        {
            // When PMI is computed with the same options
            var pmi = Pmi.Compute(counts, OptionsOf(c.GetProperty("options")), cancellationToken: Ct);

            // Then every cell agrees to rounding
            var expected = c.GetProperty("pmi").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
            for (int i = 0; i < vocabulary.Count; i++)
                for (int j = 0; j < vocabulary.Count; j++)
                    Assert.True(Math.Abs(expected[i][j] - pmi[i, j]) < 1e-12, $"{c.GetProperty("name")}: PMI[{i},{j}] = {pmi[i, j]}, numpy {expected[i][j]}");
            cases++;
        }
        Assert.Equal(8, cases);
    }

    [Fact]
    public void Pmi_equals_values_computed_by_hand_on_the_tiny_set()
    {
        // Given 12 instances: beach on 4, sea on 4, both on 3; car and road together on 3, road on 4, car on 3
        var (vocabulary, labels) = Fixtures.Tiny();
        var pmi = Pmi.Compute(CooccurrenceCounts.Count(vocabulary, labels, cancellationToken: Ct), new PmiOptions(), cancellationToken: Ct);

        // Then PMI(beach, sea) = log(3/12 / (4/12 · 4/12)) = log 2.25, PMI(car, road) = log(3/12 / (3/12 · 4/12)) = log 3,
        // the diagonal is −log p(i), unseen pairs are 0 and the label no instance carries is all zero
        Assert.Equal(Math.Log(2.25), pmi[0, 1], 12);
        Assert.Equal(Math.Log(3), pmi[3, 4], 12);
        Assert.Equal(-Math.Log(4.0 / 12), pmi[0, 0], 12);
        Assert.Equal(0.0, pmi[0, 5]);
        for (int j = 0; j < 8; j++) Assert.Equal(0.0, pmi[7, j]);
    }

    [Theory]
    [InlineData(UnseenPairs.Zero, DiagonalMode.SelfInformation, false, 1.0, 1.0, PmiMeasure.Pmi)]
    [InlineData(UnseenPairs.HalfCount, DiagonalMode.RowMax, false, 1.0, 0.75, PmiMeasure.Pmi)]
    [InlineData(UnseenPairs.MinObserved, DiagonalMode.Zero, true, 5.0, 1.0, PmiMeasure.Pmi)]
    [InlineData(UnseenPairs.Zero, DiagonalMode.SelfInformation, false, 1.0, 0.5, PmiMeasure.Normalized)]
    public void Pmi_is_symmetric_for_any_annotation_set(UnseenPairs unseen, DiagonalMode diagonal, bool positive, double shift, double alpha, PmiMeasure measure)
    {
        var options = new PmiOptions { Unseen = unseen, Diagonal = diagonal, Positive = positive, Shift = shift, Alpha = alpha, Measure = measure };
        for (int seed = 0; seed < 5; seed++)
        {
            // Given a random annotation set
            var (vocabulary, labels) = Fixtures.Topics(40 + seed * 7, 500, 5, seed);

            // When its PMI is computed
            var pmi = Pmi.Compute(CooccurrenceCounts.Count(vocabulary, labels, cancellationToken: Ct), options, cancellationToken: Ct);

            // Then it is symmetric and finite
            for (int i = 0; i < pmi.Labels; i++)
                for (int j = 0; j < pmi.Labels; j++)
                {
                    Assert.True(double.IsFinite(pmi[i, j]));
                    Assert.Equal(pmi[i, j], pmi[j, i]);
                }
        }
    }

    [Fact]
    public void Options_out_of_range_are_refused_with_the_rule()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new PmiOptions { Alpha = 0 }.Validate());
        Assert.Contains("(0, 1]", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PmiOptions { Shift = 0.5 }.Validate());
    }
}
