using System.Security.Cryptography;
using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.Synthetic;

namespace LabelSphere.Tests.Synthetic;

public sealed class LabelWorldTests(ITestOutputHelper output)
{
    static readonly WorldOptions Tiny = new() { Labels = 200, Instances = 3000, TestInstances = 500, Features = 8, Seed = 7 };

    static string Hash(string folder) => string.Join(",", Directory.GetFiles(folder).Order().Select(f =>
        Path.GetFileName(f) + ":" + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))));

    [Fact]
    public void The_same_seed_gives_the_same_bytes_and_another_seed_other_bytes()
    {
        var root = Path.Combine(Path.GetTempPath(), "labelsphere-world-" + Guid.NewGuid().ToString("N"));
        try
        {
            // Given the same options written twice, and once with another seed
            WorldWriter.Write(LabelWorld.Create(Tiny), Path.Combine(root, "a"), cancellationToken: TestContext.Current.CancellationToken);
            WorldWriter.Write(LabelWorld.Create(Tiny), Path.Combine(root, "b"), cancellationToken: TestContext.Current.CancellationToken);
            WorldWriter.Write(LabelWorld.Create(Tiny with { Seed = 8 }), Path.Combine(root, "c"), cancellationToken: TestContext.Current.CancellationToken);

            // Then the first two are identical file for file, and the third differs
            Assert.Equal(Hash(Path.Combine(root, "a")), Hash(Path.Combine(root, "b")));
            Assert.NotEqual(Hash(Path.Combine(root, "a")), Hash(Path.Combine(root, "c")));
            Assert.Equal(5, Directory.GetFiles(Path.Combine(root, "a")).Length);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_written_world_reads_back_with_the_extreme_text_reader()
    {
        var folder = Path.Combine(Path.GetTempPath(), "labelsphere-world-" + Guid.NewGuid().ToString("N"));
        try
        {
            var world = LabelWorld.Create(Tiny);
            WorldWriter.Write(world, folder, cancellationToken: TestContext.Current.CancellationToken);
            var data = AnnotationReader.Read(Path.Combine(folder, "train_data.txt"));
            Assert.Equal(3000, data.Count);
            Assert.Equal(200, data.Vocabulary.Count);
            Assert.Equal(world.Labels[5].Name, data.Vocabulary[5]);
            Assert.Equal(8, data.Features!.Columns);
            var labels = new List<int>();
            world.Sample(0, 17, labels, []);
            Assert.Equal(labels, data.Labels.Row(17).ToArray());
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
    }

    static (double LabelsPerInstance, double MedianPerClass) Statistics(LabelWorld world)
    {
        long n = world.Options.Instances;
        var counts = new long[world.Labels.Count];
        long total = 0;
        var gate = new Lock();
        Parallel.For(0, Environment.ProcessorCount, part =>
        {
            var local = new long[counts.Length];
            var labels = new List<int>();
            long localTotal = 0;
            for (long i = part; i < n; i += Environment.ProcessorCount)
            {
                world.Sample(0, i, labels, []);
                localTotal += labels.Count;
                foreach (var l in labels) local[l]++;
            }
            lock (gate)
            {
                total += localTotal;
                for (int l = 0; l < counts.Length; l++) counts[l] += local[l];
            }
        });
        Array.Sort(counts);
        double median = counts.Length % 2 == 1 ? counts[counts.Length / 2] : (counts[counts.Length / 2 - 1] + counts[counts.Length / 2]) / 2.0;
        return ((double)total / n, median);
    }

    [Fact]
    public void The_embedding_preset_matches_table_1_within_3_percent()
    {
        // Given the paper's embedding set: 17,355 labels, 1.22 labels per instance, median 115 occurrences per class
        var world = LabelWorld.Create(WorldOptions.For(WorldPreset.Embedding));

        // When its 2.8M instances are drawn and counted
        var (perInstance, median) = Statistics(world);
        output.WriteLine($"labels per instance {perInstance:F4}, median occurrences per class {median}");

        // Then both statistics are within 3% of the paper's
        Assert.InRange(perInstance, 1.22 * 0.97, 1.22 * 1.03);
        Assert.InRange(median, 115 * 0.97, 115 * 1.03);
    }

    [Fact]
    public void The_evaluation_preset_has_36_5_labels_per_instance_within_3_percent()
    {
        var world = LabelWorld.Create(WorldOptions.For(WorldPreset.Evaluation) with { Instances = 50_000 });
        var (perInstance, _) = Statistics(world);
        output.WriteLine($"labels per instance {perInstance:F3}");
        Assert.InRange(perInstance, 36.5 * 0.97, 36.5 * 1.03);
    }
}

[Collection(TorchCollection.Name)]
[NoTensorLeaks]
public sealed class PlantedStructureTests(ITestOutputHelper output)
{
    [Fact]
    public void The_embedding_recovers_the_planted_structure()
    {
        // Given the small world's training set and its embedding
        var world = LabelWorld.Create(WorldOptions.For(WorldPreset.Small));
        var builder = new LabelMatrixBuilder();
        var labels = new List<int>();
        for (long i = 0; i < world.Options.Instances; i++)
        {
            world.Sample(0, i, labels, []);
            builder.AddSortedRow(labels.ToArray());
        }
        var vocabulary = new LabelVocabulary(world.Labels.Select(l => l.Name));
        var e = LabelEmbedding.Fit(CooccurrenceCounts.Count(vocabulary, builder.Build(vocabulary.Count), TestContext.Current.CancellationToken),
            new EmbeddingOptions { Dimension = 64 }, cancellationToken: TestContext.Current.CancellationToken);
        var truth = WorldWriter.Truth(world);

        // Then a synonym's nearest label is almost always its partner
        int synonymsNearest = truth.SynonymPairs.Count(p => e.Nearest(vocabulary[p[1]], 1)[0].Id == p[0]);
        // and a part's whole is among its 5 nearest labels
        int wholesNear = truth.PartOf.Count(p => e.Nearest(vocabulary[p[0]], 5).Any(s => s.Id == p[1]));
        // and independent labels are near zero proximity to everything, far below topic-mates
        double soloProximity = truth.Independent.Average(i => Enumerable.Range(0, e.Labels).Where(j => j != i).Average(j => Math.Abs(e.Proximity(i, j))));
        var topicLabels = Enumerable.Range(0, e.Labels).Where(i => world.Labels[i].Role == LabelRole.Topic).ToArray();
        double mateProximity = topicLabels.Average(i => topicLabels.Where(j => j != i && world.Labels[j].Topic == world.Labels[i].Topic).DefaultIfEmpty(i).Average(j => j == i ? 0 : e.Proximity(i, j)));
        output.WriteLine($"synonyms nearest {synonymsNearest}/{truth.SynonymPairs.Count}, wholes in top 5 {wholesNear}/{truth.PartOf.Count}, |cos| of independent labels {soloProximity:F3}, cos of topic-mates {mateProximity:F3}");

        Assert.True(synonymsNearest >= 0.9 * truth.SynonymPairs.Count, $"{synonymsNearest} of {truth.SynonymPairs.Count}");
        Assert.True(wholesNear >= 0.8 * truth.PartOf.Count, $"{wholesNear} of {truth.PartOf.Count}");
        Assert.True(soloProximity < 0.1, $"{soloProximity}");
        Assert.True(mateProximity > 3 * soloProximity, $"{mateProximity} against {soloProximity}");
    }
}
