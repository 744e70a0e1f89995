using LabelSphere.Data;
using LabelSphere.Decoding;
using LabelSphere.Embedding;
using LabelSphere.Evaluation;
using LabelSphere.IO;
using LabelSphere.Native;
using LabelSphere.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere;

/// <summary>
/// A fitted label classifier: the network, its label embedding (with labels added zero-shot since training) and its
/// feature scaling or image decoding. Made by <see cref="Fit"/> or <see cref="Load"/>; ranks labels for dense or
/// sparse feature vectors (<see cref="Predict(ReadOnlySpan{float}, int)"/>, <see cref="PredictBatch(IReadOnlyList{float[]}, int, CancellationToken)"/>),
/// measures itself on labelled data (<see cref="Evaluate"/>) and saves to a model folder (<see cref="Save"/>). Scores are
/// cosine proximity for the embedding head, probability for the sigmoid and cosine-logit heads, and the joint head's mix
/// for the joint head.
/// </summary>
/// <remarks>
/// Thread safety: once made, a classifier does not change, and <c>Predict</c>, <c>PredictBatch</c> and
/// <c>Evaluate</c> may be called from many threads at once (each call runs its own forward passes without gradients);
/// <see cref="Dispose"/> must not overlap any other call, and <see cref="Fit"/> itself runs on the calling thread.
/// </remarks>
public sealed class LabelClassifier : IDisposable
{
    readonly LabelModel model;
    readonly Device device;

    LabelClassifier(string? folder, ModelManifest manifest, LabelModel model, LabelEmbedding? embedding, FeatureTransform? scaler, Device device,
                    TrainingResult? training)
    {
        Folder = folder;
        Manifest = manifest;
        this.model = model;
        Embedding = embedding;
        Transform = scaler;
        this.device = device;
        Training = training;
        TrainedVocabulary = new LabelVocabulary(manifest.LabelNames);
        Vocabulary = manifest.Head.UsesEmbedding() ? embedding!.Vocabulary : TrainedVocabulary;
    }

    /// <summary>
    /// Trains a classifier on <paramref name="data"/> in memory (nothing is written unless
    /// <see cref="LabelClassifierOptions.CheckpointFolder"/> is set). Cancelling stops at the next step: with a checkpoint
    /// folder after writing a checkpoint there (<see cref="TrainingStoppedException"/>, an
    /// <see cref="OperationCanceledException"/>), without one at once.
    /// </summary>
    /// <param name="progress">Receives a report after every step and at each phase change, on the training thread.</param>
    public static LabelClassifier Fit(LabelData data, LabelClassifierOptions? options = null, IProgress<TrainingProgress>? progress = null,
                                      CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= new LabelClassifierOptions();
        options.Validate();
        var set = TrainingSet.Prepare(data, options.Validation, options.Embedding, options.ValidationFraction, options.Training);
        return FitPrepared(set, options, null, progress, cancellationToken);
    }

    /// <summary>
    /// Trains on prepared data; <paramref name="folder"/> is <see cref="LabelClassifierOptions.CheckpointFolder"/> already
    /// opened (and locked) by the caller, or null to let the trainer open it.
    /// </summary>
    internal static LabelClassifier FitPrepared(TrainingSet set, LabelClassifierOptions options, OutputFolder? folder, IProgress<TrainingProgress>? progress,
                                        CancellationToken cancellationToken, DataParallel? parallel = null)
    {
        var run = new TrainingRun
        {
            Train = set.Train,
            Validation = set.Validation,
            Options = options.Training,
            Embedding = set.Embedding,
            Output = folder?.Path ?? options.CheckpointFolder,
            Folder = folder,
            Resume = options.Resume,
            OutputOptions = options.CheckpointFolder is null ? null : new OutputOptions { Overwrite = options.Overwrite },
            Parallel = parallel,
        };
        var trained = Trainer.Fit(run, progress, cancellationToken);
        if (trained.Model is null)
            throw new TrainingStoppedException(trained.Result);
        return new LabelClassifier(trained.Result.ModelFolder, trained.Manifest!, trained.Model, set.Embedding, trained.Features,
            Devices.Resolve(options.Training.Device), trained.Result);
    }

    /// <summary>
    /// Loads the model in <paramref name="path"/> (a model folder, or a run folder holding one in <c>model/</c>). With
    /// <paramref name="embeddingFolder"/>, decodes with that embedding instead of the saved one; its first rows must
    /// be the model's labels, in order, and later rows are labels added zero-shot.
    /// </summary>
    public static LabelClassifier Load(string path, string? embeddingFolder = null, DeviceKind device = DeviceKind.Cpu)
    {
        ArgumentNullException.ThrowIfNull(path);
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
                int n = manifest.LabelNames.Length, k = embedding.Dimension;
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
        return new LabelClassifier(folder, manifest, model, embedding, features, target, null);
    }

    /// <summary>
    /// Writes the model to <paramref name="folder"/> (manifest, weights, embedding, feature scaling; the format
    /// <see cref="Load"/> reads). An existing folder is replaced only with <paramref name="overwrite"/> and only when it
    /// holds a model; nothing else is ever deleted.
    /// </summary>
    public void Save(string folder, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ModelFolder.Save(folder, model, Manifest, Embedding, Transform, new OutputOptions { Overwrite = overwrite });
    }

    /// <summary>The model folder it was loaded from or trained into, or null for a model that lives in memory only.</summary>
    public string? Folder { get; }

    /// <summary>The model's manifest: head, body, labels, training options and how training went.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>What the training call that made it did (steps, losses, validation); null for a loaded model.</summary>
    public TrainingResult? Training { get; }

    /// <summary>The labels it ranks: the embedding's (trained and zero-shot) or, for the baseline, the trained ones.</summary>
    public LabelVocabulary Vocabulary { get; }

    /// <summary>The labels the network was trained on and scores directly: <see cref="Vocabulary"/> without those added zero-shot since.</summary>
    public LabelVocabulary TrainedVocabulary { get; }

    /// <summary>The embedding it decodes with, or null for a baseline saved without one.</summary>
    public LabelEmbedding? Embedding { get; }

    /// <summary>The fitted feature scaling of its input, or null when its input is not feature vectors.</summary>
    public FeatureTransform? Transform { get; }

    /// <summary>Number of features its input vectors have, or null when its input is not feature vectors.</summary>
    public int? FeatureCount => Transform?.Columns;

    /// <summary>The top <paramref name="top"/> labels of one dense feature vector ([<see cref="FeatureCount"/>], unscaled), best first.</summary>
    public ScoredLabel[] Predict(ReadOnlySpan<float> features, int top = 5)
    {
        var scaler = FeatureInput();
        if (features.Length != scaler.Columns)
            throw new ArgumentException($"the vector has {features.Length:N0} features; the model was trained on {scaler.Columns:N0}", nameof(features));
        var builder = new FeatureMatrixBuilder();
        builder.AddRow(features);
        return PredictRows(builder.Build(scaler.Columns), top, default)[0];
    }

    /// <summary>
    /// The top <paramref name="top"/> labels of one sparse feature vector, best first: <paramref name="values"/>[i] is
    /// feature <paramref name="indices"/>[i] (0-based, distinct, below <see cref="FeatureCount"/>), the others are 0.
    /// </summary>
    public ScoredLabel[] Predict(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, int top = 5)
    {
        var scaler = FeatureInput();
        if (indices.Length != values.Length)
            throw new ArgumentException($"{indices.Length} feature indices for {values.Length} values", nameof(values));
        var seen = new HashSet<int>();
        var builder = new FeatureMatrixBuilder();
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)scaler.Columns)
                throw new ArgumentOutOfRangeException(nameof(indices), indices[i], $"feature indices must be between 0 and {scaler.Columns - 1}, got {indices[i]}");
            if (!seen.Add(indices[i])) throw new ArgumentException($"feature index {indices[i]} is given twice", nameof(indices));
            builder.Add(indices[i], values[i]);
        }
        builder.EndRow();
        return PredictRows(builder.Build(scaler.Columns), top, default)[0];
    }

    /// <summary>
    /// The top <paramref name="top"/> labels of every dense feature vector of <paramref name="rows"/>, best first; the
    /// network runs once per batch of up to 512 rows.
    /// </summary>
    public ScoredLabel[][] PredictBatch(IReadOnlyList<float[]> rows, int top = 5, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var scaler = FeatureInput();
        var builder = new FeatureMatrixBuilder();
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r] ?? throw new ArgumentException($"row {r} is null", nameof(rows));
            if (row.Length != scaler.Columns)
                throw new ArgumentException($"row {r} has {row.Length:N0} features; the model was trained on {scaler.Columns:N0}", nameof(rows));
            builder.AddRow(row);
        }
        return PredictRows(builder.Build(scaler.Columns), top, cancellationToken);
    }

    /// <summary>The top <paramref name="top"/> labels of every instance of <paramref name="data"/>, best first (its labels are not used).</summary>
    public ScoredLabel[][] PredictBatch(LabelData data, int top = 5, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return PredictSource(data.For(this, trainedLabelsOnly: false).Source, top, cancellationToken);
    }

    /// <summary>
    /// The paper's metrics of the model on the labelled <paramref name="data"/> (MAP@100 unweighted and class-weighted,
    /// AP@100, P@k, nDCG@k, PSP@k; scikit-learn's mAP when the score matrix is small enough): the network's scores over
    /// <see cref="TrainedVocabulary"/>, classes weighted by the training label frequencies recorded with the model, as
    /// <c>labelsphere evaluate</c> weighs them.
    /// </summary>
    /// <param name="progress">Receives the number of instances scored so far.</param>
    public MetricsReport Evaluate(LabelData data, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Annotations.Labels.NonZeros == 0)
            throw new ArgumentException($"{data.Source}: carries no labels; evaluating needs the true labels of the instances", nameof(data));
        var (source, mapping) = data.For(this, trainedLabelsOnly: true);
        if (source.Labels.NonZeros == 0)
            throw new ArgumentException($"{data.Source}: none of its {mapping.DataLabels:N0} labels is one of the model's {TrainedVocabulary.Count:N0} (e.g. {string.Join(", ", mapping.MissingLabels.Take(3))}); is this data of the model's data set?", nameof(data));
        var recorded = RecordedFrequencies();
        return EvaluateSource(source, MetricsFor(TrainedVocabulary.Count), recorded is { } r ? ClassWeights.FromCounts(r.Counts) : null,
            recorded is { } t ? Propensity.Inverse(t.Counts, t.Instances) : null, ExactAveragePrecisionFits(source.Count), progress, cancellationToken);
    }

    /// <summary>scikit-learn's AP needs the whole score matrix; above this many scores (256 MB) it is left out.</summary>
    internal const long ExactScoreLimit = 1L << 26;

    /// <summary>Whether scikit-learn's AP over <paramref name="instances"/> instances stays under <see cref="ExactScoreLimit"/>.</summary>
    internal bool ExactAveragePrecisionFits(int instances) => (long)instances * TrainedVocabulary.Count <= ExactScoreLimit;

    /// <summary>The cutoffs of P@k, nDCG@k and PSP@k for <paramref name="labels"/> labels: 1, 3, 5 as far as there are labels.</summary>
    internal static MetricsOptions MetricsFor(int labels)
    {
        int cutoffs = Math.Min(5, labels);
        return new MetricsOptions { Cutoffs = cutoffs >= 5 ? [1, 3, 5] : cutoffs >= 3 ? [1, 3] : [1] };
    }

    /// <summary>
    /// The training label counts the model records: its manifest's, else (models saved before they were recorded) its
    /// embedding's for the trained labels; null for neither.
    /// </summary>
    internal (long[] Counts, long Instances, bool FromEmbedding)? RecordedFrequencies()
    {
        var training = Manifest.Training;
        if (training.LabelCounts is { } counts) return (counts, training.TrainingInstances, false);
        if (Embedding is { } embedding) return (embedding.LabelCounts[..TrainedVocabulary.Count].ToArray(), embedding.Instances, true);
        return null;
    }

    /// <summary>
    /// Every ranking metric of the model on <paramref name="source"/> (<see cref="ModelEvaluation.Evaluate"/>): the
    /// network's own scores over <see cref="TrainedVocabulary"/>, so the source's labels must be mapped onto those.
    /// </summary>
    /// <param name="classWeights">[trained labels] weights of the class-weighted MAP@100, or empty for none.</param>
    /// <param name="inversePropensities">[trained labels] 1/p_l for propensity-scored precision, or empty for none.</param>
    /// <param name="exactAveragePrecision">Also scikit-learn's AP, which holds the [instances, labels] score matrix.</param>
    internal MetricsReport EvaluateSource(IInstanceSource source, MetricsOptions? options, ReadOnlySpan<double> classWeights,
                                    ReadOnlySpan<double> inversePropensities, bool exactAveragePrecision,
                                    IProgress<int>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Vocabulary.Count != TrainedVocabulary.Count)
            throw new ArgumentException($"the data's labels are mapped onto {source.Vocabulary.Count} labels; the network scores its {TrainedVocabulary.Count} trained labels");
        CheckInput(source);
        return ModelEvaluation.Evaluate(model, source, device, options, classWeights, inversePropensities, Trainer.EvaluationBatchSize,
            cancellationToken, progress, exactAveragePrecision);
    }

    FeatureTransform FeatureInput() =>
        Transform ?? throw new InvalidOperationException($"the model takes input of shape [{string.Join(", ", Manifest.Backbone.InputShape)}], not feature vectors");

    ScoredLabel[][] PredictRows(FeatureMatrix rows, int top, CancellationToken cancellationToken)
    {
        var none = new LabelMatrix(new long[rows.Rows + 1], [], Vocabulary.Count);
        return PredictSource(new FeatureSource(rows, none, Vocabulary, Transform!), top, cancellationToken);
    }

    void CheckInput(IInstanceSource source)
    {
        if (!source.InputShape.SequenceEqual(Manifest.Backbone.InputShape))
            throw new ArgumentException($"the data gives inputs of shape [{string.Join(", ", source.InputShape)}]; the model takes [{string.Join(", ", Manifest.Backbone.InputShape)}]");
    }

    /// <summary>
    /// The top <paramref name="top"/> labels of every instance of <paramref name="source"/>, best first; none for an
    /// instance the source leaves out of its batches (an image skipped as undecodable).
    /// </summary>
    internal ScoredLabel[][] PredictSource(IInstanceSource source, int top, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (top < 1 || top > Vocabulary.Count) throw new ArgumentOutOfRangeException(nameof(top), top, $"top must be between 1 and the number of labels ({Vocabulary.Count}), got {top}");
        CheckInput(source);
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
                int trained = TrainedVocabulary.Count, added = Vocabulary.Count - trained;
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
                                row[t] = new ScoredLabel(id, Vocabulary[id], v[i * top + t]);
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
                    throw new ModelFormatException($"{Folder ?? "the model"}: the model scores instance {i} {label.Score} for '{label.Name}', which is not a number it can rank by; its weights or that instance's features are out of range");
        return ranked;
    }

    /// <summary>Frees the network's tensors; no other call may run at the same time or after.</summary>
    public void Dispose() => model.Dispose();
}
