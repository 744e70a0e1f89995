using System.Runtime.InteropServices;
using System.Diagnostics;
using LabelSphere.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Embedding;

/// <summary>How the leading eigenpairs of the PMI matrix are computed.</summary>
public enum EigenSolver
{
    /// <summary>The cheapest exact solver that fits in memory, by the cost model of <see cref="EmbeddingPlan"/>.</summary>
    Auto,
    /// <summary>
    /// LAPACK, exact to rounding: every eigenpair (libtorch's syevd) for small matrices; for large ones the k wanted
    /// pairs by the system's dsyevr on the dense matrix or, when the PMI is sparse, by ssyevr on a float32 copy
    /// refined in float64 by Rayleigh–Ritz (eigenvalues within 1e-12 of λ₁ of float64 LAPACK's at the paper's size).
    /// </summary>
    Exact,
    /// <summary>
    /// Randomized subspace iteration (Halko, Martinsson and Tropp 2011, algorithms 4.4 and 5.3): approximate, and on
    /// PMI matrices, whose negative eigenvalues are as large as the positive ones, off by up to 1e-1 of λ₁ at k = 256
    /// (docs/benchmarks.md); never chosen by <see cref="Auto"/>.
    /// </summary>
    Randomized,
    /// <summary>
    /// Block Lanczos with full reorthogonalisation and thick restarts: the k leading eigenpairs to a residual of
    /// 1e-10 ‖A‖, from products of the (sparse or dense) matrix with blocks of vectors.
    /// </summary>
    Lanczos,
    /// <summary>
    /// Chebyshev-filtered subspace iteration on the sparse PMI in float32, refined in float64 by Rayleigh–Ritz: the k
    /// leading eigenpairs by value to a residual of 1e-5 ‖A‖ (eigenvalues within about 1e-8 of λ₁), from products of
    /// the sparse matrix with blocks of k + k/8 vectors and n·k² work per pass, never n³. For large k on a sparse PMI
    /// ranked by value, where it is the fastest (docs/scale.md).
    /// </summary>
    Chebyshev,
}

/// <summary>Which eigenpairs count as "leading".</summary>
public enum EigenRanking
{
    /// <summary>The largest eigenvalues by value: negative ones come last.</summary>
    Algebraic,
    /// <summary>The largest by absolute value: the best rank-k approximation in the Frobenius norm.</summary>
    Magnitude,
}

/// <summary>The k leading eigenpairs of a symmetric matrix.</summary>
/// <param name="Values">[k] eigenvalues, in the ranking's order (descending).</param>
/// <param name="Vectors">[n, k] row-major, column c the unit eigenvector of Values[c].</param>
/// <param name="Solver">The solver that ran.</param>
/// <param name="AllValues">Every eigenvalue, descending, when the exact solver ran; otherwise null.</param>
/// <param name="MaxResidual">The largest ‖A·x − λ·x‖ / ‖A‖₂ among the pairs, when the solver measured it.</param>
internal sealed record EigenDecomposition(double[] Values, double[] Vectors, EigenSolver Solver, double[]? AllValues, double? MaxResidual = null);

/// <summary>Leading eigenpairs of a symmetric matrix, dense or sparse, computed in float64 with libtorch.</summary>
internal static unsafe class SymmetricEigensolver
{
    /// <summary>
    /// The <paramref name="k"/> leading eigenpairs of <paramref name="matrix"/> ([n, n] row-major, symmetric) by
    /// <paramref name="solver"/>; <see cref="EigenSolver.Auto"/> resolves by <see cref="EmbeddingPlan"/>'s cost model.
    /// </summary>
    /// <param name="cancellationToken">Checked before the work and between the iterative solvers' passes.</param>
    /// <param name="overwrite">Whether the exact solver may overwrite <paramref name="matrix"/> rather than work on a copy.</param>
    public static EigenDecomposition Decompose(double[] matrix, int n, int k, EigenRanking ranking, EigenSolver solver,
                                               int oversampling = 16, int powerIterations = 8, long seed = 0,
                                               CancellationToken cancellationToken = default, bool overwrite = false,
                                               IProgress<BlockLanczos.Step>? lanczosProgress = null)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual((long)matrix.Length, (long)n * n, nameof(matrix));
        CheckArguments(n, k, oversampling, powerIterations);
        var resolved = solver == EigenSolver.Auto ? EmbeddingPlan.ForDense(n, k, null).Solver : solver;
        TorchRuntime.EnsureLoaded();
        cancellationToken.ThrowIfCancellationRequested();
        if (resolved == EigenSolver.Exact && PartialExact(n, ranking))
            return ExactPartial(overwrite ? matrix : (double[])matrix.Clone(), n, k);
        using var scope = NewDisposeScope();
        using var a = tensor(matrix, [n, n], ScalarType.Float64);
        return resolved switch
        {
            EigenSolver.Exact => Exact(a, k, ranking),
            EigenSolver.Randomized => Randomized(x => a.matmul(x), n, k, ranking, oversampling, powerIterations, seed, cancellationToken),
            EigenSolver.Lanczos => BlockLanczos.Solve(x => a.matmul(x), n, k, ranking, seed, progress: lanczosProgress, cancellationToken: cancellationToken),
            EigenSolver.Chebyshev => throw new ArgumentOutOfRangeException(nameof(solver), solver,
                "the Chebyshev solver works on the sparse PMI matrix; a dense one is factorised by the exact, Lanczos or randomized solver"),
            _ => throw new ArgumentOutOfRangeException(nameof(solver)),
        };
    }

    /// <summary>
    /// The <paramref name="k"/> leading eigenpairs of a sparse symmetric matrix by an iterative solver, which only
    /// multiplies it onto n × b blocks (<see cref="EigenSolver.Lanczos"/> or <see cref="EigenSolver.Randomized"/>).
    /// </summary>
    /// <param name="cancellationToken">Checked before the work and between the solver's passes.</param>
    public static EigenDecomposition DecomposeSparse(CsrMatrix matrix, int k, EigenRanking ranking, EigenSolver solver,
                                                     int oversampling = 16, int powerIterations = 8, long seed = 0,
                                                     CancellationToken cancellationToken = default, IProgress<BlockLanczos.Step>? lanczosProgress = null)
    {
        int n = matrix.Size;
        CheckArguments(n, k, oversampling, powerIterations);
        TorchRuntime.EnsureLoaded();
        cancellationToken.ThrowIfCancellationRequested();
        using var scope = NewDisposeScope();
        var multiply = Products(matrix);
        return solver switch
        {
            EigenSolver.Lanczos => BlockLanczos.Solve(multiply, n, k, ranking, seed, progress: lanczosProgress, cancellationToken: cancellationToken),
            EigenSolver.Randomized => Randomized(multiply, n, k, ranking, oversampling, powerIterations, seed, cancellationToken),
            EigenSolver.Exact when MixedExact(n, ranking) => ExactMixed(matrix, k, cancellationToken),
            EigenSolver.Chebyshev when ranking == EigenRanking.Algebraic => Chebyshev(matrix, k, seed, lanczosProgress, cancellationToken),
            EigenSolver.Chebyshev => throw new ArgumentOutOfRangeException(nameof(solver), solver,
                "the Chebyshev solver finds the largest eigenvalues by value; ranking by magnitude needs the Lanczos or the randomized solver"),
            EigenSolver.Exact or EigenSolver.Auto => throw new ArgumentOutOfRangeException(nameof(solver), solver,
                "a sparse matrix is factorised by an iterative solver (Lanczos, Chebyshev or randomized); the exact solver needs it dense " +
                "unless the leading eigenvalues are ranked by value and the system's LAPACK has ssyevr"),
            _ => throw new ArgumentOutOfRangeException(nameof(solver)),
        };
    }

    /// <summary>X [n, b] ↦ A·X [n, b] for the sparse matrix, as a new float64 tensor.</summary>
    internal static Func<Tensor, Tensor> Products(CsrMatrix matrix)
    {
        int n = matrix.Size;
        // One pair of managed buffers for every product: a fresh n × b pair each time would pile up on the large object heap.
        double[] input = [], output = [];
        return x =>
        {
            int b = (int)x.shape[1];
            if (input.LongLength != (long)n * b) (input, output) = (new double[(long)n * b], new double[(long)n * b]);
            x.contiguous().data<double>().CopyTo(input);
            matrix.Multiply(input, output, b);
            var product = empty([n, b], ScalarType.Float64);
            product.data<double>().CopyFrom(output);
            return product;
        };
    }

    static void CheckArguments(int n, int k, int oversampling, int powerIterations)
    {
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be between 1 and the matrix size ({n}), got {k}");
        ArgumentOutOfRangeException.ThrowIfNegative(oversampling);
        ArgumentOutOfRangeException.ThrowIfNegative(powerIterations);
    }

    /// <summary>
    /// Whether the exact solver computes only the k wanted pairs, in place, by the system's LAPACK (dsyevr): one
    /// n × n matrix and the n × k vectors instead of libtorch's five n × n copies. Not for small matrices, where the
    /// whole spectrum is cheap and reported, nor for ranking by magnitude, which no index range expresses.
    /// </summary>
    internal static bool PartialExact(int n, EigenRanking ranking) =>
        ranking == EigenRanking.Algebraic && 4.0 * n * n * n > EmbeddingPlan.SmallWork && SystemLapack.Available;

    /// <summary>
    /// Whether the exact solver can factorise a sparse matrix through a dense float32 copy (<see cref="ExactMixed"/>):
    /// ranking by value, a matrix too large for the whole spectrum to be cheap, and ssyevr in the system's LAPACK.
    /// </summary>
    internal static bool MixedExact(int n, EigenRanking ranking) => PartialExact(n, ranking) && SystemLapack.SingleAvailable;

    /// <summary>Eigenpairs beyond k that <see cref="ExactMixed"/> takes from ssyevr, so that the k wanted ones are not
    /// at the edge of the subspace it refines.</summary>
    internal static int MixedExtra(int n, int k) => Math.Min(n - k, Math.Max(16, k / 32));

    /// <summary>
    /// The k leading eigenpairs (by value) of a sparse symmetric matrix, mixed precision: ssyevr finds the leading
    /// k + <see cref="MixedExtra"/> pairs of a dense float32 copy (half the memory and memory traffic of dsyevr, whose
    /// tridiagonal reduction is bound by memory), then Rayleigh–Ritz in float64 against the sparse matrix itself (the
    /// float32 vectors orthonormalised by Cholesky QR, the projected matrix by libtorch's eigh) makes them float64
    /// Ritz pairs of the exact matrix: the Ritz values' error is the square of the float32 subspace's angle.
    /// Peak memory: n² float32 while ssyevr runs, then a few n × (k + extra) float64 blocks.
    /// </summary>
    internal static EigenDecomposition ExactMixed(CsrMatrix matrix, int k, CancellationToken cancellationToken = default)
    {
        int n = matrix.Size, m = k + MixedExtra(n, k);
        using var scope = NewDisposeScope();
        float[] single;
        // The n² float32 copy in native memory, freed the moment ssyevr is done: a managed array would stay in the
        // runtime's heap (and the process's resident memory) under the float64 blocks that follow.
        nint cells = (nint)NativeMemory.AllocZeroed((nuint)n * (nuint)n, sizeof(float));
        try
        {
            Parallel.For(0, n, i =>
            {
                var row = new Span<float>((float*)cells + (long)i * n, n);
                for (long e = matrix.Offsets[i]; e < matrix.Offsets[i + 1]; e++) row[matrix.Columns[e]] = (float)matrix.Values[e];
            });
            (_, single) = SystemLapack.TopEigenpairs(new Span<float>((float*)cells, checked(n * n)), n, n - m);     // [m, n], ascending
        }
        finally
        {
            NativeMemory.Free((void*)cells);
        }
        cancellationToken.ThrowIfCancellationRequested();
        var rows = tensor(single, [m, n]);
        single = [];
        return Refine(matrix, rows, k, EigenSolver.Exact, null, cancellationToken);
    }

    /// <summary>
    /// The k leading eigenpairs (by value) of a sparse symmetric matrix by Chebyshev-filtered subspace iteration in
    /// float32 (<see cref="ChebyshevSubspace"/>), then Rayleigh–Ritz in float64 on the block it converged to. The
    /// reported largest residual is the float32 iteration's last, measured on its Ritz vectors.
    /// </summary>
    internal static EigenDecomposition Chebyshev(CsrMatrix matrix, int k, long seed, IProgress<BlockLanczos.Step>? progress = null,
                                                 CancellationToken cancellationToken = default)
    {
        using var scope = NewDisposeScope();
        var (block, residual) = ChebyshevSubspace.Solve(matrix, k, seed, progress: progress, cancellationToken: cancellationToken);
        var rows = block.t().contiguous();
        block.Dispose();
        cancellationToken.ThrowIfCancellationRequested();
        return Refine(matrix, rows, k, EigenSolver.Chebyshev, residual, cancellationToken);
    }

    /// <summary>
    /// Rayleigh–Ritz in float64 against the sparse matrix itself on the span of <paramref name="rows"/> [m, n] (float32
    /// vectors orthonormal to about 1e-6, one per row), which it disposes: the k leading Ritz pairs of the exact matrix,
    /// whose values' error is the square of the subspace's angle.
    /// </summary>
    /// <param name="maxResidual">The largest relative residual the solver that made the vectors measured, reported with the pairs.</param>
    static EigenDecomposition Refine(CsrMatrix matrix, Tensor rows, int k, EigenSolver solver, double? maxResidual, CancellationToken cancellationToken)
    {
        int n = matrix.Size, m = (int)rows.shape[0];
        using var scope = NewDisposeScope();
        // Cholesky QR: with V the float32 vectors as columns, VᵀV = L·Lᵀ and Q = V·L⁻ᵀ, so Qᵀ = L⁻¹·Vᵀ. The vectors
        // are orthonormal to about 1e-6, so one pass is stable. Qᵀ is kept as it comes, [m, n]; every full n × m
        // float64 block is 0.6 GB at the paper's size, so each is freed as soon as it has served.
        Tensor qt;
        using (NewDisposeScope())
        {
            var wide = rows.to_type(ScalarType.Float64);
            rows.Dispose();
            var lower = linalg.cholesky(wide.matmul(wide.t()));
            qt = linalg.solve_triangular(lower, wide, upper: false).MoveToOuterDisposeScope();
        }
        // A·Q a block of 512 columns at a time.
        const int block = 512;
        var multiply = Products(matrix);
        var aq = empty([n, m], ScalarType.Float64);
        for (int c = 0; c < m; c += block)
        {
            using var inner = NewDisposeScope();
            int width = Math.Min(block, m - c);
            aq.narrow(1, c, width).copy_(multiply(qt.narrow(0, c, width).t().contiguous()));
        }
        cancellationToken.ThrowIfCancellationRequested();
        Tensor top, values;
        using (NewDisposeScope())
        {
            var projected = qt.matmul(aq);
            var (ritz, rotation) = linalg.eigh((projected + projected.t()) / 2);         // ascending
            top = rotation.narrow(1, m - k, k).flip(1).MoveToOuterDisposeScope();
            values = ritz.narrow(0, m - k, k).flip(0).MoveToOuterDisposeScope();
        }
        aq.Dispose();
        var vectors = qt.t().matmul(top);
        qt.Dispose();
        return new EigenDecomposition(values.data<double>().ToArray(), vectors.data<double>().ToArray(), solver, null, maxResidual);
    }

    internal static EigenDecomposition ExactPartial(double[] matrix, int n, int k)
    {
        var (ascending, vectors) = SystemLapack.TopEigenpairs(matrix, n, n - k);
        var values = new double[k];
        for (int c = 0; c < k; c++) values[c] = ascending[k - 1 - c];
        // [k, n] ascending → [k, n] descending → [n, k], in place: a second n × k copy would be the peak at k = 4,096.
        var swap = new double[n];
        for (int c = 0; c < k / 2; c++)
        {
            var low = vectors.AsSpan(c * n, n);
            var high = vectors.AsSpan((k - 1 - c) * n, n);
            low.CopyTo(swap);
            high.CopyTo(low);
            swap.CopyTo(high);
        }
        TransposeInPlace(vectors, k, n);
        return new EigenDecomposition(values, vectors, EigenSolver.Exact, null);
    }

    /// <summary>Turns a [rows, columns] row-major matrix into its [columns, rows] transpose in the same array, by following cycles.</summary>
    internal static void TransposeInPlace(double[] a, int rows, int columns)
    {
        long size = (long)rows * columns;
        if (size <= 2 || rows == 1 || columns == 1) return;
        var visited = new ulong[(size + 63) / 64];
        // The value at index i (0 < i < size − 1) of the [rows, columns] layout moves to i·rows mod (size − 1).
        for (long start = 1; start < size - 1; start++)
        {
            if ((visited[start >> 6] & (1UL << (int)(start & 63))) != 0) continue;
            long i = start;
            double carried = a[i];
            do
            {
                long next = i * rows % (size - 1);
                (a[next], carried) = (carried, a[next]);
                visited[next >> 6] |= 1UL << (int)(next & 63);
                i = next;
            }
            while (i != start);
        }
    }

    static EigenDecomposition Exact(Tensor a, int k, EigenRanking ranking)
    {
        var (values, vectors) = linalg.eigh(a);          // ascending
        var all = values.flip(0);
        var (picked, order) = Pick(values, vectors, k, ranking);
        return new EigenDecomposition(picked, order, EigenSolver.Exact, all.data<double>().ToArray());
    }

    // `multiply` takes an n × l block to A times it; A is symmetric, so Aᵀ = A.
    static EigenDecomposition Randomized(Func<Tensor, Tensor> multiply, long n, int k, EigenRanking ranking, int oversampling, int powerIterations, long seed,
                                         CancellationToken cancellationToken)
    {
        int l = (int)Math.Min(n, k + oversampling);
        using var generator = new Generator((ulong)seed);
        var omega = randn([n, l], ScalarType.Float64, generator: generator);
        var (q, _) = linalg.qr(multiply(omega));
        // Each pass multiplies by A once and re-orthonormalises to keep the small eigenvalues of the block from
        // drowning in rounding.
        for (int i = 0; i < powerIterations; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (q, _) = linalg.qr(multiply(q));
        }
        cancellationToken.ThrowIfCancellationRequested();
        var b = q.T.matmul(multiply(q));
        b = (b + b.T) / 2;                                // symmetric to rounding before eigh
        var (theta, v) = linalg.eigh(b);
        var (picked, vectors) = Pick(theta, q.matmul(v), k, ranking);
        return new EigenDecomposition(picked, vectors, EigenSolver.Randomized, null);
    }

    static (double[] Values, double[] Vectors) Pick(Tensor ascendingValues, Tensor vectors, int k, EigenRanking ranking)
    {
        var index = BlockLanczos.Order(ascendingValues, k, ranking);
        var picked = vectors.index_select(1, index).contiguous();
        var result = ascendingValues.index_select(0, index).data<double>().ToArray();
        Debug.Assert(result.Length == k);
        return (result, picked.data<double>().ToArray());
    }
}
