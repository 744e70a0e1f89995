using LabelSphere.Embedding;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LabelSphere.Training;

/// <summary>
/// The top of a label model: body features [batch, d] in, outputs out, a loss against multi-hot label sets and
/// ranking scores over the N labels. The two heads are the only difference between the paper's model and its baseline.
/// </summary>
public abstract class LabelHead : nn.Module<Tensor, Tensor>
{
    private protected LabelHead(string name) : base(name) { }

    /// <summary>Which head.</summary>
    public abstract LossKind Kind { get; }

    /// <summary>N, the labels it ranks.</summary>
    public abstract int Labels { get; }

    /// <summary>Width of its output: k for the embedding head, N for the baseline.</summary>
    public abstract int Outputs { get; }

    /// <summary>The mean loss of a batch.</summary>
    /// <param name="outputs">[batch, Outputs] what <c>forward</c> returned.</param>
    /// <param name="labels">[batch, N] multi-hot label sets (1 where the instance carries the label).</param>
    public abstract Tensor Loss(Tensor outputs, Tensor labels);

    /// <summary>[batch, N] scores to rank labels by: cosine proximity (embedding head) or probability (baseline).</summary>
    /// <param name="outputs">[batch, Outputs]</param>
    public abstract Tensor Scores(Tensor outputs);
}

/// <summary>
/// The paper's head: a linear map to k outputs ẽ, trained with −cos(e, ẽ) against the instance's label embedding
/// e = E·v/‖E·v‖; labels are ranked by the cosine between ẽ and their rows of E. E is a buffer, not a parameter.
/// </summary>
public sealed class EmbeddingHead : LabelHead
{
    private readonly Linear projection;
    private readonly Tensor labelVectors;

    /// <summary>A head over <paramref name="features"/> body features predicting points of <paramref name="embedding"/>.</summary>
    public EmbeddingHead(int features, LabelEmbedding embedding) : this(features, embedding.Vectors.ToArray(), embedding.Labels, embedding.Dimension) { }

    /// <summary>A head predicting points of the k-dimensional space whose label rows are <paramref name="vectors"/>.</summary>
    /// <param name="features">d, the body's output width.</param>
    /// <param name="vectors">E_k, [labels, dimension] row-major.</param>
    public EmbeddingHead(int features, float[] vectors, int labels, int dimension) : base(nameof(EmbeddingHead))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (vectors.Length != (long)labels * dimension) throw new ArgumentException($"{vectors.Length} values are not [{labels}, {dimension}]");
        projection = nn.Linear(features, dimension);
        labelVectors = tensor(vectors, [labels, dimension]);
        Labels = labels;
        Outputs = dimension;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override LossKind Kind => LossKind.Cosine;

    /// <inheritdoc />
    public override int Labels { get; }

    /// <inheritdoc />
    public override int Outputs { get; }

    /// <param name="input">[batch, d]</param>
    /// <returns>ẽ, [batch, k]</returns>
    public override Tensor forward(Tensor input) => projection.forward(input);

    /// <summary>e = E·v/‖E·v‖ for each multi-hot row v, the zero vector for an empty set ([batch, N] → [batch, k]).</summary>
    public Tensor Targets(Tensor labels) => nn.functional.normalize(labels.matmul(labelVectors), p: 2, dim: 1);

    /// <inheritdoc />
    public override Tensor Loss(Tensor outputs, Tensor labels) => Losses.CosineProximity(outputs, Targets(labels));

    /// <inheritdoc />
    public override Tensor Scores(Tensor outputs) =>
        nn.functional.normalize(outputs, p: 2, dim: 1).matmul(nn.functional.normalize(labelVectors, p: 2, dim: 1).T);
}

/// <summary>The baseline head: a linear map to N logits, one sigmoid per label, binary cross-entropy.</summary>
public sealed class SigmoidHead : LabelHead
{
    private readonly Linear logits;

    /// <summary>A head over <paramref name="features"/> body features with one output per label.</summary>
    /// <param name="priors">
    /// [labels] each label's share of training instances, or null: the bias of label j then starts at the log-odds
    /// log(p_j / (1 − p_j)) (p clamped to [1e-5, 1 − 1e-5]), so that the untrained head already predicts label
    /// frequencies instead of ½ everywhere (Lin et al. 2017). With an adaptive optimizer's steps of about the learning
    /// rate, a bias started at 0 needs thousands of steps to reach the −5 of a rare label.
    /// </param>
    public SigmoidHead(int features, int labels, IReadOnlyList<double>? priors = null) : base(nameof(SigmoidHead))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(labels);
        if (priors is not null && priors.Count != labels) throw new ArgumentException($"{priors.Count} priors for {labels} labels", nameof(priors));
        logits = nn.Linear(features, labels);
        if (priors is not null)
        {
            var odds = new float[labels];
            for (int j = 0; j < labels; j++)
            {
                double p = Math.Clamp(priors[j], 1e-5, 1 - 1e-5);
                odds[j] = (float)Math.Log(p / (1 - p));
            }
            using var guard = no_grad();
            using var scope = NewDisposeScope();
            logits.bias!.copy_(tensor(odds));
        }
        Labels = labels;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override LossKind Kind => LossKind.Sigmoid;

    /// <inheritdoc />
    public override int Labels { get; }

    /// <inheritdoc />
    public override int Outputs => Labels;

    /// <param name="input">[batch, d]</param>
    /// <returns>logits, [batch, N]</returns>
    public override Tensor forward(Tensor input) => logits.forward(input);

    /// <inheritdoc />
    public override Tensor Loss(Tensor outputs, Tensor labels) => Losses.SigmoidCrossEntropy(outputs, labels);

    /// <inheritdoc />
    public override Tensor Scores(Tensor outputs) => outputs.sigmoid();
}

/// <summary>The two losses, as pure functions of tensors.</summary>
public static class Losses
{
    /// <summary>Cosine norms below this count as zero.</summary>
    public const double Epsilon = 1e-8;

    /// <summary>
    /// The cosine proximity loss −cos(e, ẽ) = −e·ẽ / (‖e‖‖ẽ‖), averaged over the rows whose target is not the zero
    /// vector. A row with a zero target (an instance without labels) adds nothing to the loss and its gradient is
    /// exactly zero; a batch of such rows has loss 0. A zero prediction gives cos = 0, not NaN.
    /// </summary>
    /// <param name="predicted">ẽ, [batch, k]</param>
    /// <param name="target">e, [batch, k]</param>
    /// <returns>A scalar in [−1, 1].</returns>
    public static Tensor CosineProximity(Tensor predicted, Tensor target)
    {
        using var scope = NewDisposeScope();
        var dot = (predicted * target).sum(1);
        var targetNorm = target.norm(1);
        var norms = (predicted.norm(1) * targetNorm).clamp_min(Epsilon);
        var labelled = targetNorm.gt(0).to_type(predicted.dtype);
        var loss = -(dot / norms * labelled).sum() / labelled.sum().clamp_min(1);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Binary cross-entropy of sigmoid(logits) against 0/1 labels, averaged over every (instance, label) cell.</summary>
    /// <param name="logits">[batch, N]</param>
    /// <param name="labels">[batch, N] 0 or 1</param>
    public static Tensor SigmoidCrossEntropy(Tensor logits, Tensor labels) =>
        nn.functional.binary_cross_entropy_with_logits(logits, labels);
}
