namespace LabelSphere.Synthetic;

/// <summary>Named sizes of synthetic worlds.</summary>
internal enum WorldPreset
{
    /// <summary>400 labels, 20,000 training and 5,000 test instances with 64 features: the demo's world, seconds to make.</summary>
    Small,
    /// <summary>The paper's embedding set (table 1): 17,355 labels, 1.22 labels per instance, median 115 occurrences per class, 2.8M instances.</summary>
    Embedding,
    /// <summary>The paper's evaluation set (table 1): 6,112 labels, 36.5 labels per instance.</summary>
    Evaluation,
}

/// <summary>
/// How a synthetic labelled world is made. Labels have Zipf-like frequencies (frequency ∝ rank^−s); most belong to
/// topics that bring groups of them along; some are parts that imply a whole, some near-synonyms of another label
/// that almost always come with it, some independent of everything. Instances have features drawn from their
/// topics and labels plus noise.
/// </summary>
internal sealed record WorldOptions
{
    /// <summary>Number of labels.</summary>
    public int Labels { get; init; } = 400;

    /// <summary>Training instances.</summary>
    public long Instances { get; init; } = 20_000;

    /// <summary>Test instances, written separately (0 for none).</summary>
    public long TestInstances { get; init; } = 5_000;

    /// <summary>Target mean number of labels per instance; the generator calibrates itself to it.</summary>
    public double LabelsPerInstance { get; init; } = 3.0;

    /// <summary>Exponent s of the label frequencies ∝ rank^−s (the embedding preset uses 0.64, which gives table 1's median of 115 occurrences per class).</summary>
    public double ZipfExponent { get; init; } = 0.61;

    /// <summary>Number of topics (scenes) that group labels; 0 picks one per 10 labels.</summary>
    public int Topics { get; init; }

    /// <summary>Probability that a label drawn after an instance's first comes from the same topic.</summary>
    public double TopicCoherence { get; init; } = 0.85;

    /// <summary>Share of labels that are near-synonyms of another label.</summary>
    public double SynonymShare { get; init; } = 0.05;

    /// <summary>Probability that a near-synonym comes along when its partner is drawn, and the other way round.</summary>
    public double SynonymProbability { get; init; } = 0.9;

    /// <summary>Share of labels that are parts implying a whole (wheel → car).</summary>
    public double PartShare { get; init; } = 0.10;

    /// <summary>Share of labels independent of everything: drawn on their own with their own frequency.</summary>
    public double IndependentShare { get; init; } = 0.05;

    /// <summary>Feature dimension (0 for label sets only).</summary>
    public int Features { get; init; } = 64;

    /// <summary>Standard deviation of the feature noise, against unit-scale topic and label signals.</summary>
    public double Noise { get; init; } = 1.0;

    /// <summary>Seed: the same seed and options give the same bytes.</summary>
    public long Seed { get; init; }

    /// <summary>The options of a preset.</summary>
    public static WorldOptions For(WorldPreset preset) => preset switch
    {
        WorldPreset.Small => new WorldOptions(),
        WorldPreset.Embedding => new WorldOptions
        {
            // With 1.22 labels per instance most instances carry one seed label; fewer synonyms and parts keep the
            // labels they imply from pushing the mean past 1.22 before any second seed is drawn.
            Labels = 17_355, Instances = 2_800_000, TestInstances = 0, LabelsPerInstance = 1.22, Features = 0,
            SynonymShare = 0.03, PartShare = 0.05, ZipfExponent = 0.64,
        },
        WorldPreset.Evaluation => new WorldOptions
        {
            Labels = 6_112, Instances = 200_000, TestInstances = 20_000, LabelsPerInstance = 36.5, Features = 128,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(preset), preset, "unknown preset"),
    };

    /// <summary>Throws when a value is outside its range.</summary>
    public void Validate()
    {
        if (Labels < 10) throw new ArgumentOutOfRangeException(nameof(Labels), Labels, "a world needs at least 10 labels");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Instances);
        ArgumentOutOfRangeException.ThrowIfNegative(TestInstances);
        if (!(LabelsPerInstance >= 1 && LabelsPerInstance <= Labels / 4.0))
            throw new ArgumentOutOfRangeException(nameof(LabelsPerInstance), LabelsPerInstance, $"labels per instance must be between 1 and a quarter of the labels ({Labels / 4.0}), got {LabelsPerInstance}");
        if (!(ZipfExponent >= 0 && ZipfExponent <= 3)) throw new ArgumentOutOfRangeException(nameof(ZipfExponent), ZipfExponent, "the Zipf exponent must be between 0 and 3");
        if (Topics < 0 || Topics > Labels) throw new ArgumentOutOfRangeException(nameof(Topics), Topics, $"topics must be between 0 (automatic) and the number of labels ({Labels})");
        foreach (var (name, value) in new[] { (nameof(TopicCoherence), TopicCoherence), (nameof(SynonymProbability), SynonymProbability) })
            if (!(value >= 0 && value <= 1)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be a probability in [0, 1]");
        if (!(SynonymShare >= 0 && PartShare >= 0 && IndependentShare >= 0 && SynonymShare + PartShare + IndependentShare <= 0.8))
            throw new ArgumentOutOfRangeException(nameof(SynonymShare), "synonym, part and independent shares must be non-negative and add up to at most 0.8");
        ArgumentOutOfRangeException.ThrowIfNegative(Features);
        if (!(Noise >= 0)) throw new ArgumentOutOfRangeException(nameof(Noise), Noise, "noise must be non-negative");
    }
}
