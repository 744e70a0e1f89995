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
}
