using LabelSphere.Data;
using LabelSphere.Training;

namespace LabelSphere;

/// <summary>
/// A pack (<see cref="Pack"/>) as training or held-out data: its label sets memory-mapped and its features read shard by
/// shard while training (<see cref="PackSource"/>), so that nothing of the size of the data is held in memory. A pack is
/// not split for validation (a split is a list of rows as long as the data): held-out data is a pack or file of its own.
/// </summary>
internal sealed class PackData : LabelData
{
    PackData(Pack pack)
        : base(new AnnotationSet(pack.Vocabulary, pack.Labels,
            new ReadReport(pack.Folder, AnnotationFormat.Pack, pack.Rows, pack.Manifest.EmptyRows, 0, [])))
    {
        Pack = pack;
    }

    /// <summary>The opened pack.</summary>
    public Pack Pack { get; }

    /// <summary>Opens the pack in <paramref name="folder"/> (<see cref="Pack.Open"/>).</summary>
    public static PackData Open(string folder) => new(Pack.Open(folder));

    internal override (int[] Train, int[] Validation) SplitRows(double validationShare, int seed)
    {
        if (validationShare == 0) return ([], []);
        throw new ArgumentException($"{Source}: a pack of {Count:N0} instances is not split for validation (a split lists every row in memory); hold out data as a pack or file of its own, or set the validation share to 0",
            "ValidationFraction");
    }

    internal override (IInstanceSource Train, IInstanceSource? Validation, LabelMappingReport Mapping) Split(
        LabelVocabulary vocabulary, int[] trainRows, int[] validationRows, TrainingOptions options)
    {
        if (options.Image is not null)
            throw new ArgumentException($"{Source}: a pack holds feature vectors; the options describe images", nameof(TrainingOptions.Image));
        if (validationRows.Length > 0) throw new ArgumentException($"{Source}: a pack is not split for validation", nameof(validationRows));
        var manifest = Pack.Manifest;
        var transform = FeatureTransform.FromCounts(options.Scaling, manifest.DocumentFrequency, manifest.Rows, manifest.FeatureNamesHash, Pack.Text);
        var (labels, mapping) = LabelMapping.Map(Pack.Vocabulary, Pack.Labels, vocabulary);
        return (new PackSource(Pack, labels, vocabulary, transform), null, mapping);
    }

    internal override (IInstanceSource Source, LabelMappingReport Mapping) Like(IInstanceSource train, LabelVocabulary vocabulary)
    {
        var transform = train.Transform ?? throw new ArgumentException($"{Source}: a pack holds feature vectors; the training data does not");
        return Over(transform, vocabulary);
    }

    internal override (IInstanceSource Source, LabelMappingReport Mapping) For(LabelClassifier model, bool trainedLabelsOnly)
    {
        var transform = model.Transform
            ?? throw new ArgumentException($"the model takes input of shape [{string.Join(", ", model.Manifest.Backbone.InputShape)}], not feature vectors");
        return Over(transform, trainedLabelsOnly ? model.TrainedVocabulary : model.Vocabulary);
    }

    (IInstanceSource Source, LabelMappingReport Mapping) Over(FeatureTransform transform, LabelVocabulary vocabulary)
    {
        // Term counts are columns of the vectoriser that made them: another vocabulary's columns mean other terms.
        if ((transform.Text is null) != (Pack.Text is null) || transform.Text is not null && !SameTerms(transform.Text, Pack.Text!))
            throw new ArgumentException(transform.Text is null
                ? $"{Source}: a pack of text; the model was trained on feature vectors of {transform.Columns:N0} features"
                : $"{Source}: {(Pack.Text is null ? "a pack of feature vectors" : "a pack of text vectorised with other terms")}; the model was trained on text with its own terms (give held-out text as a file, which the model's vectoriser reads)");
        var (labels, mapping) = LabelMapping.Map(Pack.Vocabulary, Pack.Labels, vocabulary);
        return (new PackSource(Pack, labels, vocabulary, transform), mapping);
    }

    static bool SameTerms(Text.TextVectorizer a, Text.TextVectorizer b) =>
        a.Options == b.Options && (a.Terms is null ? b.Terms is null : b.Terms is not null && a.Terms.SequenceEqual(b.Terms));
}
