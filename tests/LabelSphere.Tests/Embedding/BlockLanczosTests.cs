using LabelSphere.Data;
using LabelSphere.Embedding;

namespace LabelSphere.Tests.Embedding;

[Collection(TorchCollection.Name)]
[NoTensorLeaks]
public sealed class BlockLanczosTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A random sparse symmetric matrix with about <paramref name="perRow"/> entries a row, of both signs, and a positive diagonal.</summary>
    static (double[] Dense, CsrMatrix Sparse) RandomSparse(int n, int perRow, int seed)
    {
        var random = new Random(seed);
        var dense = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            dense[i * n + i] = 3 * random.NextDouble();
            for (int e = 0; e < perRow / 2; e++)
            {
                int j = random.Next(n);
                if (j == i) continue;
                double v = random.NextDouble() * 2 - 1;
                dense[i * n + j] = dense[j * n + i] = v;
            }
        }
        return (dense, FromDense(dense, n));
    }

    static CsrMatrix FromDense(double[] dense, int n)
    {
        var rows = new List<long>();
        var columns = new List<long>();
        var values = new List<double>();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (dense[i * n + j] != 0) { rows.Add(i); columns.Add(j); values.Add(dense[i * n + j]); }
        return CsrMatrix.FromCoordinates([.. rows], [.. columns], [.. values], n);
    }

    /// <summary>
    /// Asserts that the pairs agree with the exact ones: eigenvalues within 1e-6 of |λ₁| (in practice far closer), and
    /// every exact eigenvector whose eigenvalue is clear of the first one left out lies in the span of the computed
    /// vectors (which settles signs and rotations within repeated eigenvalues).
    /// </summary>
    static void AssertAgrees(EigenDecomposition exact, EigenDecomposition computed, int n, int k, EigenRanking ranking, double[]? allExact)
    {
        double scale = Math.Abs(exact.Values[0]);
        for (int c = 0; c < k; c++)
            Assert.True(Math.Abs(exact.Values[c] - computed.Values[c]) <= 1e-6 * scale,
                $"eigenvalue {c}: exact {exact.Values[c]:R}, computed {computed.Values[c]:R}");
        // The first eigenvalue left out, by the ranking.
        var rest = allExact!.OrderByDescending(v => ranking == EigenRanking.Algebraic ? v : Math.Abs(v)).Skip(k).First();
        for (int c = 0; c < k; c++)
        {
            if (Math.Abs(exact.Values[c] - rest) < 1e-6 * scale) continue;   // the k-th pair is not unique there
            double inSpan = 0;
            for (int d = 0; d < k; d++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++) dot += exact.Vectors[(long)i * k + c] * computed.Vectors[(long)i * k + d];
                inSpan += dot * dot;
            }
            Assert.True(Math.Abs(1 - inSpan) < 1e-6, $"exact eigenvector {c} (λ = {exact.Values[c]:R}) is {Math.Sqrt(inSpan):R} in the computed span");
        }
        for (int c = 0; c < k; c++)
        {
            double norm = 0;
            for (int i = 0; i < n; i++) norm += computed.Vectors[(long)i * k + c] * computed.Vectors[(long)i * k + c];
            Assert.Equal(1.0, norm, 10);
        }
    }

    [Theory]
    [InlineData(300, 8, 10, EigenRanking.Algebraic, 1)]
    [InlineData(600, 12, 40, EigenRanking.Algebraic, 2)]
    [InlineData(600, 12, 40, EigenRanking.Magnitude, 3)]
    [InlineData(900, 6, 150, EigenRanking.Algebraic, 4)]
    public void Lanczos_finds_the_leading_eigenpairs_of_a_sparse_matrix_as_LAPACK_does(int n, int perRow, int k, EigenRanking ranking, int seed)
    {
        // Given a random sparse symmetric matrix with eigenvalues of both signs
        var (dense, sparse) = RandomSparse(n, perRow, seed);

        // When its k leading pairs are computed by LAPACK on the dense matrix and by Lanczos on the sparse one
        var exact = SymmetricEigensolver.Decompose(dense, n, k, ranking, EigenSolver.Exact, cancellationToken: Ct);
        var lanczos = SymmetricEigensolver.DecomposeSparse(sparse, k, ranking, EigenSolver.Lanczos, seed: seed, cancellationToken: Ct);

        // Then the eigenvalues and the spanned subspace agree, and the solver reports its residual below the tolerance
        Assert.Equal(EigenSolver.Lanczos, lanczos.Solver);
        AssertAgrees(exact, lanczos, n, k, ranking, exact.AllValues);
        Assert.True(lanczos.MaxResidual <= BlockLanczos.DefaultTolerance, $"largest residual {lanczos.MaxResidual}");
    }

    [Fact]
    public void Lanczos_resolves_repeated_eigenvalues_larger_than_one()
    {
        // Given A = Q·diag(λ)·Qᵀ whose largest eigenvalue is repeated three times and the next twice
        int n = 200, k = 12;
        var random = new Random(7);
        var lambda = Enumerable.Range(0, n).Select(i => random.NextDouble() * 2 - 1).ToArray();
        lambda[0] = lambda[1] = lambda[2] = 5.0;
        lambda[3] = lambda[4] = 4.0;
        var q = RandomOrthogonal(n, random);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int c = 0; c < n; c++) sum += q[i * n + c] * lambda[c] * q[j * n + c];
                a[i * n + j] = sum;
            }

        // When Lanczos runs on it (dense products)
        var exact = SymmetricEigensolver.Decompose(a, n, k, EigenRanking.Algebraic, EigenSolver.Exact, cancellationToken: Ct);
        var lanczos = SymmetricEigensolver.Decompose(a, n, k, EigenRanking.Algebraic, EigenSolver.Lanczos, seed: 3, cancellationToken: Ct);

        // Then it finds every copy, and the repeated spaces are the exact ones
        Assert.Equal([5.0, 5.0, 5.0, 4.0, 4.0], lanczos.Values.Take(5).Select(v => Math.Round(v, 9)));
        AssertAgrees(exact, lanczos, n, k, EigenRanking.Algebraic, exact.AllValues);
    }

    static double[] RandomOrthogonal(int n, Random random)
    {
        // Gram–Schmidt on a Gaussian matrix, columns of the result orthonormal.
        var q = new double[n * n];
        for (int i = 0; i < q.Length; i++) q[i] = random.NextDouble() - 0.5;
        for (int c = 0; c < n; c++)
            for (int pass = 0; pass < 2; pass++)
            {
                for (int d = 0; d < c; d++)
                {
                    double dot = 0;
                    for (int i = 0; i < n; i++) dot += q[i * n + c] * q[i * n + d];
                    for (int i = 0; i < n; i++) q[i * n + c] -= dot * q[i * n + d];
                }
                double norm = 0;
                for (int i = 0; i < n; i++) norm += q[i * n + c] * q[i * n + c];
                norm = Math.Sqrt(norm);
                for (int i = 0; i < n; i++) q[i * n + c] /= norm;
            }
        return q;
    }

    [Fact]
    public void Lanczos_crosses_an_invariant_subspace_of_a_block_diagonal_matrix()
    {
        // Given a PMI with labels no instance carries (zero rows) and a tiny vocabulary of disconnected groups
        var (vocabulary, labels) = Fixtures.Topics(120, 600, 40, seed: 5);
        var counts = CooccurrenceCounts.Count(vocabulary, labels, cancellationToken: Ct);
        var sparse = Pmi.ComputeSparse(counts, new PmiOptions(), Ct);
        var dense = Pmi.Compute(counts, new PmiOptions(), Ct);

        // When Lanczos and LAPACK compute 20 pairs
        var exact = SymmetricEigensolver.Decompose(dense.Values, 120, 20, EigenRanking.Algebraic, EigenSolver.Exact, cancellationToken: Ct);
        var lanczos = SymmetricEigensolver.DecomposeSparse(CsrMatrix.FromCoordinates(sparse.Rows, sparse.Columns, sparse.Values, 120), 20,
            EigenRanking.Algebraic, EigenSolver.Lanczos, cancellationToken: Ct);

        // Then they agree
        AssertAgrees(exact, lanczos, 120, 20, EigenRanking.Algebraic, exact.AllValues);
    }

    [Fact]
    public void Lanczos_that_runs_out_of_restarts_says_how_far_it_got()
    {
        var (_, sparse) = RandomSparse(600, 12, 2);
        var error = Assert.Throws<EigenConvergenceException>(() =>
            BlockLanczos.Solve(SymmetricEigensolver.Products(sparse), 600, 40, EigenRanking.Algebraic, seed: 0, maxRestarts: 0, cancellationToken: Ct));
        Assert.Contains("did not converge in 0 restarts", error.Message);
        Assert.Contains("of 40 eigenpairs have residuals above 1e-10", error.Message);
    }

    [Fact]
    public void Lanczos_is_refused_when_k_leaves_no_room_for_a_basis()
    {
        var (_, sparse) = RandomSparse(40, 6, 1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            SymmetricEigensolver.DecomposeSparse(sparse, 30, EigenRanking.Algebraic, EigenSolver.Lanczos, cancellationToken: Ct));
        Assert.Contains("use the exact solver", error.Message);
    }

    [Theory]
    [InlineData(EigenSolver.Lanczos, new[] { "mulan", "bibtex", "bibtex-train.arff" }, 100)]
    [InlineData(EigenSolver.Lanczos, new[] { "mulan", "delicious", "delicious-train.arff" }, 256)]
    [InlineData(EigenSolver.Chebyshev, new[] { "mulan", "bibtex", "bibtex-train.arff" }, 40)]
    [InlineData(EigenSolver.Chebyshev, new[] { "mulan", "delicious", "delicious-train.arff" }, 256)]
    [InlineData(EigenSolver.Chebyshev, new[] { "coco", "captions_val2017.json" }, 256)]
    public void A_sparse_solver_on_a_real_label_sets_PMI_matches_LAPACK(EigenSolver solver, string[] file, int k)
    {
        var path = DatasetPaths.Get(file);
        Assert.SkipWhen(path is null, DatasetPaths.Missing);
        // Given the PMI of a real label set (the COCO captions' words: 2,006 labels, 12% of the pairs seen), sparse and dense
        var data = AnnotationReader.Read(path!);
        var counts = CooccurrenceCounts.Count(data.Vocabulary, data.Labels, cancellationToken: Ct);
        int n = counts.LabelCount;
        var sparse = Pmi.ComputeSparse(counts, new PmiOptions(), Ct);
        var dense = Pmi.Compute(counts, new PmiOptions(), Ct);

        // When its k leading pairs are computed by LAPACK and by the solver from the sparse matrix
        var exact = SymmetricEigensolver.Decompose(dense.Values, n, k, EigenRanking.Algebraic, EigenSolver.Exact, cancellationToken: Ct);
        var computed = SymmetricEigensolver.DecomposeSparse(CsrMatrix.FromCoordinates(sparse.Rows, sparse.Columns, sparse.Values, n), k,
            EigenRanking.Algebraic, solver, cancellationToken: Ct);

        // Then they agree to 1e-6 of λ₁, vectors included
        Assert.Equal(solver, computed.Solver);
        AssertAgrees(exact, computed, n, k, EigenRanking.Algebraic, exact.AllValues ?? SymmetricEigensolver.Decompose(dense.Values, n, n,
            EigenRanking.Algebraic, EigenSolver.Exact, cancellationToken: Ct).Values);
    }

    [Fact]
    public void Fitting_an_embedding_with_Lanczos_reports_every_restart_until_all_k_pairs_have_converged()
    {
        // Given a topic world fitted with the sparse Lanczos plan
        var (vocabulary, labels) = Fixtures.Topics(300, 3000, 12, seed: 3);
        var counts = CooccurrenceCounts.Count(vocabulary, labels, Ct);
        var options = new EmbeddingOptions { Dimension = 20, Solver = EigenSolver.Lanczos, Storage = PmiStorage.Sparse };
        var steps = new List<BlockLanczos.Step>();

        // When it is fitted with a listener for the solver
        LabelEmbedding.Fit(counts, options, EmbeddingPlan.For(counts, options), null, new SynchronousProgress<BlockLanczos.Step>(steps.Add), Ct);

        // Then every restart was reported in order, each against the 20 wanted pairs, and the last with all 20 converged
        Assert.NotEmpty(steps);
        Assert.Equal(Enumerable.Range(0, steps.Count), steps.Select(s => s.Restart));
        Assert.All(steps, s => Assert.Equal(20, s.Wanted));
        Assert.Equal(20, steps[^1].Converged);
        Assert.True(steps[^1].MaxResidual <= BlockLanczos.DefaultTolerance, $"{steps[^1].MaxResidual}");
    }
}
