using LabelSphere.Data;
using LabelSphere.Native;
using LabelSphere.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Tests.Training;

[Collection(TorchCollection.Name)]
[NoTensorLeaks]
public sealed class BatchLabelsTests
{
    public BatchLabelsTests() => TorchRuntime.EnsureLoaded();

    static LabelMatrix Sets()
    {
        var builder = new LabelMatrixBuilder();
        builder.AddRow([3, 0]);
        builder.AddRow([]);
        builder.AddRow([1, 2, 4]);
        builder.AddRow([4]);
        return builder.Build(5);
    }

    [Fact]
    public void Multi_hot_rows_hold_a_one_exactly_where_each_instance_of_the_batch_carries_a_label()
    {
        // Given label sets, one empty, and a batch that takes them out of order and one instance twice
        var sets = Sets();
        int[] batch = [2, 1, 0, 2, 3];

        // When the batch's labels are made
        using var labels = new BatchLabels(sets, batch, 5, CPU);
        var hot = labels.MultiHot.data<float>().ToArray();

        // Then row i is instance batch[i]'s set, and the pairs list the same cells in batch order
        Assert.Equal([5L, 5L], labels.MultiHot.shape);
        for (int i = 0; i < batch.Length; i++)
            for (int j = 0; j < 5; j++)
                Assert.Equal(sets.Row(batch[i]).Contains(j) ? 1f : 0f, hot[i * 5 + j]);
        Assert.Equal([0L, 0, 0, 2, 2, 3, 3, 3, 4], labels.Rows.data<long>().ToArray());
        Assert.Equal([1L, 2, 4, 0, 3, 1, 2, 4, 4], labels.Ids.data<long>().ToArray());
    }

    [Fact]
    public void A_label_id_beyond_the_vocabulary_is_refused()
    {
        // Given label sets whose ids reach 4, and a vocabulary of 4 labels
        // When the batch's labels are made, then the id is named
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new BatchLabels(Sets(), [3], 4, CPU));
        Assert.Contains("label 4 of instance 3", error.Message);
    }

    public static TheoryData<HeadKind, BinaryLoss> Heads => new()
    {
        { HeadKind.Embedding, BinaryLoss.CrossEntropy },
        { HeadKind.Sigmoid, BinaryLoss.CrossEntropy },
        { HeadKind.Sigmoid, BinaryLoss.Asymmetric },
        { HeadKind.CosineLogit, BinaryLoss.CrossEntropy },
        { HeadKind.Joint, BinaryLoss.CrossEntropy },
        { HeadKind.Joint, BinaryLoss.Asymmetric },
    };

    [Theory]
    [MemberData(nameof(Heads))]
    public void Every_head_takes_the_same_loss_and_gradient_from_the_label_sets_as_from_their_multi_hot_rows(HeadKind kind, BinaryLoss binary)
    {
        // Given a head of each kind over an embedding of 5 labels in 3 dimensions, and a batch of outputs
        var random = new Random(11);
        var vectors = Enumerable.Range(0, 15).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        Func<LabelHead> make = () => kind switch
        {
            HeadKind.Embedding => new EmbeddingHead(6, vectors, 5, 3),
            HeadKind.Sigmoid => new SigmoidHead(6, 5, null, binary),
            HeadKind.CosineLogit => new CosineLogitHead(6, vectors, 5, 3, null, binary),
            HeadKind.Joint => new JointHead(6, vectors, 5, 3, 2, JointRanking.Sum, null, binary),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        NoTensorLeaksAttribute.AllowConstruction(1, make);
        torch.random.manual_seed(5).Dispose();
        using var head = make();
        using var scope = NewDisposeScope();
        var x = randn(4, 6);
        using var labels = new BatchLabels(Sets(), [0, 1, 2, 3], 5, CPU);

        // When the loss is taken from the label sets and from the multi-hot rows, and each is differentiated
        (float Loss, float[] Gradient) Take(Func<Tensor, Tensor> loss)
        {
            var outputs = head.forward(x).detach().requires_grad_(true);
            var value = loss(outputs);
            value.backward();
            return (value.item<float>(), outputs.grad!.data<float>().ToArray());
        }
        var fromSets = Take(outputs => head.Loss(outputs, labels));
        var fromRows = Take(outputs => head.Loss(outputs, labels.MultiHot.clone()));

        // Then both are the same to float rounding
        Assert.Equal(fromRows.Loss, fromSets.Loss, 6);
        Assert.Equal(fromRows.Gradient.Length, fromSets.Gradient.Length);
        for (int i = 0; i < fromRows.Gradient.Length; i++) Assert.Equal(fromRows.Gradient[i], fromSets.Gradient[i], 6);
    }
}
