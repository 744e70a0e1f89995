namespace LabelSphere.Training.Images;

/// <summary>A network pretrained on images whose penultimate layer gives features for any image.</summary>
public enum PretrainedNetwork
{
    /// <summary>
    /// ResNet-18 trained on ImageNet, as ML.NET ships it (<c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>: ONNX exported
    /// from CNTK): 224×224 RGB in, 512 features out (the global average pool before the classifier).
    /// </summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("resnet18-imagenet")]
    ResNet18ImageNet,
}

/// <summary>Names and sizes of the pretrained networks.</summary>
internal static class PretrainedNetworks
{
    /// <summary>
    /// Version of <c>PretrainedPreprocessing</c> (LabelSphere.Images): raised whenever a change to it changes the input values, so
    /// that features stored by an earlier version are extracted again.
    /// </summary>
    public const int PreprocessingVersion = 1;

    /// <summary>
    /// The default folder of stored features (the LabelSphere.Images package's <c>FeatureStore</c>):
    /// <c>$LABELSPHERE_CACHE/features</c>, else <c>$XDG_CACHE_HOME/labelsphere/features</c>, else <c>~/.cache/labelsphere/features</c>.
    /// </summary>
    public static string DefaultFeatureStore
    {
        get
        {
            if (Environment.GetEnvironmentVariable("LABELSPHERE_CACHE") is { Length: > 0 } own) return Path.Combine(own, "features");
            var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "labelsphere", "features");
        }
    }

    /// <summary>The folder beside the program that holds the ONNX files of ML.NET's pretrained networks.</summary>
    public const string ModelFolder = "DnnImageModels";

    /// <summary>
    /// The ONNX files of <paramref name="kind"/> beside the program (copied there by the LabelSphere.Images package's
    /// build): the preprocessing graph (RGB to BGR, minus the mean image) and the network.
    /// </summary>
    public static (string Preprocess, string Network) Files(PretrainedNetwork kind) => kind switch
    {
        PretrainedNetwork.ResNet18ImageNet => (
            Path.Combine(AppContext.BaseDirectory, ModelFolder, "ResNetPrepOnnx", "ResNetPreprocess.onnx"),
            Path.Combine(AppContext.BaseDirectory, ModelFolder, "ResNet18Onnx", "ResNet18.onnx")),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown pretrained network"),
    };

    /// <summary>The command-line name: resnet18-imagenet.</summary>
    public static string Name(PretrainedNetwork kind) => kind switch
    {
        PretrainedNetwork.ResNet18ImageNet => "resnet18-imagenet",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown pretrained network"),
    };

    /// <summary>Width of the features: 512 for ResNet-18.</summary>
    public static int FeatureSize(PretrainedNetwork kind) => kind switch
    {
        PretrainedNetwork.ResNet18ImageNet => 512,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown pretrained network"),
    };

    /// <summary>Side of the square input in pixels: 224 for ResNet-18.</summary>
    public static int InputSide(PretrainedNetwork kind) => kind switch
    {
        PretrainedNetwork.ResNet18ImageNet => 224,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown pretrained network"),
    };
}
