using LabelSphere.Evaluation;
using LabelSphere.Training;

namespace LabelSphere.Tests.Evaluation;

public sealed class ComparisonTests
{
    /// <summary>A model measured every 100 steps with these class-weighted scores; <paramref name="kept"/> is the step it kept, if not its last.</summary>
    static ComparedModel Model(string name, double[] scores, int? kept = null) => new(name, name == "sigmoid" ? null : 8,
        scores.Select((s, i) => new CurvePoint(name, (i + 1) * 100, s / 2, s, s, s, s, s)).ToArray(),
        new TrainingResult(true, false, 0, scores.Length * 100, scores.Length * 100, [], 0, 0, null, new ParameterCounts(10, 5, 5, 50), 0, null, "", "", kept));

    static string Row(string table, string model) => table.Split('\n').Single(l => l.StartsWith($"| {model} |", StringComparison.Ordinal));

    [Fact]
    public void The_step_reaching_the_baseline_is_the_first_at_or_above_its_final_score()
    {
        // Given a baseline rising to 0.50 at its last step (400) and a model that passes 0.50 at step 300
        var result = new ComparisonResult(Model("sigmoid", [0.2, 0.4, 0.45, 0.5]), [Model("embedding k=8", [0.3, 0.45, 0.51, 0.55])], []);

        // Then the model reaches it at step 300, the baseline first at 400: 1.3 times fewer steps either way, 10% higher at the end
        var c = result.ConvergenceOf(result.Embeddings[0]);
        Assert.Equal(300, c.ReachesBaseline);
        Assert.Equal(400, c.BaselineReaches);
        Assert.False(c.EndsBelow);
        Assert.Contains("| +10.0% | 0.3000 (100) | 0.5500 (400) | 300 | 400 (its last: 400) | 1.3× fewer | 1.3× fewer |", Row(result.Table(), "embedding k=8"));
    }

    [Fact]
    public void The_steps_ratio_divides_the_step_the_baseline_first_reached_its_final_score_not_its_last()
    {
        // Given a baseline at its final 0.50 from step 200 of 500, and a model at 0.50 from step 100, ending higher
        var result = new ComparisonResult(Model("sigmoid", [0.4, 0.5, 0.5, 0.5, 0.5]), [Model("joint k=8", [0.5, 0.52, 0.53, 0.54, 0.55])], []);

        // Then the honest ratio is 200/100 = 2×; 500/100 = 5× is shown only as the ratio against the baseline's last step
        var c = result.ConvergenceOf(result.Embeddings[0]);
        Assert.Equal(2.0, c.RatioToBaselineReach);
        Assert.Equal(5.0, c.RatioToBaselineLast);
        var table = result.Table();
        Assert.Contains("| 100 | 200 (its last: 500) | 2.0× fewer | 5.0× fewer |", Row(table, "joint k=8"));
        Assert.Contains("| 200 | 200 (its last: 500) | — | — |", Row(table, "sigmoid"));
    }

    [Fact]
    public void A_model_that_ends_below_the_baseline_is_never_given_a_bare_ratio()
    {
        // Given a model that leads early, reaches the baseline's final 0.60 at step 100 and ends at 0.50
        var result = new ComparisonResult(Model("sigmoid", [0.3, 0.4, 0.5, 0.6]), [Model("embedding k=8", [0.6, 0.55, 0.5, 0.5])], []);

        // Then it is marked as ending below, next to its relative change and each ratio
        var c = result.ConvergenceOf(result.Embeddings[0]);
        Assert.True(c.EndsBelow);
        Assert.Equal(100, c.ReachesBaseline);
        var row = Row(result.Table(), "embedding k=8");
        Assert.Contains("-16.7% (ends below)", row);
        Assert.Contains("| 4.0× fewer, but ends 16.7% below the baseline | 4.0× fewer, but ends 16.7% below the baseline |", row);
        Assert.DoesNotContain("fewer |", row.Replace("below the baseline |", ""));
        Assert.Contains("| 0.6000 (100) | 0.6000 (100) |", row);
    }

    [Fact]
    public void A_model_that_never_reaches_the_baseline_says_so()
    {
        var result = new ComparisonResult(Model("sigmoid", [0.5, 0.6]), [Model("embedding k=8", [0.3, 0.4])], []);
        Assert.Null(result.StepReachingBaseline(result.Embeddings[0]));
        Assert.Null(result.ConvergenceOf(result.Embeddings[0]).RatioToBaselineReach);
        Assert.Contains("| not reached | 200 (its last: 200) | not reached | not reached |", Row(result.Table(), "embedding k=8"));
    }

    [Fact]
    public void Models_are_reported_and_compared_at_the_weights_they_kept()
    {
        // Given a baseline that kept step 200 (0.50; its last, 0.45, is lower) and a model that kept step 300 (0.48)
        var result = new ComparisonResult(Model("sigmoid", [0.4, 0.5, 0.47, 0.45], kept: 200), [Model("cosine-logit k=8", [0.3, 0.49, 0.48, 0.52], kept: 300)], []);

        // Then the baseline's final score is 0.50, reached first at 200; the model's 0.48 is below it, though its last and best 0.52 is not
        var c = result.ConvergenceOf(result.Embeddings[0]);
        Assert.Equal(300, c.Step);
        Assert.Equal(0.48, c.Final);
        Assert.True(c.EndsBelow);
        Assert.Equal(400, c.ReachesBaseline);
        Assert.Equal(200, c.BaselineReaches);
        Assert.Equal(400, c.Best.Step);
        Assert.Contains("| 0.4800 | 0.4800 |", Row(result.Table(), "cosine-logit k=8"));
        Assert.Contains("| 300 | -4.0% (ends below) |", Row(result.Table(), "cosine-logit k=8"));
    }
}
