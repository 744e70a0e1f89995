using LabelSphere.Evaluation;
using LabelSphere.Training;

namespace LabelSphere.Tests.Evaluation;

public sealed class ComparisonTests
{
    static ComparedModel Model(string name, params double[] scores) => new(name, name == "sigmoid" ? null : 8,
        scores.Select((s, i) => new CurvePoint(name, (i + 1) * 100, s / 2, s, s, s, s, s)).ToArray(),
        new TrainingResult(true, false, 0, scores.Length * 100, scores.Length * 100, [], 0, 0, null, new ParameterCounts(10, 5, 5, 50), 0, null, "", ""));

    [Fact]
    public void The_step_reaching_the_baseline_is_the_first_at_or_above_its_final_score()
    {
        // Given a baseline ending at 0.50 and an embedding model that passes 0.50 at step 300
        var result = new ComparisonResult(Model("sigmoid", 0.2, 0.4, 0.45, 0.5), [Model("embedding k=8", 0.3, 0.45, 0.51, 0.55)]);

        // Then it reaches the baseline at step 300, 400/300 = 1.3 times fewer steps, 10% higher at the end
        Assert.Equal(300, result.StepReachingBaseline(result.Embeddings[0]));
        var table = result.Table();
        Assert.Contains("| 300 | 1.3× fewer |", table);
        Assert.Contains("+10.0%", table);
    }

    [Fact]
    public void A_model_that_never_reaches_the_baseline_says_so()
    {
        var result = new ComparisonResult(Model("sigmoid", 0.5, 0.6), [Model("embedding k=8", 0.3, 0.4)]);
        Assert.Null(result.StepReachingBaseline(result.Embeddings[0]));
        Assert.Contains("not reached", result.Table());
    }
}
