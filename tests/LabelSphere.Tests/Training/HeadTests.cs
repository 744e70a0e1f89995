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
    public void Embedding_head_targets_are_the_embeddings_encodings()
    {
        // Given an embedding of the synthetic labels and some label sets, one of them empty
        var data = TrainingFixtures.Synthetic(300);
        var embedding = data.Embed(5);
        NoTensorLeaksAttribute.AllowConstruction(1, () => new EmbeddingHead(8, embedding));
        using var head = new EmbeddingHead(8, embedding);
        int[] rows = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

        // When the head builds targets from multi-hot rows
        using var scope = NewDisposeScope();
        var targets = head.Targets(Trainer.MultiHot(data.Labels, rows, data.Vocabulary.Count)).data<float>().ToArray();

        // Then each row is E·v/‖E·v‖ as LabelEmbedding.Encode computes it (zero for an empty set)
        for (int i = 0; i < rows.Length; i++)
        {
            var expected = embedding.Encode(data.Labels.Row(rows[i]));
            for (int c = 0; c < 5; c++) Assert.Equal(expected[c], targets[i * 5 + c], 5);
        }
    }

    [Fact]
    public void With_k_below_n_the_embedding_head_is_smaller_than_the_sigmoid_head()
    {
        // Given the same body under both heads, k = 4 < N = 12
        var data = TrainingFixtures.Synthetic(200);
        var embedding = data.Embed(4);
        var config = new BackboneConfig(BackboneKind.Mlp, [40], [16], 0, 8);
        NoTensorLeaksAttribute.AllowConstruction(1, () => LabelModel.Create(config, LossKind.Cosine, 12, embedding));
        NoTensorLeaksAttribute.AllowConstruction(1, () => LabelModel.Create(config, LossKind.Sigmoid, 12, embedding));
        using var cosine = LabelModel.Create(config, LossKind.Cosine, 12, embedding);
        using var sigmoid = LabelModel.Create(config, LossKind.Sigmoid, 12, embedding);

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
}
