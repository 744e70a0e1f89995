using System.Diagnostics;

namespace LabelSphere.Synthetic;

/// <summary>What a label is in a synthetic world.</summary>
internal enum LabelRole
{
    /// <summary>A member of a topic: drawn with its topic-mates.</summary>
    Topic,
    /// <summary>A near-synonym of <see cref="PlantedLabel.Partner"/>: the two almost always come together.</summary>
    Synonym,
    /// <summary>A part of <see cref="PlantedLabel.Partner"/>: whenever the part is there, so is the whole.</summary>
    Part,
    /// <summary>Independent of every other label.</summary>
    Independent,
}

/// <summary>One label of a synthetic world and the structure planted around it.</summary>
/// <param name="Name">Its name; names show the structure (topic3-label7, topic3-label7-syn, topic3-label2-part1, solo12).</param>
/// <param name="Role">What it is.</param>
/// <param name="Topic">Its topic, or −1 for an independent label.</param>
/// <param name="Partner">The label it is a synonym of or a part of, or −1.</param>
/// <param name="Weight">Its relative frequency, ∝ (rank + 1)^−s.</param>
internal sealed record PlantedLabel(string Name, LabelRole Role, int Topic, int Partner, double Weight);

/// <summary>
/// A seeded synthetic multi-label world: labels, their planted structure, and a generator of instances (label
/// sets and features). Instance i of a split is a pure function of (seed, split, i), so worlds of any size can be
/// streamed to disk in parallel and come out byte for byte the same.
/// </summary>
internal sealed class LabelWorld
{
    const double PartImpliesWhole = 0.95;
    readonly AliasTable seeds;
    readonly AliasTable[] topicSeeds;
    readonly AliasTable? independents;
    readonly double independentRate;
    readonly int[] synonymOf;          // both directions; −1 when none
    readonly float[] topicVectors;     // [topics, features]
    readonly float[] labelVectors;     // [labels, features]

    /// <summary>The options it was made with.</summary>
    public WorldOptions Options { get; }

    /// <summary>The labels, by id; ids are frequency ranks, 0 the most frequent.</summary>
    public IReadOnlyList<PlantedLabel> Labels { get; }

    /// <summary>Number of topics.</summary>
    public int Topics { get; }

    /// <summary>Mean of the Poisson number of extra seed labels, calibrated to <see cref="WorldOptions.LabelsPerInstance"/>.</summary>
    public double SeedRate { get; }

    LabelWorld(WorldOptions options, PlantedLabel[] labels, int topics)
    {
        Options = options;
        Labels = labels;
        Topics = topics;
        int n = labels.Length;
        synonymOf = Enumerable.Repeat(-1, n).ToArray();
        for (int i = 0; i < n; i++)
            if (labels[i].Role == LabelRole.Synonym)
            {
                synonymOf[i] = labels[i].Partner;
                synonymOf[labels[i].Partner] = i;
            }
        var seedable = Enumerable.Range(0, n).Where(i => labels[i].Role != LabelRole.Independent).ToArray();
        seeds = new AliasTable(seedable, i => labels[i].Weight);
        topicSeeds = new AliasTable[topics];
        for (int t = 0; t < topics; t++)
        {
            var members = seedable.Where(i => labels[i].Topic == t).ToArray();
            topicSeeds[t] = members.Length > 0 ? new AliasTable(members, i => labels[i].Weight) : seeds;
        }
        var solo = Enumerable.Range(0, n).Where(i => labels[i].Role == LabelRole.Independent).ToArray();
        double total = labels.Sum(l => l.Weight);
        if (solo.Length > 0)
        {
            independents = new AliasTable(solo, i => labels[i].Weight);
            // An independent label's probability per instance is its share of all label occurrences.
            independentRate = solo.Sum(i => labels[i].Weight) / total * options.LabelsPerInstance;
        }

        var structure = new SplitMix(options.Seed, 3, 0);
        int f = options.Features;
        topicVectors = new float[(long)topics * f];
        labelVectors = new float[(long)n * f];
        for (int i = 0; i < topicVectors.Length; i++) topicVectors[i] = (float)structure.NextGaussian();
        for (int i = 0; i < labelVectors.Length; i++) labelVectors[i] = (float)structure.NextGaussian();
        SeedRate = Calibrate();
    }

    /// <summary>Builds the world's labels and structure from its seed, and calibrates the label count per instance.</summary>
    public static LabelWorld Create(WorldOptions options)
    {
        options.Validate();
        int n = options.Labels;
        int topics = options.Topics > 0 ? options.Topics : Math.Max(2, n / 10);
        var random = new SplitMix(options.Seed, 2, 0);
        var weight = new double[n];
        for (int r = 0; r < n; r++) weight[r] = Math.Pow(r + 1, -options.ZipfExponent);

        // Roles: label 0..n-1 by frequency rank; the special roles are spread over all ranks.
        var roles = new LabelRole[n];
        var order = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        int independent = (int)(options.IndependentShare * n), synonyms = (int)(options.SynonymShare * n), parts = (int)(options.PartShare * n);
        int cursor = 0;
        for (; cursor < independent; cursor++) roles[order[cursor]] = LabelRole.Independent;
        for (int end = cursor + synonyms; cursor < end; cursor++) roles[order[cursor]] = LabelRole.Synonym;
        for (int end = cursor + parts; cursor < end; cursor++) roles[order[cursor]] = LabelRole.Part;
        roles[0] = roles[0] == LabelRole.Independent ? LabelRole.Independent : LabelRole.Topic;

        var topic = new int[n];
        var partner = Enumerable.Repeat(-1, n).ToArray();
        for (int i = 0; i < n; i++) topic[i] = roles[i] == LabelRole.Independent ? -1 : random.NextInt(topics);
        var taken = new bool[n];
        for (int i = 0; i < n; i++)
        {
            if (roles[i] == LabelRole.Synonym)
            {
                // The partner is the nearest topic label in frequency rank that has no synonym yet.
                int p = NearestTopicLabel(roles, taken, i);
                if (p < 0) { roles[i] = LabelRole.Topic; continue; }
                partner[i] = p;
                taken[p] = true;
                topic[i] = topic[p];
            }
            else if (roles[i] == LabelRole.Part)
            {
                // The whole is a more frequent topic label of the same topic, when there is one.
                int w = -1;
                for (int j = i - 1; j >= 0 && w < 0; j--) if (roles[j] == LabelRole.Topic && topic[j] == topic[i]) w = j;
                if (w < 0) { roles[i] = LabelRole.Topic; continue; }
                partner[i] = w;
            }
        }
        var labels = new PlantedLabel[n];
        var partCount = new int[n];
        int soloCount = 0;
        for (int i = 0; i < n; i++)
        {
            string name = roles[i] switch
            {
                LabelRole.Topic => $"topic{topic[i]}-label{i}",
                LabelRole.Synonym => $"topic{topic[i]}-label{partner[i]}-syn",
                LabelRole.Part => $"topic{topic[i]}-label{partner[i]}-part{++partCount[partner[i]]}",
                LabelRole.Independent => $"solo{soloCount++}",
                _ => throw new UnreachableException(),
            };
            labels[i] = new PlantedLabel(name, roles[i], topic[i], partner[i], weight[i]);
        }
        return new LabelWorld(options, labels, topics);
    }

    static int NearestTopicLabel(LabelRole[] roles, bool[] taken, int i)
    {
        for (int d = 1; d < roles.Length; d++)
            foreach (var j in new[] { i - d, i + d })
                if (j >= 0 && j < roles.Length && roles[j] == LabelRole.Topic && !taken[j]) return j;
        return -1;
    }

    /// <summary>
    /// The label set of instance <paramref name="index"/> of a split (0 training, 1 test), sorted and distinct,
    /// and its features when <paramref name="features"/> is not empty (length <see cref="WorldOptions.Features"/>).
    /// </summary>
    public void Sample(int split, long index, List<int> labels, Span<float> features) => Sample(split, index, labels, features, SeedRate);

    void Sample(int split, long index, List<int> labels, Span<float> features, double seedRate)
    {
        var random = new SplitMix(Options.Seed, split, index);
        labels.Clear();
        int first = seeds.Draw(ref random);
        int homeTopic = Labels[first].Topic;
        labels.Add(first);
        int extra = random.NextPoisson(seedRate);
        for (int s = 0; s < extra; s++)
            labels.Add(random.NextDouble() < Options.TopicCoherence ? topicSeeds[homeTopic].Draw(ref random) : seeds.Draw(ref random));
        int drawn = labels.Count;
        for (int k = 0; k < drawn; k++)
        {
            int l = labels[k];
            if (Labels[l].Role == LabelRole.Part && random.NextDouble() < PartImpliesWhole) labels.Add(Labels[l].Partner);
            if (synonymOf[l] >= 0 && random.NextDouble() < Options.SynonymProbability) labels.Add(synonymOf[l]);
        }
        if (independents is not null)
        {
            int solo = random.NextPoisson(independentRate);
            for (int k = 0; k < solo; k++) labels.Add(independents.Draw(ref random));
        }
        labels.Sort();
        for (int k = labels.Count - 1; k > 0; k--) if (labels[k] == labels[k - 1]) labels.RemoveAt(k);
        if (features.IsEmpty) return;

        // Features: each distinct topic of the instance and each of its labels is a fixed random direction; their
        // sum is scaled to unit variance per coordinate, and noise is added.
        int f = Options.Features;
        features.Clear();
        Span<int> topics = labels.Count <= 256 ? stackalloc int[labels.Count] : new int[labels.Count];
        int distinct = 0;
        foreach (var l in labels)
        {
            int t = Labels[l].Topic;
            if (t >= 0 && !topics[..distinct].Contains(t)) topics[distinct++] = t;
        }
        float scale = (float)(1.0 / Math.Sqrt(labels.Count + distinct));
        foreach (var l in labels)
        {
            var label = labelVectors.AsSpan(l * f, f);
            for (int c = 0; c < f; c++) features[c] += label[c] * scale;
        }
        foreach (var t in topics[..distinct])
        {
            var centre = topicVectors.AsSpan(t * f, f);
            for (int c = 0; c < f; c++) features[c] += centre[c] * scale;
        }
        for (int c = 0; c < f; c++) features[c] += (float)(Options.Noise * random.NextGaussian());
    }

    // The mean label count grows with the seed rate; bisection on a fixed sample finds the rate that meets the target.
    double Calibrate()
    {
        const int sample = 20_000;
        double target = Options.LabelsPerInstance;
        double low = 0, high = Math.Max(1, 2 * target);
        var labels = new List<int>();
        double Mean(double rate)
        {
            long total = 0;
            for (int i = 0; i < sample; i++)
            {
                Sample(2, i, labels, [], rate);
                total += labels.Count;
            }
            return (double)total / sample;
        }
        if (Mean(0) >= target) return 0;
        while (Mean(high) < target && high < 10 * Options.Labels) high *= 2;
        for (int iteration = 0; iteration < 40 && high - low > 1e-6 * high; iteration++)
        {
            double mid = (low + high) / 2;
            if (Mean(mid) < target) low = mid;
            else high = mid;
        }
        return (low + high) / 2;
    }
}
