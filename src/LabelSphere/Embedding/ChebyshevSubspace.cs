using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Embedding;

/// <summary>
/// The leading eigenpairs (by value) of a sparse symmetric matrix by Chebyshev-filtered subspace iteration (Zhou and
/// Saad 2007) in float32. Each pass multiplies a block of m = k + <see cref="Extra"/> vectors by a Chebyshev polynomial
/// of the matrix that damps the unwanted end of the spectrum, [λ_min, the block's smallest Ritz value], and lifts the
/// wanted end; then it orthonormalises the block (Householder QR) and turns it into its Ritz vectors. The polynomial
/// costs the matrix's stored cells times m per degree; the rest n·m² per pass, where a dense reduction costs n³ and is
/// bound by memory bandwidth.
/// </summary>
internal static unsafe class ChebyshevSubspace
{
    /// <summary>Residual tolerance relative to ‖A‖₂, a little above float32's rounding of a product with the matrix.</summary>
    public const double DefaultTolerance = 1e-5;

    /// <summary>Passes after which the solver gives up.</summary>
    public const int DefaultMaxPasses = 40;

    /// <summary>
    /// The natural logarithm of the largest growth the polynomial may give the top of the spectrum over the edge of
    /// the damped interval. Each column is a float32 vector: what the filter leaves far below the block's largest
    /// component is lost to rounding, and with it accuracy in the Ritz vectors near the cut. Measured at the paper's
    /// size (docs/scale.md): 24 (degree 12 there) converged to residuals below 1e-5 of ‖A‖ in 7 passes; 30 (degree
    /// 14–15) stalled at 5e-5; 60 (degree 28) diverged.
    /// </summary>
    const double GrowthBudget = 24;

    const int MinDegree = 4, MaxDegree = 64;

    /// <summary>Vectors beyond k in the block, so that the k-th is not at the edge of the damped interval.</summary>
    public static int Extra(int k) => Math.Max(32, k / 8);

    /// <summary>Whether the block leaves enough of the spectrum below it to damp: k + extra at most half of n.</summary>
    public static bool Fits(int n, int k) => 2L * (k + Extra(k)) <= n;

    /// <summary>
    /// An [n, m] float32 block of orthonormal columns, the Ritz vectors of descending Ritz values, whose first k have
    /// residuals ‖A·x − θ·x‖ of at most <paramref name="tolerance"/>·‖A‖₂; the caller disposes it.
    /// </summary>
    /// <param name="progress">Hears after every pass: the pass, the pairs of k converged, the largest relative residual among the k.</param>
    public static (Tensor Block, double MaxResidual) Solve(CsrMatrix matrix, int k, long seed, double tolerance = DefaultTolerance,
                                                           int maxPasses = DefaultMaxPasses, IProgress<BlockLanczos.Step>? progress = null,
                                                           CancellationToken cancellationToken = default)
    {
        int n = matrix.Size, m = k + Extra(k);
        if (!Fits(n, k))
            throw new ArgumentOutOfRangeException(nameof(k), k,
                $"the Chebyshev solver needs k + {Extra(k)} vectors to be at most half the matrix size ({n}); use the Lanczos or the exact solver");
        var values = new float[matrix.Values.Length];
        for (long e = 0; e < values.LongLength; e++) values[e] = (float)matrix.Values[e];
        var (top, bottom) = Extremes(matrix, seed);
        double norm = Math.Max(Math.Abs(top), Math.Abs(bottom)), spread = top - bottom;
        // The damped interval's lower end a little below λ_min: the polynomial grows fast outside its interval.
        double lower = bottom - 1e-3 * spread;

        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var (ritz, x) = RayleighRitz(matrix, values, linalg.qr(randn([n, m], ScalarType.Float32, generator: generator)).Q.contiguous());
        if (spread <= 1e-12 * norm)
            return (x.MoveToOuterDisposeScope(), 0);                // a multiple of the identity: every vector is an eigenvector
        for (int pass = 0; ; pass++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var inner = NewDisposeScope();
            double cut = ritz[m - 1];
            var filtered = Filter(matrix, values, x, Degree(lower, cut, top), lower, cut, top);
            (ritz, x) = RayleighRitz(matrix, values, linalg.qr(filtered).Q.contiguous());
            filtered.Dispose();
            var residuals = Residuals(matrix, values, x, ritz, k);
            int converged = residuals.Count(r => r <= tolerance * norm);
            double worst = residuals.Max() / norm;
            progress?.Report(new BlockLanczos.Step(pass, converged, k, worst));
            x = x.MoveToOuterDisposeScope();
            if (converged == k) return (x.MoveToOuterDisposeScope(), worst);
            if (pass + 1 >= maxPasses)
                throw new EigenConvergenceException($"the Chebyshev solver did not converge in {maxPasses} passes: {k - converged} of {k} " +
                    $"eigenpairs have residuals above {tolerance:0.#e0} of ‖A‖ (the largest {worst:0.#e0}); use the Lanczos or the exact solver");
        }
    }

    /// <summary>
    /// The polynomial's degree on the damped interval [lower, cut]: as high as <see cref="GrowthBudget"/> allows for
    /// the growth at the top of the spectrum, T_d(ℓ(top)) = cosh(d·acosh ℓ(top)).
    /// </summary>
    internal static int Degree(double lower, double cut, double top)
    {
        double ell = (top - (cut + lower) / 2) / ((cut - lower) / 2);
        if (ell <= 1) return MinDegree;
        return (int)Math.Clamp(Math.Floor(GrowthBudget / Math.Log(ell + Math.Sqrt(ell * ell - 1))), MinDegree, MaxDegree);
    }

    /// <summary>λ_max and λ_min by block Lanczos on the float64 matrix.</summary>
    static (double Top, double Bottom) Extremes(CsrMatrix matrix, long seed)
    {
        using var scope = NewDisposeScope();
        var multiply = SymmetricEigensolver.Products(matrix);
        var top = BlockLanczos.Solve(multiply, matrix.Size, 1, EigenRanking.Algebraic, seed, tolerance: 1e-6);
        var bottom = BlockLanczos.Solve(x => -multiply(x), matrix.Size, 1, EigenRanking.Algebraic, seed, tolerance: 1e-6);
        return (top.Values[0], -bottom.Values[0]);
    }

    /// <summary>Ritz values (descending) and vectors [n, m] of the orthonormal block Q [n, m], which it disposes.</summary>
    static (float[] Values, Tensor Vectors) RayleighRitz(CsrMatrix matrix, float[] values, Tensor q)
    {
        using var scope = NewDisposeScope();
        var aq = Step(matrix, values, q, null, 1, 0, 0);
        var h = q.t().matmul(aq);
        aq.Dispose();
        var (theta, s) = linalg.eigh((h + h.t()) / 2);          // ascending
        h.Dispose();
        var vectors = q.matmul(s.flip(1)).contiguous();
        q.Dispose();
        return (theta.flip(0).data<float>().ToArray(), vectors.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// p(A)·X, consuming X, with p the Chebyshev polynomial of the given degree on [lower, cut] scaled to 1 at
    /// <paramref name="top"/>: Zhou and Saad's scaled three-term recurrence, for the upper end of the spectrum.
    /// Two blocks are alive at a time: each step writes over the one before last.
    /// </summary>
    static Tensor Filter(CsrMatrix matrix, float[] values, Tensor x, int degree, double lower, double cut, double top)
    {
        double e = (cut - lower) / 2, c = (cut + lower) / 2;
        double sigma = e / (top - c), tau = 2 / sigma;
        var previous = x;
        var current = Step(matrix, values, x, null, sigma / e, c, 0);
        for (int i = 2; i <= degree; i++)
        {
            double next = 1 / (tau - sigma);
            Step(matrix, values, current, previous, 2 * next / e, c, sigma * next);
            (previous, current) = (current, previous);
            sigma = next;
        }
        previous.Dispose();
        return current;
    }

    /// <summary>
    /// α·(A − c)·X − β·P for X [n, b] float32, written into P (each row of P is read before it is written) or, when P
    /// is null, into a new tensor.
    /// </summary>
    static Tensor Step(CsrMatrix matrix, float[] values, Tensor x, Tensor? p, double alpha, double c, double beta)
    {
        int n = matrix.Size, b = (int)x.shape[1];
        var output = p ?? empty([n, b], ScalarType.Float32);
        float* input = Pointer(x), result = Pointer(output);
        float a = (float)alpha, shift = (float)(-alpha * c), keep = (float)(-beta);
        bool accumulate = p is not null;
        Parallel.For(0, (n + 31) / 32, () => new float[b], (chunk, _, row) =>
        {
            for (int i = chunk * 32, end = Math.Min(n, i + 32); i < end; i++)
            {
                Gather(matrix, values, input, b, b, i, row);
                var target = new Span<float>(result + (long)i * b, b);
                if (accumulate)
                {
                    TensorPrimitives.Multiply(target, keep, target);
                    TensorPrimitives.MultiplyAdd(row, a, target, target);
                }
                else TensorPrimitives.Multiply(row, a, target);
                if (shift != 0) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(input + (long)i * b, b), shift, target, target);
            }
            return row;
        }, _ => { });
        return output;
    }

    /// <summary>‖A·x_c − θ_c·x_c‖ for the first k columns of X [n, m], row by row, without an n × k block.</summary>
    static double[] Residuals(CsrMatrix matrix, float[] values, Tensor x, float[] theta, int k)
    {
        int n = matrix.Size, b = (int)x.shape[1];
        float* input = Pointer(x);
        var total = new double[k];
        var gate = new object();
        Parallel.For(0, (n + 31) / 32, () => (Row: new float[k], Sums: new double[k]), (chunk, _, local) =>
        {
            for (int i = chunk * 32, end = Math.Min(n, i + 32); i < end; i++)
            {
                Gather(matrix, values, input, b, k, i, local.Row);
                var own = new ReadOnlySpan<float>(input + (long)i * b, k);
                for (int c = 0; c < k; c++)
                {
                    double r = local.Row[c] - theta[c] * own[c];
                    local.Sums[c] += r * r;
                }
            }
            return local;
        }, local => { lock (gate) TensorPrimitives.Add(total, local.Sums, total); });
        for (int c = 0; c < k; c++) total[c] = Math.Sqrt(total[c]);
        return total;
    }

    /// <summary>Row i of A·X, its first <paramref name="width"/> columns: X is [n, stride] float32.</summary>
    static void Gather(CsrMatrix matrix, float[] values, float* x, int stride, int width, int i, Span<float> row)
    {
        row.Clear();
        for (long e = matrix.Offsets[i]; e < matrix.Offsets[i + 1]; e++)
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(x + (long)matrix.Columns[e] * stride, width), values[e], row, row);
    }

    /// <summary>The first element of a contiguous float32 tensor in native memory.</summary>
    static float* Pointer(Tensor t)
    {
        Debug.Assert(t.is_contiguous() && t.dtype == ScalarType.Float32);
        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));
    }
}
