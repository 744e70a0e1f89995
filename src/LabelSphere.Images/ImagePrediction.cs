using LabelSphere.Data;
using LabelSphere.Embedding;

namespace LabelSphere.Training.Images;

/// <summary>Image prediction for <see cref="LabelClassifier"/>: one image file or encoded image in, its top labels out.</summary>
public static class ImagePrediction
{
    /// <summary>The top <paramref name="top"/> labels of the image file <paramref name="imagePath"/> (PNG, JPEG, ...), decoded as in training, best first.</summary>
    public static ScoredLabel[] Predict(this LabelClassifier classifier, string imagePath, int top = 5)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(imagePath);
        var image = classifier.Manifest.Options.Image ?? throw new InvalidOperationException("the model takes feature vectors, not images");
        var full = Path.GetFullPath(imagePath);
        if (!File.Exists(full)) throw new FileNotFoundException($"{imagePath}: no such file", imagePath);
        var vocabulary = new LabelVocabulary([]);
        var annotations = new AnnotationSet(vocabulary, new LabelMatrix([0, 0], [], 0),
            new ReadReport(full, AnnotationFormat.LongCsv, 1, 1, 0, []), instanceIds: [Path.GetFileName(full)]);
        var source = new ImageSource(annotations, Path.GetDirectoryName(full)!, image with { SkipInvalid = false });
        return classifier.PredictSource(source.MapLabels(classifier.Vocabulary).Source, top)[0];
    }

    /// <summary>
    /// The top <paramref name="top"/> labels of the encoded image in <paramref name="image"/> (the bytes of a PNG,
    /// JPEG, ... file), decoded as in training, best first.
    /// </summary>
    public static ScoredLabel[] Predict(this LabelClassifier classifier, Stream image, int top = 5)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(image);
        // The decoder reads files (it decodes JPEGs at a reduced scale straight from them); the bytes go to a private
        // temporary folder that is deleted afterwards.
        var folder = Directory.CreateTempSubdirectory("labelsphere-image-");
        try
        {
            var path = Path.Combine(folder.FullName, "image");
            using (var file = File.Create(path)) image.CopyTo(file);
            return classifier.Predict(path, top);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The top <paramref name="top"/> labels of each encoded image of <paramref name="images"/> (the bytes of PNG, JPEG,
    /// ... files), decoded as in training and ranked together, best first; an image that cannot be decoded gets no
    /// labels (an empty list) and does not stop the others. Features of the frozen pretrained network are not stored.
    /// </summary>
    public static ScoredLabel[][] PredictImages(this LabelClassifier classifier, IReadOnlyList<byte[]> images, int top = 5, CancellationToken cancellationToken = default)
    {
        using var predictor = new ImagePredictor(classifier);
        return predictor.PredictImages(images, top, cancellationToken);
    }
}

/// <summary>
/// Ranks encoded images for one model of images, call after call: a frozen pretrained network is loaded once, on the
/// first call, and reused by every later one (loading ResNet-18's ONNX sessions takes seconds, ranking one image a
/// fraction of that); disposing the predictor disposes it. Thread-safe (ONNX Runtime runs a session from any thread).
/// </summary>
internal sealed class ImagePredictor : IDisposable
{
    readonly LabelClassifier classifier;
    readonly ImageSourceOptions options;
    readonly Lazy<ImageFeaturizer>? featurizer;

    /// <param name="classifier">A model of images, which the predictor uses but does not dispose.</param>
    public ImagePredictor(LabelClassifier classifier) : this(classifier, ImageFiles.LoadFeaturizer)
    {
    }

    /// <param name="load">Loads the pretrained network for the model's image options (tests count its calls).</param>
    internal ImagePredictor(LabelClassifier classifier, Func<ImageSourceOptions, ImageFeaturizer> load)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        this.classifier = classifier;
        options = (classifier.Manifest.Options.Image ?? throw new InvalidOperationException("the model takes feature vectors, not images"))
            with { SkipInvalid = true, FeatureStore = null };
        if (options.Pretrained is not null) featurizer = new(() => load(options), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>
    /// The top <paramref name="top"/> labels of each encoded image of <paramref name="images"/>, as
    /// <see cref="ImagePrediction.PredictImages"/> gives them.
    /// </summary>
    public ScoredLabel[][] PredictImages(IReadOnlyList<byte[]> images, int top = 5, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) return [];
        // As for one image: the decoder reads files, so the bytes go to a private temporary folder deleted afterwards.
        var folder = Directory.CreateTempSubdirectory("labelsphere-images-");
        try
        {
            var ids = new string[images.Count];
            for (int i = 0; i < ids.Length; i++)
            {
                ids[i] = i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
                File.WriteAllBytes(Path.Combine(folder.FullName, ids[i]), images[i] ?? throw new ArgumentException($"image {i} is null", nameof(images)));
            }
            // A folder of images, as ImageFolder reads one: an error names the folder, which has no lines to point to.
            var annotations = new AnnotationSet(new LabelVocabulary([]), new LabelMatrix(new long[ids.Length + 1], [], 0),
                new ReadReport(folder.FullName, AnnotationFormat.Text, ids.Length, ids.Length, 0, []), instanceIds: ids);
            var source = new ImageSource(annotations, folder.FullName, options, featurizer?.Value);
            return classifier.PredictSource(source.MapLabels(classifier.Vocabulary).Source, top, cancellationToken);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    public void Dispose()
    {
        if (featurizer is { IsValueCreated: true }) featurizer.Value.Dispose();
    }
}
