using System.Text.Json;
using LabelSphere.Data;
using LabelSphere.Decoding;
using LabelSphere.Embedding;
using LabelSphere.Evaluation;

namespace LabelSphere.Tests.Embedding;

[Collection(TorchCollection.Name)]
[NoTensorLeaks]
public sealed class LabelEmbeddingTests
{
    static CancellationToken Ct => TestContext.Current.CancellationToken;

    static LabelEmbedding FitTopics(EmbeddingOptions options, int labels = 120, int seed = 3)
    {
        var (vocabulary, matrix) = Fixtures.Topics(labels, 6000, 12, seed);
        return LabelEmbedding.Fit(CooccurrenceCounts.Count(vocabulary, matrix, cancellationToken: Ct), options, cancellationToken: Ct);
    }

    [Fact]
    public void At_full_rank_a_positive_semidefinite_matrix_is_reconstructed_by_E_Et()
    {
        // Given a positive semi-definite matrix A = B·Bᵀ of size 30 and rank 30
        var random = new Random(1);
        int n = 30;
        var b = new double[n * n];
        for (int i = 0; i < b.Length; i++) b[i] = random.NextDouble() - 0.5;
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int c = 0; c < n; c++) a[i * n + j] += b[i * n + c] * b[j * n + c];
        var vocabulary = new LabelVocabulary(Enumerable.Range(0, n).Select(i => $"l{i}"));

        // When it is factorised at full rank
        var e = LabelEmbedding.FromPmi(new PmiMatrix(a, n, new PmiMarginals(1, 1, 1, 0)), vocabulary, new long[n], 1, 0,
            new EmbeddingOptions { Dimension = n, Solver = EigenSolver.Exact }, cancellationToken: Ct);

        // Then E·Eᵀ equals A to float precision, and no eigenvalue is negative
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double dot = 0;
                for (int c = 0; c < n; c++) dot += (double)e.Vector(i)[c] * e.Vector(j)[c];
                Assert.True(Math.Abs(dot - a[i * n + j]) < 1e-4 * (1 + Math.Abs(a[i * n + j])), $"(E·Eᵀ)[{i},{j}] = {dot}, A = {a[i * n + j]}");
            }
        Assert.Equal(0, e.Spectrum.NegativeCount);
        Assert.Equal(1.0, e.Spectrum.Explained[^1], 6);
    }

    [Theory]
    [InlineData(EigenSolver.Exact)]
    [InlineData(EigenSolver.Randomized)]
    public void Eigenvalues_come_in_descending_order(EigenSolver solver)
    {
        var e = FitTopics(new EmbeddingOptions { Dimension = 40, Solver = solver });
        for (int c = 1; c < e.Dimension; c++) Assert.True(e.Eigenvalues[c] <= e.Eigenvalues[c - 1]);
        Assert.Equal(solver, e.Solver);
    }

    [Fact]
    public void Exact_and_randomized_solvers_agree_on_the_leading_eigenvalues()
    {
        // Given the PMI matrix of a structured set of 400 labels
        var (vocabulary, matrix) = Fixtures.Topics(400, 20000, 30, seed: 9);
        var counts = CooccurrenceCounts.Count(vocabulary, matrix, cancellationToken: Ct);

        // When its 20 leading eigenvalues are computed exactly and by randomized subspace iteration
        var exact = LabelEmbedding.Fit(counts, new EmbeddingOptions { Dimension = 20, Solver = EigenSolver.Exact }, cancellationToken: Ct);
        var randomized = LabelEmbedding.Fit(counts, new EmbeddingOptions { Dimension = 20, Solver = EigenSolver.Randomized, Seed = 4 }, cancellationToken: Ct);

        // Then they agree to 1e-4 of the largest, and the explained shares to 1e-4
        for (int c = 0; c < 20; c++)
            Assert.True(Math.Abs(exact.Eigenvalues[c] - randomized.Eigenvalues[c]) <= 1e-4 * Math.Abs(exact.Eigenvalues[0]),
                $"eigenvalue {c}: exact {exact.Eigenvalues[c]}, randomized {randomized.Eigenvalues[c]}");
        Assert.True(Math.Abs(exact.Spectrum.Explained[^1] - randomized.Spectrum.Explained[^1]) < 1e-4);
    }

    [Fact]
    public void Eigenvalues_match_numpy_on_the_tiny_set()
    {
        // Given numpy's eigenvalues of the default PMI matrix (TestData/make_pmi_golden.py)
        using var golden = JsonDocument.Parse(File.ReadAllBytes(Fixtures.TestData("pmi_golden.json")));
        var expected = golden.RootElement.GetProperty("cases")[0].GetProperty("eigenvalues").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var (vocabulary, labels) = Fixtures.Tiny();

        // When the embedding keeps every column, negative ones included by magnitude
        var e = LabelEmbedding.Fit(CooccurrenceCounts.Count(vocabulary, labels, cancellationToken: Ct),
            new EmbeddingOptions { Dimension = 8, Negative = NegativeEigenvalues.Absolute }, cancellationToken: Ct);

        // Then its eigenvalues are numpy's
        for (int c = 0; c < 8; c++) Assert.Equal(expected[c], e.Eigenvalues[c], 10);
        Assert.True(e.Spectrum.NegativeShareIsExact);
    }

    [Fact]
    public void Permuting_label_ids_permutes_the_rows()
    {
        // Given a set and the same set with its label ids permuted
        var (vocabulary, matrix) = Fixtures.Topics(50, 3000, 6, seed: 11);
        var permutation = Enumerable.Range(0, 50).OrderBy(i => (i * 37) % 50).ToArray();   // new id of old label i
        var names = new string[50];
        for (int i = 0; i < 50; i++) names[permutation[i]] = vocabulary[i];
        var builder = new LabelMatrixBuilder();
        for (int r = 0; r < matrix.Rows; r++) builder.AddRow(matrix.Row(r).ToArray().Select(i => permutation[i]).ToArray());
        var options = new EmbeddingOptions { Dimension = 10 };

        // When both are embedded
        var original = LabelEmbedding.Fit(CooccurrenceCounts.Count(vocabulary, matrix, cancellationToken: Ct), options, cancellationToken: Ct);
        var permuted = LabelEmbedding.Fit(CooccurrenceCounts.Count(new LabelVocabulary(names), builder.Build(50), cancellationToken: Ct), options, cancellationToken: Ct);

        // Then proximities between labels are the same (rows are permuted; each column's sign is arbitrary)
        for (int c = 0; c < 10; c++) Assert.Equal(original.Eigenvalues[c], permuted.Eigenvalues[c], 8);
        for (int i = 0; i < 50; i++)
            for (int j = 0; j < 50; j++)
                Assert.Equal(Fixtures.Cosine(original.Vector(i), original.Vector(j)),
                             Fixtures.Cosine(permuted.Vector(permutation[i]), permuted.Vector(permutation[j])), 4);
    }

    [Fact]
    public void With_a_zero_diagonal_a_label_folded_in_from_its_own_row_lands_on_its_own_row()
    {
        // Given an embedding whose PMI diagonal is zero, so a label's row is all the fold-in needs
        var e = FitTopics(new EmbeddingOptions { Dimension = 30, Pmi = new PmiOptions { Diagonal = DiagonalMode.Zero } });
        var (vocabulary, matrix) = Fixtures.Topics(120, 6000, 12, 3);
        var pmi = Pmi.Compute(CooccurrenceCounts.Count(vocabulary, matrix, cancellationToken: Ct), e.Options.Pmi, cancellationToken: Ct);

        foreach (var label in new[] { 0, 5, 17 })
        {
            // When label i is folded in from its PMI row (its own cell is zero anyway)
            var row = Enumerable.Range(0, 120).Select(j => pmi[label, j]).ToArray();
            var folded = e.FoldIn(row);

            // Then the result is its own row of E_k
            for (int c = 0; c < 30; c++) Assert.Equal(e.Vector(label)[c], folded[c], 3);
        }
    }

    [Fact]
    public void A_label_removed_and_folded_back_in_from_its_cooccurrences_lands_close_to_its_own_row()
    {
        // Given a structured set and its embedding with every label
        var (vocabulary, matrix) = Fixtures.Topics(120, 6000, 12, 3);
        var full = LabelEmbedding.Fit(CooccurrenceCounts.Count(vocabulary, matrix, cancellationToken: Ct), new EmbeddingOptions { Dimension = 30 }, cancellationToken: Ct);

        foreach (var label in new[] { 0, 7, 40 })
        {
            // When the label is removed, the embedding refitted without it, and the label placed from its co-occurrences
            var fidelity = ZeroShotFidelity.Measure(vocabulary, matrix, full, label);

            // Then its proximities to the others follow those of the full fit, and most of its 5 neighbours are the same
            Assert.True(fidelity.ProximityCorrelation > 0.95, $"{fidelity}");
            Assert.True(fidelity.NeighbourOverlap >= 0.6, $"{fidelity}");
        }
    }

    [Fact]
    public void A_label_placed_zero_shot_leaves_the_known_rows_unchanged_and_is_marked()
    {
        var e = FitTopics(new EmbeddingOptions { Dimension = 10 });
        var co = new long[e.Labels];
        co[5] = 40;
        co[17] = 30;
        var placed = e.AddLabel("fresh", 50, co);
        Assert.Equal(e.Vectors.ToArray(), placed.Vectors[..(e.Labels * 10)].ToArray());
        Assert.True(placed.IsZeroShot(e.Labels));
        Assert.False(placed.IsZeroShot(0));
        Assert.Equal(5, placed.Nearest("fresh", 1)[0].Id % 12);
    }

    [Fact]
    public void Labels_placed_together_are_each_placed_as_alone_whatever_their_order()
    {
        // Given an embedding whose unseen pairs are not 0, so that a new label's zero count with another would count
        var e = FitTopics(new EmbeddingOptions { Dimension = 10, Pmi = new PmiOptions { Unseen = UnseenPairs.MinObserved } });
        var a = new long[e.Labels];
        a[5] = 40;
        a[17] = 30;
        var b = new long[e.Labels];
        b[2] = 12;

        // When two labels are added together, in both orders
        var ab = e.AddLabels([new NewLabel("a", 50, a), new NewLabel("b", 20, b)]);
        var ba = e.AddLabels([new NewLabel("b", 20, b), new NewLabel("a", 50, a)]);

        // Then each row is the one it gets when added alone
        Assert.Equal(e.AddLabel("a", 50, a).Vector(e.Labels).ToArray(), ab.Vector(e.Labels).ToArray());
        Assert.Equal(e.AddLabel("b", 20, b).Vector(e.Labels).ToArray(), ab.Vector(e.Labels + 1).ToArray());
        Assert.Equal(ab.Vector(e.Labels).ToArray(), ba.Vector(e.Labels + 1).ToArray());
        Assert.Equal([.. e.Vocabulary.Names, "a", "b"], ab.Vocabulary.Names);
        Assert.Throws<ArgumentException>(() => e.AddLabels([new NewLabel("a", 50, a), new NewLabel("a", 50, a)]));
    }

    [Fact]
    public void Save_then_load_round_trips_bit_for_bit()
    {
        // Given an embedding with a zero-shot label
        var e = FitTopics(new EmbeddingOptions { Dimension = 12, Pmi = new PmiOptions { Alpha = 0.75, Unseen = UnseenPairs.MinObserved } });
        var co = new long[e.Labels];
        co[3] = 10;
        co[4] = 7;
        e = e.AddLabel("new one", 20, co);
        var folder = Path.Combine(Path.GetTempPath(), "labelsphere-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            // When it is saved and loaded
            e.Save(folder);
            var loaded = LabelEmbedding.Load(folder);

            // Then every array and setting is identical
            Assert.Equal(e.Vectors.ToArray(), loaded.Vectors.ToArray());
            Assert.Equal(e.Eigenvalues.ToArray(), loaded.Eigenvalues.ToArray());
            Assert.Equal(e.LabelCounts.ToArray(), loaded.LabelCounts.ToArray());
            Assert.Equal(e.Vocabulary.Names, loaded.Vocabulary.Names);
            Assert.Equal(e.Options, loaded.Options with { Pmi = loaded.Options.Pmi });
            Assert.Equal(e.Options.Pmi, loaded.Options.Pmi);
            Assert.Equal(e.Marginals, loaded.Marginals);
            Assert.Equal(e.Spectrum.Explained, loaded.Spectrum.Explained);
            Assert.True(loaded.IsZeroShot(e.Labels - 1));
            Assert.Equal(e.Instances, loaded.Instances);
            Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(folder)!, "." + Path.GetFileName(folder) + ".tmp-*"));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void Loading_a_damaged_folder_names_the_file_and_the_problem()
    {
        var e = FitTopics(new EmbeddingOptions { Dimension = 5 }, labels: 30);
        var folder = Path.Combine(Path.GetTempPath(), "labelsphere-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            e.Save(folder);
            var manifest = Path.Combine(folder, "manifest.json");
            File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"formatVersion\": 1", "\"formatVersion\": 99"));
            var error = Assert.Throws<EmbeddingFormatException>(() => LabelEmbedding.Load(folder));
            Assert.Contains("manifest.json", error.Message);
            Assert.Contains("formatVersion", error.Message);

            e.Save(folder, new LabelSphere.IO.OutputOptions { Overwrite = true });
            var npy = Path.Combine(folder, "embedding.npy");
            var bytes = File.ReadAllBytes(npy);
            File.WriteAllBytes(npy, bytes[..^8]);
            error = Assert.Throws<EmbeddingFormatException>(() => LabelEmbedding.Load(folder));
            Assert.Contains("embedding.npy", error.Message);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void Dimension_beyond_the_label_count_is_refused_with_the_rule()
    {
        var (vocabulary, labels) = Fixtures.Tiny();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            LabelEmbedding.Fit(CooccurrenceCounts.Count(vocabulary, labels, cancellationToken: Ct), new EmbeddingOptions { Dimension = 400 }, cancellationToken: Ct));
        Assert.Contains("between 1 and the number of labels (8), got 400", error.Message);
    }

    [Fact]
    public void Encoding_gives_unit_vectors_and_the_zero_vector_for_an_empty_set()
    {
        var e = FitTopics(new EmbeddingOptions { Dimension = 16 });
        var v = e.Encode([1, 2, 30]);
        Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 5);
        Assert.All(e.Encode([]), x => Assert.Equal(0f, x));
        Assert.Equal(1.0, Fixtures.Cosine(e.Encode([7]), e.Vector(7)), 5);
    }

    [Fact]
    public void Decoding_returns_the_same_top_labels_as_a_full_sort()
    {
        // Given an embedding and 50 predicted vectors (encodings of random label sets plus noise)
        var e = FitTopics(new EmbeddingOptions { Dimension = 24 });
        var random = new Random(2);
        var predictions = new float[50 * 24];
        for (int r = 0; r < 50; r++)
        {
            e.Encode([random.Next(120), random.Next(120)]).CopyTo(predictions, r * 24);
            for (int c = 0; c < 24; c++) predictions[r * 24 + c] += (float)(random.NextDouble() - 0.5) * 0.1f;
        }

        // When the top 5 are decoded in batches of 16
        var decoded = TopKDecoder.Decode(e, predictions, top: 5, batch: 16);

        // Then each row's labels are those a full sort of every cosine ranks first
        for (int r = 0; r < 50; r++)
        {
            var row = predictions.AsSpan(r * 24, 24).ToArray();
            var expected = Enumerable.Range(0, 120).OrderByDescending(i => Fixtures.Cosine(row, e.Vector(i))).Take(5).ToArray();
            Assert.Equal(expected, decoded[r].Select(s => s.Id).ToArray());
            Assert.Equal(Fixtures.Cosine(row, e.Vector(expected[0])), decoded[r][0].Score, 4);
        }
    }

    [Fact]
    public void Nearest_labels_and_arithmetic_exclude_the_query_and_rank_by_cosine()
    {
        var e = FitTopics(new EmbeddingOptions { Dimension = 24 });
        var near = e.Nearest("label5", 4);
        Assert.DoesNotContain(near, s => s.Name == "label5");
        Assert.True(near.Zip(near.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        // Labels of one topic share i mod 12: label5's neighbours are its topic mates
        Assert.All(near, s => Assert.Equal(5, s.Id % 12));

        var sum = e.Arithmetic("label5 + label6", 3);
        Assert.DoesNotContain(sum.Nearest, s => s.Name is "label5" or "label6");
        Assert.Equal([(1f, "label5"), (1f, "label6")], sum.Terms);
    }

    [Theory]
    [InlineData("man + horse", "+man|+horse")]
    [InlineData("king - man + woman", "+king|-man|+woman")]
    [InlineData("blue-square + red-heart", "+blue-square|+red-heart")]
    [InlineData("woody plant - tree", "+woody plant|-tree")]
    public void Arithmetic_expressions_split_on_spaced_operators_only(string expression, string expected)
    {
        var terms = LabelEmbedding.ParseExpression(expression);
        Assert.Equal(expected, string.Join("|", terms.Select(t => (t.Sign > 0 ? "+" : "-") + t.Label)));
    }

    [Fact]
    public void An_unknown_label_suggests_close_names()
    {
        var e = FitTopics(new EmbeddingOptions { Dimension = 8 });
        var error = Assert.Throws<UnknownLabelException>(() => e.Nearest("labl5"));
        Assert.Contains("label5", error.Suggestions);
    }

    [Theory]
    [InlineData(FitStage.Pmi, EigenSolver.Exact)]
    [InlineData(FitStage.Eigen, EigenSolver.Randomized)]
    [InlineData(FitStage.Pmi, EigenSolver.Randomized)]
    public void Fitting_stops_in_the_stage_in_which_it_was_cancelled(FitStage cancelAt, EigenSolver solver)
    {
        // Given counts of 120 labels and a fit that is cancelled as it reports a stage
        var (vocabulary, matrix) = Fixtures.Topics(120, 6000, 12, seed: 3);
        var counts = CooccurrenceCounts.Count(vocabulary, matrix, cancellationToken: Ct);
        using var cancel = new CancellationTokenSource();
        var stages = new List<FitStage>();
        var progress = new SynchronousProgress<FitStage>(stage =>
        {
            stages.Add(stage);
            if (stage == cancelAt) cancel.Cancel();
        });

        // When it runs
        Assert.Throws<OperationCanceledException>(() =>
            LabelEmbedding.Fit(counts, new EmbeddingOptions { Dimension = 10, Solver = solver }, progress, cancel.Token));

        // Then it went no further than that stage
        Assert.Equal(cancelAt, stages[^1]);
        Assert.DoesNotContain(FitStage.Done, stages);
    }

    [Fact]
    public void The_default_dimension_is_capped_at_the_number_of_labels()
    {
        // Given 159 labels, fewer than the default dimension
        var (vocabulary, matrix) = Fixtures.Topics(159, 6000, 12, seed: 3);

        // When they are embedded with the default options
        var e = LabelEmbedding.Fit(CooccurrenceCounts.Count(vocabulary, matrix, cancellationToken: Ct), new EmbeddingOptions(), cancellationToken: Ct);

        // Then k is the number of labels, and the fitted options say so
        Assert.Equal(159, e.Dimension);
        Assert.Equal(159, e.Options.Dimension);
        Assert.Equal(EmbeddingOptions.DefaultDimension, new EmbeddingOptions().DimensionFor(1000));
        Assert.Equal(40, new EmbeddingOptions { Dimension = 40 }.DimensionFor(1000));
    }
}
