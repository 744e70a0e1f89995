using LabelSphere.Data;
using LabelSphere.Evaluation;
using LabelSphere.Tests.Training;
using LabelSphere.Training;

namespace LabelSphere.Tests.Evaluation;

[Collection(TorchCollection.Name)]
public sealed class ZeroShotExperimentTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), "labelsphere-zeroshot-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
    }

    [Theory]
    [InlineData(HeadKind.Embedding)]
    [InlineData(HeadKind.CosineLogit)]
    [InlineData(HeadKind.Joint)]
    public void Labels_placed_from_their_cooccurrences_rank_test_instances_far_above_chance(HeadKind head)
    {
        // Given the synthetic world (12 labels in 3 topics), an embedding of all its labels and a head that ranks by it
        var train = TrainingFixtures.Synthetic(600, 7);
        var test = TrainingFixtures.Synthetic(300, 8);
        var transform = FeatureTransform.Fit(train.Features, FeatureScaling.None);
        var embedding = train.Embed(6);
        var options = new TrainingOptions { Head = head, Steps = 150, BatchSize = 64, Hidden = [32], LearningRate = 3e-3, CheckpointEvery = 0, Features = FeatureScaling.None };

        // When two labels of different topics are held out of the targets and of the embedding, then placed
        var heldOut = new[] { 4, 9 };
        var result = ZeroShotExperiment.Run(new ZeroShotExperiment.Setup(train.Source(transform), test.Source(transform), embedding, heldOut, options, dir), cancellationToken: TestContext.Current.CancellationToken);

        // Then each is ranked far better than at random, never seen as a target, and the extension holds every label
        Assert.Equal(["tag4", "tag9"], result.Labels.Select(l => l.Name).Order());
        foreach (var label in result.Labels)
        {
            Assert.True(label.ZeroShot.AveragePrecision > 2 * label.Chance.AveragePrecision, $"{label.Name}: zero-shot AP {label.ZeroShot.AveragePrecision:F3}, chance {label.Chance.AveragePrecision:F3}");
            Assert.Equal(test.Labels.LabelCounts()[int.Parse(label.Name[3..])], label.TestPositives);
            Assert.InRange(label.ZeroShotCompany.AveragePrecision, 0, 1);
            Assert.InRange(label.ZeroShot.DecodingRecall, 0, 1);
            Assert.InRange(label.ZeroShotCompany.DecodingRecall, 0, 1);
        }
        Assert.Equal(12, result.ReducedEmbedding.Labels);
        Assert.True(result.ReducedEmbedding.IsZeroShot(10) && result.ReducedEmbedding.IsZeroShot(11) && !result.ReducedEmbedding.IsZeroShot(9));
        Assert.Equal(["embedding-model", "sigmoid", "zero-shot"], Directory.GetDirectories(dir).Select(Path.GetFileName).Order());
        Assert.Equal(3, result.Trainings.Count);
    }

    [Fact]
    public void The_sigmoid_head_is_refused_for_zero_shot_labels()
    {
        var train = TrainingFixtures.Synthetic(100, 7);
        var transform = FeatureTransform.Fit(train.Features, FeatureScaling.None);
        var options = new TrainingOptions { Head = HeadKind.Sigmoid, Steps = 1, Hidden = [4] };
        var setup = new ZeroShotExperiment.Setup(train.Source(transform), train.Source(transform), train.Embed(4), [4], options, dir);
        Assert.Contains("embedding", Assert.Throws<ArgumentException>(() => ZeroShotExperiment.Run(setup, cancellationToken: TestContext.Current.CancellationToken)).Message);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Labels_to_hold_out_are_spread_over_the_frequency_ranks_of_those_frequent_enough()
    {
        // Given labels 0..5 occurring 60, 50, 40, 30, 20, 10 times in training, and label 5 never in the test set
        var train = new LabelMatrixBuilder();
        for (int l = 0; l < 6; l++)
            for (int c = 0; c < 60 - 10 * l; c++) train.AddRow([l]);
        var test = new LabelMatrixBuilder();
        for (int l = 0; l < 5; l++) test.AddRow([l]);

        // Then holding out 3 with at least 15 occurrences takes the most frequent, the middle and the rarest candidates
        Assert.Equal([0, 2, 4], ZeroShotExperiment.ChooseLabels(train.Build(6), test.Build(6), 3, 15));
        var error = Assert.Throws<ArgumentException>(() => ZeroShotExperiment.ChooseLabels(train.Build(6), test.Build(6), 5, 35));
        Assert.Contains("only 3 labels occur at least 35 times", error.Message);
    }
}
