using System.Text.Json.Serialization;
using LabelSphere.Embedding;
using LabelSphere.Training.Images;

namespace LabelSphere.Serve;

/// <summary>What a served model takes as input: the <c>input</c> field of <c>GET /health</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ServedInput>))]
public enum ServedInput
{
    /// <summary>Dense or sparse feature vectors.</summary>
    [JsonStringEnumMemberName("features")] Features,

    /// <summary>Raw text, vectorised as the training text was.</summary>
    [JsonStringEnumMemberName("text")] Text,

    /// <summary>Image files.</summary>
    [JsonStringEnumMemberName("images")] Images,
}

/// <summary>
/// The model the service answers with, as one immutable snapshot: the classifier and everything derived from it once
/// (label names, input width, the text vectoriser, the embedding's 2-D map). A reload makes a new snapshot and swaps it
/// in whole (<see cref="ServedModels"/>); a request takes one snapshot at its start and uses it to the end, so it never
/// sees half of one model and half of another.
/// </summary>
internal sealed class ServedModel
{
    readonly bool owned;
    readonly Lazy<LabelMap?> map;
    readonly ImagePredictor? images;   // a model of images: its pretrained network loaded once, for every batch
    int users = 1;   // the holder's reference, plus one per request using it

    /// <param name="loadFeaturizer">Loads a model of images' pretrained network (tests count its calls); ImageFeaturizer.Load by default.</param>
    public ServedModel(LabelClassifier classifier, bool owned, Func<ImageSourceOptions, ImageFeaturizer>? loadFeaturizer = null)
    {
        this.owned = owned;
        Classifier = classifier;
        Labels = [.. classifier.Vocabulary.Names];
        Trained = classifier.TrainedVocabulary.Count;
        Input = classifier.Manifest.Options.Image is not null ? ServedInput.Images
            : classifier.Transform?.Text is not null ? ServedInput.Text
            : ServedInput.Features;
        int features = classifier.FeatureCount ?? 0;
        Features = features;
        if (classifier.Transform?.Text is { } text)
            Vectorize = t =>
            {
                var row = new float[features];
                text.Transform([t]).CopyRowTo(0, row);
                return row;
            };
        if (Input == ServedInput.Images) images = loadFeaturizer is null ? new ImagePredictor(classifier) : new ImagePredictor(classifier, loadFeaturizer);
        map = new Lazy<LabelMap?>(() => classifier.Embedding?.Map(), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public LabelClassifier Classifier { get; }

    /// <summary>The labels it ranks, in id order.</summary>
    public string[] Labels { get; }

    /// <summary>How many of <see cref="Labels"/> (the first) were trained; the rest were added zero-shot.</summary>
    public int Trained { get; }

    public ServedInput Input { get; }

    /// <summary>The width of its feature vectors (0 for a model whose input is not feature vectors).</summary>
    public int Features { get; }

    /// <summary>Turns an instance's text into its feature row, for a model of text; null otherwise.</summary>
    public Func<string, float[]>? Vectorize { get; }

    /// <summary>The label embedding it decodes with, or null (a sigmoid model saved without one).</summary>
    public LabelEmbedding? Embedding => Classifier.Embedding;

    /// <summary>The embedding's 2-D map (computed once, on first use), or null without an embedding.</summary>
    public LabelMap? Map => map.Value;

    /// <summary>The top <paramref name="top"/> labels of each encoded image (none for one that does not decode), for a model of images.</summary>
    public ScoredLabel[][] PredictImages(byte[][] encoded, int top, CancellationToken cancellationToken) =>
        (images ?? throw new InvalidOperationException("the model takes feature vectors, not images")).PredictImages(encoded, top, cancellationToken);

    /// <summary>Takes a reference for one request; false once the snapshot has been retired and released by all.</summary>
    public bool TryAcquire()
    {
        int n;
        do
        {
            n = Volatile.Read(ref users);
            if (n == 0) return false;
        }
        while (Interlocked.CompareExchange(ref users, n + 1, n) != n);
        return true;
    }

    /// <summary>Gives a reference back; the last one disposes the image network it loaded and a classifier the service loaded itself.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref users) != 0) return;
        images?.Dispose();
        if (owned) Classifier.Dispose();
    }
}

/// <summary>The current <see cref="ServedModel"/>, swapped whole on reload.</summary>
internal sealed class ServedModels(ServedModel first) : IDisposable
{
    ServedModel current = first;

    /// <summary>The current snapshot with a reference taken; give it back with <see cref="ServedModel.Release"/>.</summary>
    public ServedModel Acquire()
    {
        while (true)
        {
            var model = Volatile.Read(ref current);
            if (model.TryAcquire()) return model;
        }
    }

    /// <summary>Runs <paramref name="use"/> on the current snapshot, holding a reference meanwhile.</summary>
    public T Use<T>(Func<ServedModel, T> use)
    {
        var model = Acquire();
        try
        {
            return use(model);
        }
        finally
        {
            model.Release();
        }
    }

    /// <summary>Makes <paramref name="next"/> current; the one it replaces is released once its last request is done.</summary>
    public void Swap(ServedModel next) => Interlocked.Exchange(ref current, next).Release();

    public void Dispose() => Volatile.Read(ref current).Release();
}
