using LabelSphere.Data;
using LabelSphere.Training;

namespace LabelSphere;

/// <summary>
/// A labelled data set as <see cref="LabelClassifier"/> takes it: feature vectors or text, and their label sets, read
/// from a file in any format LabelSphere reads (<see cref="Read"/>) or built in memory (<see cref="FromDense"/>). Immutable.
/// </summary>
public class LabelData
{
    /// <summary>
    /// Wraps annotations read by <see cref="AnnotationReader"/> (or built by hand); <paramref name="reader"/> are the
    /// options they were read with, whose <see cref="ReaderOptions.TextFeatures"/> say how training vectorises text.
    /// </summary>
    public LabelData(AnnotationSet annotations, ReaderOptions? reader = null)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        Annotations = annotations;
        Reader = reader ?? new ReaderOptions();
    }

    /// <summary>
    /// Reads <paramref name="path"/> (Mulan ARFF, Extreme Classification text, LIBSVM, text; the format is detected
    /// unless <paramref name="options"/> names it), or opens it when it is a pack folder, whose rows stay on disk.
    /// </summary>
    public static LabelData Read(string path, ReaderOptions? options = null) =>
        Data.Pack.IsPack(path) ? PackData.Open(path) : new LabelData(AnnotationReader.Read(path, options), options);

    /// <summary>
    /// The rows of a run that train and those held out for validation, a share <paramref name="validationShare"/> drawn
    /// from <paramref name="seed"/> (<see cref="InstanceSources.SplitRows"/>).
    /// </summary>
    internal virtual (int[] Train, int[] Validation) SplitRows(double validationShare, int seed) =>
        InstanceSources.SplitRows(Count, validationShare, seed);

    /// <summary>
    /// Data built in memory: instance i has the dense feature vector <paramref name="features"/>[i] (every row of one
    /// length) and the labels <paramref name="labels"/>[i] (names; the vocabulary is every name in order of first use).
    /// </summary>
    public static LabelData FromDense(IReadOnlyList<float[]> features, IReadOnlyList<string[]> labels)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.Count != labels.Count) throw new ArgumentException($"{features.Count} feature rows for {labels.Count} label sets", nameof(labels));
        if (features.Count == 0) throw new ArgumentException("there are no instances", nameof(features));
        int columns = features[0]?.Length ?? 0;
        var builder = new FeatureMatrixBuilder();
        for (int i = 0; i < features.Count; i++)
        {
            var values = features[i] ?? throw new ArgumentException($"feature row {i} is null", nameof(features));
            if (values.Length != columns) throw new ArgumentException($"feature row {i} has {values.Length} values, row 0 has {columns}", nameof(features));
            builder.AddRow(values);
        }
        var names = new List<string>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var matrix = new LabelMatrixBuilder();
        var row = new List<int>();
        for (int i = 0; i < labels.Count; i++)
        {
            row.Clear();
            foreach (var name in labels[i] ?? throw new ArgumentException($"label set {i} is null", nameof(labels)))
            {
                if (string.IsNullOrEmpty(name)) throw new ArgumentException($"label set {i} holds an empty label name", nameof(labels));
                if (!ids.TryGetValue(name, out var id))
                {
                    ids[name] = id = names.Count;
                    names.Add(name);
                }
                row.Add(id);
            }
            matrix.AddRow(row.ToArray());
        }
        // In-memory rows are sparse rows like those of Extreme Classification text, which is how they are described.
        var report = new ReadReport(InMemory, AnnotationFormat.ExtremeText, features.Count, labels.Count(l => l.Length == 0), 0, []);
        return new LabelData(new AnnotationSet(new LabelVocabulary(names), matrix.Build(names.Count), report, builder.Build(columns)));
    }

    /// <summary>How messages name data built in memory.</summary>
    internal const string InMemory = "the data";

    /// <summary>The instances as read: label sets, vocabulary, features or text, and what the reader skipped.</summary>
    public AnnotationSet Annotations { get; }

    /// <summary>The options the data was read with; training vectorises text as their <see cref="ReaderOptions.TextFeatures"/> say.</summary>
    public ReaderOptions Reader { get; }

    /// <summary>Number of instances.</summary>
    public int Count => Annotations.Count;

    /// <summary>Where the data came from: its file, or "the data" for data built in memory.</summary>
    public string Source => Annotations.Report.Path;

    /// <summary>The instances' training and validation sources over <paramref name="vocabulary"/>, scaled or decoded as <paramref name="options"/> say.</summary>
    internal virtual (IInstanceSource Train, IInstanceSource? Validation, LabelMappingReport Mapping) Split(
        LabelVocabulary vocabulary, int[] trainRows, int[] validationRows, TrainingOptions options)
    {
        if (options.Image is not null)
            throw new ArgumentException($"{Source}: holds feature vectors; the options describe images (read annotations of images with their image folder)", nameof(TrainingOptions.Image));
        if (Annotations.Features is null && Annotations.Texts is null)
            throw new ArgumentException($"{Source}: has no features; the {Backbones.Name(options.Backbone)} backbone trains on feature vectors (Mulan ARFF, Extreme Classification text, LIBSVM) or text");
        var (labels, mapping) = LabelMapping.Map(Annotations.Vocabulary, Annotations.Labels, vocabulary);
        var (transform, features) = FeatureTransform.Fit(Annotations, options.Scaling, trainRows, Reader.TextFeatures);
        var train = new FeatureSource(features, labels, vocabulary, transform, trainRows);
        var validation = validationRows.Length > 0 ? new FeatureSource(features, labels, vocabulary, transform, validationRows) : null;
        return (train, validation, mapping);
    }

    /// <summary>These instances as held-out data of <paramref name="train"/>: scaled or decoded as it is, labels mapped onto <paramref name="vocabulary"/>.</summary>
    internal virtual (IInstanceSource Source, LabelMappingReport Mapping) Like(IInstanceSource train, LabelVocabulary vocabulary)
    {
        var transform = train.Transform ?? throw new ArgumentException($"{Source}: holds feature vectors or text; the training data does not");
        var features = transform.Input(Annotations);
        var (labels, mapping) = LabelMapping.Map(Annotations.Vocabulary, Annotations.Labels, vocabulary);
        return (new FeatureSource(features, labels, vocabulary, transform), mapping);
    }

    /// <summary>
    /// These instances as <paramref name="model"/>'s input: scaled or decoded as in its training, labels mapped onto
    /// <see cref="LabelClassifier.Vocabulary"/> (with <paramref name="trainedLabelsOnly"/>, onto <see cref="LabelClassifier.TrainedVocabulary"/>).
    /// </summary>
    internal virtual (IInstanceSource Source, LabelMappingReport Mapping) For(LabelClassifier model, bool trainedLabelsOnly)
    {
        var transform = model.Transform
            ?? throw new ArgumentException($"the model takes input of shape [{string.Join(", ", model.Manifest.Backbone.InputShape)}], not feature vectors");
        var features = transform.Input(Annotations);
        var vocabulary = trainedLabelsOnly ? model.TrainedVocabulary : model.Vocabulary;
        var (labels, mapping) = LabelMapping.Map(Annotations.Vocabulary, Annotations.Labels, vocabulary);
        return (new FeatureSource(features, labels, vocabulary, transform), mapping);
    }
}
