using static TorchSharp.torch;

namespace LabelSphere.Training;

/// <summary>Everything needed to rebuild a backbone: its kind, its input shape and its sizes.</summary>
/// <param name="Kind">Which network.</param>
/// <param name="InputShape">One instance's input: [features] or [channels, height, width].</param>
/// <param name="Hidden">MLP: hidden layer widths.</param>
/// <param name="Dropout">Dropout probability in the body.</param>
/// <param name="CnnWidth">CNN: channels of the first convolution.</param>
public sealed record BackboneConfig(BackboneKind Kind, long[] InputShape, IReadOnlyList<int> Hidden, double Dropout, int CnnWidth)
{
    /// <summary>A pretrained backbone: which of its layers learn (<see cref="TrainingOptions.FineTune"/>).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public FineTuneKind FineTune { get; init; }

    /// <summary>The configuration <paramref name="options"/> ask for, on inputs of <paramref name="inputShape"/>.</summary>
    public static BackboneConfig From(TrainingOptions options, long[] inputShape) =>
        new(options.Backbone, inputShape, options.Hidden, options.Dropout, options.CnnWidth) { FineTune = options.FineTune };
}

/// <summary>Builds backbones and names them the way the command line does.</summary>
internal static class Backbones
{
    /// <summary>
    /// A new backbone (a module that is also an <see cref="IBackbone"/>) with weights drawn from torch's global
    /// generator; throws when the input shape does not suit the kind.
    /// </summary>
    public static nn.Module<Tensor, Tensor> Create(BackboneConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var shape = config.InputShape;
        return config.Kind switch
        {
            BackboneKind.Mlp => shape.Length == 1 && shape[0] is > 0 and <= int.MaxValue
                ? new Mlp((int)shape[0], config.Hidden, config.Dropout)
                : throw new ArgumentException($"the {Name(config.Kind)} backbone takes feature vectors [features], got input shape [{string.Join(", ", shape)}]; images need the cnn backbone", nameof(TrainingOptions.Backbone)),
            BackboneKind.Cnn => shape.Length == 3 && shape[0] is > 0 and <= 64 && shape[1] >= SmallCnn.MinimumSide && shape[2] >= SmallCnn.MinimumSide
                ? new SmallCnn((int)shape[0], config.CnnWidth, config.Dropout)
                : throw new ArgumentException($"the {Name(config.Kind)} backbone takes images [channels, height, width] of at least {SmallCnn.MinimumSide}×{SmallCnn.MinimumSide} pixels, got input shape [{string.Join(", ", shape)}]; feature vectors need the mlp backbone", nameof(TrainingOptions.Backbone)),
            // Small images (emoji at 64 px) get the small stem and widths; photographs get ResNet-18.
            BackboneKind.ResNet => IsImage(shape, ResNetMinimumSide)
                ? new Models.ResNet(shape[1] <= 96 ? Models.ResNetOptions.Small : Models.ResNetOptions.ResNet18)
                : throw ImageExpected(config.Kind, shape, ResNetMinimumSide),
            BackboneKind.InceptionV3 => IsImage(shape, Models.InceptionV3.MinimumInputSize)
                ? new Models.InceptionV3()
                : throw ImageExpected(config.Kind, shape, Models.InceptionV3.MinimumInputSize),
            // Fine-tuned, the network is part of the model and takes the pixels.
            BackboneKind.ResNet18ImageNet when config.FineTune != FineTuneKind.None =>
                shape is [3, Models.ResNet18Weights.InputSide, Models.ResNet18Weights.InputSide]
                    ? new Models.PretrainedResNet18(config.FineTune, config.Hidden, config.Dropout)
                    : throw new ArgumentException($"the fine-tuned {Name(config.Kind)} backbone takes RGB images [3, {Models.ResNet18Weights.InputSide}, {Models.ResNet18Weights.InputSide}], got input shape [{string.Join(", ", shape)}]", nameof(TrainingOptions.Backbone)),
            // The frozen network runs before the data reaches the model (ImageSource.ExtractFeatures): the model is the MLP on its features.
            BackboneKind.ResNet18ImageNet => shape.Length == 1 && shape[0] == Images.PretrainedNetworks.FeatureSize(Images.PretrainedNetwork.ResNet18ImageNet)
                ? new Mlp((int)shape[0], config.Hidden, config.Dropout)
                : throw new ArgumentException($"the {Name(config.Kind)} backbone takes the network's {Images.PretrainedNetworks.FeatureSize(Images.PretrainedNetwork.ResNet18ImageNet)} features of each image, got input shape [{string.Join(", ", shape)}]", nameof(TrainingOptions.Backbone)),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.Kind, "unknown backbone"),
        };
    }

    /// <summary>
    /// The pretrained network whose extracted features <paramref name="config"/>'s backbone takes as input, or null
    /// for one that takes pixels (trained from scratch, or a fine-tuned pretrained network).
    /// </summary>
    public static Images.PretrainedNetwork? Features(BackboneConfig config) =>
        config.FineTune == FineTuneKind.None ? Pretrained(config.Kind) : null;

    /// <summary>The pretrained network a backbone extracts image features with, or null for a backbone trained from scratch.</summary>
    public static Images.PretrainedNetwork? Pretrained(BackboneKind kind) => kind switch
    {
        BackboneKind.ResNet18ImageNet => Images.PretrainedNetwork.ResNet18ImageNet,
        BackboneKind.Mlp or BackboneKind.Cnn or BackboneKind.ResNet or BackboneKind.InceptionV3 => null,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown backbone"),
    };

    // The small ResNet's three stride-2 stages leave a 2×2 map at 16 pixels.
    const int ResNetMinimumSide = 16;

    /// <summary>The smallest image side, in pixels, a backbone takes; null for a backbone of feature vectors.</summary>
    public static int? MinimumImageSide(BackboneKind kind) => kind switch
    {
        BackboneKind.Mlp => null,
        BackboneKind.Cnn => SmallCnn.MinimumSide,
        BackboneKind.ResNet => ResNetMinimumSide,
        BackboneKind.InceptionV3 => Models.InceptionV3.MinimumInputSize,
        BackboneKind.ResNet18ImageNet => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown backbone"),
    };

    static bool IsImage(long[] shape, int minimumSide) => shape.Length == 3 && shape[0] == 3 && shape[1] >= minimumSide && shape[2] >= minimumSide;

    static ArgumentException ImageExpected(BackboneKind kind, long[] shape, int minimumSide) =>
        new($"the {Name(kind)} backbone takes RGB images [3, height, width] of at least {minimumSide}×{minimumSide} pixels, got input shape [{string.Join(", ", shape)}]; feature vectors need the mlp backbone",
            nameof(TrainingOptions.Backbone));

    /// <summary>The command-line name of a backbone: mlp, cnn, resnet, inception-v3, resnet18-imagenet.</summary>
    public static string Name(BackboneKind kind) => kind switch
    {
        BackboneKind.Mlp => "mlp",
        BackboneKind.Cnn => "cnn",
        BackboneKind.ResNet => "resnet",
        BackboneKind.InceptionV3 => "inception-v3",
        BackboneKind.ResNet18ImageNet => "resnet18-imagenet",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown backbone"),
    };

    /// <summary>The backbone a command-line name stands for (case-insensitive), or null.</summary>
    public static BackboneKind? Parse(string name)
    {
        foreach (var kind in Enum.GetValues<BackboneKind>())
            if (string.Equals(Name(kind), name, StringComparison.OrdinalIgnoreCase)) return kind;
        return null;
    }
}
