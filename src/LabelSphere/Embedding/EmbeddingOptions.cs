namespace LabelSphere.Embedding;

/// <summary>What √Σ does with negative eigenvalues, which PMI matrices generally have.</summary>
public enum NegativeEigenvalues
{
    /// <summary>
    /// Keep the k largest eigenvalues by value and give negative ones a zero column: E·Eᵀ is then the closest
    /// positive semi-definite matrix of rank k, and cosine proximity keeps its meaning. The default.
    /// </summary>
    Zero,
    /// <summary>Keep the k largest by magnitude and use √|λ|: more of the matrix's energy, but E·Eᵀ flips the sign of the negative part.</summary>
    Absolute,
}

/// <summary>How to fit a <see cref="LabelEmbedding"/>: the PMI choices, the dimension and the eigensolver.</summary>
public sealed record EmbeddingOptions
{
    /// <summary>Default dimension k when none is given (capped at the number of labels).</summary>
    public const int DefaultDimension = 256;

    /// <summary>
    /// k, the number of columns kept: between 1 and the number of labels; null (the default) for
    /// <see cref="DefaultDimension"/> or the number of labels if fewer (<see cref="DimensionFor"/>). A fitted
    /// embedding's options name the k it was fitted with.
    /// </summary>
    public int? Dimension { get; init; }

    /// <summary>The k fitted on <paramref name="labels"/> labels: <see cref="Dimension"/>, or <see cref="DefaultDimension"/> capped at <paramref name="labels"/>.</summary>
    public int DimensionFor(int labels) => Dimension ?? Math.Min(DefaultDimension, labels);

    /// <summary>How counts become PMI.</summary>
    public PmiOptions Pmi { get; init; } = new();

    /// <summary>Policy for negative eigenvalues.</summary>
    public NegativeEigenvalues Negative { get; init; } = NegativeEigenvalues.Zero;

    /// <summary>Eigensolver; Auto picks the cheapest exact one that fits in memory (<see cref="EmbeddingPlan"/>).</summary>
    public EigenSolver Solver { get; init; } = EigenSolver.Auto;

    /// <summary>
    /// Randomized solver: extra columns beyond k in the sketch; null for k (at least 16), a sketch of 2k columns.
    /// PMI matrices have negative eigenvalues as large as the positive ones, which fill a k + 16 sketch: at 2,000
    /// labels and k = 256 that left errors of 13% of the largest eigenvalue, a 2k sketch about 0.1% (docs/benchmarks.md).
    /// </summary>
    public int? Oversampling { get; init; }

    /// <summary>The oversampling in force on <paramref name="labels"/> labels: <see cref="Oversampling"/>, or k (at least 16) when it is null.</summary>
    public int OversamplingFor(int labels) => Oversampling ?? Math.Max(16, DimensionFor(labels));

    /// <summary>Randomized solver: subspace iterations after the first product.</summary>
    public int PowerIterations { get; init; } = 8;

    /// <summary>Dense or sparse PMI; Auto picks by cost (<see cref="EmbeddingPlan"/>).</summary>
    public PmiStorage Storage { get; init; } = PmiStorage.Auto;

    /// <summary>Seed of the randomized solver's Gaussian sketch.</summary>
    public long Seed { get; init; }

    /// <summary>Throws when a value is outside its range for <paramref name="labels"/> labels.</summary>
    public void Validate(int labels)
    {
        int k = DimensionFor(labels);
        if (k < 1 || k > labels)
            throw new ArgumentOutOfRangeException(nameof(Dimension), k,
                $"dimension must be between 1 and the number of labels ({labels}), got {k}");
        if (Oversampling is < 0) throw new ArgumentOutOfRangeException(nameof(Oversampling), Oversampling, "oversampling must be non-negative");
        ArgumentOutOfRangeException.ThrowIfNegative(PowerIterations);
        if (!Enum.IsDefined(Negative)) throw new ArgumentOutOfRangeException(nameof(Negative));
        if (!Enum.IsDefined(Solver)) throw new ArgumentOutOfRangeException(nameof(Solver));
        if (!Enum.IsDefined(Storage)) throw new ArgumentOutOfRangeException(nameof(Storage));
        Pmi.Validate();
    }
}

/// <summary>
/// How much of the PMI matrix the kept eigenpairs explain, as shares of its energy ‖PMI‖²_F = Σλ² (exact for
/// either solver, since the Frobenius norm needs no eigenvalues).
/// </summary>
/// <param name="TotalEnergy">‖PMI‖²_F.</param>
/// <param name="Explained">[k] share of the energy that E_k·E_kᵀ reproduces with the first 1..k columns.</param>
/// <param name="NegativeShare">Share of the energy in negative eigenvalues: all of them for the exact solver,
/// those among the computed ones for the randomized solver (a lower bound).</param>
/// <param name="NegativeCount">Number of negative eigenvalues (among the computed ones for the randomized solver).</param>
/// <param name="ZeroedColumns">Columns of E_k that are zero because their eigenvalue was negative.</param>
/// <param name="NegativeShareIsExact">Whether every eigenvalue was computed.</param>
public sealed record SpectrumReport(double TotalEnergy, double[] Explained, double NegativeShare, int NegativeCount,
                                    int ZeroedColumns, bool NegativeShareIsExact);
