namespace LabelSphere.Evaluation;

/// <summary>How instance-wise metrics treat a test instance that carries no true label.</summary>
public enum EmptyInstances
{
    /// <summary>It counts, with P@k = nDCG@k = PSP@k = 0, as the Extreme Classification Repository does. The default.</summary>
    CountAsZero,
    /// <summary>It is left out of the instance-wise means.</summary>
    Skip,
}

/// <summary>
/// The open choices of the ranking metrics (docs/metrics.md). The defaults are the paper's depth of 100 for the
/// class-wise metrics and the cut-offs 1, 3, 5 of the extreme-classification literature for the instance-wise ones.
/// </summary>
public sealed record MetricsOptions
{
    /// <summary>The paper's depth: MAP@100 ranks the 100 instances that score highest for each class.</summary>
    public const int PaperDepth = 100;

    /// <summary>How many top-scoring instances each class keeps (the K of MAP@K and AP@K).</summary>
    public int Depth { get; init; } = PaperDepth;

    /// <summary>The k of P@k, nDCG@k and PSP@k, each at least 1 and at most the number of classes.</summary>
    public IReadOnlyList<int> Cutoffs { get; init; } = [1, 3, 5];

    /// <summary>Whether instances without true labels count in the instance-wise means.</summary>
    public EmptyInstances EmptyInstances { get; init; } = EmptyInstances.CountAsZero;

    /// <summary>Throws when a value is outside its range for <paramref name="classes"/> classes.</summary>
    public void Validate(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        if (Depth < 1) throw new ArgumentOutOfRangeException(nameof(Depth), Depth, $"depth must be at least 1, got {Depth}");
        ArgumentNullException.ThrowIfNull(Cutoffs);
        if (Cutoffs.Count == 0) throw new ArgumentException("at least one cut-off is needed", nameof(Cutoffs));
        foreach (var k in Cutoffs)
            if (k < 1 || k > classes)
                throw new ArgumentOutOfRangeException(nameof(Cutoffs), k, $"cut-offs must be between 1 and the number of classes ({classes}), got {k}");
        if (!Enum.IsDefined(EmptyInstances)) throw new ArgumentOutOfRangeException(nameof(EmptyInstances));
    }
}
