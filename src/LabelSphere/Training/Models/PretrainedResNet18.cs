using LabelSphere.Training.Images;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Training.Models;

/// <summary>
/// ML.NET's ImageNet ResNet-18 as a TorchSharp body that learns: images [batch, 3, 224, 224] (R, G, B from 0 to 255,
/// as <c>PretrainedPreprocessing</c> renders them) go through the package's preprocessing (to B, G, R minus its mean
/// image), the network (<see cref="ResNet"/>, weights from <c>ResNet18.onnx</c> by <see cref="LoadImageNetWeights"/>),
/// division by the L2 norm as the frozen features are divided, and an <see cref="Mlp"/>.
/// </summary>
/// <remarks>
/// The layers that do not learn (all below <c>layer4</c> with <see cref="FineTuneKind.LastBlock"/>) run under
/// <c>no_grad</c> and keep no activations for the backward pass. Every batch norm, including those of the layers
/// that learn, stays in evaluation mode and normalises with ImageNet's running statistics, while its scale and bias
/// learn: batches of 32 images on a CPU (7×7 maps at <c>layer4</c>) give noisy batch statistics, and letting a few
/// thousand images of another domain replace statistics gathered over 1.28 million would move every layer's input
/// away from what the pretrained weights expect; it also makes a training step independent of how the batch is
/// composed, so a batch of one trains.
/// </remarks>
internal sealed class PretrainedResNet18 : nn.Module<Tensor, Tensor>, IBackbone
{
    readonly ResNet network;
    readonly Mlp mlp;
    // [1, 3, 224, 224] B, G, R mean image of the package's preprocessing graph, in 0–255 units: saved with the model.
    readonly Tensor mean;
    readonly int firstTrainedStage;

    /// <summary>The network with weights drawn at random (He normal) and a zero mean image; <see cref="LoadImageNetWeights"/> makes it the pretrained one.</summary>
    public PretrainedResNet18(FineTuneKind fineTune, IReadOnlyList<int> hidden, double dropout) : base(nameof(PretrainedResNet18))
    {
        FineTune = fineTune;
        firstTrainedStage = fineTune switch
        {
            FineTuneKind.LastBlock => ResNet18Weights.Network.Widths.Length - 1,
            FineTuneKind.All => -1,
            FineTuneKind.None => throw new ArgumentException("a frozen network is not part of the model: its features are extracted once (ImageSource.ExtractFeatures)", nameof(fineTune)),
            _ => throw new ArgumentOutOfRangeException(nameof(fineTune), fineTune, "unknown fine-tuning choice"),
        };
        network = new ResNet(ResNet18Weights.Network);
        mlp = new Mlp(network.OutputSize, hidden, dropout);
        mean = zeros(1, 3, ResNet18Weights.InputSide, ResNet18Weights.InputSide);
        RegisterComponents();
        foreach (var (name, parameter) in network.named_parameters())
            parameter.requires_grad = Learns(name);
        network.eval();
    }

    /// <summary>Which layers learn.</summary>
    public FineTuneKind FineTune { get; }

    /// <inheritdoc />
    public int OutputSize => mlp.OutputSize;

    /// <summary>The network alone (torchvision's names: <c>conv1</c>, <c>layer4.1.bn2</c>, ...).</summary>
    internal ResNet Network => network;

    /// <summary>Whether the network's state entry <paramref name="name"/> (<c>layer4.0.conv1.weight</c>) learns.</summary>
    internal bool Learns(string name) =>
        firstTrainedStage < 0 || (name.StartsWith("layer", StringComparison.Ordinal) && name.Length > 5 && name[5] - '1' >= firstTrainedStage);

    /// <summary>
    /// Copies the pretrained weights from the package's ONNX files beside the program (<see cref="PretrainedNetworks.Files"/>):
    /// the network's from <c>ResNet18.onnx</c>, the mean image from <c>ResNetPreprocess.onnx</c>.
    /// </summary>
    public void LoadImageNetWeights()
    {
        var (preprocess, weights) = PretrainedNetworks.Files(PretrainedNetwork.ResNet18ImageNet);
        ResNet18Weights.Load(network, weights);
        using var noGrad = no_grad();
        using var image = tensor(ResNet18Weights.MeanImage(preprocess), mean.shape);
        mean.copy_(image);
    }

    /// <summary>Training mode reaches the MLP (dropout) only: the network's batch norms always use their running statistics (see remarks).</summary>
    public override void train(bool on = true)
    {
        base.train(on);
        network.eval();
    }

    /// <summary>[batch, 3, 224, 224] R, G, B images (0–255) to the network's [batch, 512] features, before the L2 norm: what ONNX Runtime gives for ResNet18.onnx.</summary>
    public Tensor Features(Tensor input)
    {
        if (input.dim() != 4 || input.shape[1] != 3 || input.shape[2] != ResNet18Weights.InputSide || input.shape[3] != ResNet18Weights.InputSide)
            throw new ArgumentException($"ResNet-18 takes images [batch, 3, {ResNet18Weights.InputSide}, {ResNet18Weights.InputSide}], got a tensor of shape [{string.Join(", ", input.shape)}]", nameof(input));
        Tensor x;
        int stage = 0;
        using (var frozen = firstTrainedStage < 0 ? null : no_grad())
        {
            using (var bgr = input.flip(1)) x = bgr - mean;
            if (firstTrainedStage >= 0)
            {
                x = ResNet.Then(x, network.Stem);
                for (; stage < firstTrainedStage; stage++) x = network.Stage(stage, x);
            }
        }
        if (firstTrainedStage < 0) x = ResNet.Then(x, network.Stem);
        for (; stage < network.StageCount; stage++) x = network.Stage(stage, x);
        return ResNet.Pool(x);
    }

    /// <param name="input">[batch, 3, 224, 224] R, G, B from 0 to 255.</param>
    /// <returns>[batch, <see cref="OutputSize"/>]</returns>
    public override Tensor forward(Tensor input)
    {
        var x = ResNet.Then(Features(input), t => nn.functional.normalize(t, p: 2, dim: 1));
        return ResNet.Then(x, mlp);
    }
}
