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
    /// <summary>The configuration <paramref name="options"/> ask for, on inputs of <paramref name="inputShape"/>.</summary>
    public static BackboneConfig From(TrainingOptions options, long[] inputShape) =>
        new(options.Backbone, inputShape, options.Hidden, options.Dropout, options.CnnWidth);
}

/// <summary>Builds backbones and names them the way the command line does.</summary>
public static class Backbones
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
                : throw new ArgumentException($"the {Name(config.Kind)} backbone takes feature vectors [features], got input shape [{string.Join(", ", shape)}]; images need --model cnn"),
            BackboneKind.Cnn => shape.Length == 3 && shape[0] is > 0 and <= 64 && shape[1] >= SmallCnn.MinimumSide && shape[2] >= SmallCnn.MinimumSide
                ? new SmallCnn((int)shape[0], config.CnnWidth, config.Dropout)
                : throw new ArgumentException($"the {Name(config.Kind)} backbone takes images [channels, height, width] of at least {SmallCnn.MinimumSide}×{SmallCnn.MinimumSide} pixels, got input shape [{string.Join(", ", shape)}]; feature vectors need --model mlp"),
            BackboneKind.ResNet => throw new NotSupportedException("the resnet backbone arrives with the image pipeline"),
            BackboneKind.InceptionV3 => throw new NotSupportedException("the inception-v3 backbone arrives with the image pipeline"),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.Kind, "unknown backbone"),
        };
    }

    /// <summary>The command-line name of a backbone: mlp, cnn, resnet, inception-v3.</summary>
    public static string Name(BackboneKind kind) => kind switch
    {
        BackboneKind.Mlp => "mlp",
        BackboneKind.Cnn => "cnn",
        BackboneKind.ResNet => "resnet",
        BackboneKind.InceptionV3 => "inception-v3",
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
