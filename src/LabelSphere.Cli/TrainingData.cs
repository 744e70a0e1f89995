using System.CommandLine;
using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.Evaluation;
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
/// The data of a training run: training and held-out instances over the model's vocabulary, how features are scaled
/// (feature data) or images decoded (image data), and what mapping the data's labels onto the vocabulary lost.
/// </summary>
internal sealed record TrainingData(
    DataPaths Paths, LabelEmbedding? Embedding, LabelVocabulary Vocabulary, IInstanceSource Train, IInstanceSource? Validation,
    FeatureTransform? Features, ImageSourceOptions? Image, LabelMappingReport TrainMapping, LabelMappingReport? TestMapping,
    string VocabularySource, int[] MostFrequent, int SkippedInvalid)
{
    /// <summary>Images left out with --skip-invalid so far (missing files, then undecodable ones as training meets them).</summary>
    public int SkippedImages =>
        (Train is ImageSource train ? train.SkippedImages : 0) + (Paths.Test is not null && Validation is ImageSource test ? test.SkippedImages : 0);

    /// <summary>
    /// Reads the data <paramref name="paths"/> names and splits off a validation share when there is no test data;
    /// image data is decoded as <see cref="TrainingOptions.Image"/> says.
    /// </summary>
    public static TrainingData Prepare(DataPaths paths, double validationShare, string? embeddingPath, ReaderOptions reader, TrainingOptions options)
    {
        var embedding = embeddingPath is null ? null : LabelEmbedding.Load(embeddingPath);
        if (options.Head.UsesEmbedding() && embedding is null)
            throw new ArgumentException($"--head {options.Head.Name()} needs --embedding: the head ranks labels by a label embedding (make one with 'labelsphere embed')");
        var dataSet = ReaderArguments.ReportSkipped(AnnotationReader.Read(paths.Data, reader));
        var vocabulary = embedding?.Vocabulary ?? dataSet.Vocabulary;
        var source = embedding is not null ? $"embedding {Path.GetFullPath(embeddingPath!)}" : $"the labels of {paths.Data}";
        var sources = options.Image is { } image
            ? ImageSources(paths, dataSet, vocabulary, image, validationShare, options.Seed, reader)
            : FeatureSources(paths, dataSet, vocabulary, validationShare, options, reader);
        CheckLabelled(paths.Data, sources.Train, options, source, embedding is not null);
        return new TrainingData(paths, embedding, vocabulary, sources.Train, sources.Validation, sources.Features, options.Image,
            sources.TrainMapping, sources.TestMapping, source, RankingMetrics.MostFrequent(sources.Train.Labels, 5),
            dataSet.Report.SkippedInvalid + sources.TestSkippedInvalid);
    }

    /// <summary>Below this share of labelled training instances, training warns.</summary>
    public const double LabelledWarningShare = 0.5;

    /// <summary>--min-labelled: <see cref="TrainingOptions.MinLabelledShare"/>, for every verb that trains.</summary>
    public static Option<double> MinLabelledOption() => new("--min-labelled")
    {
        Description = $"Smallest share of training instances that must carry a label of the vocabulary, 0 to 1 (default 0: at least one; below {LabelledWarningShare * 100:G3}% a warning)",
        DefaultValueFactory = _ => 0,
        Validators = { r => { if (r.GetValueOrDefault<double>() is var v && !(v >= 0 && v <= 1)) r.AddError($"--min-labelled must be between 0 and 1, got {v}"); } },
    };

    /// <summary>
    /// Refuses training data of which no instance, or fewer than <see cref="TrainingOptions.MinLabelledShare"/>, carries
    /// a label of the vocabulary (an embedding of another data set); one warning line below <see cref="LabelledWarningShare"/>.
    /// </summary>
    static void CheckLabelled(string data, IInstanceSource train, TrainingOptions options, string vocabularySource, bool fromEmbedding)
    {
        int labelled = 0;
        for (int r = 0; r < train.Labels.Rows; r++) if (!train.Labels.Row(r).IsEmpty) labelled++;
        double share = train.Count == 0 ? 0 : (double)labelled / train.Count;
        if (labelled == 0)
            throw new ArgumentException($"{data}: none of its {train.Count:N0} training instances carries one of the {train.Vocabulary.Count:N0} labels of {vocabularySource}" +
                (fromEmbedding ? "; was the embedding made from this data set?" : ""));
        if (!options.EnoughLabelled(labelled, train.Count))
            throw new ArgumentException($"{data}: only {labelled:N0} of its {train.Count:N0} training instances ({share * 100:F1}%) carry a label of {vocabularySource}; --min-labelled asks for {options.MinLabelledShare * 100:G3}%");
        if (share < LabelledWarningShare)
            Console.Error.WriteLine($"warning: {data}: only {labelled:N0} of its {train.Count:N0} training instances ({share * 100:F1}%) carry a label of {vocabularySource}; the others carry none of its labels");
    }

    /// <summary>The instances of one kind of data, and what mapping their labels lost.</summary>
    sealed record Sources(IInstanceSource Train, IInstanceSource? Validation, FeatureTransform? Features, LabelMappingReport TrainMapping,
                          LabelMappingReport? TestMapping, int TestSkippedInvalid);

    static Sources FeatureSources(DataPaths paths, AnnotationSet dataSet, LabelVocabulary vocabulary, double validationShare, TrainingOptions options, ReaderOptions reader)
    {
        if (dataSet.Features is null && dataSet.Texts is null)
            throw new ArgumentException($"{paths.Data}: has no features; the {Backbones.Name(options.Backbone)} backbone trains on feature vectors (Mulan ARFF, Extreme Classification text, LIBSVM) or text; for annotations of images give their folder with --images");
        var (labels, mapping) = LabelMapping.Map(dataSet.Vocabulary, dataSet.Labels, vocabulary);
        var (trainRows, validationRows) = Split(dataSet.Count, paths.Test is null ? validationShare : 0, options.Seed);
        var (transform, features) = FeatureTransform.Fit(dataSet, options.Features, trainRows, reader.TextFeatures);
        var train = new FeatureSource(features, labels, vocabulary, transform, trainRows);
        FeatureSource? validation = validationRows.Length > 0 ? new FeatureSource(features, labels, vocabulary, transform, validationRows) : null;
        LabelMappingReport? testMapping = null;
        int testSkipped = 0;
        if (paths.Test is not null)
        {
            var testSet = ReaderArguments.ReportSkipped(AnnotationReader.Read(paths.Test, reader));
            testSkipped = testSet.Report.SkippedInvalid;
            var testFeatures = transform.Input(testSet);
            (var testLabels, testMapping) = LabelMapping.Map(testSet.Vocabulary, testSet.Labels, vocabulary);
            validation = new FeatureSource(testFeatures, testLabels, vocabulary, transform);
        }
        return new Sources(train, validation, transform, mapping, testMapping, testSkipped);
    }

    static Sources ImageSources(DataPaths paths, AnnotationSet dataSet, LabelVocabulary vocabulary, ImageSourceOptions image, double validationShare, int seed, ReaderOptions reader)
    {
        var (all, mapping) = new ImageSource(dataSet, paths.Images!, image).MapLabels(vocabulary);
        var (trainRows, validationRows) = Split(all.Count, paths.Test is null ? validationShare : 0, seed);
        // Both splits share the decoded images, so each is decoded once.
        var train = all.Select(trainRows);
        ImageSource? validation = validationRows.Length > 0 ? all.Select(validationRows) : null;
        LabelMappingReport? testMapping = null;
        int testSkipped = 0;
        if (paths.Test is not null)
        {
            var testSet = ReaderArguments.ReportSkipped(AnnotationReader.Read(paths.Test, reader));
            testSkipped = testSet.Report.SkippedInvalid;
            (validation, testMapping) = new ImageSource(testSet, paths.TestImages ?? paths.Images!, image).MapLabels(vocabulary);
        }
        FeatureExtraction.Run(all);
        if (paths.Test is not null) FeatureExtraction.Run(validation!);
        return new Sources(train, validation, null, mapping, testMapping, testSkipped);
    }

    // Training and validation rows: the library's seeded split, named after the option that asks for it.
    static (int[] Train, int[] Validation) Split(int count, double validationShare, int seed)
    {
        try
        {
            return InstanceSources.SplitRows(count, validationShare, seed);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--validation-fraction: {e.Message}");
        }
    }
}
