namespace LabelSphere.Embedding;

/// <summary>What PMI(i, j) becomes for a pair never seen together, where log 0 = −∞.</summary>
public enum UnseenPairs
{
    /// <summary>0: the pair is treated as independent, as sparse PMI matrices (Levy and Goldberg) do. The default.</summary>
    Zero,
    /// <summary>The PMI the pair would have had with half an observation, a finite "less than once" value.</summary>
    HalfCount,
    /// <summary>The smallest PMI among the pairs seen together: never seen counts as the strongest avoidance observed.</summary>
    MinObserved,
}

/// <summary>What the diagonal PMI(i, i) holds.</summary>
public enum DiagonalMode
{
    /// <summary>PMI(i, i) = log p(i)/p(i)² = −log p(i), the label's self-information: the paper's formula applied as written. The default.</summary>
    SelfInformation,
    /// <summary>0: a label's relation to itself carries no information.</summary>
    Zero,
    /// <summary>The largest off-diagonal PMI of the label's row, so that a label is at least as close to itself as to any other.</summary>
    RowMax,
}

/// <summary>Which association measure fills the matrix.</summary>
public enum PmiMeasure
{
    /// <summary>PMI(i, j) = log p(i, j) / (p(i) p(j)), as in the paper.</summary>
    Pmi,
    /// <summary>Normalised PMI (Bouma 2009): PMI / −log p(i, j), in [−1, 1]; −1 for unseen pairs, 1 on the diagonal.</summary>
    Normalized,
}

/// <summary>
/// Every open choice in turning counts into a PMI matrix. The defaults reproduce the paper's formula, with the
/// choices it leaves open (unseen pairs, the diagonal) made as docs/embedding.md explains.
/// </summary>
public sealed record PmiOptions
{
    /// <summary>Association measure.</summary>
    public PmiMeasure Measure { get; init; } = PmiMeasure.Pmi;

    /// <summary>Value of pairs never seen together.</summary>
    public UnseenPairs Unseen { get; init; } = UnseenPairs.Zero;

    /// <summary>What the diagonal holds.</summary>
    public DiagonalMode Diagonal { get; init; } = DiagonalMode.SelfInformation;

    /// <summary>Clip negative values to 0 after the shift (positive PMI).</summary>
    public bool Positive { get; init; }

    /// <summary>Subtract log(<see cref="Shift"/>) from every off-diagonal value (shifted PMI, Levy and Goldberg); 1 is no shift.</summary>
    public double Shift { get; init; } = 1.0;

    /// <summary>
    /// Context-distribution smoothing: the marginals become c(i)^α / Σ c^α on both sides, which keeps the matrix
    /// symmetric and raises rare labels' probabilities (word2vec uses 0.75); 1 is no smoothing.
    /// </summary>
    public double Alpha { get; init; } = 1.0;

    /// <summary>Throws when a value is outside its range.</summary>
    public void Validate()
    {
        if (!(Shift >= 1.0) || double.IsInfinity(Shift)) throw new ArgumentOutOfRangeException(nameof(Shift), Shift, "shift must be a finite number of at least 1 (1 means no shift)");
        if (!(Alpha > 0 && Alpha <= 1)) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "alpha must be in (0, 1] (1 means no smoothing)");
        if (!Enum.IsDefined(Measure)) throw new ArgumentOutOfRangeException(nameof(Measure));
        if (!Enum.IsDefined(Unseen)) throw new ArgumentOutOfRangeException(nameof(Unseen));
        if (!Enum.IsDefined(Diagonal)) throw new ArgumentOutOfRangeException(nameof(Diagonal));
    }
}
