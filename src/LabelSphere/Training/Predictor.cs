using LabelSphere.Data;
using LabelSphere.Decoding;
using LabelSphere.Embedding;
using LabelSphere.Evaluation;
using LabelSphere.Native;
using LabelSphere.Training.Images;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Training;

/// <summary>
/// A saved model ready to rank labels: the network, its embedding (with labels added zero-shot since training)
/// and its feature scaling or image decoding. Scores are cosine proximity for the embedding model, probability for the
/// baseline and the cosine-logit head, and the joint head's mix for the joint head.
/// </summary>
public sealed class Predictor : IDisposable
{
    readonly LabelModel model;
    readonly Device device;

    Predictor(string folder, ModelManifest manifest, LabelModel model, LabelEmbedding? embedding, FeatureTransform? features, Device device)
    {
        Folder = folder;
        Manifest = manifest;
        this.model = model;
        Embedding = embedding;
        Features = features;
        this.device = device;
        TrainedLabels = new LabelVocabulary(manifest.Labels);
        Labels = manifest.Head.UsesEmbedding() ? embedding!.Vocabulary : TrainedLabels;
    }

    /// <summary>
    /// Loads the model in <paramref name="path"/> (a model folder or a <c>train --out</c> folder). With
    /// <paramref name="embeddingFolder"/>, decodes with that embedding instead of the saved one; its first rows must
    /// be the model's labels, in order, and later rows are labels added zero-shot.
    /// </summary>
    public static Predictor Load(string path, string? embeddingFolder = null, DeviceKind device = DeviceKind.Cpu)
    {
        var folder = ModelFolder.Find(path)
            ?? throw new ModelFormatException($"{path}: no model here (expected a manifest.json written by 'labelsphere train', or a model/ folder holding one)");
        var manifest = ModelFolder.ReadManifest(folder);
        var embedding = ModelFolder.ReadEmbedding(folder, manifest);
        if (embeddingFolder is not null)
        {
            if (!manifest.Head.UsesEmbedding())
                throw new ArgumentException("the sigmoid baseline ranks its training labels only; another embedding changes nothing for it", nameof(embeddingFolder));
            var replacement = LabelEmbedding.Load(embeddingFolder);
            ModelFolder.CheckExtends(replacement, manifest, embeddingFolder);
            if (embedding is not null)
            {
                int n = manifest.Labels.Length, k = embedding.Dimension;
                if (!replacement.Vectors[..(n * k)].SequenceEqual(embedding.Vectors[..(n * k)]))
                    throw new ArgumentException($"the vectors of the model's {n} labels in {embeddingFolder} differ from those the model was trained with; a zero-shot extension keeps them unchanged", nameof(embeddingFolder));
            }
            embedding = replacement;
        }
        var features = ModelFolder.ReadFeatures(folder, manifest);
        TorchRuntime.EnsureLoaded();
        var target = Devices.Resolve(device);
        var model = ModelFolder.LoadNetwork(folder, manifest, embedding);
        model.to(target);
        return new Predictor(folder, manifest, model, embedding, features, target);
    }

    /// <summary>The model folder.</summary>
    public string Folder { get; }

    /// <summary>The model's manifest.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>The labels it ranks: the embedding's (trained and zero-shot) or, for the baseline, the trained ones.</summary>
    public LabelVocabulary Labels { get; }

    /// <summary>The labels the network was trained on and scores directly: <see cref="Labels"/> without those added zero-shot since.</summary>
    public LabelVocabulary TrainedLabels { get; }

    /// <summary>The embedding it decodes with, or null for a baseline saved without one.</summary>
    public LabelEmbedding? Embedding { get; }

    /// <summary>The feature scaling of its input, or null when its input is not feature vectors.</summary>
    public FeatureTransform? Features { get; }

    /// <summary>How the model's input images are decoded, resized and normalised, or null when its input is not images.</summary>
    public ImageSourceOptions? Image => Manifest.Options.Image;

    /// <summary>
    /// Feature data (or, for a model trained on text, text data) as this model's input: vectorised and scaled as in
    /// training, labels mapped by name onto <see cref="Labels"/>
    /// (what is missing is reported); with <paramref name="trainedLabelsOnly"/>, onto <see cref="TrainedLabels"/>.
    /// </summary>
    public (FeatureSource Source, LabelMappingReport Mapping) FeatureSource(AnnotationSet data, bool trainedLabelsOnly = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (Features is null) throw new ArgumentException($"the model takes input of shape [{string.Join(", ", Manifest.Backbone.InputShape)}], not feature vectors");
        var features = Features.Input(data);
        var vocabulary = trainedLabelsOnly ? TrainedLabels : Labels;
        var (labels, mapping) = LabelMapping.Map(data.Vocabulary, data.Labels, vocabulary);
        return (new FeatureSource(features, labels, vocabulary, Features), mapping);
    }

    /// <summary>
    /// Every ranking metric of the model on <paramref name="source"/> (<see cref="ModelEvaluation.Evaluate"/>): the
    /// network's own scores over <see cref="TrainedLabels"/>, so the source's labels must be mapped onto those
    /// (<c>trainedLabelsOnly</c>).
    /// </summary>
    /// <param name="classWeights">[trained labels] weights of the class-weighted MAP@100, or empty for none.</param>
    /// <param name="inversePropensities">[trained labels] 1/p_l for propensity-scored precision, or empty for none.</param>
    /// <param name="exactAveragePrecision">Also scikit-learn's AP, which holds the [instances, labels] score matrix.</param>
    /// <param name="progress">Receives the number of instances scored so far.</param>
    public MetricsReport Evaluate(IInstanceSource source, MetricsOptions? options = null, ReadOnlySpan<double> classWeights = default,
                                  ReadOnlySpan<double> inversePropensities = default, bool exactAveragePrecision = false,
                                  IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Vocabulary.Count != TrainedLabels.Count)
            throw new ArgumentException($"the data's labels are mapped onto {source.Vocabulary.Count} labels; the network scores its {TrainedLabels.Count} trained labels");
        if (!source.InputShape.SequenceEqual(Manifest.Backbone.InputShape))
            throw new ArgumentException($"the data gives inputs of shape [{string.Join(", ", source.InputShape)}]; the model takes [{string.Join(", ", Manifest.Backbone.InputShape)}]");
        return ModelEvaluation.Evaluate(model, source, device, options, classWeights, inversePropensities, Trainer.EvaluationBatchSize,
            cancellationToken, progress, exactAveragePrecision);
    }

    /// <summary>
    /// The top <paramref name="top"/> labels of every instance of <paramref name="source"/>, best first; none for an
    /// instance the source leaves out of its batches (an image skipped as undecodable).
    /// </summary>
    public ScoredLabel[][] Predict(IInstanceSource source, int top, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (top < 1 || top > Labels.Count) throw new ArgumentOutOfRangeException(nameof(top), top, $"top must be between 1 and the number of labels ({Labels.Count}), got {top}");
        if (!source.InputShape.SequenceEqual(Manifest.Backbone.InputShape))
            throw new ArgumentException($"the data gives inputs of shape [{string.Join(", ", source.InputShape)}]; the model takes [{string.Join(", ", Manifest.Backbone.InputShape)}]");
        switch (Manifest.Head)
        {
            case HeadKind.Embedding:
                int k = Manifest.Outputs;
                var seen = new bool[source.Count];
                var points = new float[(long)source.Count * k];
                Inference.ForEachBatch(model, source, device, Trainer.EvaluationBatchSize, (batch, output) =>
                {
                    var values = output.cpu().data<float>().ToArray();
                    for (int i = 0; i < batch.Indices.Length; i++)
                    {
                        values.AsSpan(i * k, k).CopyTo(points.AsSpan(batch.Indices[i] * k, k));
                        seen[batch.Indices[i]] = true;
                    }
                }, cancellationToken);
                var decoded = TopKDecoder.Decode(Embedding!, points, top);
                for (int i = 0; i < decoded.Length; i++) if (!seen[i]) decoded[i] = [];
                return CheckFinite(decoded);
            case HeadKind.Sigmoid:
            case HeadKind.CosineLogit:
            case HeadKind.Joint:
                var result = new ScoredLabel[source.Count][];
                // Labels added zero-shot since training follow the trained ones, scored by the head on the same scale.
                int trained = TrainedLabels.Count, added = Labels.Count - trained;
                using (NewDisposeScope())
                {
                    var addedUnits = added > 0 ? tensor(Embedding!.UnitVectors[(trained * Embedding.Dimension)..].ToArray(), [added, Embedding.Dimension]).to(device) : null;
                    Inference.ForEachBatch(model, source, device, Trainer.EvaluationBatchSize, (batch, outputs) =>
                    {
                        var scores = model.Head.Scores(outputs);
                        if (addedUnits is not null) scores = cat([scores, ((IEmbeddingHead)model.Head).AddedScores(outputs, addedUnits)], 1);
                        var (values, indexes) = scores.topk(top, dim: 1);
                        var v = values.cpu().data<float>().ToArray();
                        var ix = indexes.cpu().data<long>().ToArray();
                        for (int i = 0; i < batch.Indices.Length; i++)
                        {
                            var row = new ScoredLabel[top];
                            for (int t = 0; t < top; t++)
                            {
                                int id = (int)ix[i * top + t];
                                row[t] = new ScoredLabel(id, Labels[id], v[i * top + t]);
                            }
                            result[batch.Indices[i]] = row;
                        }
                    }, cancellationToken);
                }
                for (int i = 0; i < result.Length; i++) result[i] ??= [];
                return CheckFinite(result);
            default:
                throw new InvalidOperationException($"unknown head {Manifest.Head}");
        }
    }

    /// <summary>Refuses rankings with a score that is not finite: NaN sorts anywhere, so its ranks would mean nothing.</summary>
    ScoredLabel[][] CheckFinite(ScoredLabel[][] ranked)
    {
        for (int i = 0; i < ranked.Length; i++)
            foreach (var label in ranked[i])
                if (!float.IsFinite(label.Score))
                    throw new ModelFormatException($"{Folder}: the model scores instance {i} {label.Score} for '{label.Name}', which is not a number it can rank by; its weights or that instance's features are out of range");
        return ranked;
    }

    /// <summary>Frees the network's tensors.</summary>
    public void Dispose() => model.Dispose();
}
