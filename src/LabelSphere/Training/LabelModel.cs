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
public sealed class LabelModel : nn.Module<Tensor, Tensor>
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
    /// A new model: the backbone <paramref name="config"/> describes under the head <paramref name="loss"/> names,
    /// over <paramref name="labels"/> labels; the embedding head takes E_k from the first <paramref name="labels"/>
    /// rows of <paramref name="embedding"/> (later rows are labels added zero-shot after training).
    /// Weights come from torch's global generator, so seed it first.
    /// </summary>
    /// <param name="priors">Sigmoid head: [labels] training label frequencies to start its biases at (see <see cref="SigmoidHead"/>).</param>
    public static LabelModel Create(BackboneConfig config, LossKind loss, int labels, LabelEmbedding? embedding, IReadOnlyList<double>? priors = null)
    {
        var body = Backbones.Create(config);
        try
        {
            int features = ((IBackbone)body).OutputSize;
            LabelHead top = loss switch
            {
                LossKind.Cosine => embedding is null
                    ? throw new ArgumentException("the cosine loss needs a label embedding")
                    : embedding.Labels < labels
                        ? throw new ArgumentException($"the embedding has {embedding.Labels} labels, the model {labels}")
                        : new EmbeddingHead(features, embedding.Vectors[..(labels * embedding.Dimension)].ToArray(), labels, embedding.Dimension),
                LossKind.Sigmoid => new SigmoidHead(features, labels, priors),
                _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, "unknown loss"),
            };
            return new LabelModel(body, top);
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    /// <summary>The head.</summary>
    public LabelHead Head => head;

    /// <summary>d, the width of the body's features.</summary>
    public int FeatureSize => ((IBackbone)backbone).OutputSize;

    /// <param name="input">[batch, ..input shape]</param>
    /// <returns>[batch, k] for the embedding head, [batch, N] logits for the baseline.</returns>
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
