using LabelSphere.Embedding;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LabelSphere.Training;

/// <summary>
/// The top of a label model: body features [batch, d] in, outputs out, a loss against multi-hot label sets and
/// ranking scores over the N labels. The heads are the only difference between the paper's model, its baseline and the
/// structured heads compared with them.
/// </summary>
internal abstract class LabelHead : nn.Module<Tensor, Tensor>
{
    private protected LabelHead(string name) : base(name) { }

    /// <summary>Which head.</summary>
    public abstract HeadKind Kind { get; }

    /// <summary>N, the labels it ranks.</summary>
    public abstract int Labels { get; }

    /// <summary>Width of its output: k for the embedding and cosine-logit heads, N for the baseline, k + N for the joint head.</summary>
    public abstract int Outputs { get; }

    /// <summary>The mean loss of a batch.</summary>
    /// <param name="outputs">[batch, Outputs] what <c>forward</c> returned.</param>
    /// <param name="labels">[batch, N] multi-hot label sets (1 where the instance carries the label).</param>
    public abstract Tensor Loss(Tensor outputs, Tensor labels);

    /// <summary>The mean loss of a batch, equal to <see cref="Loss(Tensor, Tensor)"/> of its multi-hot rows.</summary>
    /// <param name="outputs">[batch, Outputs] what <c>forward</c> returned.</param>
    /// <param name="labels">The batch's label sets.</param>
    public virtual Tensor Loss(Tensor outputs, BatchLabels labels) => Loss(outputs, labels.MultiHot);

    /// <summary>
    /// These rows' part of the mean loss of a larger batch that they are <paramref name="share"/> of: summed over the
    /// parts, the losses (and their gradients) are the larger batch's <see cref="Loss(Tensor, BatchLabels)"/>. Each mean is weighted by the
    /// share of what it averages over: rows for the binary losses, labelled rows for the cosine loss.
    /// </summary>
    /// <param name="outputs">[batch, Outputs] what <c>forward</c> returned.</param>
    /// <param name="labels">The batch's label sets.</param>
    public virtual Tensor PartialLoss(Tensor outputs, BatchLabels labels, BatchShare share) => Loss(outputs, labels) * share.Rows;

    /// <summary>[batch, N] scores to rank labels by: cosine proximity (embedding head), probability (baseline, cosine-logit) or the joint head's mix.</summary>
    /// <param name="outputs">[batch, Outputs]</param>
    public abstract Tensor Scores(Tensor outputs);
}

/// <summary>
/// The paper's head: a linear map to k outputs ẽ, trained with −cos(e, ẽ) against the instance's label embedding
/// e = E·v/‖E·v‖; labels are ranked by the cosine between ẽ and their rows of E. E is a buffer, not a parameter.
/// </summary>
internal sealed class EmbeddingHead : LabelHead, IEmbeddingHead
{
    private readonly Linear projection;
    private readonly Tensor labelVectors;

    /// <summary>A head over <paramref name="features"/> body features predicting points of <paramref name="embedding"/>.</summary>
    public EmbeddingHead(int features, LabelEmbedding embedding) : this(features, embedding.Vectors.ToArray(), embedding.LabelCount, embedding.Dimension) { }

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
    public override HeadKind Kind => HeadKind.Embedding;

    /// <inheritdoc />
    public override int Labels { get; }

    /// <inheritdoc />
    public override int Outputs { get; }

    /// <param name="input">[batch, d]</param>
    /// <returns>ẽ, [batch, k]</returns>
    public override Tensor forward(Tensor input) => projection.forward(input);

    /// <inheritdoc />
    public int Dimension => Outputs;

    /// <summary>e = E·v/‖E·v‖ for each multi-hot row v, the zero vector for an empty set ([batch, N] → [batch, k]).</summary>
    public Tensor Targets(Tensor labels) => Losses.EmbeddingTargets(labels, labelVectors);

    /// <inheritdoc />
    public override Tensor Loss(Tensor outputs, Tensor labels) => Losses.CosineProximity(outputs, Targets(labels));

    /// <inheritdoc />
    public override Tensor Loss(Tensor outputs, BatchLabels labels) => Losses.CosineProximity(outputs, Losses.EmbeddingTargets(labels, labelVectors));

    /// <inheritdoc />
    public override Tensor PartialLoss(Tensor outputs, BatchLabels labels, BatchShare share) => Loss(outputs, labels) * share.Labelled;

    /// <inheritdoc />
    public override Tensor Scores(Tensor outputs) => Losses.Cosines(outputs, labelVectors);

    /// <inheritdoc />
    public Tensor AddedScores(Tensor outputs, Tensor unitVectors) => nn.functional.normalize(outputs, p: 2, dim: 1).matmul(unitVectors.T);
}

/// <summary>
/// A head that ranks by proximity to the rows of the label embedding E_k, so that a label placed in the embedding after
/// training (zero-shot) can be ranked too.
/// </summary>
internal interface IEmbeddingHead
{
    /// <summary>k, the embedding's dimension.</summary>
    int Dimension { get; }

    /// <summary>
    /// [batch, M] scores, on the scale of <see cref="LabelHead.Scores"/>, of M labels the network was not trained on,
    /// given their unit vectors.
    /// </summary>
    /// <param name="outputs">[batch, Outputs] what <c>forward</c> returned.</param>
    /// <param name="unitVectors">[M, k] the added labels' rows of the embedding, each of norm 1.</param>
    Tensor AddedScores(Tensor outputs, Tensor unitVectors);
}

/// <summary>
/// The cosine-logit head: a linear map to ẽ (k outputs), logit_j = s·cos(ẽ, E_j) + b_j, binary cross-entropy, ranked by
/// sigmoid(logit_j). The scale s is learned as log s (started at log 10: cosines in [−1, 1] alone cannot reach the
/// probabilities near 0 and 1 that BCE asks for); b_j starts at label j's prior log-odds. E is a buffer.
/// </summary>
internal sealed class CosineLogitHead : LabelHead, IEmbeddingHead
{
    /// <summary>The scale s the head starts with.</summary>
    public const double InitialScale = 10;

    private readonly Linear projection;
    private readonly Tensor labelVectors;
    private readonly Parameter logScale;
    private readonly Parameter bias;
    private readonly BinaryLoss loss;

    /// <summary>A head over <paramref name="features"/> body features scoring the labels whose rows of E_k are <paramref name="vectors"/>.</summary>
    /// <param name="features">d, the body's output width.</param>
    /// <param name="vectors">E_k, [labels, dimension] row-major.</param>
    /// <param name="priors">[labels] training label shares to start the biases at their log-odds (see <see cref="SigmoidHead"/>), or null for 0.</param>
    /// <param name="loss">The loss of its logits.</param>
    public CosineLogitHead(int features, float[] vectors, int labels, int dimension, IReadOnlyList<double>? priors = null, BinaryLoss loss = BinaryLoss.CrossEntropy)
        : base(nameof(CosineLogitHead))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (vectors.Length != (long)labels * dimension) throw new ArgumentException($"{vectors.Length} values are not [{labels}, {dimension}]");
        projection = nn.Linear(features, dimension);
        labelVectors = tensor(vectors, [labels, dimension]);
        logScale = new Parameter(tensor(new[] { (float)Math.Log(InitialScale) }));
        bias = new Parameter(tensor(Losses.PriorLogOdds(priors, labels)));
        Labels = labels;
        Dimension = dimension;
        this.loss = loss;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override HeadKind Kind => HeadKind.CosineLogit;

    /// <inheritdoc />
    public override int Labels { get; }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public override int Outputs => Dimension;

    /// <summary>The scale s of the cosines.</summary>
    public double Scale => Math.Exp(logScale.item<float>());

    /// <param name="input">[batch, d]</param>
    /// <returns>ẽ, [batch, k]</returns>
    public override Tensor forward(Tensor input) => projection.forward(input);

    /// <summary>[batch, N] logits s·cos(ẽ, E_j) + b_j.</summary>
    /// <param name="outputs">ẽ, [batch, k]</param>
    public Tensor Logits(Tensor outputs) => Losses.Cosines(outputs, labelVectors) * logScale.exp() + bias;

    /// <inheritdoc />
    public override Tensor Loss(Tensor outputs, Tensor labels) => Losses.Binary(loss, Logits(outputs), labels);

    /// <inheritdoc />
    public override Tensor Scores(Tensor outputs) => Logits(outputs).sigmoid();

    /// <summary>An added label has no bias of its own; it gets the mean of the trained labels' biases.</summary>
    public Tensor AddedScores(Tensor outputs, Tensor unitVectors) =>
        (nn.functional.normalize(outputs, p: 2, dim: 1).matmul(unitVectors.T) * logScale.exp() + bias.mean()).sigmoid();
}

/// <summary>
/// The joint head: the embedding head's projection ẽ (k outputs) and the baseline's logits (N outputs) side by side on
/// one body, trained with −cos(e, ẽ) + w·BCE. Labels are ranked by
/// a·p_j + c·cos_j + z·(α·(cos_j − μc_j)/σc_j + (1 − α)·(l_j − μl_j)/σl_j): the weights (a, c, α, z) and the per-label
/// statistics μ, σ of the logits l and cosines on the validation instances are buffers saved with the weights (see
/// <see cref="JointRanking"/> and <see cref="JointMix"/>).
/// </summary>
internal sealed class JointHead : LabelHead, IEmbeddingHead
{
    private readonly Linear projection;
    private readonly Linear logits;
    private readonly Tensor labelVectors;
    // (a, c, α, z): the weights of probability, cosine and the z-scored mix, and the cosine share α of that mix.
    private readonly Tensor mix;
    // [4, N]: per label, the mean and standard deviation of the logit, then of the cosine (0 and 1 until fitted).
    private readonly Tensor zStats;
    private readonly BinaryLoss loss;

    /// <summary>A joint head over <paramref name="features"/> body features.</summary>
    /// <param name="features">d, the body's output width.</param>
    /// <param name="vectors">E_k, [labels, dimension] row-major.</param>
    /// <param name="weight">w, the weight of the binary cross-entropy.</param>
    /// <param name="ranking">
    /// The ranking: <see cref="JointRanking.Sigmoid"/> (a, c) = (1, 0), <see cref="JointRanking.Sum"/> (1, 1),
    /// <see cref="JointRanking.Fitted"/> z = 1 with α = ½ until <see cref="Fit"/> sets it and the statistics.
    /// </param>
    /// <param name="priors">[labels] training label shares to start the sigmoid half's biases at their log-odds, or null for 0.</param>
    /// <param name="loss">The loss of the sigmoid half's logits.</param>
    public JointHead(int features, float[] vectors, int labels, int dimension, double weight, JointRanking ranking, IReadOnlyList<double>? priors = null,
                     BinaryLoss loss = BinaryLoss.CrossEntropy)
        : base(nameof(JointHead))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if (!(weight > 0 && double.IsFinite(weight))) throw new ArgumentOutOfRangeException(nameof(weight), weight, $"the BCE weight must be a positive number, got {weight}");
        if (vectors.Length != (long)labels * dimension) throw new ArgumentException($"{vectors.Length} values are not [{labels}, {dimension}]");
        projection = nn.Linear(features, dimension);
        logits = nn.Linear(features, labels);
        if (priors is not null)
        {
            using var guard = no_grad();
            using var scope = NewDisposeScope();
            logits.bias!.copy_(tensor(Losses.PriorLogOdds(priors, labels)));
        }
        labelVectors = tensor(vectors, [labels, dimension]);
        mix = tensor(ranking switch
        {
            JointRanking.Sigmoid => new[] { 1f, 0f, 0f, 0f },
            JointRanking.Sum => new[] { 1f, 1f, 0f, 0f },
            JointRanking.Fitted => new[] { 0f, 0f, 0.5f, 1f },
            _ => throw new ArgumentOutOfRangeException(nameof(ranking), ranking, "unknown joint ranking"),
        });
        var stats = new float[4 * labels];
        Array.Fill(stats, 1f, labels, labels);
        Array.Fill(stats, 1f, 3 * labels, labels);
        zStats = tensor(stats, [4, labels]);
        Weight = weight;
        Labels = labels;
        Dimension = dimension;
        this.loss = loss;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override HeadKind Kind => HeadKind.Joint;

    /// <inheritdoc />
    public override int Labels { get; }

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public override int Outputs => Dimension + Labels;

    /// <summary>w, the weight of the binary cross-entropy in the loss.</summary>
    public double Weight { get; }

    /// <summary>The ranking weights (a, c) of probability and cosine, the z-scored mix left out (z = 0).</summary>
    public (double Probability, double Cosine) Mix
    {
        get
        {
            var values = mix.cpu().data<float>().ToArray();
            return (values[0], values[1]);
        }
        set
        {
            if (!(value.Probability >= 0 && value.Cosine >= 0 && value.Probability + value.Cosine > 0 && double.IsFinite(value.Probability + value.Cosine)))
                throw new ArgumentOutOfRangeException(nameof(value), value, "the mix weights must be finite, 0 or more, and not both 0");
            using var guard = no_grad();
            using var scope = NewDisposeScope();
            mix.copy_(tensor(new[] { (float)value.Probability, (float)value.Cosine, 0f, 0f }));
        }
    }

    /// <summary>The cosine share α of the z-scored mix, or null when the head ranks without it.</summary>
    public double? Alpha
    {
        get
        {
            var values = mix.cpu().data<float>().ToArray();
            return values[3] > 0 ? values[2] : null;
        }
    }

    /// <summary>Ranks by the z-scored mix alone (a = c = 0, z = 1) with the cosine share and statistics of <paramref name="fit"/>.</summary>
    public void Fit(JointMix.Fitted fit)
    {
        ArgumentNullException.ThrowIfNull(fit);
        if (fit.LogitMean.Length != Labels) throw new ArgumentException($"statistics of {fit.LogitMean.Length} labels for a head of {Labels}", nameof(fit));
        using var guard = no_grad();
        using var scope = NewDisposeScope();
        mix.copy_(tensor(new[] { 0f, 0f, (float)fit.Alpha, 1f }));
        zStats.copy_(tensor([.. fit.LogitMean, .. fit.LogitDeviation, .. fit.CosineMean, .. fit.CosineDeviation], [4, Labels]));
    }

    /// <param name="input">[batch, d]</param>
    /// <returns>[batch, k + N]: ẽ, then the logits.</returns>
    public override Tensor forward(Tensor input) => cat([projection.forward(input), logits.forward(input)], 1);

    /// <summary>The two halves of the output: ẽ [batch, k] and the logits [batch, N].</summary>
    public (Tensor Point, Tensor Logits) Split(Tensor outputs) => (outputs.narrow(1, 0, Dimension), outputs.narrow(1, Dimension, Labels));

    /// <summary>[batch, N] each half's scores: the sigmoid half's logits and the cosines cos(ẽ, E_j).</summary>
    public (Tensor Logits, Tensor Cosine) Components(Tensor outputs)
    {
        var (point, z) = Split(outputs);
        return (z, Losses.Cosines(point, labelVectors));
    }

    /// <inheritdoc />
    public override Tensor Loss(Tensor outputs, Tensor labels)
    {
        var (point, z) = Split(outputs);
        return Losses.CosineProximity(point, Losses.EmbeddingTargets(labels, labelVectors)) + Weight * Losses.Binary(loss, z, labels);
    }

    /// <inheritdoc />
    public override Tensor Loss(Tensor outputs, BatchLabels labels)
    {
        var (point, z) = Split(outputs);
        return Losses.CosineProximity(point, Losses.EmbeddingTargets(labels, labelVectors)) + Weight * Losses.Binary(loss, z, labels.MultiHot);
    }

    /// <inheritdoc />
    public override Tensor PartialLoss(Tensor outputs, BatchLabels labels, BatchShare share)
    {
        var (point, z) = Split(outputs);
        return Losses.CosineProximity(point, Losses.EmbeddingTargets(labels, labelVectors)) * share.Labelled
               + Weight * share.Rows * Losses.Binary(loss, z, labels.MultiHot);
    }

    /// <inheritdoc />
    public override Tensor Scores(Tensor outputs)
    {
        var (l, c) = Components(outputs);
        var w = mix.to(outputs.device);
        var st = zStats.to(outputs.device);
        var zl = (l - st[0]) / st[1];
        var zc = (c - st[2]) / st[3];
        // The z-scored mix, mapped back to the scale of the label's logits: per label an increasing affine map, so it
        // orders a label's instances as the mix does (what MAP@100 scores), while across the labels of one instance it
        // stays on the logit scale (α = 0 gives the logits), not on z-scores that lift rare labels' scores to the
        // frequent ones'.
        return l.sigmoid() * w[0] + c * w[1] + (st[0] + st[1] * (zc * w[2] + zl * (1 - w[2]))) * w[3];
    }

    /// <summary>
    /// An added label has no logit of its own: in the probability term its probability is taken as σ(b̄), the trained
    /// labels' typical prior, shaded by its proximity, σ(b̄)·(1 + cos)/2; in the z-scored mix both its z-scores are its
    /// cosine's, standardised by the mean of the trained labels' cosine statistics, and mapped to the logit scale by the
    /// mean of their logit statistics. Either way it ranks by cosine.
    /// </summary>
    public Tensor AddedScores(Tensor outputs, Tensor unitVectors)
    {
        var (point, _) = Split(outputs);
        var c = nn.functional.normalize(point, p: 2, dim: 1).matmul(unitVectors.T);
        var w = mix.to(outputs.device);
        var st = zStats.to(outputs.device);
        var zc = (c - st[2].mean()) / st[3].mean();
        return (c + 1) * 0.5 * logits.bias!.mean().sigmoid() * w[0] + c * w[1] + (st[0].mean() + st[1].mean() * zc) * w[3];
    }
}

/// <summary>The baseline head: a linear map to N logits, one sigmoid per label, binary cross-entropy.</summary>
internal sealed class SigmoidHead : LabelHead
{
    private readonly Linear logits;
    private readonly BinaryLoss loss;

    /// <summary>A head over <paramref name="features"/> body features with one output per label.</summary>
    /// <param name="priors">
    /// [labels] each label's share of training instances, or null: the bias of label j then starts at the log-odds
    /// log(p_j / (1 − p_j)) (p clamped to [1e-5, 1 − 1e-5]), so that the untrained head already predicts label
    /// frequencies instead of ½ everywhere (Lin et al. 2017). With an adaptive optimizer's steps of about the learning
    /// rate, a bias started at 0 needs thousands of steps to reach the −5 of a rare label.
    /// </param>
    /// <param name="loss">The loss of its logits.</param>
    public SigmoidHead(int features, int labels, IReadOnlyList<double>? priors = null, BinaryLoss loss = BinaryLoss.CrossEntropy) : base(nameof(SigmoidHead))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(labels);
        if (priors is not null && priors.Count != labels) throw new ArgumentException($"{priors.Count} priors for {labels} labels", nameof(priors));
        logits = nn.Linear(features, labels);
        if (priors is not null)
        {
            using var guard = no_grad();
            using var scope = NewDisposeScope();
            logits.bias!.copy_(tensor(Losses.PriorLogOdds(priors, labels)));
        }
        Labels = labels;
        this.loss = loss;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override HeadKind Kind => HeadKind.Sigmoid;

    /// <inheritdoc />
    public override int Labels { get; }

    /// <inheritdoc />
    public override int Outputs => Labels;

    /// <param name="input">[batch, d]</param>
    /// <returns>logits, [batch, N]</returns>
    public override Tensor forward(Tensor input) => logits.forward(input);

    /// <inheritdoc />
    public override Tensor Loss(Tensor outputs, Tensor labels) => Losses.Binary(loss, outputs, labels);

    /// <inheritdoc />
    public override Tensor Scores(Tensor outputs) => outputs.sigmoid();
}

/// <summary>What each head needs.</summary>
internal static class HeadKinds
{
    /// <summary>Whether the head ranks by the label embedding, needs one, and can rank labels added zero-shot.</summary>
    public static bool UsesEmbedding(this HeadKind head) => head switch
    {
        HeadKind.Embedding => true,
        HeadKind.Sigmoid => false,
        HeadKind.CosineLogit => true,
        HeadKind.Joint => true,
        _ => throw new ArgumentOutOfRangeException(nameof(head), head, "unknown head"),
    };

    /// <summary>Whether the head has per-label biases that start at the label priors.</summary>
    public static bool UsesPriors(this HeadKind head) => head switch
    {
        HeadKind.Embedding => false,
        HeadKind.Sigmoid or HeadKind.CosineLogit or HeadKind.Joint => true,
        _ => throw new ArgumentOutOfRangeException(nameof(head), head, "unknown head"),
    };

    /// <summary>The head's name on the command line and in tables: embedding, sigmoid, cosine-logit, joint.</summary>
    public static string Name(this HeadKind head) => head switch
    {
        HeadKind.Embedding => "embedding",
        HeadKind.Sigmoid => "sigmoid",
        HeadKind.CosineLogit => "cosine-logit",
        HeadKind.Joint => "joint",
        _ => throw new ArgumentOutOfRangeException(nameof(head), head, "unknown head"),
    };
}

/// <summary>The losses and the pieces of the heads, as pure functions of tensors.</summary>
internal static class Losses
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

    /// <summary>e = E·v/‖E·v‖ for each multi-hot row v, the zero vector for an empty set.</summary>
    /// <param name="labels">[batch, N] multi-hot</param>
    /// <param name="vectors">E_k, [N, k]</param>
    /// <returns>[batch, k]</returns>
    public static Tensor EmbeddingTargets(Tensor labels, Tensor vectors) => nn.functional.normalize(labels.matmul(vectors), p: 2, dim: 1);

    /// <summary>
    /// The same targets from the label sets: each E·v is the sum of its labels' rows of E, gathered and added row by row,
    /// which costs (labels in the batch)·k instead of the batch·N·k of the product with the multi-hot rows.
    /// </summary>
    /// <param name="labels">The batch's label sets.</param>
    /// <param name="vectors">E_k, [N, k]</param>
    /// <returns>[batch, k]</returns>
    public static Tensor EmbeddingTargets(BatchLabels labels, Tensor vectors)
    {
        using var scope = NewDisposeScope();
        var sums = zeros([labels.Count, vectors.shape[1]], dtype: vectors.dtype, device: vectors.device)
            .index_add_(0, labels.Rows, vectors.index_select(0, labels.Ids), 1);
        return nn.functional.normalize(sums, p: 2, dim: 1).MoveToOuterDisposeScope();
    }

    /// <summary>cos(ẽ, E_j) for every prediction and label row (a zero vector gives 0).</summary>
    /// <param name="predicted">ẽ, [batch, k]</param>
    /// <param name="vectors">E_k, [N, k]</param>
    /// <returns>[batch, N]</returns>
    public static Tensor Cosines(Tensor predicted, Tensor vectors) =>
        nn.functional.normalize(predicted, p: 2, dim: 1).matmul(nn.functional.normalize(vectors, p: 2, dim: 1).T);

    /// <summary>
    /// [labels] log(p_j / (1 − p_j)) of the label shares <paramref name="priors"/> (clamped to [1e-5, 1 − 1e-5]), or
    /// zeros when there are none.
    /// </summary>
    public static float[] PriorLogOdds(IReadOnlyList<double>? priors, int labels)
    {
        if (priors is not null && priors.Count != labels) throw new ArgumentException($"{priors.Count} priors for {labels} labels", nameof(priors));
        var odds = new float[labels];
        if (priors is null) return odds;
        for (int j = 0; j < labels; j++)
        {
            double p = Math.Clamp(priors[j], 1e-5, 1 - 1e-5);
            odds[j] = (float)Math.Log(p / (1 - p));
        }
        return odds;
    }

    /// <summary>Binary cross-entropy of sigmoid(logits) against 0/1 labels, averaged over every (instance, label) cell.</summary>
    /// <param name="logits">[batch, N]</param>
    /// <param name="labels">[batch, N] 0 or 1</param>
    public static Tensor SigmoidCrossEntropy(Tensor logits, Tensor labels) =>
        nn.functional.binary_cross_entropy_with_logits(logits, labels);

    /// <summary>The probability margin m of the asymmetric loss: a negative with p ≤ m adds nothing.</summary>
    public const double AsymmetricMargin = 0.05;

    /// <summary>The focusing exponent γ₋ of the asymmetric loss on negatives (γ₊ on positives is 0).</summary>
    public const int AsymmetricGamma = 4;

    /// <summary>
    /// The asymmetric loss (Ridnik et al. 2021, γ₊ = 0, γ₋ = 4, m = 0.05) averaged over every (instance, label) cell:
    /// −[y·log p + (1 − y)·p_m^γ₋·log(1 − p_m)], p = σ(logit), p_m = max(p − m, 0).
    /// </summary>
    /// <param name="logits">[batch, N]</param>
    /// <param name="labels">[batch, N] 0 or 1</param>
    public static Tensor Asymmetric(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var shifted = (logits.sigmoid() - AsymmetricMargin).clamp_min(0);
        // 1 − p_m ≥ m, so the logarithm is finite without a clamp.
        var negative = (1 - labels) * shifted.pow(AsymmetricGamma) * (1 - shifted).log();
        var positive = labels * nn.functional.logsigmoid(logits);
        return (-(positive + negative).mean()).MoveToOuterDisposeScope();
    }

    /// <summary>The loss <paramref name="loss"/> of <paramref name="logits"/> [batch, N] against 0/1 <paramref name="labels"/> [batch, N].</summary>
    public static Tensor Binary(BinaryLoss loss, Tensor logits, Tensor labels) => loss switch
    {
        BinaryLoss.CrossEntropy => SigmoidCrossEntropy(logits, labels),
        BinaryLoss.Asymmetric => Asymmetric(logits, labels),
        _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, "unknown binary loss"),
    };
}
