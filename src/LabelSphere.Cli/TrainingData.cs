using System.CommandLine;
using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.Training;
using LabelSphere.Training.Images;

namespace LabelSphere.Cli;

/// <summary>Where a training run's data is: the annotation files and, for image data, the folders of their images.</summary>
/// <param name="Data">Training data: features, or annotations naming images in <paramref name="Images"/>.</param>
/// <param name="Test">Held-out data of the same kind, or null.</param>
/// <param name="Images">Image folder of the training data, or null for feature data.</param>
/// <param name="TestImages">Image folder of the test data (the training data's when null).</param>
internal sealed record DataPaths(string Data, string? Test, string? Images, string? TestImages);

/// <summary>
/// The data of a training run as the verbs that train read it: the library's prepared <see cref="TrainingSet"/> (the
/// step <see cref="LabelClassifier.Fit"/> shares) with the paths it came from and what reading skipped.
/// </summary>
internal sealed record TrainingData(DataPaths Paths, TrainingSet Set, ImageSourceOptions? Image, int SkippedInvalid)
{
    public LabelEmbedding? Embedding => Set.Embedding;
    public LabelVocabulary Vocabulary => Set.Vocabulary;
    public IInstanceSource Train => Set.Train;
    public IInstanceSource? Validation => Set.Validation;
    public LabelMappingReport TrainMapping => Set.TrainMapping;
    public LabelMappingReport? TestMapping => Set.TestMapping;
    public string VocabularySource => Set.VocabularySource;
    public int[] MostFrequent => Set.MostFrequent;

    /// <summary>Images left out with --skip-invalid so far (missing files, then undecodable ones as training meets them).</summary>
    public int SkippedImages =>
        (Train is ImageSource train ? train.SkippedImages : 0) + (Paths.Test is not null && Validation is ImageSource test ? test.SkippedImages : 0);

    /// <summary>
    /// Reads the data <paramref name="paths"/> names (reporting what the reader skipped) and prepares it with the
    /// library's <see cref="TrainingSet.Prepare"/>; image data is decoded as <see cref="TrainingOptions.Image"/> says.
    /// </summary>
    public static TrainingData Prepare(DataPaths paths, double validationShare, string? embeddingPath, ReaderOptions reader, TrainingOptions options)
    {
        var embedding = embeddingPath is null ? null : LabelEmbedding.Load(embeddingPath);
        if (options.Head.UsesEmbedding() && embedding is null)
            throw new UsageException($"--head {options.Head.Name()} needs --embedding: the head ranks labels by a label embedding (make one with 'labelsphere embed')");
        var data = Read(paths.Data, options.Image is null ? null : paths.Images, reader);
        var test = paths.Test is null ? null : Read(paths.Test, options.Image is null ? null : paths.TestImages ?? paths.Images, reader);
        var set = TrainingSet.Prepare(data, test, embedding, validationShare, options,
            embeddingPath is null ? null : $"embedding {Path.GetFullPath(embeddingPath)}");
        // A pretrained network's features are extracted (or read back) here, with progress, rather than at the first batch;
        // a split's validation instances share the training instances' images.
        FeatureExtraction.Run(set.Train);
        if (paths.Test is not null && set.Validation is not null) FeatureExtraction.Run(set.Validation);
        if (set.LabelledShare < LabelledWarningShare)
            Console.Error.WriteLine($"warning: {paths.Data}: only {set.Labelled:N0} of its {set.Train.Count:N0} training instances ({set.LabelledShare * 100:F1}%) carry a label of {set.VocabularySource}; the others carry none of its labels");
        return new TrainingData(paths, set, options.Image, data.Annotations.Report.SkippedInvalid + (test?.Annotations.Report.SkippedInvalid ?? 0));
    }

    static LabelData Read(string path, string? imageFolder, ReaderOptions reader)
    {
        if (imageFolder is null && Pack.IsPack(path)) return PackData.Open(path);
        var annotations = ReaderArguments.ReportSkipped(AnnotationReader.Read(path, reader));
        return imageFolder is null ? new LabelData(annotations, reader) : new ImageLabelData(annotations, imageFolder, reader.SkipInvalid);
    }

    /// <summary>Below this share of labelled training instances, training warns.</summary>
    public const double LabelledWarningShare = 0.5;

    /// <summary>--min-labelled: <see cref="TrainingOptions.MinLabelledShare"/>, for every verb that trains.</summary>
    public static Option<double> MinLabelledOption() => new("--min-labelled")
    {
        Description = $"Smallest share of training instances that must carry a label of the vocabulary, 0 to 1 (0: at least one; below {LabelledWarningShare * 100:G3}% a warning)",
        DefaultValueFactory = _ => 0,
        Validators = { r => { if (r.GetValueOrDefault<double>() is var v && !(v >= 0 && v <= 1)) r.AddError($"--min-labelled must be between 0 and 1, got {v}"); } },
    };
}
