using LabelSphere.Embedding;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Training;

/// <summary>Parameter counts of a label model, and what either head would cost on the same body.</summary>
/// <param name="Backbone">Parameters of the body.</param>
/// <param name="Head">Parameters of the head this model has.</param>
/// <param name="EmbeddingHead">(d + 1)·k: the embedding head's size on this body, or null without an embedding.</param>
/// <param name="SigmoidHead">(d + 1)·N: the baseline head's size on this body.</param>
public sealed record ParameterCounts(long Backbone, long Head, long? EmbeddingHead, long SigmoidHead)
{
    /// <summary>All parameters of the model.</summary>
    public long Total => Backbone + Head;
}

/// <summary>A backbone and a head: inputs [batch, ..shape] → head outputs [batch, k or N].</summary>
internal sealed class LabelModel : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> backbone;
    private readonly LabelHead head;

    /// <summary>Puts <paramref name="head"/> on <paramref name="backbone"/> (which must be an <see cref="IBackbone"/>).</summary>
    public LabelModel(nn.Module<Tensor, Tensor> backbone, LabelHead head) : base(nameof(LabelModel))
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(head);
        if (backbone is not IBackbone) throw new ArgumentException($"{backbone.GetType().Name} is not an IBackbone", nameof(backbone));
        this.backbone = backbone;
        this.head = head;
        RegisterComponents();
    }

    /// <summary>
    /// A new model: the backbone <paramref name="config"/> describes under the head <paramref name="head"/> names, over
    /// <paramref name="labels"/> labels; heads that use the embedding take E_k from its first <paramref name="labels"/>
    /// rows (later rows are labels added zero-shot after training). Weights come from torch's global generator, so
    /// seed it first; the body is made first, so every head starts from the same body.
    /// </summary>
    /// <param name="priors">[labels] training label frequencies to start per-label biases at (see <see cref="SigmoidHead"/>); ignored by the embedding head.</param>
    /// <param name="jointWeight">Joint head: the weight of its binary cross-entropy.</param>
    /// <param name="jointRanking">Joint head: how it ranks.</param>
    /// <param name="binaryLoss">The loss of the per-label sigmoid outputs (sigmoid, cosine-logit and joint heads).</param>
    public static LabelModel Create(BackboneConfig config, HeadKind head, int labels, LabelEmbedding? embedding, IReadOnlyList<double>? priors = null,
                                    double jointWeight = TrainingOptions.DefaultJointWeight, JointRanking jointRanking = JointRanking.Sum,
                                    BinaryLoss binaryLoss = BinaryLoss.CrossEntropy)
    {
        if (head.UsesEmbedding())
        {
            if (embedding is null) throw new ArgumentException($"the {head.Name()} head needs a label embedding");
            if (embedding.LabelCount < labels) throw new ArgumentException($"the embedding has {embedding.LabelCount} labels, the model {labels}");
        }
        var body = Backbones.Create(config);
        try
        {
            int features = ((IBackbone)body).OutputSize;
            float[] Vectors() => embedding!.Vectors[..(labels * embedding.Dimension)].ToArray();
            LabelHead top = head switch
            {
                HeadKind.Embedding => new EmbeddingHead(features, Vectors(), labels, embedding!.Dimension),
                HeadKind.Sigmoid => new SigmoidHead(features, labels, priors, binaryLoss),
                HeadKind.CosineLogit => new CosineLogitHead(features, Vectors(), labels, embedding!.Dimension, priors, binaryLoss),
                HeadKind.Joint => new JointHead(features, Vectors(), labels, embedding!.Dimension, jointWeight, jointRanking, priors, binaryLoss),
                _ => throw new ArgumentOutOfRangeException(nameof(head), head, "unknown head"),
            };
            return new LabelModel(body, top);
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    /// <summary>A new model for <paramref name="options"/>: its head, the joint head's weight and ranking, the binary loss.</summary>
    public static LabelModel Create(BackboneConfig config, TrainingOptions options, int labels, LabelEmbedding? embedding, IReadOnlyList<double>? priors = null) =>
        Create(config, options.Head, labels, embedding, priors, options.JointWeight, options.JointRanking, options.BinaryLoss);

    /// <summary>The head.</summary>
    public LabelHead Head => head;

    /// <summary>The body.</summary>
    public nn.Module<Tensor, Tensor> Body => backbone;

    /// <summary>d, the width of the body's features.</summary>
    public int FeatureSize => ((IBackbone)backbone).OutputSize;

    /// <param name="input">[batch, ..input shape]</param>
    /// <returns>[batch, Head.Outputs]: ẽ for the embedding and cosine-logit heads, logits for the baseline, both for the joint head.</returns>
    public override Tensor forward(Tensor input) => head.forward(backbone.forward(input));

    /// <summary>Counts parameters of the body and the head, and what the other head would cost.</summary>
    public ParameterCounts CountParameters(int? embeddingDimension)
    {
        long body = 0, top = 0;
        foreach (var p in backbone.parameters()) body += p.numel();
        foreach (var p in head.parameters()) top += p.numel();
        long d = FeatureSize + 1;
        return new ParameterCounts(body, top, embeddingDimension is { } k ? d * k : null, d * head.Labels);
    }
}
