using System.Text.Json;
using LabelSphere.Native;
using LabelSphere.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Tests.Training;

[Collection(TorchCollection.Name)]
[NoTensorLeaks]
public sealed class HeadTests
{
    public HeadTests() => TorchRuntime.EnsureLoaded();

    [Fact]
    public void Cosine_loss_is_minus_the_mean_cosine_over_labelled_instances()
    {
        // Given predictions and targets, one target the zero vector of an instance without labels
        using var scope = NewDisposeScope();
        var predicted = tensor(new float[] { 1, 0, 0, 3, 4, 0, 5, 5, 5 }, [3, 3]).requires_grad_(true);
        var target = tensor(new float[] { 1, 0, 0, 0, 0, 0, 0, 0, 1 }, [3, 3]);

        // When the cosine proximity loss is taken and differentiated
        var loss = Losses.CosineProximity(predicted, target);
        loss.backward();

        // Then it is −(cos₀ + cos₂)/2, the empty row counts for nothing and gets an exactly zero gradient
        double expected = -(1.0 + 5 / Math.Sqrt(75)) / 2;
        Assert.Equal(expected, loss.item<float>(), 5);
        var grad = predicted.grad!.data<float>().ToArray();
        Assert.All(grad, g => Assert.True(float.IsFinite(g)));
        Assert.Equal([0f, 0f, 0f], grad[3..6]);
    }

    [Fact]
    public void Cosine_loss_of_zero_vectors_is_zero_not_nan()
    {
        // Given a batch where every target and one prediction is zero
        using var scope = NewDisposeScope();
        var predicted = zeros(2, 4).requires_grad_(true);
        var target = zeros(2, 4);

        // When the loss is differentiated
        var loss = Losses.CosineProximity(predicted, target);
        loss.backward();

        // Then loss and gradient are zero
        Assert.Equal(0f, loss.item<float>());
        Assert.All(predicted.grad!.data<float>().ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Sigmoid_loss_is_the_mean_binary_cross_entropy()
    {
        // Given logits and 0/1 labels
        using var scope = NewDisposeScope();
        float[] z = [2f, -1f, 0.5f, -3f];
        float[] y = [1f, 0f, 0f, 1f];

        // When the baseline loss is taken
        var loss = Losses.SigmoidCrossEntropy(tensor(z, [2, 2]), tensor(y, [2, 2])).item<float>();

        // Then it is −mean(y log σ(z) + (1 − y) log(1 − σ(z)))
        double expected = 0;
        for (int i = 0; i < 4; i++)
        {
            double p = 1 / (1 + Math.Exp(-z[i]));
            expected -= y[i] * Math.Log(p) + (1 - y[i]) * Math.Log(1 - p);
        }
        Assert.Equal(expected / 4, loss, 5);
    }

    [Fact]
    public void Asymmetric_loss_and_its_gradient_are_pytorchs()
    {
        // Given logits, labels and the loss and gradient PyTorch's autograd computed for them (TestData/make_asymmetric_golden.py)
        using var golden = JsonDocument.Parse(File.ReadAllBytes(LabelSphere.Tests.Embedding.Fixtures.TestData("asymmetric_golden.json")));
        var root = golden.RootElement;
        long[] shape = [.. root.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64())];
        float[] Read(string name) => [.. root.GetProperty(name).EnumerateArray().Select(e => (float)e.GetDouble())];
        using var scope = NewDisposeScope();
        var logits = tensor(Read("logits"), shape).requires_grad_(true);
        var labels = tensor(Read("labels"), shape);

        // When the asymmetric loss is taken and differentiated
        var loss = Losses.Asymmetric(logits, labels);
        loss.backward();

        // Then both agree with PyTorch's to float precision
        Assert.Equal(root.GetProperty("loss").GetDouble(), loss.item<float>(), 5);
        var expected = Read("gradient");
        var actual = logits.grad!.data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 5);
    }

    [Fact]
    public void Asymmetric_loss_is_cross_entropy_on_positives_and_ignores_negatives_below_the_margin()
    {
        // Given a batch of positives only, and a batch of negatives whose probabilities are all below the margin 0.05
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { -3, -0.5f, 0, 2, 6, -8 }, [2, 3]);
        var positives = ones(2, 3);
        var low = tensor(new float[] { -3.5f, -4, -9, -20, -3, -6 }, [2, 3]).requires_grad_(true);

        // When the asymmetric loss is taken of each
        var onPositives = Losses.Asymmetric(logits, positives).item<float>();
        var onLow = Losses.Asymmetric(low, zeros(2, 3));
        onLow.backward();

        // Then on positives it is the binary cross-entropy (γ₊ = 0), and the easy negatives add nothing, not even a gradient
        Assert.Equal(Losses.SigmoidCrossEntropy(logits, positives).item<float>(), onPositives, 5);
        Assert.Equal(0f, onLow.item<float>());
        Assert.All(low.grad!.data<float>().ToArray(), g => Assert.Equal(0f, g));
    }

    [Theory]
    [InlineData(HeadKind.Sigmoid)]
    [InlineData(HeadKind.CosineLogit)]
    [InlineData(HeadKind.Joint)]
    public void Every_head_with_sigmoid_outputs_learns_with_the_binary_loss_it_was_given(HeadKind kind)
    {
        // Given a head of each kind made with the asymmetric loss and its logits for a batch
        var vectors = Vectors(4, 3, 5);
        Func<BinaryLoss, LabelHead> make = loss => kind switch
        {
            HeadKind.Sigmoid => new SigmoidHead(6, 4, null, loss),
            HeadKind.CosineLogit => new CosineLogitHead(6, vectors, 4, 3, null, loss),
            _ => new JointHead(6, vectors, 4, 3, 2, JointRanking.Sum, null, loss),
        };
        NoTensorLeaksAttribute.AllowConstruction(1, () => make(BinaryLoss.Asymmetric));
        using var head = make(BinaryLoss.Asymmetric);
        using var scope = NewDisposeScope();
        var x = randn(5, 6);
        var y = tensor(new float[] { 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0 }, [5, 4]);

        // When its loss is taken
        var outputs = head.forward(x);
        var loss = head.Loss(outputs, y).item<float>();

        // Then it is the asymmetric loss of its logits (the joint head: the cosine loss + w times it)
        double expected = head switch
        {
            SigmoidHead => Losses.Asymmetric(outputs, y).item<float>(),
            CosineLogitHead c => Losses.Asymmetric(c.Logits(outputs), y).item<float>(),
            JointHead j => Losses.CosineProximity(j.Split(outputs).Point, Losses.EmbeddingTargets(y, tensor(vectors, [4, 3]))).item<float>()
                           + 2 * Losses.Asymmetric(j.Split(outputs).Logits, y).item<float>(),
            _ => throw new InvalidOperationException(),
        };
        Assert.Equal(expected, loss, 5);
    }

    [Fact]
    public void Embedding_head_targets_are_the_embeddings_encodings()
    {
        // Given an embedding of the synthetic labels and some label sets, one of them empty
        var data = TrainingFixtures.Synthetic(300);
        var embedding = data.Embed(5);
        NoTensorLeaksAttribute.AllowConstruction(1, () => new EmbeddingHead(8, embedding));
        using var head = new EmbeddingHead(8, embedding);
        int[] rows = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, Enumerable.Range(0, data.Count).First(r => data.Labels.Row(r).IsEmpty)];

        // When the head builds targets from multi-hot rows, and from the label sets themselves
        using var scope = NewDisposeScope();
        using var labels = new BatchLabels(data.Labels, rows, data.Vocabulary.Count, CPU);
        var targets = head.Targets(labels.MultiHot).data<float>().ToArray();
        var summed = Losses.EmbeddingTargets(labels, tensor(embedding.Vectors.ToArray(), [data.Vocabulary.Count, 5])).data<float>().ToArray();

        // Then each row of either is E·v/‖E·v‖ as LabelEmbedding.Encode computes it (zero for an empty set)
        Assert.Contains(rows, r => data.Labels.Row(r).IsEmpty);
        for (int i = 0; i < rows.Length; i++)
        {
            var expected = embedding.Encode(data.Labels.Row(rows[i]));
            for (int c = 0; c < 5; c++)
            {
                Assert.Equal(expected[c], targets[i * 5 + c], 5);
                Assert.Equal(expected[c], summed[i * 5 + c], 5);
            }
        }
    }

    [Fact]
    public void With_k_below_n_the_embedding_head_is_smaller_than_the_sigmoid_head()
    {
        // Given the same body under both heads, k = 4 < N = 12
        var data = TrainingFixtures.Synthetic(200);
        var embedding = data.Embed(4);
        var config = new BackboneConfig(BackboneKind.Mlp, [40], [16], 0, 8);
        NoTensorLeaksAttribute.AllowConstruction(1, () => LabelModel.Create(config, HeadKind.Embedding, 12, embedding));
        NoTensorLeaksAttribute.AllowConstruction(1, () => LabelModel.Create(config, HeadKind.Sigmoid, 12, embedding));
        using var cosine = LabelModel.Create(config, HeadKind.Embedding, 12, embedding);
        using var sigmoid = LabelModel.Create(config, HeadKind.Sigmoid, 12, embedding);

        // When their parameters are counted
        var a = cosine.CountParameters(4);
        var b = sigmoid.CountParameters(4);

        // Then the bodies match, each head is (d + 1)·outputs, and the embedding head is the smaller
        Assert.Equal(a.Backbone, b.Backbone);
        Assert.Equal(17 * 4, a.Head);
        Assert.Equal(17 * 12, b.Head);
        Assert.Equal(a.EmbeddingHead, b.EmbeddingHead);
        Assert.Equal(a.SigmoidHead, b.Head);
        Assert.True(a.Head < b.Head);
    }
    static float[] Vectors(int labels, int dimension, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, labels * dimension).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    [Fact]
    public void Cosine_logit_head_scores_are_sigmoids_of_scaled_cosines_plus_prior_log_odds()
    {
        // Given a cosine-logit head over 6 features, 4 labels in 3 dimensions, with label priors
        double[] priors = [0.5, 0.1, 0.01, 0.3];
        var vectors = Vectors(4, 3, 1);
        NoTensorLeaksAttribute.AllowConstruction(1, () => new CosineLogitHead(6, vectors, 4, 3, priors));
        using var head = new CosineLogitHead(6, vectors, 4, 3, priors);
        using var scope = NewDisposeScope();
        var x = randn(5, 6);

        // When it runs forward and scores
        var outputs = head.forward(x);
        var scores = head.Scores(outputs).data<float>().ToArray();

        // Then it outputs ẽ [5, 3], and each score is σ(10·cos(ẽ, E_j) + log(p_j/(1 − p_j))) at the start
        Assert.Equal([5L, 3L], outputs.shape);
        Assert.Equal(3, head.Outputs);
        Assert.Equal(10, head.Scale, 5);
        var e = outputs.data<float>().ToArray();
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 4; j++)
            {
                double dot = 0, ne = 0, nv = 0;
                for (int c = 0; c < 3; c++)
                {
                    dot += e[i * 3 + c] * vectors[j * 3 + c];
                    ne += e[i * 3 + c] * e[i * 3 + c];
                    nv += vectors[j * 3 + c] * vectors[j * 3 + c];
                }
                double logit = 10 * dot / Math.Sqrt(ne * nv) + Math.Log(priors[j] / (1 - priors[j]));
                Assert.Equal(1 / (1 + Math.Exp(-logit)), scores[i * 4 + j], 4);
            }
    }

    [Fact]
    public void Cosine_logit_loss_is_the_binary_cross_entropy_of_its_logits_and_trains_scale_bias_and_projection()
    {
        // Given a cosine-logit head and a batch with labels
        var vectors = Vectors(4, 3, 2);
        NoTensorLeaksAttribute.AllowConstruction(1, () => new CosineLogitHead(6, vectors, 4, 3));
        using var head = new CosineLogitHead(6, vectors, 4, 3);
        using var scope = NewDisposeScope();
        var x = randn(5, 6);
        var y = tensor(new float[] { 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0 }, [5, 4]);

        // When its loss is differentiated
        var outputs = head.forward(x);
        var loss = head.Loss(outputs, y);
        loss.backward();

        // Then it is BCE of s·cos + b, and every parameter (scale, biases, projection) gets a gradient
        Assert.Equal(Losses.SigmoidCrossEntropy(head.Logits(outputs), y).item<float>(), loss.item<float>(), 6);
        var parameters = head.named_parameters().ToArray();
        Assert.Equal(4, parameters.Length);
        Assert.All(parameters, p => Assert.True(p.parameter.grad is { } g && g.abs().sum().item<float>() > 0, p.name));
    }

    [Fact]
    public void Joint_head_outputs_both_halves_and_its_loss_is_cosine_plus_weighted_bce()
    {
        // Given a joint head with w = 3 over 4 labels in 3 dimensions
        var vectors = Vectors(4, 3, 3);
        NoTensorLeaksAttribute.AllowConstruction(1, () => new JointHead(6, vectors, 4, 3, 3, JointRanking.Sum));
        using var head = new JointHead(6, vectors, 4, 3, 3, JointRanking.Sum);
        using var scope = NewDisposeScope();
        var x = randn(5, 6);
        var y = tensor(new float[] { 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0 }, [5, 4]);

        // When it runs forward and its loss is differentiated
        var outputs = head.forward(x);
        var loss = head.Loss(outputs, y);
        loss.backward();

        // Then it outputs [5, k + N], the loss is −cos(e, ẽ) + 3·BCE over the two halves, and both halves learn
        Assert.Equal([5L, 7L], outputs.shape);
        var (point, logits) = head.Split(outputs);
        var targets = Losses.EmbeddingTargets(y, tensor(vectors, [4, 3]));
        double expected = Losses.CosineProximity(point, targets).item<float>() + 3 * Losses.SigmoidCrossEntropy(logits, y).item<float>();
        Assert.Equal(expected, loss.item<float>(), 5);
        Assert.Equal(4, head.named_parameters().Count());
        Assert.Equal(["labelVectors", "logits.bias", "logits.weight", "mix", "projection.bias", "projection.weight", "zStats"], head.state_dict().Keys.Order());
        Assert.All(head.named_parameters(), p => Assert.True(p.parameter.grad is { } g && g.abs().sum().item<float>() > 0, p.name));
    }

    [Fact]
    public void Joint_head_ranks_by_its_mix_of_probability_and_cosine_or_by_the_fitted_z_scored_mix()
    {
        // Given a joint head and a batch
        var vectors = Vectors(4, 3, 4);
        NoTensorLeaksAttribute.AllowConstruction(1, () => new JointHead(6, vectors, 4, 3, 10, JointRanking.Sigmoid));
        using var head = new JointHead(6, vectors, 4, 3, 10, JointRanking.Sigmoid);
        using var scope = NewDisposeScope();
        var outputs = head.forward(randn(5, 6));
        var (l, c) = head.Components(outputs);

        // Then the sigmoid ranking scores by probability alone, and a mix (a, c) by a·p + c·cos
        Assert.Equal((1.0, 0.0), head.Mix);
        Assert.Null(head.Alpha);
        Assert.Equal(l.sigmoid().data<float>().ToArray(), head.Scores(outputs).data<float>().ToArray());
        head.Mix = (0.5, 2);
        AssertClose((l.sigmoid() * 0.5 + c * 2).data<float>().ToArray(), head.Scores(outputs).data<float>().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => head.Mix = (0, 0));

        // and a fitted ranking by the mix m = α·(cos − μc)/σc + (1 − α)·(l − μl)/σl per label, on the logit scale μl + σl·m
        float[] lm = [0.1f, -1, 2, 0], ls = [1, 2, 0.5f, 3], cm = [0.2f, 0, -0.1f, 0.3f], cs = [0.1f, 0.2f, 0.3f, 0.4f];
        head.Fit(new JointMix.Fitted(0.3, lm, ls, cm, cs, 0));
        Assert.Equal(0.3, head.Alpha!.Value, 6);
        var mixed = (c - tensor(cm)) / tensor(cs) * 0.3 + (l - tensor(lm)) / tensor(ls) * 0.7;
        AssertClose((tensor(lm) + tensor(ls) * mixed).data<float>().ToArray(), head.Scores(outputs).data<float>().ToArray());

        // so that with α = 0 it scores by the logits themselves: the labels of an instance in the sigmoid half's order,
        // not lifted by their standardisation (a rare label's small spread would otherwise put its z-scores on top)
        head.Fit(new JointMix.Fitted(0, lm, ls, cm, cs, 0));
        AssertClose(l.data<float>().ToArray(), head.Scores(outputs).data<float>().ToArray());
    }

    static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 4);
    }

    [Theory]
    [InlineData(HeadKind.Embedding)]
    [InlineData(HeadKind.CosineLogit)]
    [InlineData(HeadKind.Joint)]
    public void A_label_added_with_a_trained_labels_vector_is_scored_like_it_up_to_its_bias(HeadKind kind)
    {
        // Given a head that uses the embedding, and "added" labels whose unit vectors are the trained labels' own
        var config = new BackboneConfig(BackboneKind.Mlp, [6], [], 0, 6);
        var embedding = TrainingFixtures.Synthetic(200).Embed(3);
        NoTensorLeaksAttribute.AllowConstruction(1, () => LabelModel.Create(config, kind, 12, embedding, Enumerable.Repeat(0.2, 12).ToArray()));
        using var model = LabelModel.Create(config, kind, 12, embedding, Enumerable.Repeat(0.2, 12).ToArray());
        using var scope = NewDisposeScope();
        var outputs = model.forward(randn(5, 6));
        var units = tensor(embedding.UnitVectors[..(12 * 3)].ToArray(), [12, 3]);

        // When the head scores them as added labels
        var added = ((IEmbeddingHead)model.Head).AddedScores(outputs, units).data<float>().ToArray();
        var trained = model.Head.Scores(outputs).data<float>().ToArray();

        // Then, with every trained bias at the same prior (so the mean bias is each one's), the scores are the trained ones,
        // except the joint head's probability half, which an added label replaces by σ(b̄)·(1 + cos)/2
        Assert.Equal(60, added.Length);
        if (kind == HeadKind.Joint)
        {
            var joint = (JointHead)model.Head;
            var (_, c) = joint.Components(outputs);
            var cos = c.data<float>().ToArray();
            for (int i = 0; i < 60; i++) Assert.Equal(0.2 * (1 + cos[i]) / 2 + cos[i], added[i], 4);
        }
        else for (int i = 0; i < 60; i++) Assert.Equal(trained[i], added[i], 4);
    }

    [Fact]
    public void A_label_added_to_a_fitted_joint_head_ranks_by_its_cosine_on_the_trained_labels_typical_logit_scale()
    {
        // Given a joint head ranking by a fitted mix, and an added label
        var vectors = Vectors(4, 3, 4);
        NoTensorLeaksAttribute.AllowConstruction(1, () => new JointHead(6, vectors, 4, 3, 10, JointRanking.Fitted));
        using var head = new JointHead(6, vectors, 4, 3, 10, JointRanking.Fitted);
        using var scope = NewDisposeScope();
        var outputs = head.forward(randn(5, 6));
        float[] lm = [-3, -1, -5, -2], ls = [1, 2, 0.5f, 3], cm = [0.2f, 0, -0.1f, 0.3f], cs = [0.1f, 0.2f, 0.3f, 0.4f];
        head.Fit(new JointMix.Fitted(0.3, lm, ls, cm, cs, 0));
        var unit = nn.functional.normalize(randn(1, 3), p: 2, dim: 1);

        // When it is scored
        var added = head.AddedScores(outputs, unit).data<float>().ToArray();

        // Then its score is its cosine standardised by the trained labels' mean cosine statistics, then mapped to the
        // logit scale by their mean logit statistics: mean μl + mean σl·(cos − mean μc)/mean σc
        var cos = (nn.functional.normalize(head.Split(outputs).Point, p: 2, dim: 1).matmul(unit.T)).data<float>().ToArray();
        var expected = cos.Select(c => -2.75f + 1.625f * (c - 0.1f) / 0.25f).ToArray();
        AssertClose(expected, added);
    }

    [Fact]
    public void The_fitted_mix_picks_the_half_that_ranks_the_validation_instances()
    {
        // Given 40 instances over 3 labels, a logit half that ranks them exactly and a cosine half that is noise
        var random = new Random(3);
        var builder = new LabelSphere.Data.LabelMatrixBuilder();
        var truth = new bool[40 * 3];
        for (int i = 0; i < 40; i++)
        {
            var row = Enumerable.Range(0, 3).Where(_ => random.NextDouble() < 0.3).ToArray();
            foreach (var j in row) truth[i * 3 + j] = true;
            builder.AddRow(row);
        }
        var labels = builder.Build(3);
        var exact = truth.Select(t => t ? 2f : -2f).ToArray();
        var noise = truth.Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

        // When the mix is fitted either way round
        var bySigmoid = JointMix.Fit(exact, noise, labels, 3);
        var byCosine = JointMix.Fit(noise, exact, labels, 3);

        // Then the fitted ranking is as good as the exact half's (AP@100 = 1), which the even mix is not, leaning to that half
        double Map(float[] l, float[] c, JointMix.Fitted f, double? alpha = null)
        {
            double a = alpha ?? f.Alpha;
            var scores = new float[l.Length];
            for (int i = 0; i < l.Length; i++)
                scores[i] = (float)(a * (c[i] - f.CosineMean[i % 3]) / f.CosineDeviation[i % 3] + (1 - a) * (l[i] - f.LogitMean[i % 3]) / f.LogitDeviation[i % 3]);
            var accumulator = new LabelSphere.Evaluation.MetricsAccumulator(3, new LabelSphere.Evaluation.MetricsOptions { Cutoffs = [1] });
            accumulator.Add(scores, labels);
            return accumulator.Report().MeanAveragePrecisionAtDepth;
        }
        Assert.Equal(1, Map(exact, noise, bySigmoid), 9);
        Assert.Equal(1, Map(noise, exact, byCosine), 9);
        Assert.True(Map(exact, noise, bySigmoid, alpha: 0.5) < 1);
        Assert.True(bySigmoid.Alpha < 0.5, $"α = {bySigmoid.Alpha}");
        Assert.True(byCosine.Alpha > 0.5, $"α = {byCosine.Alpha}");
        Assert.Equal(0, bySigmoid.Alpha);
    }
}
