using LabelSphere.Data;
using LabelSphere.Evaluation;
using LabelSphere.Tests.Training;
using LabelSphere.Training;

namespace LabelSphere.Tests.Evaluation;

[Collection(TorchCollection.Name)]
public sealed class ComparisonRunnerTests : IDisposable
{
    readonly string dir = TrainingFixtures.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    /// <summary>A source that records the instances of every training batch it hands out, in order.</summary>
    sealed class RecordingSource(IInstanceSource inner) : IInstanceSource
    {
        public List<int[]> TrainingBatches { get; } = [];

        public int Count => inner.Count;

        public LabelVocabulary Vocabulary => inner.Vocabulary;

        public LabelMatrix Labels => inner.Labels;

        public long[] InputShape => inner.InputShape;

        public IEnumerable<InstanceBatch> Batches(int[] order, int batchSize, bool augment, int seed, CancellationToken cancellationToken = default)
        {
            foreach (var batch in inner.Batches(order, batchSize, augment, seed, cancellationToken))
            {
                if (augment) TrainingBatches.Add(batch.Indices);
                yield return batch;
            }
        }
    }

    [Fact]
    public void Every_head_trains_on_the_same_batches_in_the_same_order_and_never_on_the_validation_split()
    {
        // Given training data that records its batches, a 20% validation split and three heads next to the baseline
        var data = TrainingFixtures.Synthetic(300);
        var test = TrainingFixtures.Synthetic(80, seed: 42);
        var transform = FeatureTransform.Fit(data.Features, FeatureScaling.None);
        var train = new RecordingSource(data.Source(transform));
        var options = new TrainingOptions { Hidden = [16], BatchSize = 32, Steps = 25, EvalEvery = 10, LogEvery = 5, CheckpointEvery = 0, Seed = 4, Keep = KeepKind.Best };
        var setup = new ComparisonRunner.Setup(train, test.Source(transform), [data.Embed(4)], options, dir, ClassWeights.FromLabels(data.Labels))
        {
            Heads = [HeadKind.Embedding, HeadKind.CosineLogit, HeadKind.Joint],
            ValidationShare = 0.2,
        };

        // When the comparison runs
        var result = ComparisonRunner.Run(setup, cancellationToken: TestContext.Current.CancellationToken);

        // Then four models trained 25 steps each, each on the same 25 batches of the same instances in the same order,
        Assert.Equal(["sigmoid", "embedding k=4", "cosine-logit k=4", "joint k=4"], result.Models.Select(m => m.Name));
        Assert.Equal(4 * 25, train.TrainingBatches.Count);
        var first = train.TrainingBatches.Take(25).ToArray();
        for (int model = 1; model < 4; model++)
            Assert.Equal(first, train.TrainingBatches.Skip(25 * model).Take(25).ToArray());
        // none of which is in the validation split, which is the seeded one
        var (_, validation) = InstanceSources.SplitRows(300, 0.2, options.Seed);
        Assert.Empty(first.SelectMany(b => b).Intersect(validation));
        Assert.Equal(300 - validation.Length, first.SelectMany(b => b).Distinct().Count());
        // and each is reported at the weights it kept, measured on the test set at that step
        foreach (var model in result.Models)
        {
            Assert.Equal([10, 20, 25], model.Curve.Select(p => p.Step));
            Assert.Equal(model.Training.KeptStep, model.Final.Step);
            Assert.Equal(25, model.Training.Step);
        }
    }

    [Fact]
    public void A_tuning_grid_trains_every_model_once_per_setting_and_keeps_the_setting_best_on_validation()
    {
        // Given a comparison of the baseline and the joint head over a grid of three learning rates and two dropouts
        var data = TrainingFixtures.Synthetic(300);
        var test = TrainingFixtures.Synthetic(80, seed: 42);
        var transform = FeatureTransform.Fit(data.Features, FeatureScaling.None);
        var (train, testSource) = (data.Source(transform), test.Source(transform));
        var options = new TrainingOptions { Hidden = [16], BatchSize = 32, Steps = 30, EvalEvery = 10, LogEvery = 5, CheckpointEvery = 0, Seed = 3, Keep = KeepKind.Best, Scaling = FeatureScaling.None };
        var grid = (from lr in new[] { 1e-4, 3e-3, 3e-2 } from dropout in new[] { 0.0, 0.5 }
                    select new TuningSetting($"lr {lr}, dropout {dropout}", options with { LearningRate = lr, Dropout = dropout }, train, testSource)).ToArray();
        var embedding = data.Embed(4);
        var setup = new ComparisonRunner.Setup(train, testSource, [embedding], options, Path.Combine(dir, "tuned"), ClassWeights.FromLabels(data.Labels))
        {
            Heads = [HeadKind.Joint],
            ValidationShare = 0.2,
            Grid = grid,
        };

        // When the comparison runs
        var result = ComparisonRunner.Run(setup, cancellationToken: TestContext.Current.CancellationToken);

        // Then each model has one row per setting, in the grid's order, and chose the one with the best validation score
        Assert.Equal(2 * grid.Length, result.Tuning.Count);
        foreach (var model in result.Models)
        {
            var rows = result.Tuning.Where(r => r.Model == model.Name).ToArray();
            Assert.Equal(grid.Select(g => g.Label), rows.Select(r => r.Setting));
            var chosen = Assert.Single(rows, r => r.Chosen);
            Assert.Equal(rows.Max(r => r.Validation), chosen.Validation);
            Assert.Equal(chosen.Setting, model.Setting);
            Assert.Equal(chosen.KeptStep, model.Final.Step);
            Assert.Equal(chosen.Validation, model.Training.Validation!.Selection);
            // the settings differ (the smallest rate barely moves the model), so the choice is not the first by default
            Assert.True(rows.Select(r => r.Validation).Distinct().Count() > 1);
        }
        // and only the chosen runs' folders are kept, under the models' own names
        Assert.Equal(["joint-k-4", "sigmoid"], Directory.GetDirectories(Path.Combine(dir, "tuned")).Select(Path.GetFileName).Order());
        Assert.StartsWith(Path.Combine(dir, "tuned", "sigmoid"), result.Baseline.Training.ModelFolder);
        Assert.True(Directory.Exists(result.Baseline.Training.ModelFolder));

        // and the chosen model is the run of its setting alone: training that setting without a grid gives the same curve
        var chosenSetting = grid.Single(g => g.Label == result.Baseline.Setting);
        var alone = ComparisonRunner.Run(new ComparisonRunner.Setup(train, testSource, [embedding], chosenSetting.Options, Path.Combine(dir, "alone"), setup.ClassWeights)
        {
            Heads = [],
            ValidationShare = 0.2,
        }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(result.Baseline.Curve.Select(p => p.WeightedPaperMap), alone.Baseline.Curve.Select(p => p.WeightedPaperMap));
        Assert.Equal(result.Baseline.Final.Step, alone.Baseline.Final.Step);
        Assert.Empty(alone.Tuning);
    }

    [Fact]
    public void A_tuning_grid_without_a_validation_split_is_refused()
    {
        var data = TrainingFixtures.Synthetic(60);
        var transform = FeatureTransform.Fit(data.Features, FeatureScaling.None);
        var source = data.Source(transform);
        var options = new TrainingOptions { Hidden = [8], Steps = 2, CheckpointEvery = 0 };
        var setup = new ComparisonRunner.Setup(source, source, [], options, dir, null)
        {
            Heads = [],
            Grid = [new TuningSetting("lr 0.001", options, source, source), new TuningSetting("lr 0.01", options with { LearningRate = 0.01 }, source, source)],
        };
        var e = Assert.Throws<ArgumentException>(() => ComparisonRunner.Run(setup, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("chooses each model's setting on the validation split", e.Message);
        Assert.Empty(Directory.GetDirectories(dir));
    }
}
