using System.Text.Json;
using LabelSphere.Data;
using LabelSphere.Evaluation;

namespace LabelSphere.Tests.Evaluation;

public sealed class MetricsGoldenTests
{
    const double Tolerance = 1e-9;

    sealed record GoldenCase(string Name, int Classes, float[] Scores, LabelMatrix Truth, MetricsOptions Options,
                             double A, double B, double? WeightMinimum, double? WeightMaximum,
                             long[] TrainCounts, long TrainInstances, long[] WeightCounts, JsonElement Expected);

    static readonly JsonDocument Golden = JsonDocument.Parse(File.ReadAllBytes(RankingFixtures.TestData("metrics_golden.json")));

    public static TheoryData<string> CaseNames()
    {
        var names = new TheoryData<string>();
        foreach (var c in Golden.RootElement.GetProperty("cases").EnumerateArray()) names.Add(c.GetProperty("name").GetString()!);
        return names;
    }

    static GoldenCase Load(string name)
    {
        var c = Golden.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        int classes = c.GetProperty("classes").GetInt32();
        // GetSingle reads the shortest float32 decimal the script wrote back to the same float32.
        var scores = c.GetProperty("scores").EnumerateArray().SelectMany(row => row.EnumerateArray().Select(v => v.GetSingle())).ToArray();
        var builder = new LabelMatrixBuilder();
        foreach (var row in c.GetProperty("labels").EnumerateArray()) builder.AddRow(row.EnumerateArray().Select(v => v.GetInt32()).ToArray());
        var o = c.GetProperty("options");
        var options = new MetricsOptions
        {
            Depth = o.GetProperty("depth").GetInt32(),
            Cutoffs = o.GetProperty("cutoffs").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            EmptyInstances = o.GetProperty("emptyInstances").GetString() switch
            {
                "countAsZero" => EmptyInstances.CountAsZero,
                "skip" => EmptyInstances.Skip,
                var other => throw new InvalidDataException($"unknown emptyInstances '{other}'"),
            },
        };
        return new GoldenCase(name, classes, scores, builder.Build(classes), options,
            o.GetProperty("a").GetDouble(), o.GetProperty("b").GetDouble(), NullableDouble(o.GetProperty("weightMinimum")), NullableDouble(o.GetProperty("weightMaximum")),
            Longs(c.GetProperty("trainCounts")), c.GetProperty("trainInstances").GetInt64(), Longs(c.GetProperty("weightCounts")), c.GetProperty("expected"));
    }

    static double? NullableDouble(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetDouble();

    static long[] Longs(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt64()).ToArray();

    static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? double.NaN : v.GetDouble()).ToArray();

    static void Close(string what, double expected, double? actual)
    {
        Assert.True(actual.HasValue, $"{what}: missing, expected {expected}");
        bool ok = double.IsNaN(expected) ? double.IsNaN(actual.Value) : Math.Abs(expected - actual.Value) <= Tolerance;
        Assert.True(ok, $"{what}: {actual} differs from the golden {expected}");
    }

    static void Close(string what, double[] expected, double[]? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Close($"{what}[{i}]", expected[i], actual[i]);
    }

    static (double[] InversePropensities, double[] Weights) Inputs(GoldenCase g) =>
        (Propensity.Inverse(g.TrainCounts, g.TrainInstances, g.A, g.B), ClassWeights.FromCounts(g.WeightCounts, g.WeightMinimum, g.WeightMaximum));

    static void AssertClassWise(GoldenCase g, ClassRankingMetrics m)
    {
        var e = g.Expected;
        Close($"{g.Name} paper MAP@{g.Options.Depth}", e.GetProperty("paperMap").GetDouble(), m.PaperMap);
        Close($"{g.Name} weighted paper MAP@{g.Options.Depth}", e.GetProperty("weightedPaperMap").GetDouble(), m.WeightedPaperMap);
        Close($"{g.Name} mean AP@{g.Options.Depth}", e.GetProperty("meanApAtDepth").GetDouble(), m.MeanAveragePrecisionAtDepth);
        Close($"{g.Name} paper AP", Doubles(e.GetProperty("paperAp")), m.PaperAveragePrecision);
        Close($"{g.Name} AP@K", Doubles(e.GetProperty("apAtDepth")), m.AveragePrecisionAtDepth);
        Assert.Equal(Longs(e.GetProperty("positives")), m.Positives);
        Assert.Equal(e.GetProperty("classesEvaluated").GetInt32(), m.ClassesEvaluated);
        Assert.Equal(e.GetProperty("classesWithoutPositives").GetInt32(), m.ClassesWithoutPositives);
    }

    static void AssertInstanceWise(GoldenCase g, InstanceRankingMetrics m)
    {
        var e = g.Expected;
        Assert.Equal(g.Options.Cutoffs, m.Cutoffs);
        Close($"{g.Name} P@k", Doubles(e.GetProperty("precision")), m.Precision);
        Close($"{g.Name} nDCG@k", Doubles(e.GetProperty("ndcg")), m.Ndcg);
        Close($"{g.Name} PSP@k", Doubles(e.GetProperty("psp")), m.PropensityScoredPrecision);
        Close($"{g.Name} normalised PSP@k", Doubles(e.GetProperty("normalisedPsp")), m.NormalisedPropensityScoredPrecision);
        Assert.Equal(e.GetProperty("instancesCounted").GetInt64(), m.InstancesCounted);
        Assert.Equal(e.GetProperty("instancesWithoutLabels").GetInt64(), m.InstancesWithoutLabels);
    }

    [Fact]
    public void The_golden_file_holds_the_five_cases_the_script_makes()
    {
        // Given the golden file made by TestData/metrics/make_metrics_golden.py
        // Then it holds every case, so that none is silently skipped
        Assert.Equal(["random", "classesWithoutPositives", "fewerInstancesThanDepth", "ties", "shallow"], CaseNames().Select(row => row.Data));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Propensities_and_class_weights_match_numpy(string name)
    {
        // Given a case's training counts and weighting annotation counts
        var g = Load(name);

        // When the inverse propensities and clipped class weights are computed
        var (inverse, weights) = Inputs(g);

        // Then both agree with numpy
        Close($"{name} 1/p", Doubles(g.Expected.GetProperty("inversePropensities")), inverse);
        Close($"{name} class weights", Doubles(g.Expected.GetProperty("classWeights")), weights);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Every_metric_matches_numpy_and_scikit_learn(string name)
    {
        // Given a case's scores, label sets, propensities and class weights
        var g = Load(name);
        var (inverse, weights) = Inputs(g);

        // When every metric is computed over the full score matrix
        var report = MetricsReport.Compute(g.Scores, g.Truth, g.Classes, g.Options, inverse, weights);

        // Then the class-wise, instance-wise and scikit-learn metrics agree with the independent implementation
        AssertClassWise(g, report.Classes);
        AssertInstanceWise(g, report.Instances);
        Assert.NotNull(report.Exact);
        Close($"{name} sklearn AP", Doubles(g.Expected.GetProperty("sklearnAp")), report.Exact.PerClass);
        Close($"{name} sklearn mAP", g.Expected.GetProperty("sklearnMap").GetDouble(), report.MeanAveragePrecision);
        Assert.Equal(report.ClassesEvaluated, report.Exact.ClassesEvaluated);
        Assert.Equal(report.ClassesWithoutPositives, report.Exact.ClassesWithoutPositives);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Streaming_in_batches_of_seven_matches_numpy(string name)
    {
        // Given a case fed to the streaming accumulator seven instances at a time
        var g = Load(name);
        var (inverse, weights) = Inputs(g);
        var accumulator = new MetricsAccumulator(g.Classes, g.Options, inverse, weights);
        for (int from = 0; from < g.Truth.Rows; from += 7)
        {
            var (scores, truth) = RankingFixtures.Slice(g.Scores, g.Truth, g.Classes, from, Math.Min(7, g.Truth.Rows - from));
            accumulator.Add(scores, truth);
        }

        // When the report is taken
        var report = accumulator.Report();

        // Then the streamed metrics agree with numpy too, and scikit-learn's AP is absent
        AssertClassWise(g, report.Classes);
        AssertInstanceWise(g, report.Instances);
        Assert.Null(report.Exact);
        Assert.Null(report.MeanAveragePrecision);
    }
}
