using LabelSphere.Data;
using LabelSphere.Training;

namespace LabelSphere.Training.Images;

/// <summary>Image input for a saved image model: the part of <see cref="Predictor"/> that needs an image decoder.</summary>
public static class PredictorImages
{
    /// <summary>
    /// Images as <paramref name="predictor"/>'s input: the files <paramref name="data"/> names in
    /// <paramref name="imageFolder"/>, decoded as in training (never augmented), labels mapped by name onto
    /// <see cref="Predictor.Labels"/> (what is missing is reported). With <paramref name="skipInvalid"/>, missing and
    /// undecodable images are left out instead of stopping; with <paramref name="trainedLabelsOnly"/>, labels are
    /// mapped onto <see cref="Predictor.TrainedLabels"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The model takes feature vectors, not images.</exception>
    public static (ImageSource Source, LabelMappingReport Mapping) ImageSource(this Predictor predictor, AnnotationSet data, string imageFolder,
                                                                              bool skipInvalid = false, bool trainedLabelsOnly = false)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(imageFolder);
        if (predictor.Image is not { } image)
            throw new ArgumentException($"the model takes input of shape [{string.Join(", ", predictor.Manifest.Backbone.InputShape)}], not images", nameof(predictor));
        return new ImageSource(data, imageFolder, image with { SkipInvalid = skipInvalid })
            .MapLabels(trainedLabelsOnly ? predictor.TrainedLabels : predictor.Labels);
    }
}
