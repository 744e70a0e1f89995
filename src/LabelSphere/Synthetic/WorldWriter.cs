using System.Globalization;
using System.Text;
using System.Text.Json;
using LabelSphere.IO;

namespace LabelSphere.Synthetic;

/// <summary>
/// Writes a synthetic world to a folder in the Extreme Classification text format: <c>train_data.txt</c> and
/// <c>test_data.txt</c> (first line <c>N F L</c>, then <c>l1,l2 f:v ...</c>), <c>train_labels.txt</c> and
/// <c>test_labels.txt</c> (names, one per line), and <c>truth.json</c>, the planted structure. Instances are made
/// in parallel blocks and written in order, so memory stays bounded whatever the size.
/// </summary>
internal static class WorldWriter
{
    const int Block = 8192;

    /// <summary>What <see cref="Write(LabelWorld, string, IProgress{long}?, CancellationToken)"/> writes, recognised by its truth.json beside its data.</summary>
    public static readonly OutputKind Kind = new("a synthetic world",
        folder => File.Exists(Path.Combine(folder, "truth.json")) && (File.Exists(Path.Combine(folder, "train_data.txt")) || File.Exists(Path.Combine(folder, "test_data.txt"))
                                                                      || Data.Pack.IsPack(Path.Combine(folder, "train")) || Data.Pack.IsPack(Path.Combine(folder, "test"))),
        ["train_data.txt", "test_data.txt", "train_labels.txt", "test_labels.txt", "truth.json", "train", "test"]);

    /// <summary>Writes <paramref name="world"/> to <paramref name="folder"/> (new or empty), reporting instances written.</summary>
    public static void Write(LabelWorld world, string folder, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        using var output = OutputFolder.Open(folder, Kind);
        Write(world, output, progress, cancellationToken);
    }

    /// <summary>Writes <paramref name="world"/> to <paramref name="output"/>, opened by the caller with <see cref="Kind"/>, reporting instances written.</summary>
    public static void Write(LabelWorld world, OutputFolder output, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write(temp =>
        {
            long done = 0;
            var names = world.Labels.Select(l => l.Name).ToArray();
            foreach (var (split, name, count) in new[] { (0, "train", world.Options.Instances), (1, "test", world.Options.TestInstances) })
            {
                if (count == 0) continue;
                File.WriteAllLines(Path.Combine(temp, $"{name}_labels.txt"), names);
                using var writer = new StreamWriter(Path.Combine(temp, $"{name}_data.txt"), false, new UTF8Encoding(false), 1 << 20);
                writer.NewLine = "\n";
                writer.WriteLine($"{count} {world.Options.Features} {world.Labels.Count}");
                int parallel = Math.Max(2, Environment.ProcessorCount * 2);
                var texts = new string[parallel];
                for (long start = 0; start < count; start += (long)Block * parallel)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    long batchStart = start;
                    int blocks = (int)Math.Min(parallel, (count - start + Block - 1) / Block);
                    Parallel.For(0, blocks, b => texts[b] = Render(world, split, batchStart + (long)b * Block, Math.Min(Block, count - batchStart - (long)b * Block)));
                    for (int b = 0; b < blocks; b++) writer.Write(texts[b]);
                    done += Math.Min((long)Block * parallel, count - start);
                    progress?.Report(done);
                }
            }
            File.WriteAllBytes(Path.Combine(temp, "truth.json"), JsonSerializer.SerializeToUtf8Bytes(Truth(world), TruthJson));
        });
    }

    /// <summary>
    /// Writes <paramref name="world"/> to <paramref name="output"/> (opened by the caller with <see cref="Kind"/>) as packs
    /// instead of text: <c>train/</c> and <c>test/</c> (<see cref="Data.Pack"/>, <paramref name="shardRows"/> rows a shard,
    /// <see cref="Data.Pack.ShardRowsFor"/> the width when null)
    /// and <c>truth.json</c>, features at full float32 precision (the text keeps four decimals). Instances are made in
    /// parallel blocks and written in order, so memory stays bounded whatever the size.
    /// </summary>
    public static void WritePacks(LabelWorld world, OutputFolder output, int? shardRows = null, IProgress<long>? progress = null,
                                  CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(output);
        int width = world.Options.Features;
        if (width == 0) throw new ArgumentException("a pack holds feature vectors, and the world has none (a feature dimension of 0)", nameof(WorldOptions.Features));
        if (world.Options.Instances > int.MaxValue || world.Options.TestInstances > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(WorldOptions.Instances), $"a pack holds at most {int.MaxValue:N0} instances");
        output.Write(temp =>
        {
            long done = 0;
            var vocabulary = new Data.LabelVocabulary(world.Labels.Select(l => l.Name).ToArray());
            int parallel = Math.Max(2, Environment.ProcessorCount * 2);
            var features = new float[parallel][];
            var labels = new List<int>[parallel][];
            for (int b = 0; b < parallel; b++)
            {
                features[b] = new float[Block * width];
                labels[b] = new List<int>[Block];
                for (int i = 0; i < Block; i++) labels[b][i] = [];
            }
            foreach (var (split, name, count) in new[] { (0, "train", world.Options.Instances), (1, "test", world.Options.TestInstances) })
            {
                if (count == 0) continue;
                var folder = Path.Combine(temp, name);
                Directory.CreateDirectory(folder);
                using var writer = new Data.PackWriter(folder, width, vocabulary.Count, shardRows ?? Data.Pack.ShardRowsFor(width));
                for (long start = 0; start < count; start += (long)Block * parallel)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    long batchStart = start;
                    int blocks = (int)Math.Min(parallel, (count - start + Block - 1) / Block);
                    Parallel.For(0, blocks, b =>
                    {
                        long first = batchStart + (long)b * Block;
                        int n = (int)Math.Min(Block, count - first);
                        for (int i = 0; i < n; i++) world.Sample(split, first + i, labels[b][i], features[b].AsSpan(i * width, width));
                    });
                    for (int b = 0; b < blocks; b++)
                    {
                        int n = (int)Math.Min(Block, count - batchStart - (long)b * Block);
                        for (int i = 0; i < n; i++)
                            writer.Add(features[b].AsSpan(i * width, width), System.Runtime.InteropServices.CollectionsMarshal.AsSpan(labels[b][i]));
                    }
                    done += Math.Min((long)Block * parallel, count - start);
                    progress?.Report(done);
                }
                writer.Complete(vocabulary, $"synthetic world, seed {world.Options.Seed}, {name}", null, null);
            }
            File.WriteAllBytes(Path.Combine(temp, "truth.json"), JsonSerializer.SerializeToUtf8Bytes(Truth(world), TruthJson));
        });
    }

    static string Render(LabelWorld world, int split, long first, long count)
    {
        var text = new StringBuilder((int)count * (16 + world.Options.Features * 10));
        var labels = new List<int>();
        var features = new float[world.Options.Features];
        for (long i = first; i < first + count; i++)
        {
            world.Sample(split, i, labels, features);
            for (int k = 0; k < labels.Count; k++)
            {
                if (k > 0) text.Append(',');
                text.Append(labels[k].ToString(CultureInfo.InvariantCulture));
            }
            for (int c = 0; c < features.Length; c++)
                text.Append(' ').Append(c.ToString(CultureInfo.InvariantCulture)).Append(':').Append(features[c].ToString("0.####", CultureInfo.InvariantCulture));
            text.Append('\n');
        }
        return text.ToString();
    }

    static readonly JsonSerializerOptions TruthJson = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new IO.KebabEnumConverter() },
    };

    /// <summary>The planted structure as the truth file records it.</summary>
    public sealed record WorldTruth(
        WorldOptions Options, int Topics, double SeedRate, IReadOnlyList<PlantedLabel> Labels,
        IReadOnlyList<int[]> SynonymPairs, IReadOnlyList<int[]> PartOf, IReadOnlyList<int> Independent);

    /// <summary>The structure of <paramref name="world"/>: synonym pairs, (part, whole) pairs, independent labels.</summary>
    public static WorldTruth Truth(LabelWorld world)
    {
        var labels = world.Labels;
        var synonyms = new List<int[]>();
        var parts = new List<int[]>();
        var solo = new List<int>();
        for (int i = 0; i < labels.Count; i++)
        {
            switch (labels[i].Role)
            {
                case LabelRole.Synonym: synonyms.Add([labels[i].Partner, i]); break;
                case LabelRole.Part: parts.Add([i, labels[i].Partner]); break;
                case LabelRole.Independent: solo.Add(i); break;
                case LabelRole.Topic: break;
            }
        }
        return new WorldTruth(world.Options, world.Topics, world.SeedRate, labels, synonyms, parts, solo);
    }
}
