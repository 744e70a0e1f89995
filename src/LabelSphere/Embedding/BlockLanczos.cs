using System.Diagnostics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Embedding;

/// <summary>The Lanczos solver stopped at its restart cap before every wanted eigenpair met the tolerance.</summary>
public sealed class EigenConvergenceException(string message) : Exception(message);

/// <summary>A symmetric n × n sparse matrix in compressed sparse rows, multiplied onto dense blocks in parallel.</summary>
/// <param name="Offsets">[n + 1] where each row's entries start in <paramref name="Columns"/> and <paramref name="Values"/>.</param>
/// <param name="Columns">[entries] column of each entry, ascending within a row.</param>
/// <param name="Values">[entries] the entries.</param>
internal sealed record CsrMatrix(int Size, long[] Offsets, int[] Columns, double[] Values)
{
    /// <summary>Stored entries.</summary>
    public long Entries => Values.LongLength;

    /// <summary>The matrix of coordinate lists (each cell at most once), sorted into rows.</summary>
    public static CsrMatrix FromCoordinates(long[] rows, long[] columns, double[] values, int n)
    {
        Debug.Assert(rows.Length == columns.Length && rows.Length == values.Length);
        var offsets = new long[n + 1];
        foreach (var r in rows) offsets[r + 1]++;
        for (int i = 0; i < n; i++) offsets[i + 1] += offsets[i];
        var next = offsets[..n];
        var cols = new int[rows.Length];
        var vals = new double[rows.Length];
        for (long e = 0; e < rows.LongLength; e++)
        {
            long at = next[rows[e]]++;
            cols[at] = (int)columns[e];
            vals[at] = values[e];
        }
        Parallel.For(0, n, i =>
        {
            int start = (int)offsets[i], length = (int)(offsets[i + 1] - offsets[i]);
            cols.AsSpan(start, length).Sort(vals.AsSpan(start, length));
        });
        return new CsrMatrix(n, offsets, cols, vals);
    }

    /// <summary>Y = A·X.</summary>
    /// <param name="x">[n, b] row-major.</param>
    /// <param name="y">[n, b] row-major, overwritten.</param>
    public void Multiply(double[] x, double[] y, int b)
    {
        Debug.Assert(x.LongLength == (long)Size * b && y.LongLength == x.LongLength);
        // Rows in chunks: each row of Y is a sum of rows of X weighted by the row's entries, b values at a time.
        Parallel.For(0, (Size + 63) / 64, chunk =>
        {
            int end = Math.Min(Size, (chunk + 1) * 64);
            for (int i = chunk * 64; i < end; i++)
            {
                var row = y.AsSpan(i * b, b);
                row.Clear();
                for (long e = Offsets[i]; e < Offsets[i + 1]; e++)
                    TensorPrimitives.MultiplyAdd(x.AsSpan(Columns[e] * b, b), Values[e], row, row);
            }
        });
    }

    /// <summary>‖A‖_F.</summary>
    public double FrobeniusNorm() => Math.Sqrt(TensorPrimitives.SumOfSquares<double>(Values));
}

/// <summary>
/// The k leading eigenpairs of a symmetric matrix known only by its products with n × b blocks: block Lanczos with
/// full reorthogonalisation (two passes of classical Gram–Schmidt against the whole basis, as matrix products) and
/// thick restarts (the basis shrinks to its best Ritz vectors and the residual block, Wu and Simon 2000; Stewart's
/// Krylov–Schur in the symmetric case). Rayleigh–Ritz on the projected matrix by LAPACK's eigh, all in float64.
/// A pair has converged when its residual ‖A·x − λ·x‖ is at most the tolerance times ‖A‖₂, estimated by the
/// largest |Ritz value| seen.
/// </summary>
internal static class BlockLanczos
{
    /// <summary>Residual tolerance relative to ‖A‖₂: an eigenvalue's error is at most its residual, and in practice its square over the gap.</summary>
    public const double DefaultTolerance = 1e-10;

    /// <summary>Restarts after which the solver gives up.</summary>
    public const int DefaultMaxRestarts = 300;

    /// <summary>The sizes the solver works with for k pairs of an n × n matrix.</summary>
    /// <param name="Block">Columns multiplied by A at once.</param>
    /// <param name="Basis">Largest basis before a restart.</param>
    /// <param name="Keep">Ritz vectors kept across a restart.</param>
    internal sealed record Sizes(int Block, int Basis, int Keep)
    {
        /// <summary>The sizes for k pairs of an n × n matrix; null when n is too small for a restarted Krylov basis (use the exact solver).</summary>
        public static Sizes? For(int n, int k)
        {
            int block = Math.Clamp(k / 8, 4, 64);
            // 2k as ARPACK's default for small k; past 1,024 pairs, k/2 extra vectors (the projected eigenproblem grows
            // with the cube of the basis).
            int extra = k <= 1024 ? Math.Max(k, 4 * block) : Math.Max(1024, k / 2);
            int basis = Math.Min(k + extra, n - block);
            int keep = Math.Min(k + (basis - k) / 2, basis - 2 * block);
            return keep < k || basis < k + 2 * block ? null : new Sizes(block, basis, keep);
        }
    }

    /// <summary>A progress report: the restart, how many of the k pairs have converged, and the largest relative residual among them.</summary>
    internal readonly record struct Step(int Restart, int Converged, int Wanted, double MaxResidual);

    /// <summary>The k leading eigenpairs of the n × n symmetric matrix whose products <paramref name="multiply"/> computes.</summary>
    /// <param name="multiply">Takes X [n, b] and returns A·X [n, b], float64.</param>
    public static EigenDecomposition Solve(Func<Tensor, Tensor> multiply, int n, int k, EigenRanking ranking, long seed,
                                           double tolerance = DefaultTolerance, int maxRestarts = DefaultMaxRestarts,
                                           IProgress<Step>? progress = null, CancellationToken cancellationToken = default)
    {
        var sizes = Sizes.For(n, k) ?? throw new ArgumentOutOfRangeException(nameof(k), k,
            $"the Lanczos solver needs a basis larger than k: {k} pairs of a {n} × {n} matrix leave no room; use the exact solver");
        int b = sizes.Block, m = sizes.Basis;
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var v = zeros([m, n], ScalarType.Float64);         // the basis, one vector per row
        var h = zeros([m, m], ScalarType.Float64);         // VᵀAV, filled in its upper triangle
        var (start0, _) = Orthonormalise(randn([n, b], ScalarType.Float64, generator: generator), v.narrow(0, 0, 0), 1.0, generator);
        v.narrow(0, 0, b).copy_(start0.T);
        int start = 0, used = b;
        double normA = 0;
        for (int restart = 0; ; restart++)
        {
            using var round = NewDisposeScope();
            Tensor residual, coupling;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var inner = NewDisposeScope();
                var w = multiply(v.narrow(0, start, b).T.contiguous());
                var basis = v.narrow(0, 0, used);
                var c = basis.matmul(w);
                w = w - basis.T.matmul(c);
                var c2 = basis.matmul(w);
                w = w - basis.T.matmul(c2);
                h.narrow(0, 0, used).narrow(1, start, b).copy_(c + c2);
                var scale = Math.Max(normA, c.abs().max().item<double>());
                var (q, r) = Orthonormalise(w, basis, scale, generator);
                if (used + b > m)
                {
                    residual = q.MoveToOuterDisposeScope();
                    coupling = r.MoveToOuterDisposeScope();
                    break;
                }
                v.narrow(0, used, b).copy_(q.T);
                start = used;
                used += b;
            }

            var projected = h.narrow(0, 0, used).narrow(1, 0, used).triu();
            projected = projected + projected.triu(1).T;
            var (theta, s) = linalg.eigh(projected);          // ascending
            normA = Math.Max(normA, theta.abs().max().item<double>());
            var wanted = Order(theta, k, ranking);
            var sWanted = s.index_select(1, wanted);
            // A·V·s − θ·V·s = Q·R·(the last block's rows of s), so each residual norm is ‖R·s_last‖.
            var residuals = coupling.matmul(sWanted.narrow(0, start, b)).norm(0).data<double>().ToArray();
            int converged = 0;
            double worst = 0;
            foreach (var norm in residuals)
            {
                if (norm <= tolerance * normA) converged++;
                worst = Math.Max(worst, norm / normA);
            }
            progress?.Report(new Step(restart, converged, k, worst));
            if (converged == k)
            {
                var vectors = v.narrow(0, 0, used).T.matmul(sWanted).contiguous();
                return new EigenDecomposition(theta.index_select(0, wanted).data<double>().ToArray(), vectors.data<double>().ToArray(),
                    EigenSolver.Lanczos, null, worst);
            }
            if (restart >= maxRestarts)
                throw new EigenConvergenceException($"the Lanczos solver did not converge in {maxRestarts} restarts: {k - converged} of {k} " +
                    $"eigenpairs have residuals above {tolerance:0.#e0} of ‖A‖ (the largest {worst:0.#e0}); ask for fewer dimensions or use the exact solver");

            // Thick restart: the best Ritz vectors, then the residual block, whose coupling to them the next
            // expansion measures again.
            var kept = Order(theta, sizes.Keep, ranking);
            var y = s.index_select(1, kept).T.matmul(v.narrow(0, 0, used));
            v.narrow(0, 0, sizes.Keep).copy_(y);
            v.narrow(0, sizes.Keep, b).copy_(residual.T);
            h.zero_();
            h.narrow(0, 0, sizes.Keep).narrow(1, 0, sizes.Keep).copy_(diag(theta.index_select(0, kept)));
            start = sizes.Keep;
            used = sizes.Keep + b;
        }
    }

    /// <summary>
    /// Indices of the <paramref name="k"/> leading values of <paramref name="values"/> under the ranking, in the order
    /// they are reported: descending by value.
    /// </summary>
    internal static Tensor Order(Tensor values, int k, EigenRanking ranking)
    {
        var key = ranking switch
        {
            EigenRanking.Algebraic => values,
            EigenRanking.Magnitude => values.abs(),
            _ => throw new ArgumentOutOfRangeException(nameof(ranking)),
        };
        var (_, index) = key.topk(k, largest: true, sorted: true);
        // Magnitude picks the set; within it, eigenvalues are still reported in descending order of value.
        var (_, byValue) = values.index_select(0, index).sort(descending: true);
        return index.index_select(0, byValue);
    }

    /// <summary>
    /// An orthonormal basis Q [n, b] of the block W, already orthogonal to <paramref name="basis"/>, and R = QᵀW.
    /// Columns that W leaves (nearly) dependent are filled with random directions orthogonal to everything so far, so
    /// that the basis keeps growing through an invariant subspace.
    /// </summary>
    static (Tensor Q, Tensor R) Orthonormalise(Tensor w, Tensor basis, double scale, Generator generator)
    {
        var (q, r) = linalg.qr(w);
        var diagonal = r.diagonal().abs();
        double threshold = 1e-10 * Math.Max(scale, double.Epsilon);
        if (diagonal.min().item<double>() > threshold) return (q, r);
        var weak = (diagonal <= threshold).unsqueeze(0);
        var filled = where(weak, randn(w.shape, ScalarType.Float64, generator: generator), w);
        for (int pass = 0; pass < 2; pass++)
            if (basis.shape[0] > 0) filled = filled - basis.T.matmul(basis.matmul(filled));
        (q, _) = linalg.qr(filled);
        return (q, q.T.matmul(w));
    }
}
