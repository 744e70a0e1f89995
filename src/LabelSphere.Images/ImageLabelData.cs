using LabelSphere.Data;

namespace LabelSphere.Training.Images;

/// <summary>
/// Labelled images as <see cref="LabelClassifier"/> takes them: annotations (long or wide CSV, COCO instances) whose
/// instance ids name image files in <see cref="ImageFolder"/>. Training decodes them as
/// <see cref="TrainingOptions.Image"/> says; prediction and evaluation as the model was trained.
/// </summary>
public sealed class ImageLabelData : LabelData
{
    /// <summary>Annotations naming images in <paramref name="imageFolder"/>; with <paramref name="skipInvalid"/>, missing and undecodable images are left out.</summary>
    public ImageLabelData(AnnotationSet annotations, string imageFolder, bool skipInvalid = false) : base(annotations)
    {
        ArgumentNullException.ThrowIfNull(imageFolder);
        ImageFolder = imageFolder;
        SkipInvalid = skipInvalid;
    }

    /// <summary>Reads the annotations in <paramref name="annotationPath"/>, whose instance ids name images in <paramref name="imageFolder"/>.</summary>
    public static ImageLabelData Read(string annotationPath, string imageFolder, ReaderOptions? options = null) =>
        new(AnnotationReader.Read(annotationPath, options), imageFolder, options?.SkipInvalid ?? false);

    /// <summary>The folder the annotations' image names are relative to.</summary>
    public string ImageFolder { get; }

    /// <summary>Whether missing and undecodable images are left out (and counted) instead of stopping.</summary>
    public bool SkipInvalid { get; }

    internal override (IInstanceSource Train, IInstanceSource? Validation, LabelMappingReport Mapping) Split(
        LabelVocabulary vocabulary, int[] trainRows, int[] validationRows, TrainingOptions options)
    {
        var image = options.Image
            ?? throw new ArgumentException($"{Source}: names images; the {Backbones.Name(options.Backbone)} backbone trains on feature vectors (give the options' image decoding)", nameof(TrainingOptions.Image));
        var (all, mapping) = new ImageSource(Annotations, ImageFolder, image).MapLabels(vocabulary);
        // Both splits share the decoded images, so each is decoded once.
        var train = all.Select(trainRows);
        ImageSource? validation = validationRows.Length > 0 ? all.Select(validationRows) : null;
        return (train, validation, mapping);
    }

    internal override (IInstanceSource Source, LabelMappingReport Mapping) Like(IInstanceSource train, LabelVocabulary vocabulary)
    {
        var image = (train as ImageSource)?.Options ?? throw new ArgumentException($"{Source}: names images; the training data does not");
        var (source, mapping) = new ImageSource(Annotations, ImageFolder, image).MapLabels(vocabulary);
        return (source, mapping);
    }

    internal override (IInstanceSource Source, LabelMappingReport Mapping) For(LabelClassifier model, bool trainedLabelsOnly)
    {
        var image = model.Manifest.Options.Image
            ?? throw new ArgumentException($"the model takes input of shape [{string.Join(", ", model.Manifest.Backbone.InputShape)}], not images");
        var (source, mapping) = new ImageSource(Annotations, ImageFolder, image with { SkipInvalid = SkipInvalid })
            .MapLabels(trainedLabelsOnly ? model.TrainedLabels : model.Labels);
        return (source, mapping);
    }
}
