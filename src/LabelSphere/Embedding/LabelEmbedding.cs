using System.Numerics.Tensors;
using LabelSphere.Data;

namespace LabelSphere.Embedding;

/// <summary>A label and how close it is to a query, by cosine proximity in the embedding.</summary>
public readonly record struct ScoredLabel(int Id, string Name, float Score);

/// <summary>What fitting reports as it goes.</summary>
public enum FitStage
{
    /// <summary>Turning counts into the PMI matrix.</summary>
    Pmi,
    /// <summary>Eigendecomposition.</summary>
    Eigen,
    /// <summary>Done.</summary>
    Done,
}

/// <summary>
/// Label embeddings from a factorised PMI matrix: PMI ≈ U Σ Uᵀ, E_k = U_k √Σ_k. Row i is label i's position;
/// proximity is the cosine. Eigenvalues are in descending order, as are the columns of E_k. Immutable: adding a
/// label zero-shot returns a new embedding.
/// </summary>
public sealed partial class LabelEmbedding
{
    readonly float[] vectors;   // [labels, dimension] row-major
    readonly float[] units;     // the rows scaled to unit length; all-zero rows stay zero
    readonly long[] labelCounts;
    readonly bool[] zeroShot;
    readonly double[] eigenvalues;

    internal LabelEmbedding(LabelVocabulary vocabulary, long[] labelCounts, bool[] zeroShot, long instances,
                            long emptyInstances, float[] vectors, double[] eigenvalues, EmbeddingOptions options,
                            PmiMarginals marginals, SpectrumReport spectrum, EigenSolver solver)
    {
        int n = vocabulary.Count, k = eigenvalues.Length;
        if (labelCounts.Length != n || zeroShot.Length != n || vectors.Length != (long)n * k)
            throw new ArgumentException($"inconsistent shapes: {n} labels, {labelCounts.Length} counts, {vectors.Length} values for dimension {k}");
        Vocabulary = vocabulary;
        this.labelCounts = labelCounts;
        this.zeroShot = zeroShot;
        Instances = instances;
        EmptyInstances = emptyInstances;
        this.vectors = vectors;
        this.eigenvalues = eigenvalues;
        Options = options;
        Marginals = marginals;
        Spectrum = spectrum;
        Solver = solver;
        units = new float[vectors.Length];
        for (int i = 0; i < n; i++)
        {
            var row = vectors.AsSpan(i * k, k);
            float norm = TensorPrimitives.Norm(row);
            if (norm > 0) TensorPrimitives.Divide(row, norm, units.AsSpan(i * k, k));
        }
    }

    /// <summary>The labels, in row order.</summary>
    public LabelVocabulary Vocabulary { get; }

    /// <summary>Number of labels (rows).</summary>
    public int LabelCount => Vocabulary.Count;

    /// <summary>k, the number of columns.</summary>
    public int Dimension => eigenvalues.Length;

    /// <summary>Instances the counts came from.</summary>
    public long Instances { get; }

    /// <summary>Instances among them that had no label; -1 when the counts did not say (a pair-counts file).</summary>
    public long EmptyInstances { get; }

    /// <summary>Instances carrying each label.</summary>
    public ReadOnlySpan<long> LabelCounts => labelCounts;

    /// <summary>Whether label i was placed zero-shot after the fit.</summary>
    public bool IsZeroShot(int label) => zeroShot[label];

    /// <summary>E_k, [labels, dimension] row-major.</summary>
    public ReadOnlySpan<float> Vectors => vectors;

    /// <summary>The rows of E_k scaled to unit length, [labels, dimension] row-major.</summary>
    public ReadOnlySpan<float> UnitVectors => units;

    /// <summary>The k eigenvalues kept, descending (negative ones included, as computed).</summary>
    public ReadOnlySpan<double> Eigenvalues => eigenvalues;

    /// <summary>The options it was fitted with.</summary>
    public EmbeddingOptions Options { get; }

    /// <summary>The marginals of the PMI matrix, kept so that zero-shot labels are measured the same way.</summary>
    internal PmiMarginals Marginals { get; }

    /// <summary>How much of the PMI matrix E_k explains.</summary>
    public SpectrumReport Spectrum { get; }

    /// <summary>The eigensolver that ran.</summary>
    public EigenSolver Solver { get; }

    /// <summary>Row <paramref name="label"/> of E_k.</summary>
    public ReadOnlySpan<float> Vector(int label) => vectors.AsSpan(label * Dimension, Dimension);

    /// <summary>Row <paramref name="label"/> of E_k at unit length (zero for a label without information).</summary>
    public ReadOnlySpan<float> UnitVector(int label) => units.AsSpan(label * Dimension, Dimension);

    /// <summary>
    /// Fits the embedding: PMI from <paramref name="counts"/>, then its k leading eigenpairs.
    /// </summary>
    /// <param name="cancellationToken">
    /// Checked between the stages, across the PMI rows and between the randomized solver's passes; the exact solver's
    /// one LAPACK call runs to its end. Cancelling throws <see cref="OperationCanceledException"/>.
    /// </param>
    public static LabelEmbedding Fit(CooccurrenceCounts counts, EmbeddingOptions options, IProgress<FitStage>? progress = null,
                                     CancellationToken cancellationToken = default) =>
        Fit(counts, options, EmbeddingPlan.For(counts, options), progress, cancellationToken);

    /// <summary>Fits the embedding as <paramref name="plan"/> (from <see cref="EmbeddingPlan.For"/> on the same counts and options) says.</summary>
    public static LabelEmbedding Fit(CooccurrenceCounts counts, EmbeddingOptions options, EmbeddingPlan plan, IProgress<FitStage>? progress = null,
                                     CancellationToken cancellationToken = default) =>
        Fit(counts, options, plan, progress, null, cancellationToken);

    /// <summary>As the public overload; <paramref name="lanczosProgress"/> hears from the Lanczos solver after every restart.</summary>
    internal static LabelEmbedding Fit(CooccurrenceCounts counts, EmbeddingOptions options, EmbeddingPlan plan, IProgress<FitStage>? progress,
                                       IProgress<BlockLanczos.Step>? lanczosProgress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(plan);
        options.Validate(counts.LabelCount);
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report(FitStage.Pmi);
        LabelEmbedding embedding;
        options = options with { Solver = plan.Solver, Storage = plan.Storage };
        if (plan.Storage == PmiStorage.Sparse)
        {
            var sparse = Pmi.ComputeSparse(counts, options.Pmi, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(FitStage.Eigen);
            embedding = FromSparsePmi(sparse, counts.Vocabulary, counts.LabelCounts.ToArray(), counts.Instances, counts.EmptyInstances, options, cancellationToken,
                lanczosProgress);
        }
        else
        {
            var pmi = Pmi.Compute(counts, options.Pmi, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(FitStage.Eigen);
            embedding = FromPmi(pmi, counts.Vocabulary, counts.LabelCounts.ToArray(), counts.Instances, counts.EmptyInstances, options, cancellationToken,
                consumable: true, lanczosProgress);
        }
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report(FitStage.Done);
        return embedding;
    }

    /// <summary>Factorises a sparse PMI matrix with an iterative solver (<see cref="EmbeddingOptions.Solver"/>, Lanczos for Auto).</summary>
    internal static LabelEmbedding FromSparsePmi(SparsePmiMatrix pmi, LabelVocabulary vocabulary, long[] labelCounts, long instances,
                                                 long emptyInstances, EmbeddingOptions options, CancellationToken cancellationToken = default,
                                                 IProgress<BlockLanczos.Step>? lanczosProgress = null)
    {
        var ranking = options.Negative == NegativeEigenvalues.Zero ? EigenRanking.Algebraic : EigenRanking.Magnitude;
        var matrix = CsrMatrix.FromCoordinates(pmi.Rows, pmi.Columns, pmi.Values, pmi.Labels);
        var solver = options.Solver == EigenSolver.Auto ? EigenSolver.Lanczos : options.Solver;
        var eigen = SymmetricEigensolver.DecomposeSparse(matrix, options.DimensionFor(pmi.Labels), ranking, solver,
            options.OversamplingFor(pmi.Labels), options.PowerIterations, options.Seed, cancellationToken, lanczosProgress);
        return Assemble(eigen, TensorPrimitives.SumOfSquares<double>(pmi.Values), pmi.Labels, pmi.Marginals, vocabulary, labelCounts,
            instances, emptyInstances, options);
    }

    /// <summary>Factorises an already computed PMI matrix.</summary>
    /// <param name="consumable">Whether <paramref name="pmi"/> may be overwritten.</param>
    internal static LabelEmbedding FromPmi(PmiMatrix pmi, LabelVocabulary vocabulary, long[] labelCounts, long instances,
                                           long emptyInstances, EmbeddingOptions options, CancellationToken cancellationToken = default,
                                           bool consumable = false, IProgress<BlockLanczos.Step>? lanczosProgress = null)
    {
        int n = pmi.Labels, k = options.DimensionFor(n);
        var ranking = options.Negative == NegativeEigenvalues.Zero ? EigenRanking.Algebraic : EigenRanking.Magnitude;
        double energy = TensorPrimitives.SumOfSquares<double>(pmi.Values);
        // The matrix is not needed after this: the exact solver may factorise it in place.
        var eigen = SymmetricEigensolver.Decompose(pmi.Values, n, k, ranking, options.Solver, options.OversamplingFor(n),
            options.PowerIterations, options.Seed, cancellationToken, overwrite: consumable, lanczosProgress);
        return Assemble(eigen, energy, n, pmi.Marginals, vocabulary, labelCounts, instances, emptyInstances, options);
    }

    static LabelEmbedding Assemble(EigenDecomposition eigen, double totalEnergy, int n, PmiMarginals marginals, LabelVocabulary vocabulary,
                                   long[] labelCounts, long instances, long emptyInstances, EmbeddingOptions options)
    {
        int k = eigen.Values.Length;
        var scale = new double[k];
        for (int c = 0; c < k; c++)
            scale[c] = options.Negative == NegativeEigenvalues.Zero ? Math.Sqrt(Math.Max(eigen.Values[c], 0)) : Math.Sqrt(Math.Abs(eigen.Values[c]));
        var vectors = new float[(long)n * k];
        Parallel.For(0, n, i =>
        {
            for (int c = 0; c < k; c++) vectors[(long)i * k + c] = (float)(eigen.Vectors[(long)i * k + c] * scale[c]);
        });
        var spectrum = Measure(totalEnergy, eigen, options.Negative);
        // The fitted embedding's options name the k it has, not "the default".
        return new LabelEmbedding(vocabulary, labelCounts, new bool[n], instances, emptyInstances, vectors, eigen.Values,
            options with { Dimension = k }, marginals, spectrum, eigen.Solver);
    }

    static SpectrumReport Measure(double total, EigenDecomposition eigen, NegativeEigenvalues policy)
    {
        int k = eigen.Values.Length;
        var explained = new double[k];
        double running = 0;
        int zeroed = 0;
        for (int c = 0; c < k; c++)
        {
            double v = eigen.Values[c];
            if (v < 0 && policy == NegativeEigenvalues.Zero) zeroed++;
            else running += v * v;
            explained[c] = total > 0 ? running / total : 0;
        }
        var all = eigen.AllValues ?? eigen.Values;
        double negative = 0;
        int negativeCount = 0;
        foreach (var v in all)
            if (v < 0) { negative += v * v; negativeCount++; }
        return new SpectrumReport(total, explained, total > 0 ? negative / total : 0, negativeCount, zeroed, eigen.AllValues is not null);
    }

    /// <summary>
    /// e = E_k·v / ‖E_k·v‖ for the label set v: the target a network learns for an instance. An empty set, or one
    /// whose vectors cancel, gives the zero vector.
    /// </summary>
    public float[] Encode(ReadOnlySpan<int> labels)
    {
        var e = new float[Dimension];
        EncodeInto(labels, e);
        return e;
    }

    /// <summary>Writes the unit encoding of <paramref name="labels"/> into <paramref name="destination"/> (length k).</summary>
    public void EncodeInto(ReadOnlySpan<int> labels, Span<float> destination)
    {
        if (destination.Length != Dimension) throw new ArgumentException($"destination has length {destination.Length}, the dimension is {Dimension}");
        destination.Clear();
        foreach (var id in labels)
        {
            if ((uint)id >= (uint)LabelCount) throw new ArgumentOutOfRangeException(nameof(labels), id, $"label id must be below {LabelCount}");
            TensorPrimitives.Add(destination, Vector(id), destination);
        }
        float norm = TensorPrimitives.Norm<float>(destination);
        if (norm > 0) TensorPrimitives.Divide(destination, norm, destination);
    }

    /// <summary>The unit encodings of every row of <paramref name="labels"/>, [rows, dimension] row-major.</summary>
    public float[] EncodeAll(LabelMatrix labels)
    {
        if (labels.Columns > LabelCount) throw new ArgumentException($"label matrix has {labels.Columns} columns, the embedding {LabelCount} labels");
        var result = new float[(long)labels.Rows * Dimension];
        Parallel.For(0, labels.Rows, r => EncodeInto(labels.Row(r), result.AsSpan(r * Dimension, Dimension)));
        return result;
    }
}
