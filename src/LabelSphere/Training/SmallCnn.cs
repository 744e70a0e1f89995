using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LabelSphere.Training;

/// <summary>
/// A small convolutional network for images: three 3×3 convolution blocks (batch norm, ReLU; 2×2 max pooling after
/// the first two) with w, 2w and 4w channels, global average pooling and dropout:
/// [batch, channels, height, width] → [batch, 4w]. Any image of at least 4×4 pixels fits.
/// </summary>
internal sealed class SmallCnn : nn.Module<Tensor, Tensor>, IBackbone
{
    /// <summary>Smallest height and width it accepts: two poolings halve each.</summary>
    public const int MinimumSide = 4;

    private readonly Sequential layers;

    /// <summary>Builds the layers; weights are drawn from torch's global generator (seed it first).</summary>
    /// <param name="channels">Colour channels of the input.</param>
    /// <param name="width">Channels of the first convolution, w.</param>
    /// <param name="dropout">Dropout probability on the pooled features.</param>
    public SmallCnn(int channels, int width, double dropout) : base(nameof(SmallCnn))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        layers = nn.Sequential();
        int inputs = channels;
        for (int block = 0; block < 3; block++)
        {
            int outputs = width << block;
            layers.append($"conv{block}", nn.Conv2d(inputs, outputs, kernel_size: 3, padding: 1, bias: false));
            layers.append($"norm{block}", nn.BatchNorm2d(outputs));
            layers.append($"relu{block}", nn.ReLU());
            if (block < 2) layers.append($"pool{block}", nn.MaxPool2d(kernel_size: 2));
            inputs = outputs;
        }
        layers.append("gap", nn.AdaptiveAvgPool2d(1));
        layers.append("flatten", nn.Flatten());
        if (dropout > 0) layers.append("dropout", nn.Dropout(dropout));
        OutputSize = inputs;
        RegisterComponents();
    }

    /// <inheritdoc />
    public int OutputSize { get; }

    /// <param name="input">[batch, channels, height, width]</param>
    /// <returns>[batch, OutputSize]</returns>
    /// <remarks>
    /// The layers run channels-last: oneDNN's convolutions then skip reordering every activation to and from their
    /// blocked layout, and max pooling and batch norm take libtorch's channels-last kernels, which are faster here
    /// (docs/benchmarks.md, the CNN's layers); the values are the same layers' to float rounding.
    /// </remarks>
    public override Tensor forward(Tensor input)
    {
        using var images = MemoryFormat.ChannelsLast(input);
        return layers.forward(images);
    }
}
