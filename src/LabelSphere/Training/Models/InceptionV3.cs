using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace LabelSphere.Training.Models;

/// <summary>
/// Inception v3 (Szegedy et al. 2016) as the paper's image experiments used it: the stem, Inception-A ×3,
/// reduction-A, Inception-B ×4 (factorised 7×7), reduction-B, Inception-C ×2 and global average pooling, giving 2,048
/// features; no dropout and no auxiliary classifier, since the label-embedding head goes on top. Layer for layer it is
/// torchvision's <c>inception_v3</c> (each convolution without bias, then batch norm with eps 0.001, then ReLU) and its
/// modules carry torchvision's names (<c>Conv2d_1a_3x3</c>, <c>Mixed_5b.branch1x1.conv</c>...), so it has the same
/// 21,785,568 parameters as torchvision's model without <c>AuxLogits</c> and <c>fc</c>.
/// </summary>
/// <remarks>
/// Any input of at least <see cref="MinimumInputSize"/> pixels a side works: pooling is global. The standard size is
/// 299, where the last grid is 8×8; <see cref="GridSize"/> gives it for other sizes. Convolutions start from He normal
/// weights (fan out) and batch norms at 1 and 0, where torchvision draws from a truncated normal of deviation 0.1;
/// with batch norm after every convolution the scale of the first weights matters little.
/// </remarks>
internal sealed class InceptionV3 : Module<Tensor, Tensor>, IBackbone
{
    /// <summary>
    /// The smallest height and width the network accepts: the stem's unpadded convolutions and pools and the two
    /// reductions shrink a side of 75 pixels to 37, 35, 17, 15, 7, 3 and finally 1; one pixel less and the grid vanishes.
    /// </summary>
    public const int MinimumInputSize = 75;

    /// <summary>The standard input size, 299 pixels.</summary>
    public const int StandardInputSize = 299;

    /// <summary>Width of the features: the 2,048 channels of the last Inception-C block, averaged over the grid.</summary>
    public const int FeatureCount = 2048;

    [ComponentName(Name = "Conv2d_1a_3x3")] readonly BasicConv2d conv1a;
    [ComponentName(Name = "Conv2d_2a_3x3")] readonly BasicConv2d conv2a;
    [ComponentName(Name = "Conv2d_2b_3x3")] readonly BasicConv2d conv2b;
    [ComponentName(Name = "Conv2d_3b_1x1")] readonly BasicConv2d conv3b;
    [ComponentName(Name = "Conv2d_4a_3x3")] readonly BasicConv2d conv4a;
    [ComponentName(Name = "Mixed_5b")] readonly InceptionA mixed5b;
    [ComponentName(Name = "Mixed_5c")] readonly InceptionA mixed5c;
    [ComponentName(Name = "Mixed_5d")] readonly InceptionA mixed5d;
    [ComponentName(Name = "Mixed_6a")] readonly ReductionA mixed6a;
    [ComponentName(Name = "Mixed_6b")] readonly InceptionB mixed6b;
    [ComponentName(Name = "Mixed_6c")] readonly InceptionB mixed6c;
    [ComponentName(Name = "Mixed_6d")] readonly InceptionB mixed6d;
    [ComponentName(Name = "Mixed_6e")] readonly InceptionB mixed6e;
    [ComponentName(Name = "Mixed_7a")] readonly ReductionB mixed7a;
    [ComponentName(Name = "Mixed_7b")] readonly InceptionC mixed7b;
    [ComponentName(Name = "Mixed_7c")] readonly InceptionC mixed7c;

    /// <summary>Builds the network for RGB images.</summary>
    public InceptionV3() : base(nameof(InceptionV3))
    {
        conv1a = new BasicConv2d(3, 32, 3, stride: 2);
        conv2a = new BasicConv2d(32, 32, 3);
        conv2b = new BasicConv2d(32, 64, 3, padding: 1);
        conv3b = new BasicConv2d(64, 80, 1);
        conv4a = new BasicConv2d(80, 192, 3);
        mixed5b = new InceptionA(192, poolFeatures: 32);
        mixed5c = new InceptionA(256, poolFeatures: 64);
        mixed5d = new InceptionA(288, poolFeatures: 64);
        mixed6a = new ReductionA(288);
        mixed6b = new InceptionB(768, channels7x7: 128);
        mixed6c = new InceptionB(768, channels7x7: 160);
        mixed6d = new InceptionB(768, channels7x7: 160);
        mixed6e = new InceptionB(768, channels7x7: 192);
        mixed7a = new ReductionB(768);
        mixed7b = new InceptionC(1280);
        mixed7c = new InceptionC(2048);
        RegisterComponents();
        ResNet.Initialize(this);   // the same He-normal / unit batch-norm start as the ResNets
    }

    /// <inheritdoc />
    public int OutputSize => FeatureCount;

    /// <summary>
    /// Side of the last grid (before global pooling) for square inputs of <paramref name="inputSize"/> pixels: 8 at
    /// 299, 1 at 75; throws when <paramref name="inputSize"/> is below <see cref="MinimumInputSize"/>.
    /// </summary>
    public static int GridSize(int inputSize)
    {
        CheckInputSize(inputSize, inputSize);
        static int Valid(int s, int k, int stride) => (s - k) / stride + 1;
        int s = Valid(inputSize, 3, 2); // Conv2d_1a_3x3
        s = Valid(s, 3, 1);              // Conv2d_2a_3x3 (2b keeps the size)
        s = Valid(s, 3, 2);              // max pool
        s = Valid(s, 3, 1);              // Conv2d_4a_3x3 (3b is 1×1)
        s = Valid(s, 3, 2);              // max pool
        s = Valid(s, 3, 2);              // Mixed_6a
        return Valid(s, 3, 2);           // Mixed_7a
    }

    /// <summary>[batch, 3, height, width] images (height and width at least 75) to [batch, 2048] features.</summary>
    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4 || input.shape[1] != 3)
            throw new ArgumentException($"Inception v3 takes RGB images [batch, 3, height, width], got a tensor of shape [{string.Join(", ", input.shape)}]", nameof(input));
        CheckInputSize(input.shape[2], input.shape[3]);
        var x = conv1a.call(input);
        x = ResNet.Then(x, conv2a);
        x = ResNet.Then(x, conv2b);
        x = ResNet.Then(x, t => functional.max_pool2d(t, 3, stride: 2));
        x = ResNet.Then(x, conv3b);
        x = ResNet.Then(x, conv4a);
        x = ResNet.Then(x, t => functional.max_pool2d(t, 3, stride: 2));
        foreach (var block in (ReadOnlySpan<Module<Tensor, Tensor>>)[mixed5b, mixed5c, mixed5d, mixed6a, mixed6b, mixed6c, mixed6d, mixed6e, mixed7a, mixed7b, mixed7c])
            x = ResNet.Then(x, block);
        x = ResNet.Then(x, t => functional.adaptive_avg_pool2d(t, 1));
        return ResNet.Then(x, t => t.flatten(1));
    }

    static void CheckInputSize(long height, long width)
    {
        if (height < MinimumInputSize || width < MinimumInputSize)
            throw new ArgumentOutOfRangeException(nameof(height),
                $"Inception v3 needs images of at least {MinimumInputSize}×{MinimumInputSize} pixels (smaller grids vanish before the last reduction), got {height}×{width}");
    }

    /// <summary>Concatenates branch outputs along channels and disposes them.</summary>
    static Tensor Concat(params ReadOnlySpan<Tensor> branches)
    {
        try
        {
            return cat(branches.ToArray(), 1);
        }
        finally
        {
            foreach (var b in branches) b.Dispose();
        }
    }

    /// <summary>torchvision's BasicConv2d: convolution without bias, batch norm (eps 0.001), ReLU.</summary>
    sealed class BasicConv2d : Module<Tensor, Tensor>
    {
        readonly Conv2d conv;
        readonly BatchNorm2d bn;

        public BasicConv2d(int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0)
            : this(inChannels, outChannels, (kernel, kernel), stride, (padding, padding)) { }

        public BasicConv2d(int inChannels, int outChannels, (long, long) kernel, int stride = 1, (long, long)? padding = null)
            : base(nameof(BasicConv2d))
        {
            conv = Conv2d(inChannels, outChannels, kernel, stride: (stride, stride), padding: padding ?? (0, 0), bias: false);
            bn = BatchNorm2d(outChannels, eps: 0.001);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => ResNet.Then(conv.call(input), bn).relu_();
    }

    /// <summary>Inception-A (torchvision's InceptionA, Mixed_5b–d): 1×1, 5×5, double 3×3 and pooled branches.</summary>
    sealed class InceptionA : Module<Tensor, Tensor>
    {
        readonly BasicConv2d branch1x1;
        readonly BasicConv2d branch5x5_1;
        readonly BasicConv2d branch5x5_2;
        readonly BasicConv2d branch3x3dbl_1;
        readonly BasicConv2d branch3x3dbl_2;
        readonly BasicConv2d branch3x3dbl_3;
        readonly BasicConv2d branch_pool;

        public InceptionA(int inChannels, int poolFeatures) : base(nameof(InceptionA))
        {
            branch1x1 = new BasicConv2d(inChannels, 64, 1);
            branch5x5_1 = new BasicConv2d(inChannels, 48, 1);
            branch5x5_2 = new BasicConv2d(48, 64, 5, padding: 2);
            branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
            branch3x3dbl_2 = new BasicConv2d(64, 96, 3, padding: 1);
            branch3x3dbl_3 = new BasicConv2d(96, 96, 3, padding: 1);
            branch_pool = new BasicConv2d(inChannels, poolFeatures, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => Concat(
            branch1x1.call(x),
            ResNet.Then(branch5x5_1.call(x), branch5x5_2),
            ResNet.Then(ResNet.Then(branch3x3dbl_1.call(x), branch3x3dbl_2), branch3x3dbl_3),
            ResNet.Then(functional.avg_pool2d(x, 3, stride: 1, padding: 1), branch_pool));
    }

    /// <summary>Reduction-A (torchvision's InceptionB, Mixed_6a): strided 3×3, strided double 3×3 and max pool.</summary>
    sealed class ReductionA : Module<Tensor, Tensor>
    {
        readonly BasicConv2d branch3x3;
        readonly BasicConv2d branch3x3dbl_1;
        readonly BasicConv2d branch3x3dbl_2;
        readonly BasicConv2d branch3x3dbl_3;

        public ReductionA(int inChannels) : base(nameof(ReductionA))
        {
            branch3x3 = new BasicConv2d(inChannels, 384, 3, stride: 2);
            branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
            branch3x3dbl_2 = new BasicConv2d(64, 96, 3, padding: 1);
            branch3x3dbl_3 = new BasicConv2d(96, 96, 3, stride: 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => Concat(
            branch3x3.call(x),
            ResNet.Then(ResNet.Then(branch3x3dbl_1.call(x), branch3x3dbl_2), branch3x3dbl_3),
            functional.max_pool2d(x, 3, stride: 2));
    }

    /// <summary>Inception-B (torchvision's InceptionC, Mixed_6b–e): 7×7 convolutions factorised into 1×7 and 7×1.</summary>
    sealed class InceptionB : Module<Tensor, Tensor>
    {
        readonly BasicConv2d branch1x1;
        readonly BasicConv2d branch7x7_1;
        readonly BasicConv2d branch7x7_2;
        readonly BasicConv2d branch7x7_3;
        readonly BasicConv2d branch7x7dbl_1;
        readonly BasicConv2d branch7x7dbl_2;
        readonly BasicConv2d branch7x7dbl_3;
        readonly BasicConv2d branch7x7dbl_4;
        readonly BasicConv2d branch7x7dbl_5;
        readonly BasicConv2d branch_pool;

        public InceptionB(int inChannels, int channels7x7) : base(nameof(InceptionB))
        {
            int c7 = channels7x7;
            branch1x1 = new BasicConv2d(inChannels, 192, 1);
            branch7x7_1 = new BasicConv2d(inChannels, c7, 1);
            branch7x7_2 = new BasicConv2d(c7, c7, (1, 7), padding: (0, 3));
            branch7x7_3 = new BasicConv2d(c7, 192, (7, 1), padding: (3, 0));
            branch7x7dbl_1 = new BasicConv2d(inChannels, c7, 1);
            branch7x7dbl_2 = new BasicConv2d(c7, c7, (7, 1), padding: (3, 0));
            branch7x7dbl_3 = new BasicConv2d(c7, c7, (1, 7), padding: (0, 3));
            branch7x7dbl_4 = new BasicConv2d(c7, c7, (7, 1), padding: (3, 0));
            branch7x7dbl_5 = new BasicConv2d(c7, 192, (1, 7), padding: (0, 3));
            branch_pool = new BasicConv2d(inChannels, 192, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var b7 = ResNet.Then(ResNet.Then(branch7x7_1.call(x), branch7x7_2), branch7x7_3);
            var d7 = branch7x7dbl_1.call(x);
            foreach (var conv in (ReadOnlySpan<BasicConv2d>)[branch7x7dbl_2, branch7x7dbl_3, branch7x7dbl_4, branch7x7dbl_5])
                d7 = ResNet.Then(d7, conv);
            return Concat(branch1x1.call(x), b7, d7, ResNet.Then(functional.avg_pool2d(x, 3, stride: 1, padding: 1), branch_pool));
        }
    }

    /// <summary>Reduction-B (torchvision's InceptionD, Mixed_7a): strided 3×3, strided 7×7-then-3×3 and max pool.</summary>
    sealed class ReductionB : Module<Tensor, Tensor>
    {
        readonly BasicConv2d branch3x3_1;
        readonly BasicConv2d branch3x3_2;
        readonly BasicConv2d branch7x7x3_1;
        readonly BasicConv2d branch7x7x3_2;
        readonly BasicConv2d branch7x7x3_3;
        readonly BasicConv2d branch7x7x3_4;

        public ReductionB(int inChannels) : base(nameof(ReductionB))
        {
            branch3x3_1 = new BasicConv2d(inChannels, 192, 1);
            branch3x3_2 = new BasicConv2d(192, 320, 3, stride: 2);
            branch7x7x3_1 = new BasicConv2d(inChannels, 192, 1);
            branch7x7x3_2 = new BasicConv2d(192, 192, (1, 7), padding: (0, 3));
            branch7x7x3_3 = new BasicConv2d(192, 192, (7, 1), padding: (3, 0));
            branch7x7x3_4 = new BasicConv2d(192, 192, 3, stride: 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var b3 = ResNet.Then(branch3x3_1.call(x), branch3x3_2);
            var b7 = branch7x7x3_1.call(x);
            foreach (var conv in (ReadOnlySpan<BasicConv2d>)[branch7x7x3_2, branch7x7x3_3, branch7x7x3_4])
                b7 = ResNet.Then(b7, conv);
            return Concat(b3, b7, functional.max_pool2d(x, 3, stride: 2));
        }
    }

    /// <summary>Inception-C (torchvision's InceptionE, Mixed_7b–c): 3×3 convolutions split into parallel 1×3 and 3×1.</summary>
    sealed class InceptionC : Module<Tensor, Tensor>
    {
        readonly BasicConv2d branch1x1;
        readonly BasicConv2d branch3x3_1;
        readonly BasicConv2d branch3x3_2a;
        readonly BasicConv2d branch3x3_2b;
        readonly BasicConv2d branch3x3dbl_1;
        readonly BasicConv2d branch3x3dbl_2;
        readonly BasicConv2d branch3x3dbl_3a;
        readonly BasicConv2d branch3x3dbl_3b;
        readonly BasicConv2d branch_pool;

        public InceptionC(int inChannels) : base(nameof(InceptionC))
        {
            branch1x1 = new BasicConv2d(inChannels, 320, 1);
            branch3x3_1 = new BasicConv2d(inChannels, 384, 1);
            branch3x3_2a = new BasicConv2d(384, 384, (1, 3), padding: (0, 1));
            branch3x3_2b = new BasicConv2d(384, 384, (3, 1), padding: (1, 0));
            branch3x3dbl_1 = new BasicConv2d(inChannels, 448, 1);
            branch3x3dbl_2 = new BasicConv2d(448, 384, 3, padding: 1);
            branch3x3dbl_3a = new BasicConv2d(384, 384, (1, 3), padding: (0, 1));
            branch3x3dbl_3b = new BasicConv2d(384, 384, (3, 1), padding: (1, 0));
            branch_pool = new BasicConv2d(inChannels, 192, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var s3 = branch3x3_1.call(x);
            using var d3 = ResNet.Then(branch3x3dbl_1.call(x), branch3x3dbl_2);
            return Concat(
                branch1x1.call(x),
                Concat(branch3x3_2a.call(s3), branch3x3_2b.call(s3)),
                Concat(branch3x3dbl_3a.call(d3), branch3x3dbl_3b.call(d3)),
                ResNet.Then(functional.avg_pool2d(x, 3, stride: 1, padding: 1), branch_pool));
        }
    }
}
