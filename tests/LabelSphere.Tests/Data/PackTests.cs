using LabelSphere.Data;
using LabelSphere.IO;
using LabelSphere.Tests.Training;
using LabelSphere.Training;
using static LabelSphere.Tests.Training.TrainerTests;

namespace LabelSphere.Tests.Data;

[Collection(TorchCollection.Name)]
[NoTensorLeaks]
public sealed class PackTests : IDisposable
{
    readonly string dir = TrainingFixtures.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    static readonly TrainingOptions Small = new()
    {
        Head = HeadKind.Sigmoid,
        Hidden = [16],
        Dropout = 0.2,
        BatchSize = 16,
        Steps = 40,
        LearningRate = 3e-3,
        EvalEvery = 0,
        LogEvery = 5,
        CheckpointEvery = 0,
        Seed = 11,
    };

    static AnnotationSet Annotations(TrainingFixtures.FeatureData data) =>
        new(data.Vocabulary, data.Labels, new ReadReport("synthetic", AnnotationFormat.ExtremeText, data.Count, 0, 0, []), data.Features);

    string WritePack(TrainingFixtures.FeatureData data, string name, int shardRows = Pack.DefaultShardRows)
    {
        var path = Path.Combine(dir, name);
        using var folder = OutputFolder.Open(path, Pack.Kind);
        Pack.Write(Annotations(data), null, folder, shardRows, cancellationToken: TestContext.Current.CancellationToken);
        return path;
    }

    static IInstanceSource PackSource(string path, TrainingOptions options)
    {
        var pack = PackData.Open(path);
        return pack.Split(pack.Annotations.Vocabulary, [], [], options).Train;
    }

    TrainingRun Run(IInstanceSource train, string name, bool resume = false) =>
        new() { Train = train, Options = Small, Output = Path.Combine(dir, name), Resume = resume };

    [Fact]
    public void A_pack_of_one_shard_trains_to_the_same_model_as_the_same_data_in_memory()
    {
        // Given synthetic data in memory and packed (fewer rows than a shard)
        var data = TrainingFixtures.Synthetic(200);
        var packed = PackSource(WritePack(data, "pack"), Small);
        var inMemory = data.Source(FeatureTransform.Fit(data.Features, Small.Scaling));
        AllowNetworks(2, Run(inMemory, "x"));

        // When the same run trains on each
        var fromMemory = Train(Run(inMemory, "memory"));
        var fromPack = Train(Run(packed, "pack-run"));

        // Then the losses and weights are the same to the bit (the pack's scaling is fitted from its recorded counts)
        Assert.Equal(fromMemory.Losses, fromPack.Losses);
        AssertSameWeights(fromMemory.ModelFolder!, fromPack.ModelFolder!);
        Assert.Equal(File.ReadAllBytes(Path.Combine(fromMemory.ModelFolder!, "idf.npy")), File.ReadAllBytes(Path.Combine(fromPack.ModelFolder!, "idf.npy")));
    }

    [Fact]
    public void A_run_on_a_pack_of_several_shards_stopped_and_resumed_ends_where_an_uninterrupted_run_ends()
    {
        // Given a pack of 200 instances in shards of 48 rows, and an uninterrupted run of 40 steps (over three epochs)
        var path = WritePack(TrainingFixtures.Synthetic(200), "pack", shardRows: 48);
        Assert.Equal(5, PackData.Open(path).Pack.Manifest.Shards.Count);
        AllowNetworks(3, Run(PackSource(path, Small), "x"));
        var whole = Train(Run(PackSource(path, Small), "whole"));

        // When the same run is cancelled after step 17 (mid-epoch, mid-shard) and resumed from a fresh opening of the pack
        using var cancel = new CancellationTokenSource();
        var stopped = Train(Run(PackSource(path, Small), "split"), new SyncProgress(p => { if (p.Step == 17) cancel.Cancel(); }), cancel);
        var resumed = Train(Run(PackSource(path, Small), "split", resume: true));

        // Then the two parts give the uninterrupted run's losses and weights
        Assert.False(stopped.Completed);
        Assert.Equal(17, stopped.Step);
        Assert.True(resumed.Completed && resumed.Resumed);
        Assert.Equal(whole.Losses, (float[])[.. stopped.Losses, .. resumed.Losses]);
        AssertSameWeights(whole.ModelFolder!, resumed.ModelFolder!);
    }

    [Fact]
    public void An_epoch_of_a_pack_visits_every_row_once_shard_by_shard_in_an_order_drawn_from_seed_and_epoch()
    {
        // Given a pack of 230 rows in shards of 50 (the last of 30)
        var pack = PackData.Open(WritePack(TrainingFixtures.Synthetic(230), "pack", shardRows: 50)).Pack;

        // When the orders of two epochs are drawn, and one again, and one after skipping 77 rows
        var first = pack.EpochOrder(Trainer.Mix(3, 0), 0).ToArray();
        var again = pack.EpochOrder(Trainer.Mix(3, 0), 0).ToArray();
        var second = pack.EpochOrder(Trainer.Mix(3, 1), 0).ToArray();
        var skipped = pack.EpochOrder(Trainer.Mix(3, 0), 77).ToArray();

        // Then each is a permutation of the rows, repeatable, different between epochs, resumable mid-epoch,
        // and its rows come one shard at a time (so only one shard is mapped at once)
        Assert.Equal(Enumerable.Range(0, 230), first.Order());
        Assert.Equal(first, again);
        Assert.NotEqual(first, second);
        Assert.Equal(first[77..], skipped);
        int changes = 0;
        for (int i = 1; i < first.Length; i++) if (pack.ShardOf(first[i]) != pack.ShardOf(first[i - 1])) changes++;
        Assert.Equal(4, changes);
        Assert.NotEqual(Enumerable.Range(0, 5), first.Select(pack.ShardOf).Distinct());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    public void Starting_an_epoch_of_a_pack_checks_the_shard_it_begins_with_before_a_batch_is_asked_for(int skip)
    {
        // Given a pack of 200 rows in shards of 48, with one byte changed in the shard where epoch 0 of seed 5 begins
        // after skipping `skip` rows (a run resumed mid-epoch begins there)
        var path = WritePack(TrainingFixtures.Synthetic(200), "pack", shardRows: 48);
        var pack = PackData.Open(path).Pack;
        int shard = pack.ShardOf(pack.EpochOrder(Trainer.Mix(5, 0), skip).First());
        var file = Path.Combine(path, pack.Manifest.Shards[shard].Features.Name);
        var bytes = File.ReadAllBytes(file);
        bytes[5] ^= 0x10;
        File.WriteAllBytes(file, bytes);
        var source = PackSource(path, Small);

        // When the epoch's batches are asked for, before any is made (a trainer times its steps from the first batch on),
        // then the changed shard is refused already, naming it
        var error = Assert.Throws<InvalidDataException>(() => source.EpochBatches(5, 0, skip, 16, TestContext.Current.CancellationToken));
        Assert.Contains(file, error.Message);
        Assert.Contains($"shard {shard},", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_file_packed_as_it_is_read_gives_the_same_pack_as_the_file_read_whole(bool featureNames)
    {
        // Given an Extreme Classification file of 53 rows (some without labels), with or without its features file
        var random = new Random(5);
        var lines = new List<string> { "53 6 5" };
        for (int r = 0; r < 53; r++)
        {
            var labels = Enumerable.Range(0, 5).Where(_ => random.NextDouble() < 0.3);
            var features = Enumerable.Range(0, 6).Where(_ => random.NextDouble() < 0.5).Select(f => $"{f}:{random.Next(1, 9) / 4.0}");
            lines.Add(string.Join(",", labels) + " " + string.Join(" ", features));
        }
        var path = Path.Combine(dir, "rows_data.txt");
        File.WriteAllLines(path, lines);
        if (featureNames) File.WriteAllLines(Path.Combine(dir, "rows_features.txt"), ["a", "b", "c", "d", "e", "f"]);

        // When it is packed read whole, and read 7 rows at a time
        var ct = TestContext.Current.CancellationToken;
        PackManifest whole, streamed;
        using (var folder = OutputFolder.Open(Path.Combine(dir, "whole"), Pack.Kind))
            whole = Pack.Write(AnnotationReader.Read(path), null, folder, 10, cancellationToken: ct);
        using (var stream = AnnotationReader.Open(path))
        using (var folder = OutputFolder.Open(Path.Combine(dir, "streamed"), Pack.Kind))
        {
            Assert.True(Pack.Streams(stream));
            streamed = Pack.Write(stream, folder, 10, cancellationToken: ct, chunkRows: 7);
        }

        // Then the two packs are the same, file for file, and the same to read
        Assert.Equal((whole.Rows, whole.Width, whole.EmptyRows, whole.FeatureNamesHash), (streamed.Rows, streamed.Width, streamed.EmptyRows, streamed.FeatureNamesHash));
        Assert.Equal(53, streamed.Rows);
        Assert.Equal(featureNames, streamed.FeatureNamesHash is not null);
        Assert.Equal(whole.Labels, streamed.Labels);
        Assert.Equal(whole.LabelCounts, streamed.LabelCounts);
        Assert.Equal(whole.DocumentFrequency, streamed.DocumentFrequency);
        Assert.Equal((whole.LabelOffsets.Sha256, whole.LabelIds.Sha256), (streamed.LabelOffsets.Sha256, streamed.LabelIds.Sha256));
        Assert.Equal(whole.Shards.Select(s => (s.Rows, s.Features.Sha256)), streamed.Shards.Select(s => (s.Rows, s.Features.Sha256)));
        Assert.Equal(6, streamed.Shards.Count);
    }

    [Fact]
    public void Text_and_LIBSVM_are_packed_from_memory_not_streamed()
    {
        // Given a file of text and a LIBSVM file, whose widths are known only once every row is read
        var text = Path.Combine(dir, "posts.tsv");
        File.WriteAllLines(text, ["salt\tsalty soup", "sugar\tsweet cake"]);
        var libsvm = Path.Combine(dir, "rows.svm");
        File.WriteAllLines(libsvm, ["0,1 1:0.5 3:1", "2 2:1"]);

        // Then neither streams, and asking to stream one is refused naming the file
        foreach (var (path, format) in new[] { (text, AnnotationFormat.Text), (libsvm, AnnotationFormat.Libsvm) })
        {
            using var stream = AnnotationReader.Open(path, new ReaderOptions { Format = format });
            Assert.False(Pack.Streams(stream));
            using var folder = OutputFolder.Open(Path.Combine(dir, "refused"), Pack.Kind);
            var error = Assert.Throws<ArgumentException>(() => Pack.Write(stream, folder, cancellationToken: TestContext.Current.CancellationToken));
            Assert.StartsWith(path, error.Message);
        }
    }

    [Fact]
    public void A_pack_stopped_while_it_was_written_leaves_no_folder_that_loads()
    {
        // Given data of 9,000 rows
        var data = TrainingFixtures.Synthetic(9000);
        var path = Path.Combine(dir, "pack");

        // When packing it is cancelled after the first rows
        using var cancel = new CancellationTokenSource();
        using (var folder = OutputFolder.Open(path, Pack.Kind))
            Assert.Throws<OperationCanceledException>(() =>
                Pack.Write(Annotations(data), null, folder, 1000, new SyncProgress<long>(_ => cancel.Cancel()), cancel.Token));

        // Then there is no pack there, and nothing beside it
        Assert.False(Pack.IsPack(path));
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
