using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LabelSphere.Training.Models;

/// <summary>How a <see cref="ResNet"/> turns the image into its first feature map.</summary>
internal enum ResNetStem
{
    /// <summary>
    /// A 7×7 convolution of stride 2 and a 3×3 max pool of stride 2 (torchvision's ResNets): the first stage sees
    /// the image at a quarter of its size, as suits inputs of about 224 pixels.
    /// </summary>
    ImageNet,

    /// <summary>A 3×3 convolution of stride 1 without pooling (the CIFAR ResNets), for inputs of about 32–64 pixels.</summary>
    Small,
}

/// <summary>The shape of a <see cref="ResNet"/>: one width and one block count per stage, and the stem.</summary>
internal sealed record ResNetOptions
{
    /// <summary>
    /// Channels of each stage; every stage after the first halves the spatial size. Default ResNet-18's. Prefer
    /// multiples of 16: on an AVX-512 AMD EPYC libtorch's oneDNN convolutions have given corrupt input gradients for
    /// other channel counts (libtorch 2.10, unless ONEDNN_MAX_CPU_ISA=AVX2 is set, which LabelSphere does on AMD processors).
    /// </summary>
    public int[] Widths { get; init; } = [64, 128, 256, 512];

    /// <summary>Basic residual blocks per stage, as many entries as <see cref="Widths"/>. Default ResNet-18's.</summary>
    public int[] Blocks { get; init; } = [2, 2, 2, 2];

    /// <summary>The stem; <see cref="ResNetStem.ImageNet"/> by default.</summary>
    public ResNetStem Stem { get; init; } = ResNetStem.ImageNet;

    /// <summary>Channels of the input images (3 for RGB).</summary>
    public int InputChannels { get; init; } = 3;

    /// <summary>ResNet-18 as torchvision builds it, without its classifier: 11,176,512 parameters.</summary>
    public static ResNetOptions ResNet18 { get; } = new();

    /// <summary>ResNet-34 as torchvision builds it, without its classifier.</summary>
    public static ResNetOptions ResNet34 { get; } = new() { Blocks = [3, 4, 6, 3] };

    /// <summary>A small ResNet for 32–64 pixel images (emoji): widths 32–256, one block per stage, the small stem.</summary>
    public static ResNetOptions Small { get; } = new() { Widths = [32, 64, 128, 256], Blocks = [1, 1, 1, 1], Stem = ResNetStem.Small };
}

/// <summary>
/// A residual network of basic blocks (two 3×3 convolutions with batch norm and an identity or 1×1 projection
/// shortcut; He et al. 2016) followed by global average pooling: images [batch, channels, height, width] in,
/// features [batch, <see cref="OutputSize"/>] out. With <see cref="ResNetOptions.ResNet18"/> its layers and their
/// names (<c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1</c>, <c>layer2.0.downsample.0</c>...) are torchvision's
/// <c>resnet18</c> without <c>fc</c>. Convolutions start from He normal weights (fan out), batch norms at 1 and 0.
/// </summary>
internal sealed class ResNet : Module<Tensor, Tensor>, IBackbone
{
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly bool maxPool;
    // Registered by hand as layer1..layerN, torchvision's names (RegisterComponents skips arrays); conv1 and bn1 are
    // registered before them so that parameters keep torchvision's order.
    readonly Sequential[] stages;

    /// <summary>Builds the network; <paramref name="options"/> defaults to <see cref="ResNetOptions.ResNet18"/>.</summary>
    public ResNet(ResNetOptions? options = null) : base(nameof(ResNet))
    {
        options ??= ResNetOptions.ResNet18;
        ArgumentNullException.ThrowIfNull(options.Widths);
        ArgumentNullException.ThrowIfNull(options.Blocks);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.InputChannels);
        if (options.Widths.Length == 0)
            throw new ArgumentException("a ResNet needs at least one stage: Widths is empty", nameof(options));
        if (options.Blocks.Length != options.Widths.Length)
            throw new ArgumentException($"Blocks must give one count per stage ({options.Widths.Length}), got {options.Blocks.Length}", nameof(options));
        for (int s = 0; s < options.Widths.Length; s++)
        {
            if (options.Widths[s] <= 0) throw new ArgumentException($"every width must be positive, stage {s + 1} has {options.Widths[s]}", nameof(options));
            if (options.Blocks[s] <= 0) throw new ArgumentException($"every stage needs at least one block, stage {s + 1} has {options.Blocks[s]}", nameof(options));
        }

        int width = options.Widths[0];
        (conv1, maxPool) = options.Stem switch
        {
            ResNetStem.ImageNet => (Conv2d(options.InputChannels, width, 7, stride: 2, padding: 3, bias: false), true),
            ResNetStem.Small => (Conv2d(options.InputChannels, width, 3, stride: 1, padding: 1, bias: false), false),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Stem, "unknown ResNet stem"),
        };
        bn1 = BatchNorm2d(width);
        register_module(nameof(conv1), conv1);
        register_module(nameof(bn1), bn1);

        stages = new Sequential[options.Widths.Length];
        int channels = width;
        for (int s = 0; s < stages.Length; s++)
        {
            var blocks = new List<(string, Module<Tensor, Tensor>)>();
            for (int b = 0; b < options.Blocks[s]; b++)
            {
                int stride = s > 0 && b == 0 ? 2 : 1;
                blocks.Add((b.ToString(System.Globalization.CultureInfo.InvariantCulture), new BasicBlock(channels, options.Widths[s], stride)));
                channels = options.Widths[s];
            }
            stages[s] = Sequential(blocks);
            register_module($"layer{s + 1}", stages[s]);
        }
        OutputSize = channels;
        RegisterComponents();
        Initialize(this);
    }

    /// <inheritdoc />
    public int OutputSize { get; }

    /// <summary>[batch, channels, height, width] images to [batch, <see cref="OutputSize"/>] features.</summary>
    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4)
            throw new ArgumentException($"a ResNet takes images [batch, channels, height, width], got a tensor of shape [{string.Join(", ", input.shape)}]", nameof(input));
        var x = Stem(input);
        for (int s = 0; s < stages.Length; s++) x = Stage(s, x);
        return Pool(x);
    }

    /// <summary>Number of stages (layer1..layerN).</summary>
    internal int StageCount => stages.Length;

    /// <summary>The stage called <c>layer{<paramref name="index"/> + 1}</c>.</summary>
    internal Sequential StageModule(int index) => stages[index];

    /// <summary>The stem: convolution, batch norm, ReLU and (ImageNet stem) the max pool; leaves <paramref name="input"/> alive.</summary>
    internal Tensor Stem(Tensor input)
    {
        var x = Then(Then(input, conv1, disposeInput: false), bn1).relu_();
        return maxPool ? Then(x, t => functional.max_pool2d(t, 3, stride: 2, padding: 1)) : x;
    }

    /// <summary>Stage <paramref name="index"/> (0-based) on <paramref name="x"/>, which it disposes.</summary>
    internal Tensor Stage(int index, Tensor x) => Then(x, stages[index]);

    /// <summary>Global average pooling to [batch, channels]; disposes <paramref name="x"/>.</summary>
    internal static Tensor Pool(Tensor x) => Then(Then(x, t => functional.adaptive_avg_pool2d(t, 1)), t => t.flatten(1));

    /// <summary>He normal weights (fan out, as torchvision's ResNets) for every convolution; batch norms at 1 and 0.</summary>
    internal static void Initialize(Module module)
    {
        using var noGrad = no_grad();
        foreach (var (_, child) in module.named_modules())
        {
            switch (child)
            {
                case Conv2d conv:
                    init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                    break;
                case BatchNorm2d norm:
                    init.ones_(norm.weight);
                    init.zeros_(norm.bias);
                    break;
            }
        }
    }

    /// <summary>Applies <paramref name="step"/> and disposes the input it no longer needs (autograd keeps its own reference).</summary>
    internal static Tensor Then(Tensor x, Func<Tensor, Tensor> step, bool disposeInput = true)
    {
        var y = step(x);
        if (disposeInput && !ReferenceEquals(x, y)) x.Dispose();
        return y;
    }

    internal static Tensor Then(Tensor x, Module<Tensor, Tensor> module, bool disposeInput = true) => Then(x, module.call, disposeInput);

    /// <summary>Two 3×3 convolutions with batch norm; a 1×1 projection shortcut when the shape changes.</summary>
    sealed class BasicBlock : Module<Tensor, Tensor>
    {
        readonly Conv2d conv1;
        readonly BatchNorm2d bn1;
        readonly Conv2d conv2;
        readonly BatchNorm2d bn2;
        readonly Sequential? downsample;

        public BasicBlock(int inChannels, int outChannels, int stride) : base(nameof(BasicBlock))
        {
            conv1 = Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNorm2d(outChannels);
            conv2 = Conv2d(outChannels, outChannels, 3, stride: 1, padding: 1, bias: false);
            bn2 = BatchNorm2d(outChannels);
            if (stride != 1 || inChannels != outChannels)
                downsample = Sequential(Conv2d(inChannels, outChannels, 1, stride: stride, bias: false), BatchNorm2d(outChannels));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var x = Then(Then(input, conv1, disposeInput: false), bn1).relu_();
            x = Then(Then(x, conv2), bn2);
            if (downsample is null) return x.add_(input).relu_();
            using var shortcut = downsample.call(input);
            return x.add_(shortcut).relu_();
        }
    }
}
