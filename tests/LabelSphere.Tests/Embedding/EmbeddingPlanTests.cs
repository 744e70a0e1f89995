using LabelSphere.Embedding;
using LabelSphere.Native;

namespace LabelSphere.Tests.Embedding;

[Collection(TorchCollection.Name)]
[NoTensorLeaks]
public sealed class EmbeddingPlanTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    const long Gigabyte = 1_000_000_000;

    // The generate embedding preset: 17,355 labels, 282,780 pairs seen together.
    const int PresetLabels = 17_355;
    const long PresetEntries = 2 * 282_780L + PresetLabels;

    [Fact]
    public void The_paper_sized_sparse_PMI_at_k_64_is_factorised_sparse_by_Lanczos()
    {
        var plan = EmbeddingPlan.Choose(PresetLabels, PresetEntries, 64, EigenRanking.Algebraic, EigenSolver.Auto, PmiStorage.Auto, true, 16 * Gigabyte);
        Assert.Equal((PmiStorage.Sparse, EigenSolver.Lanczos), (plan.Storage, plan.Solver));
        Assert.True(plan.EstimatedBytes < Gigabyte, $"{plan.EstimatedBytes} bytes");
    }

    [Theory]
    [InlineData(256)]
    [InlineData(1024)]
    public void The_paper_sized_sparse_PMI_at_k_256_and_above_is_factorised_sparse_by_Chebyshev_filtered_subspace_iteration(int k)
    {
        var plan = EmbeddingPlan.Choose(PresetLabels, PresetEntries, k, EigenRanking.Algebraic, EigenSolver.Auto, PmiStorage.Auto, true, 16 * Gigabyte);
        Assert.Equal((PmiStorage.Sparse, EigenSolver.Chebyshev), (plan.Storage, plan.Solver));
        Assert.True(plan.EstimatedBytes < Gigabyte, $"{plan.EstimatedBytes} bytes");
        Assert.Equal(PresetEntries / ((double)PresetLabels * PresetLabels), plan.Density, 12);
        Assert.Null(plan.Warning);
    }

    [Fact]
    public void A_PMI_with_unseen_pairs_filled_in_is_factorised_dense_by_Lanczos_when_k_is_small()
    {
        var plan = EmbeddingPlan.Choose(PresetLabels, PresetEntries, 256, EigenRanking.Algebraic, EigenSolver.Auto, PmiStorage.Auto, false, 16 * Gigabyte);
        Assert.Equal((PmiStorage.Dense, EigenSolver.Lanczos), (plan.Storage, plan.Solver));
    }

    [Fact]
    public void A_small_matrix_gets_the_whole_spectrum_from_the_exact_solver()
    {
        var plan = EmbeddingPlan.Choose(400, 3000, 20, EigenRanking.Algebraic, EigenSolver.Auto, PmiStorage.Auto, true, 16 * Gigabyte);
        Assert.Equal((PmiStorage.Dense, EigenSolver.Exact), (plan.Storage, plan.Solver));
        Assert.Contains("whole spectrum", plan.Reason);
    }

    [Fact]
    public void The_randomized_solver_is_never_chosen_and_asking_for_it_warns()
    {
        foreach (var k in new[] { 16, 256, 4096 })
            Assert.NotEqual(EigenSolver.Randomized,
                EmbeddingPlan.Choose(PresetLabels, PresetEntries, k, EigenRanking.Algebraic, EigenSolver.Auto, PmiStorage.Auto, true, 64 * Gigabyte).Solver);
        var asked = EmbeddingPlan.Choose(PresetLabels, PresetEntries, 256, EigenRanking.Algebraic, EigenSolver.Randomized, PmiStorage.Auto, true, 16 * Gigabyte);
        Assert.Equal(EigenSolver.Randomized, asked.Solver);
        Assert.Contains("approximate", asked.Warning);
    }

    [Fact]
    public void A_plan_above_the_memory_available_takes_the_least_memory_and_says_so()
    {
        var plan = EmbeddingPlan.Choose(PresetLabels, PresetEntries, 256, EigenRanking.Algebraic, EigenSolver.Auto, PmiStorage.Auto, true, Gigabyte / 100);
        Assert.Equal(PmiStorage.Sparse, plan.Storage);
        Assert.Contains("above the 0.01 GB available", plan.Warning);
    }

    [Fact]
    public void Sparse_storage_with_the_exact_solver_is_refused_when_ranking_by_magnitude()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            EmbeddingPlan.Choose(PresetLabels, PresetEntries, 256, EigenRanking.Magnitude, EigenSolver.Exact, PmiStorage.Sparse, true, 16 * Gigabyte));
        Assert.Equal(nameof(EmbeddingOptions.Storage), error.ParamName);
    }

    [Fact]
    public void The_paper_sized_sparse_PMI_at_k_4096_is_factorised_in_float32_and_refined_in_float64_in_under_4_GB()
    {
        var plan = EmbeddingPlan.Choose(PresetLabels, PresetEntries, 4096, EigenRanking.Algebraic, EigenSolver.Auto, PmiStorage.Auto, true, 16 * Gigabyte);
        Assert.Equal((PmiStorage.Sparse, EigenSolver.Chebyshev), (plan.Storage, plan.Solver));
        Assert.Contains("float32", plan.Reason);
        Assert.True(plan.EstimatedBytes < 4 * Gigabyte, $"{plan.EstimatedBytes} bytes");
        // The mixed-precision exact solver stays what --solver exact runs there
        if (SymmetricEigensolver.MixedExact(PresetLabels, EigenRanking.Algebraic))
            Assert.Contains("ssyevr", EmbeddingPlan.Choose(PresetLabels, PresetEntries, 4096, EigenRanking.Algebraic, EigenSolver.Exact, PmiStorage.Auto, true,
                16 * Gigabyte).Reason);
    }

    [Theory]
    [InlineData(EigenRanking.Magnitude, PmiStorage.Sparse, 256, true, nameof(EmbeddingOptions.Solver))]     // its filter lifts one end of the spectrum
    [InlineData(EigenRanking.Algebraic, PmiStorage.Dense, 256, true, nameof(EmbeddingOptions.Solver))]      // it multiplies the sparse matrix
    [InlineData(EigenRanking.Algebraic, PmiStorage.Auto, 256, false, nameof(EmbeddingOptions.Solver))]      // unseen pairs filled in: no sparse matrix
    [InlineData(EigenRanking.Algebraic, PmiStorage.Auto, 8000, true, nameof(EmbeddingOptions.Solver))]     // k + extra above half the labels
    public void The_Chebyshev_solver_is_refused_in_one_line_where_it_cannot_run(EigenRanking ranking, PmiStorage storage, int k, bool sparseable, string parameter)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() =>
            EmbeddingPlan.Choose(PresetLabels, PresetEntries, k, ranking, EigenSolver.Chebyshev, storage, sparseable, 16 * Gigabyte));
        Assert.Equal(parameter, error.ParamName);
        Assert.Contains("Chebyshev solver needs", error.Message);
    }

    /// <summary>
    /// A sparse symmetric matrix shaped like a PMI, dense and sparse: a positive diagonal, a few entries of both signs
    /// a row, eigenvalues of both signs and clusters.
    /// </summary>
    static (double[] Dense, CsrMatrix Sparse) PmiLike(int n)
    {
        var random = new Random(11);
        var dense = new double[n * n];
        var rows = new List<long>();
        var columns = new List<long>();
        var values = new List<double>();
        void Set(int i, int j, double v)
        {
            dense[i * n + j] = dense[j * n + i] = v;
            rows.Add(i); columns.Add(j); values.Add(v);
            if (i != j) { rows.Add(j); columns.Add(i); values.Add(v); }
        }
        for (int i = 0; i < n; i++)
        {
            Set(i, i, Math.Round(1 + 8 * random.NextDouble(), 1));   // rounded: repeated diagonal values, as labels of equal counts give
            for (int e = 0; e < 3; e++)
            {
                int j = random.Next(i + 1, n + 1);
                if (j < n && dense[i * n + j] == 0) Set(i, j, 6 * random.NextDouble() - 2);
            }
        }
        return (dense, CsrMatrix.FromCoordinates([.. rows], [.. columns], [.. values], n));
    }

    [Fact]
    public void The_mixed_precision_exact_solver_finds_the_leading_pairs_of_float64_dsyevr()
    {
        Assert.SkipUnless(SystemLapack.SingleAvailable, "no system LAPACK (liblapack.so.3) with ssyevr");
        // Given a PMI-like sparse matrix large enough for the partial exact path
        int n = 1800, k = 120;
        Assert.True(SymmetricEigensolver.MixedExact(n, EigenRanking.Algebraic));
        var (dense, sparse) = PmiLike(n);

        // When its k leading pairs come from float64 dsyevr and from ssyevr refined in float64
        var reference = SymmetricEigensolver.ExactPartial(dense, n, k);
        var mixed = SymmetricEigensolver.ExactMixed(sparse, k, Ct);

        // Then the values agree to 1e-10 of the largest (float32 alone: about 1e-7), every pair's residual is below
        // 1e-5 of it, and the vectors span the same space
        AssertLeadingPairs(reference, mixed, sparse, 1e-10, 1e-5);
    }

    [Fact]
    public void The_Chebyshev_solver_finds_the_leading_pairs_of_float64_dsyevr()
    {
        Assert.SkipUnless(SystemLapack.Available, "no system LAPACK (liblapack.so.3) for the reference");
        // Given a PMI-like sparse matrix
        int n = 1800, k = 120;
        var (dense, sparse) = PmiLike(n);
        var passes = new List<BlockLanczos.Step>();

        // When its k leading pairs come from float64 dsyevr and from Chebyshev-filtered subspace iteration in float32
        // refined in float64
        var reference = SymmetricEigensolver.ExactPartial(dense, n, k);
        var chebyshev = SymmetricEigensolver.DecomposeSparse(sparse, k, EigenRanking.Algebraic, EigenSolver.Chebyshev, seed: 3,
            cancellationToken: Ct, lanczosProgress: new SynchronousProgress<BlockLanczos.Step>(passes.Add));

        // Then the values agree to 1e-8 of the largest, every residual is within the solver's tolerance (1e-5 of ‖A‖),
        // the vectors span the same space, and every pass was reported until all k had converged
        Assert.Equal(EigenSolver.Chebyshev, chebyshev.Solver);
        AssertLeadingPairs(reference, chebyshev, sparse, 1e-8, ChebyshevSubspace.DefaultTolerance);
        Assert.True(passes.Count >= 2, $"{passes.Count} passes");
        Assert.Equal(k, passes[^1].Converged);
        Assert.True(passes[0].Converged < k);
        Assert.True(chebyshev.MaxResidual <= ChebyshevSubspace.DefaultTolerance, $"{chebyshev.MaxResidual}");
    }

    /// <summary>
    /// Values within <paramref name="valueTolerance"/> of λ₁, residuals ‖A·x − λ·x‖ below <paramref name="residualTolerance"/>
    /// of λ₁, and the same k-dimensional space (clustered values make single vectors arbitrary within a cluster).
    /// </summary>
    static void AssertLeadingPairs(EigenDecomposition reference, EigenDecomposition result, CsrMatrix sparse, double valueTolerance,
                                   double residualTolerance)
    {
        int n = sparse.Size, k = reference.Values.Length;
        var mixed = result;
        for (int c = 0; c < k; c++) Assert.True(Math.Abs(reference.Values[c] - mixed.Values[c]) <= valueTolerance * reference.Values[0],
            $"value {c}: {mixed.Values[c]} against {reference.Values[c]}");
        var product = new double[n * k];
        sparse.Multiply(mixed.Vectors, product, k);
        double residual = 0;   // max over pairs of ‖A·x − λ·x‖ / λ₁
        for (int c = 0; c < k; c++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += Math.Pow(product[i * k + c] - mixed.Values[c] * mixed.Vectors[i * k + c], 2);
            residual = Math.Max(residual, Math.Sqrt(sum) / mixed.Values[0]);
        }
        Assert.True(residual < residualTolerance, $"largest residual {residual}");
        double projection = 0;   // ‖Vᵀ_ref · V_mixed‖²_F = k when the spaces agree
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
            {
                double dot = 0;
                for (int i = 0; i < n; i++) dot += reference.Vectors[i * k + a] * mixed.Vectors[i * k + b];
                projection += dot * dot;
            }
        Assert.Equal(k, projection, 4);
    }

    [Fact]
    public void The_fitted_embedding_records_the_storage_and_solver_that_ran()
    {
        var (vocabulary, labels) = Fixtures.Topics(120, 3000, 12, seed: 2);
        var counts = CooccurrenceCounts.Count(vocabulary, labels, cancellationToken: Ct);
        var plan = EmbeddingPlan.For(counts, new EmbeddingOptions { Dimension = 10 });
        var embedding = LabelEmbedding.Fit(counts, new EmbeddingOptions { Dimension = 10 }, cancellationToken: Ct);
        Assert.Equal((plan.Storage, plan.Solver), (embedding.Options.Storage, embedding.Solver));
    }

    [Fact]
    public void The_exact_solver_in_place_finds_libtorchs_leading_pairs()
    {
        Assert.SkipUnless(SystemLapack.Available, "no system LAPACK (liblapack.so.3) with dsyevr");
        // Given a symmetric matrix with eigenvalues of both signs
        int n = 300, k = 25;
        var random = new Random(5);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = random.NextDouble() * 2 - 1;

        // When its k leading pairs come from libtorch's eigh and from dsyevr in place
        var exact = SymmetricEigensolver.Decompose(a, n, k, EigenRanking.Algebraic, EigenSolver.Exact, cancellationToken: Ct);
        var partial = SymmetricEigensolver.ExactPartial((double[])a.Clone(), n, k);

        // Then the values agree to rounding and each vector up to its sign
        for (int c = 0; c < k; c++)
        {
            Assert.Equal(exact.Values[c], partial.Values[c], 10);
            double dot = 0;
            for (int i = 0; i < n; i++) dot += exact.Vectors[i * k + c] * partial.Vectors[i * k + c];
            Assert.Equal(1.0, Math.Abs(dot), 8);
        }
    }
}

public sealed class EigenMemoryTests
{
    [Theory]
    [InlineData(1, 7)]
    [InlineData(3, 5)]
    [InlineData(17, 40)]
    [InlineData(64, 9)]
    public void Transposing_in_place_gives_the_transpose(int rows, int columns)
    {
        var a = Enumerable.Range(0, rows * columns).Select(i => (double)i).ToArray();
        var copy = (double[])a.Clone();
        SymmetricEigensolver.TransposeInPlace(a, rows, columns);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) Assert.Equal(copy[r * columns + c], a[c * rows + r]);
    }

    [Fact]
    public void Mostly_empty_dense_counts_are_handed_over_as_the_pairs_seen()
    {
        // Given 3,000 labels of which each instance carries two neighbours: 0.07% of the pairs are seen
        var vocabulary = new LabelSphere.Data.LabelVocabulary(Enumerable.Range(0, 3000).Select(i => $"l{i}"));
        var builder = new LabelSphere.Data.LabelMatrixBuilder();
        for (int r = 0; r < 6000; r++) builder.AddRow([r % 2999, r % 2999 + 1]);
        var labels = builder.Build(3000);

        // When they are counted densely (as 3,000 labels are) and into a dictionary
        var dense = new CooccurrenceCounter(vocabulary, dense: true);
        dense.Add(labels, TestContext.Current.CancellationToken);
        var counts = dense.Build();
        var sparse = new CooccurrenceCounter(vocabulary, dense: false);
        sparse.Add(labels, TestContext.Current.CancellationToken);
        var reference = sparse.Build();

        // Then the dense triangle was compacted and every count is the same
        Assert.False(counts.IsDense);
        Assert.Equal(reference.DistinctPairs(), counts.DistinctPairs());
        for (int i = 0; i < 3000; i += 7)
            for (int j = 0; j < 3000; j += 1 + i % 5) Assert.Equal(reference.Pair(i, j), counts.Pair(i, j));
        for (int i = 0; i < 2999; i++) Assert.Equal(reference.Pair(i, i + 1), counts.Pair(i, i + 1));
    }

    [Fact]
    public void Dense_counts_with_most_pairs_seen_stay_dense()
    {
        var (vocabulary, labels) = Fixtures.Topics(60, 3000, 3, seed: 1);
        Assert.True(CooccurrenceCounts.Count(vocabulary, labels, cancellationToken: TestContext.Current.CancellationToken).IsDense);
    }
}
