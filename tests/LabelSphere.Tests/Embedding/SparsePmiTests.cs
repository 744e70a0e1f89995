using LabelSphere.Embedding;

namespace LabelSphere.Tests.Embedding;

[Collection(TorchCollection.Name)]
[NoTensorLeaks]
public sealed class SparsePmiTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<PmiOptions> SparseCompatible => new()
    {
        new PmiOptions(),
        new PmiOptions { Diagonal = DiagonalMode.RowMax },
        new PmiOptions { Diagonal = DiagonalMode.Zero, Alpha = 0.75 },
        new PmiOptions { Positive = true, Shift = 3, Diagonal = DiagonalMode.RowMax },
        new PmiOptions { Measure = PmiMeasure.Normalized },
    };

    [Theory]
    [MemberData(nameof(SparseCompatible))]
    public void Sparse_pmi_equals_the_dense_matrix_cell_for_cell(PmiOptions options)
    {
        foreach (var (vocabulary, labels) in new[] { Fixtures.Tiny(), Fixtures.Topics(70, 800, 9, seed: 4) })
        {
            // Given counts with unseen pairs (and, in the tiny set, a label no instance carries)
            var counts = CooccurrenceCounts.Count(vocabulary, labels, cancellationToken: Ct);

            // When PMI is computed densely and sparsely
            var dense = Pmi.Compute(counts, options, cancellationToken: Ct);
            var sparse = Pmi.ComputeSparse(counts, options, cancellationToken: Ct);

            // Then every stored cell is the dense cell and every cell not stored is 0 in the dense matrix
            int n = vocabulary.Count;
            var rebuilt = new double[n * n];
            var stored = new bool[n * n];
            for (int e = 0; e < sparse.Values.Length; e++)
            {
                long cell = sparse.Rows[e] * n + sparse.Columns[e];
                Assert.False(stored[cell], $"cell {cell} stored twice");
                stored[cell] = true;
                rebuilt[cell] = sparse.Values[e];
            }
            for (int c = 0; c < n * n; c++) Assert.Equal(dense.Values[c], rebuilt[c], 12);
        }
    }

    [Fact]
    public void A_sparse_fit_agrees_with_the_dense_exact_fit()
    {
        // Given a 400-label structured set, fitted densely and exactly, and with sparse storage asked for
        var (vocabulary, matrix) = Fixtures.Topics(400, 20000, 30, seed: 9);
        var counts = CooccurrenceCounts.Count(vocabulary, matrix, cancellationToken: Ct);
        var exact = LabelEmbedding.Fit(counts, new EmbeddingOptions { Dimension = 20, Solver = EigenSolver.Exact }, cancellationToken: Ct);
        var sparse = LabelEmbedding.Fit(counts, new EmbeddingOptions { Dimension = 20, Storage = PmiStorage.Sparse, Seed = 4 }, cancellationToken: Ct);

        // Then the sparse storage ran Lanczos, and the leading eigenvalues, the explained energy and the proximities agree
        Assert.Equal(EigenSolver.Lanczos, sparse.Solver);
        Assert.Equal(PmiStorage.Sparse, sparse.Options.Storage);
        for (int c = 0; c < 20; c++)
            Assert.True(Math.Abs(exact.Eigenvalues[c] - sparse.Eigenvalues[c]) <= 1e-9 * exact.Eigenvalues[0], $"eigenvalue {c}");
        Assert.Equal(exact.Spectrum.TotalEnergy, sparse.Spectrum.TotalEnergy, 6);
        for (int i = 0; i < 400; i += 37)
            for (int j = 0; j < 400; j += 41)
                Assert.Equal(exact.Proximity(i, j), sparse.Proximity(i, j), 2);
    }

    [Fact]
    public void Options_that_fill_unseen_pairs_are_refused_with_sparse_storage()
    {
        var (vocabulary, matrix) = Fixtures.Topics(60, 500, 6, seed: 1);
        var counts = CooccurrenceCounts.Count(vocabulary, matrix, cancellationToken: Ct);
        var error = Assert.Throws<ArgumentException>(() =>
            LabelEmbedding.Fit(counts, new EmbeddingOptions { Dimension = 5, Storage = PmiStorage.Sparse, Pmi = new PmiOptions { Unseen = UnseenPairs.HalfCount } }, cancellationToken: Ct));
        Assert.Equal(nameof(PmiOptions.Unseen), error.ParamName);
        Assert.DoesNotContain("--", error.Message);
    }
}
