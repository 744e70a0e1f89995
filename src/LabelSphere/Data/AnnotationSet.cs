using System.Globalization;

namespace LabelSphere.Data;

/// <summary>The formats LabelSphere reads annotations from.</summary>
public enum AnnotationFormat
{
    /// <summary>Extreme Classification Repository text: <c>N F L</c> header, then <c>l1,l2 f:v ...</c> lines.</summary>
    ExtremeText,
    /// <summary>Mulan ARFF (dense or sparse rows) with its label XML.</summary>
    MulanArff,
    /// <summary>Wide 0/1 CSV: header <c>image,&lt;label&gt;...</c>, optionally gzip-compressed.</summary>
    WideCsv,
    /// <summary>Long CSV: header <c>image,label</c>, one row per pair.</summary>
    LongCsv,
    /// <summary>LIBSVM / svmlight multi-label: <c>l1,l2 f:v f:v ...</c> lines without a header, 1-based feature indices.</summary>
    Libsvm,
    /// <summary>Text, one instance a line: <c>labels&lt;TAB&gt;text</c> or LibMultiLabel's <c>id&lt;TAB&gt;labels&lt;TAB&gt;text</c>.</summary>
    Text,
    /// <summary>Text in a CSV file with a header: named columns for the text, the labels and optionally the id.</summary>
    TextCsv,
    /// <summary>Text in JSON Lines: one object a line, named fields for the text, the labels and optionally the id.</summary>
    TextJsonl,
    /// <summary>COCO instances JSON: category names per image.</summary>
    CocoInstances,
    /// <summary>COCO captions JSON: the words of an image's captions as its labels.</summary>
    CocoCaptions,
    /// <summary>A pack folder (<c>labelsphere pack</c>): features and label sets in shards on disk, memory-mapped while training.</summary>
    Pack,
}

/// <summary>
/// Instances read from one annotation file: their label sets (CSR), the label vocabulary, features where the
/// format has them, and what the reader found wrong or empty.
/// </summary>
public sealed class AnnotationSet
{
    /// <summary>Bundles the parts; the label matrix's columns must match the vocabulary.</summary>
    public AnnotationSet(LabelVocabulary vocabulary, LabelMatrix labels, ReadReport report,
                         FeatureMatrix? features = null, IReadOnlyList<string>? instanceIds = null, IReadOnlyList<int>? rows = null,
                         IReadOnlyList<string>? texts = null)
    {
        if (labels.Columns != vocabulary.Count)
            throw new ArgumentException($"label matrix has {labels.Columns} columns but the vocabulary {vocabulary.Count} labels");
        if (features is not null && features.Rows != labels.Rows)
            throw new ArgumentException($"features have {features.Rows} rows but labels {labels.Rows}");
        if (instanceIds is not null && instanceIds.Count != labels.Rows)
            throw new ArgumentException($"{instanceIds.Count} instance ids for {labels.Rows} instances");
        if (rows is not null && rows.Count != labels.Rows)
            throw new ArgumentException($"{rows.Count} rows for {labels.Rows} instances");
        if (texts is not null && texts.Count != labels.Rows)
            throw new ArgumentException($"{texts.Count} texts for {labels.Rows} instances");
        Texts = texts;
        Vocabulary = vocabulary;
        Labels = labels;
        Report = report;
        Features = features;
        InstanceIds = instanceIds;
        Rows = rows;
    }

    /// <summary>Label names in id order.</summary>
    public LabelVocabulary Vocabulary { get; }

    /// <summary>Label sets, one row per instance.</summary>
    public LabelMatrix Labels { get; }

    /// <summary>Features, one row per instance, or null when the format has none.</summary>
    public FeatureMatrix? Features { get; }

    /// <summary>[instances] each instance's raw text (text formats), or null when the format has none.</summary>
    public IReadOnlyList<string>? Texts { get; }

    /// <summary>Instance names (image file, row key) where the format has them.</summary>
    public IReadOnlyList<string>? InstanceIds { get; }

    /// <summary>What the reader counted: instances, empty instances, skipped lines.</summary>
    public ReadReport Report { get; }

    /// <summary>
    /// [instances] each instance's 0-based row among the file's instances, counting those skipped as invalid; null
    /// when every row was kept (the row is then the instance's index) or the format names its instances.
    /// </summary>
    public IReadOnlyList<int>? Rows { get; }

    /// <summary>
    /// How output names instance <paramref name="instance"/>: its id where the format has them, else its 0-based row
    /// in the file, so that skipping an invalid row never renumbers the instances after it.
    /// </summary>
    public string InstanceName(int instance) =>
        InstanceIds is { } ids ? ids[instance] : (Rows?[instance] ?? instance).ToString(CultureInfo.InvariantCulture);

    /// <summary>Number of instances.</summary>
    public int Count => Labels.Rows;
}

/// <summary>What a reader saw besides the data: where it came from, empty instances, lines skipped as invalid.</summary>
public sealed record ReadReport(
    string Path,
    AnnotationFormat Format,
    int Instances,
    int EmptyInstances,
    int SkippedInvalid,
    IReadOnlyList<AnnotationError> FirstErrors)
{
    /// <summary>How many of <see cref="FirstErrors"/> are kept at most.</summary>
    public const int MaxKeptErrors = 20;
}

/// <summary>One defect of an annotation file: where it is (line 0: the file as a whole) and what is wrong.</summary>
public sealed record AnnotationError(string Path, long Line, string Field, string Problem)
{
    /// <summary>
    /// The <see cref="ReaderOptions"/> property that can resolve the defect (for example
    /// <c>nameof(ReaderOptions.LabelXmlPath)</c> when no label XML was found), or null; a front end maps it to its
    /// own name for the setting.
    /// </summary>
    public string? Setting { get; init; }

    /// <inheritdoc />
    public override string ToString() => Line > 0 ? $"{Path}:{Line}: {Field}: {Problem}" : $"{Path}: {Field}: {Problem}";
}

/// <summary>A defect in an annotation file, naming the file, the line (1-based) and the field.</summary>
public sealed class AnnotationFormatException(AnnotationError error) : Exception(error.ToString())
{
    /// <summary>The defect.</summary>
    public AnnotationError Error { get; } = error;
}

/// <summary>How readers treat their input.</summary>
public sealed record ReaderOptions
{
    /// <summary>The format, or null to detect it from the file's name and first bytes.</summary>
    public AnnotationFormat? Format { get; init; }

    /// <summary>Skip and count invalid instances instead of stopping at the first.</summary>
    public bool SkipInvalid { get; init; }

    /// <summary>Mulan: the label XML; by default the one XML file in the ARFF's folder whose name starts like it.</summary>
    public string? LabelXmlPath { get; init; }

    /// <summary>Extreme text: label names, one per line; by default <c>*_labels.txt</c> beside the data file.</summary>
    public string? LabelNamesPath { get; init; }

    /// <summary>COCO captions: words dropped from captions (one per line), or null for the built-in English list.</summary>
    public string? StopWordsPath { get; init; }

    /// <summary>COCO captions: use the built-in English stop-word list when no file is given.</summary>
    public bool UseStopWords { get; init; } = true;

    /// <summary>COCO captions: words on fewer images than this are dropped.</summary>
    public int MinWordCount { get; init; } = 5;

    /// <summary>LIBSVM: feature indices start at 0 (as scikit-learn's <c>dump_svmlight_file</c> writes) instead of 1.</summary>
    public bool ZeroBasedFeatures { get; init; }

    /// <summary>Text CSV and JSON Lines: the column (field) that holds the text.</summary>
    public string TextColumn { get; init; } = "text";

    /// <summary>Text CSV and JSON Lines: the column (field) that holds the labels.</summary>
    public string LabelsColumn { get; init; } = "labels";

    /// <summary>Text CSV and JSON Lines: the column (field) that names the instance, or null for none (then instances are named by row).</summary>
    public string? IdColumn { get; init; }

    /// <summary>
    /// Text formats: what separates labels in the labels field (a space, as LibMultiLabel writes them); a JSON array of
    /// strings needs none.
    /// </summary>
    public string LabelSeparator { get; init; } = " ";

    /// <summary>How text is turned into feature vectors when a model is fitted on text data (the vectoriser's options).</summary>
    public Text.TextFeatureOptions TextFeatures { get; init; } = new();
}
