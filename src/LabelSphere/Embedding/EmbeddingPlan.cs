namespace LabelSphere.Embedding;

/// <summary>How the PMI matrix is held in memory while it is factorised.</summary>
public enum PmiStorage
{
    /// <summary>Whichever the cost model of <see cref="EmbeddingPlan"/> finds cheaper.</summary>
    Auto,
    /// <summary>Every cell, n × n float64.</summary>
    Dense,
    /// <summary>
    /// Only the pairs seen together and the diagonal, every other cell 0: memory that grows with the pairs seen
    /// rather than n². Needs unseen pairs at 0 (<see cref="UnseenPairs.Zero"/>, no shift unless positive).
    /// </summary>
    Sparse,
}

/// <summary>
/// How a fit will run and what it is expected to cost: the PMI storage and eigensolver, chosen from the matrix's
/// size and density, k and the memory available, unless the options name them.
/// </summary>
/// <param name="Storage">Dense or sparse PMI.</param>
/// <param name="Solver">The eigensolver that will run (never <see cref="EigenSolver.Auto"/>).</param>
/// <param name="Density">Share of the PMI's cells that are stored sparse (seen pairs, both ways, and the diagonal).</param>
/// <param name="EstimatedBytes">Estimated peak memory of the PMI matrix and the solver, in bytes.</param>
/// <param name="EstimatedFlops">Estimated floating-point operations of the solver.</param>
/// <param name="Reason">One sentence on why this plan was chosen.</param>
/// <param name="Warning">What the user should know about the choice (an approximate solver, a plan above the memory available), or null.</param>
public sealed record EmbeddingPlan(PmiStorage Storage, EigenSolver Solver, double Density, long EstimatedBytes, double EstimatedFlops,
                                   string Reason, string? Warning)
{
    /// <summary>Below this many operations the exact solver is chosen whatever else is cheaper: it reports the whole spectrum.</summary>
    internal const double SmallWork = 2e10;

    /// <summary>
    /// Full n × n float64 copies libtorch's exact path holds at its peak: the PMI, libtorch's copy, the eigenvectors and
    /// syevd's 2n² workspace (the path without a system LAPACK, see <see cref="SymmetricEigensolver.PartialExact"/>).
    /// </summary>
    internal const int DenseExactCopies = 5;

    /// <summary>Restarts the cost model assumes for the Lanczos solver (measured: docs/scale.md).</summary>
    internal const int AssumedRestarts = 10;

    /// <summary>
    /// What an operation bound by memory bandwidth costs in dense matrix-product operations: the matrix–vector half of
    /// a tridiagonal reduction, a product of the sparse PMI with a block. At the paper's size ssyevr's reduction ran at
    /// roughly a twenty-fifth of the rate of the Chebyshev solver's matrix products (an estimate from the two solvers'
    /// times and operation counts, docs/scale.md, not a separate measurement); 8 is conservative.
    /// </summary>
    internal const double MemoryBoundWeight = 8;

    /// <summary>Passes and polynomial degree the cost model assumes for the Chebyshev solver (measured at the paper's size: docs/scale.md).</summary>
    internal const int ChebyshevAssumedPasses = 7, ChebyshevAssumedDegree = 12;

    /// <summary>Bytes per stored sparse cell while the PMI is built and multiplied: coordinates (8 + 8 + 8) and compressed rows (4 + 8).</summary>
    const long SparseCellBytes = 36;

    /// <summary>The plan for fitting <paramref name="options"/> on <paramref name="counts"/>.</summary>
    /// <param name="availableBytes">Memory available to the fit; null for what the operating system reports as available now.</param>
    public static EmbeddingPlan For(CooccurrenceCounts counts, EmbeddingOptions options, long? availableBytes = null)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(options);
        int n = counts.LabelCount;
        options.Validate(n);
        var ranking = options.Negative == NegativeEigenvalues.Zero ? EigenRanking.Algebraic : EigenRanking.Magnitude;
        return Choose(n, 2 * counts.DistinctPairs() + n, options.DimensionFor(n), ranking, options.Solver, options.Storage,
            Pmi.KeepsUnseenAtZero(options.Pmi), availableBytes ?? AvailableMemory());
    }

    /// <summary>The plan for a dense matrix that is already built.</summary>
    internal static EmbeddingPlan ForDense(int n, int k, long? availableBytes) =>
        Choose(n, (long)n * n, k, EigenRanking.Algebraic, EigenSolver.Auto, PmiStorage.Dense, false, availableBytes ?? AvailableMemory());

    internal static EmbeddingPlan Choose(int n, long entries, int k, EigenRanking ranking, EigenSolver solver, PmiStorage storage, bool sparseable,
                                         long available)
    {
        double density = (double)entries / ((double)n * n);
        if (storage == PmiStorage.Sparse && !sparseable)
            throw new ArgumentException("a sparse PMI matrix needs unseen pairs at 0 (unseen pairs zero, and no shift unless the PMI is positive)",
                nameof(PmiOptions.Unseen));
        bool mixed = sparseable && SymmetricEigensolver.MixedExact(n, ranking);
        if (storage == PmiStorage.Sparse && solver == EigenSolver.Exact && !mixed)
            throw new ArgumentException("the exact eigensolver needs the dense PMI matrix unless it ranks by value with the system's LAPACK (ssyevr) " +
                                        "on a matrix too large for the whole spectrum; a sparse one is factorised by the Lanczos, Chebyshev or randomized solver",
                nameof(EmbeddingOptions.Storage));
        bool chebyshev = sparseable && ranking == EigenRanking.Algebraic && ChebyshevSubspace.Fits(n, k);
        if (solver == EigenSolver.Chebyshev && (!chebyshev || storage == PmiStorage.Dense))
            throw new ArgumentOutOfRangeException(nameof(EmbeddingOptions.Solver), solver,
                "the Chebyshev solver needs the sparse PMI (unseen pairs at 0), the largest eigenvalues by value (negative ones zeroed) " +
                $"and k + {ChebyshevSubspace.Extra(k)} at most half of the {n} labels; use the Lanczos or the exact solver");
        var lanczos = BlockLanczos.Sizes.For(n, k);
        if (solver == EigenSolver.Lanczos && lanczos is null)
            throw new ArgumentOutOfRangeException(nameof(EmbeddingOptions.Solver), solver,
                $"the Lanczos solver needs a basis larger than k: k = {k} of {n} labels leaves no room; use the exact solver");

        double denseBytes = 8.0 * n * n;
        var candidates = new List<EmbeddingPlan>();
        void Add(PmiStorage s, EigenSolver e, double bytes, double flops, string what)
        {
            if ((storage == PmiStorage.Auto || storage == s) && (solver == EigenSolver.Auto || solver == e))
                candidates.Add(new EmbeddingPlan(s, e, s == PmiStorage.Sparse ? density : 1.0, (long)bytes, flops, what, null));
        }
        double cube = (double)n * n * n;
        if (SymmetricEigensolver.PartialExact(n, ranking))
            // dsyevr in place: tridiagonalisation (4/3 n³, half of it matrix–vector products), the k vectors of the
            // tridiagonal matrix and their back transformation (2n²k).
            Add(PmiStorage.Dense, EigenSolver.Exact, denseBytes + 8.0 * n * k, Reduction(n) + 2.0 * n * n * k, "k eigenpairs by the system's LAPACK (dsyevr)");
        else
            // libtorch's syevd: the same reduction, divide and conquer and the back transformation of all n vectors.
            Add(PmiStorage.Dense, EigenSolver.Exact, DenseExactCopies * denseBytes, Reduction(n) + 2 * cube, "every eigenpair by LAPACK");
        if (mixed)
        {
            // ssyevr on a float32 copy: the reduction at half the traffic and the back transformation of m vectors
            // (n²m at float32 speed); then Rayleigh–Ritz in float64 (Cholesky QR, QᵀAQ,
            // Q·S: about 8nm², eigh of m × m: 4m³). Memory: the float32 copy, then Q, A·Q and the vectors, n × m float64 each.
            double m = k + SymmetricEigensolver.MixedExtra(n, k);
            Add(PmiStorage.Sparse, EigenSolver.Exact, SparseCellBytes * entries + Math.Max(4.0 * n * n + 4.0 * n * m, 3 * 8.0 * n * m + 5 * 8.0 * m * m),
                Reduction(n) / 2 + (double)n * n * m + 8.0 * n * m * m + 4.0 * m * m * m,
                "k eigenpairs by the system's LAPACK in float32 (ssyevr), refined in float64 by Rayleigh–Ritz on the seen pairs");
        }
        if (lanczos is not null)
        {
            if (sparseable) Add(PmiStorage.Sparse, EigenSolver.Lanczos, SparseCellBytes * entries + LanczosBytes(n, lanczos),
                LanczosFlops(n, entries, lanczos, MemoryBoundWeight), "k eigenpairs by block Lanczos on the seen pairs");
            Add(PmiStorage.Dense, EigenSolver.Lanczos, 2 * denseBytes + LanczosBytes(n, lanczos), LanczosFlops(n, (long)n * n, lanczos, 1),
                "k eigenpairs by block Lanczos on the dense matrix");
        }
        if (chebyshev)
        {
            // Per pass, in float32: the polynomial (degree d products with the m-vector block), Householder QR (4nm²),
            // QᵀAQ and Q·S (4nm²), eigh of m × m (9m³); then Rayleigh–Ritz in float64 as the mixed exact solver.
            // Memory: four n × m float32 blocks while a pass runs, then the float64 refinement's three.
            double m = k + ChebyshevSubspace.Extra(k);
            double pass = (2.0 * entries * m * ChebyshevAssumedDegree * MemoryBoundWeight + 8.0 * n * m * m + 9.0 * m * m * m) / 2;
            Add(PmiStorage.Sparse, EigenSolver.Chebyshev, SparseCellBytes * entries + Math.Max(4 * 4.0 * n * m, 3 * 8.0 * n * m + 5 * 8.0 * m * m),
                ChebyshevAssumedPasses * pass + 8.0 * n * m * m + 4.0 * m * m * m,
                "k eigenpairs by Chebyshev-filtered subspace iteration on the seen pairs in float32, refined in float64 by Rayleigh–Ritz");
        }
        if (solver == EigenSolver.Randomized)
        {
            // Only on request: its errors on PMI matrices are far above the other solvers' (docs/benchmarks.md).
            double sketch = 8.0 * n * Math.Min(n, 2 * k) * 4;
            if (sparseable) Add(PmiStorage.Sparse, EigenSolver.Randomized, SparseCellBytes * entries + sketch, 0, "randomized subspace iteration on the seen pairs");
            Add(PmiStorage.Dense, EigenSolver.Randomized, 2 * denseBytes + sketch, 0, "randomized subspace iteration on the dense matrix");
        }
        if (candidates.Count == 0)
            throw new ArgumentException($"PMI storage {storage} and eigensolver {solver} cannot be combined: the sparse matrix needs unseen pairs at 0",
                nameof(EmbeddingOptions.Storage));

        EmbeddingPlan chosen;
        var exact = candidates.Find(c => c.Solver == EigenSolver.Exact);
        var fitting = candidates.FindAll(c => c.EstimatedBytes <= 0.8 * available);
        if (exact is not null && 4.0 * n * n * (double)n <= SmallWork && fitting.Contains(exact))
            chosen = exact with { Reason = $"{exact.Reason}: small enough ({n:N0} labels) to compute the whole spectrum" };
        else if (fitting.Count > 0)
        {
            fitting.Sort((a, b) => a.EstimatedFlops.CompareTo(b.EstimatedFlops));
            chosen = fitting[0] with { Reason = fitting.Count == 1 ? fitting[0].Reason : $"{fitting[0].Reason}: the least work of {fitting.Count} plans that fit in memory" };
        }
        else
        {
            candidates.Sort((a, b) => a.EstimatedBytes.CompareTo(b.EstimatedBytes));
            chosen = candidates[0] with
            {
                Reason = $"{candidates[0].Reason}: the least memory",
                Warning = $"the fit is estimated to need {Gigabytes(candidates[0].EstimatedBytes)}, above the {Gigabytes(available)} available",
            };
        }
        if (chosen.Solver == EigenSolver.Randomized)
            chosen = chosen with
            {
                Warning = "the randomized eigensolver is approximate: on PMI matrices its leading eigenvalues were off by up to 1e-1 of the largest " +
                          "(the Lanczos solver: below 1e-10)" + (chosen.Warning is null ? "" : "; " + chosen.Warning),
            };
        return chosen;
    }

    /// <summary>A dense tridiagonal reduction in float64: 4/3 n³ operations, half of them matrix–vector products bound by memory.</summary>
    static double Reduction(int n) => (MemoryBoundWeight + 1) * 2.0 / 3 * n * (double)n * n;

    static double LanczosBytes(int n, BlockLanczos.Sizes sizes) =>
        // The basis, the projected matrix with eigh's copies and workspace (about 5 m²), the restart's kept vectors.
        8.0 * ((double)sizes.Basis * n + 5.0 * sizes.Basis * sizes.Basis + (double)sizes.Keep * n);

    /// <param name="productWeight">The cost of an operation of the products with A: <see cref="MemoryBoundWeight"/> for the sparse matrix.</param>
    static double LanczosFlops(int n, long entries, BlockLanczos.Sizes sizes, double productWeight)
    {
        double m = sizes.Basis, added = sizes.Basis - sizes.Keep;
        // Per restart: products with A, two Gram–Schmidt passes against the basis, eigh of the projected matrix, the restart's V·S.
        double round = 2.0 * entries * added * productWeight + 8.0 * n * m * added + 4.0 * m * m * m + 2.0 * n * m * sizes.Keep;
        return AssumedRestarts * round;
    }

    internal static string Gigabytes(double bytes) => $"{bytes / 1e9:0.00} GB";

    /// <summary>Memory available now: MemAvailable on Linux, capped by what the runtime may use (a container's limit).</summary>
    static long AvailableMemory()
    {
        long limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal)
                    && long.TryParse(line["MemAvailable:".Length..].Trim().Split(' ')[0], out var kb))
                    return Math.Min(kb * 1024, limit);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return limit;
    }
}
