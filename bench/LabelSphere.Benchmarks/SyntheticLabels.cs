using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using LabelSphere.Data;

namespace LabelSphere.Benchmarks;

/// <summary>The shape of one synthetic annotation set; the same spec and seed always give the same label sets.</summary>
/// <param name="Labels">N, the number of labels.</param>
/// <param name="Instances">M, the number of instances.</param>
/// <param name="LabelsPerInstance">Mean size of a label set before duplicates are dropped.</param>
/// <param name="Topics">Number of topics the labels are split into; labels of one topic co-occur.</param>
/// <param name="Seed">Seed of the generator.</param>
public sealed record SyntheticSpec(int Labels, int Instances, double LabelsPerInstance, int Topics, int Seed)
{
    /// <summary>File name stem, e.g. <c>labels5000</c>.</summary>
    public string Name => $"labels{Labels}";
}

/// <summary>
/// Seeded synthetic label sets with realistic co-occurrence: label frequencies follow Zipf's law (weight 1/rank),
/// labels are split at random into topics, and each instance draws most of its labels from one or two topics
/// (picked in proportion to their mass) and the rest from the whole vocabulary.
/// </summary>
public static class SyntheticLabels
{
    const double TopicShare = 0.85;        // share of an instance's labels drawn from its own topics
    const double SecondTopicChance = 0.3;

    /// <summary>The annotation sets every benchmark and the Python peer use, by number of labels.</summary>
    public static readonly SyntheticSpec[] Catalog =
    [
        new(1000, 200_000, 8, 50, 1),
        new(2000, 200_000, 8, 100, 2),
        new(4000, 200_000, 8, 200, 4),
        new(5000, 200_000, 8, 250, 5),
    ];

    /// <summary>The catalogue's spec with <paramref name="labels"/> labels.</summary>
    public static SyntheticSpec Spec(int labels) =>
        Array.Find(Catalog, s => s.Labels == labels)
        ?? throw new ArgumentOutOfRangeException(nameof(labels), labels, $"no synthetic set with {labels} labels; the catalogue has {string.Join(", ", Catalog.Select(s => s.Labels))}");

    /// <summary>Names <c>label0</c> … <c>label{N-1}</c>.</summary>
    public static LabelVocabulary Vocabulary(int labels) =>
        new(Enumerable.Range(0, labels).Select(i => "label" + i.ToString(CultureInfo.InvariantCulture)));

    /// <summary>The label sets of <paramref name="spec"/>, [instances, labels] as CSR.</summary>
    public static LabelMatrix Generate(SyntheticSpec spec)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.Labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.Instances);
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.LabelsPerInstance, 1.0);
        if (spec.Topics < 1 || spec.Topics > spec.Labels)
            throw new ArgumentOutOfRangeException(nameof(spec), spec.Topics, $"topics must be between 1 and the number of labels ({spec.Labels}), got {spec.Topics}");
        var random = new Random(spec.Seed);
        int n = spec.Labels;

        // Rank r gets weight 1/(r+1); ranks are dealt to ids at random so that id order says nothing about frequency.
        var idOfRank = Enumerable.Range(0, n).ToArray();
        random.Shuffle(idOfRank);
        var weight = new double[n];
        for (int r = 0; r < n; r++) weight[idOfRank[r]] = 1.0 / (r + 1);
        var topicOf = new int[n];
        for (int i = 0; i < n; i++) topicOf[i] = random.Next(spec.Topics);
        // Every topic gets at least one label, so that no topic is empty.
        for (int t = 0; t < spec.Topics; t++) topicOf[idOfRank[t]] = t;

        var global = new Sampler(Enumerable.Range(0, n).ToArray(), weight);
        var members = new List<int>[spec.Topics];
        for (int t = 0; t < spec.Topics; t++) members[t] = [];
        for (int i = 0; i < n; i++) members[topicOf[i]].Add(i);
        var topics = members.Select(m => new Sampler([.. m], weight)).ToArray();

        var builder = new LabelMatrixBuilder();
        var row = new List<int>();
        Span<int> chosen = stackalloc int[2];
        for (int m = 0; m < spec.Instances; m++)
        {
            int size = Math.Min(1 + Poisson(random, spec.LabelsPerInstance - 1), n);
            int topicCount = random.NextDouble() < SecondTopicChance ? 2 : 1;
            for (int t = 0; t < topicCount; t++) chosen[t] = topicOf[global.Draw(random)];
            row.Clear();
            for (int attempt = 0; row.Count < size && attempt < 20 * size; attempt++)
            {
                int id = random.NextDouble() < TopicShare ? topics[chosen[random.Next(topicCount)]].Draw(random) : global.Draw(random);
                if (!row.Contains(id)) row.Add(id);
            }
            builder.AddRow(CollectionsMarshal.AsSpan(row));
        }
        return builder.Build(n);
    }

    /// <summary>
    /// Writes <paramref name="labels"/> in the Extreme Classification repository's text format without features:
    /// a header <c>M 0 N</c>, then one line of comma-separated 0-based label ids per instance (empty for none).
    /// </summary>
    public static void WriteExtremeText(string path, LabelMatrix labels)
    {
        var temporary = path + ".tmp";
        using (var writer = new StreamWriter(temporary, false, new UTF8Encoding(false), 1 << 20))
        {
            writer.NewLine = "\n";
            writer.WriteLine($"{labels.Rows} 0 {labels.Columns}");
            var line = new StringBuilder();
            for (int r = 0; r < labels.Rows; r++)
            {
                line.Clear();
                foreach (var id in labels.Row(r))
                {
                    if (line.Length > 0) line.Append(',');
                    line.Append(id.ToString(CultureInfo.InvariantCulture));
                }
                writer.WriteLine(line);
            }
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads a file written by <see cref="WriteExtremeText"/> (features, if any, are ignored).</summary>
    public static LabelMatrix ReadExtremeText(string path)
    {
        using var reader = new StreamReader(path);
        var header = reader.ReadLine()?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (header is not { Length: 3 } || !int.TryParse(header[0], out int rows) || !int.TryParse(header[2], out int columns))
            throw new InvalidDataException($"{path}:1: expected the header 'instances features labels'");
        var builder = new LabelMatrixBuilder();
        var row = new List<int>();
        for (int r = 0; r < rows; r++)
        {
            var line = reader.ReadLine() ?? throw new InvalidDataException($"{path}: the header promises {rows} instances, the file ends after {r}");
            int space = line.IndexOf(' ');
            var field = space >= 0 ? line[..space] : line;
            row.Clear();
            foreach (var part in field.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id >= columns)
                    throw new InvalidDataException($"{path}:{r + 2}: label id '{part}' is not an integer in 0..{columns - 1}");
                row.Add(id);
            }
            builder.AddRow(CollectionsMarshal.AsSpan(row));
        }
        return builder.Build(columns);
    }

    /// <summary>Whether two matrices hold the same rows over the same columns.</summary>
    public static bool SameRows(LabelMatrix a, LabelMatrix b) =>
        a.Columns == b.Columns && a.Offsets.SequenceEqual(b.Offsets) && a.Indices.SequenceEqual(b.Indices);

    // Knuth's method: fine for the small means used here.
    static int Poisson(Random random, double mean)
    {
        double limit = Math.Exp(-mean), product = random.NextDouble();
        int k = 0;
        while (product > limit)
        {
            k++;
            product *= random.NextDouble();
        }
        return k;
    }

    /// <summary>Draws one of a fixed set of ids with probability proportional to its weight (inverse CDF).</summary>
    sealed class Sampler
    {
        readonly int[] ids;
        readonly double[] cumulative;

        public Sampler(int[] ids, double[] weightOfId)
        {
            this.ids = ids;
            cumulative = new double[ids.Length];
            double sum = 0;
            for (int i = 0; i < ids.Length; i++) cumulative[i] = sum += weightOfId[ids[i]];
        }

        public int Draw(Random random)
        {
            double u = random.NextDouble() * cumulative[^1];
            int at = Array.BinarySearch(cumulative, u);
            if (at < 0) at = ~at;
            return ids[Math.Min(at, ids.Length - 1)];
        }
    }
}
