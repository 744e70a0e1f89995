using System.Diagnostics;
using LabelSphere.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Embedding;

/// <summary>How the leading eigenpairs of the PMI matrix are computed.</summary>
public enum EigenSolver
{
    /// <summary>Exact below <see cref="SymmetricEigensolver.ExactLimit"/> labels or when k is a large share of them, randomized otherwise.</summary>
    Auto,
    /// <summary>Full decomposition by LAPACK (syevd through libtorch): every eigenvalue, exact to rounding.</summary>
    Exact,
    /// <summary>Randomized subspace iteration (Halko, Martinsson and Tropp 2011, algorithms 4.4 and 5.3).</summary>
    Randomized,
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
public sealed record EigenDecomposition(double[] Values, double[] Vectors, EigenSolver Solver, double[]? AllValues);

/// <summary>Leading eigenpairs of a dense symmetric matrix, computed in float64 with libtorch.</summary>
public static class SymmetricEigensolver
{
    /// <summary>Up to this many rows the exact solver is chosen by <see cref="EigenSolver.Auto"/>.</summary>
    public const int ExactLimit = 3000;

    /// <summary>The solver <see cref="EigenSolver.Auto"/> resolves to for an n × n matrix and k pairs.</summary>
    public static EigenSolver Resolve(EigenSolver solver, int n, int k, int oversampling) => solver switch
    {
        EigenSolver.Auto => n <= ExactLimit || (k + oversampling) * 3 > n ? EigenSolver.Exact : EigenSolver.Randomized,
        _ => solver,
    };

    /// <summary>The <paramref name="k"/> leading eigenpairs of <paramref name="matrix"/> ([n, n] row-major, symmetric).</summary>
    /// <param name="cancellationToken">Checked before the work and between the randomized solver's passes.</param>
    public static EigenDecomposition Decompose(double[] matrix, int n, int k, EigenRanking ranking, EigenSolver solver,
                                               int oversampling = 16, int powerIterations = 8, long seed = 0,
                                               CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual((long)matrix.Length, (long)n * n, nameof(matrix));
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be between 1 and the matrix size ({n}), got {k}");
        ArgumentOutOfRangeException.ThrowIfNegative(oversampling);
        ArgumentOutOfRangeException.ThrowIfNegative(powerIterations);
        TorchRuntime.EnsureLoaded();
        cancellationToken.ThrowIfCancellationRequested();
        var resolved = Resolve(solver, n, k, oversampling);
        using var scope = NewDisposeScope();
        using var a = tensor(matrix, [n, n], ScalarType.Float64);
        return resolved switch
        {
            EigenSolver.Exact => Exact(a, k, ranking),
            EigenSolver.Randomized => Randomized(a, a.shape[0], k, ranking, oversampling, powerIterations, seed, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(solver)),
        };
    }

    static EigenDecomposition Exact(Tensor a, int k, EigenRanking ranking)
    {
        var (values, vectors) = linalg.eigh(a);          // ascending
        var all = values.flip(0);
        var (picked, order) = Pick(values, vectors, k, ranking);
        return new EigenDecomposition(picked, order, EigenSolver.Exact, all.data<double>().ToArray());
    }

    /// <summary>
    /// The <paramref name="k"/> leading eigenpairs of a sparse symmetric matrix given as coordinate lists, by the
    /// randomized solver: only products of the matrix with n × (k + oversampling) blocks are formed.
    /// </summary>
    /// <param name="cancellationToken">Checked before the work and between the solver's passes.</param>
    public static EigenDecomposition DecomposeSparse(long[] rows, long[] columns, double[] values, int n, int k, EigenRanking ranking,
                                                     int oversampling = 16, int powerIterations = 8, long seed = 0,
                                                     CancellationToken cancellationToken = default)
    {
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be between 1 and the matrix size ({n}), got {k}");
        TorchRuntime.EnsureLoaded();
        cancellationToken.ThrowIfCancellationRequested();
        using var scope = NewDisposeScope();
        var indices = stack([tensor(rows), tensor(columns)]);
        using var a = sparse_coo_tensor(indices, tensor(values), [n, n]);
        return Randomized(a, n, k, ranking, oversampling, powerIterations, seed, cancellationToken);
    }

    // `a` may be dense or sparse: it is only ever multiplied from the left onto a dense block.
    static EigenDecomposition Randomized(Tensor a, long n, int k, EigenRanking ranking, int oversampling, int powerIterations, long seed,
                                         CancellationToken cancellationToken)
    {
        int l = (int)Math.Min(n, k + oversampling);
        using var generator = new Generator((ulong)seed);
        var omega = randn([n, l], ScalarType.Float64, generator: generator);
        var (q, _) = linalg.qr(a.matmul(omega));
        // Each pass multiplies by A once (A is symmetric, so Aᵀ = A) and re-orthonormalises to keep the small
        // eigenvalues of the block from drowning in rounding.
        for (int i = 0; i < powerIterations; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (q, _) = linalg.qr(a.matmul(q));
        }
        cancellationToken.ThrowIfCancellationRequested();
        var b = q.T.matmul(a.matmul(q));
        b = (b + b.T) / 2;                                // symmetric to rounding before eigh
        var (theta, v) = linalg.eigh(b);
        var (picked, vectors) = Pick(theta, q.matmul(v), k, ranking);
        return new EigenDecomposition(picked, vectors, EigenSolver.Randomized, null);
    }

    static (double[] Values, double[] Vectors) Pick(Tensor ascendingValues, Tensor vectors, int k, EigenRanking ranking)
    {
        var key = ranking switch
        {
            EigenRanking.Algebraic => ascendingValues,
            EigenRanking.Magnitude => ascendingValues.abs(),
            _ => throw new ArgumentOutOfRangeException(nameof(ranking)),
        };
        var (_, index) = key.topk(k, largest: true, sorted: true);
        var values = ascendingValues.index_select(0, index);
        if (ranking == EigenRanking.Magnitude)
        {
            // Magnitude picks the set; within it, eigenvalues are still reported in descending order of value.
            var (_, byValue) = values.sort(descending: true);
            index = index.index_select(0, byValue);
            values = ascendingValues.index_select(0, index);
        }
        var picked = vectors.index_select(1, index).contiguous();
        var result = values.data<double>().ToArray();
        Debug.Assert(result.Length == k);
        return (result, picked.data<double>().ToArray());
    }
}
