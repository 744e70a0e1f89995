using LabelSphere.Training.Models;
using TorchSharp;

namespace LabelSphere.Tests.Training.Models;

/// <remarks>
/// Networks are built in the constructor, outside the leak check's window: TorchSharp's <c>nn.Parameter(tensor)</c>
/// leaves its source tensor counted as live for good (one per parameter), which no dispose undoes.
/// </remarks>
[Collection(TorchCollection.Name)]
[NoTensorLeaks]
public sealed class ResNetTests : IDisposable
{
    readonly ResNet resNet18;
    readonly Dictionary<ResNetStem, ResNet> small = [];
    readonly ResNet projected;

    public ResNetTests()
    {
        torch.manual_seed(3);
        resNet18 = new ResNet(ResNetOptions.ResNet18);
        foreach (var stem in Enum.GetValues<ResNetStem>())
            // Widths are multiples of 16: on an AVX-512 AMD EPYC oneDNN's convolution backward gave corrupt input gradients
            // (NaN at times) for other channel counts unless ONEDNN_MAX_CPU_ISA=AVX2 is set.
            small[stem] = new ResNet(new ResNetOptions { Widths = [16, 32, 48], Blocks = [1, 2, 1], Stem = stem });
        projected = new ResNet(new ResNetOptions { Widths = [16, 16, 32], Blocks = [2, 1, 1], Stem = ResNetStem.Small });
    }

    public void Dispose()
    {
        resNet18.Dispose();
        foreach (var model in small.Values) model.Dispose();
        projected.Dispose();
    }

    [Fact]
    public void ResNet18_parameters_match_torchvision_resnet18_without_fc_name_for_name()
    {
        // Given torchvision's resnet18 parameter list (torchvision_parameters.py beside this file)
        var golden = GoldenParameters.Read("resnet18_parameters.txt");

        // When the default network's parameters are listed
        var model = resNet18;

        // Then names, shapes and order agree and the total is 11,176,512
        Assert.Equal(golden.Shapes, GoldenParameters.Of(model));
        Assert.Equal(11_176_512, golden.Total);
        Assert.Equal(golden.Total, GoldenParameters.Count(model));
        Assert.Equal(512, model.OutputSize);
    }

    [Theory]
    [InlineData(nameof(ResNetStem.Small), 64)]
    [InlineData(nameof(ResNetStem.ImageNet), 96)]
    public void Forward_and_backward_give_features_of_the_last_width_and_gradients_everywhere(string stemName, int size)
    {
        // Given a small ResNet (widths 16, 32, 48) and two images
        var stem = Enum.Parse<ResNetStem>(stemName);
        var model = small[stem];
        model.train();
        using var scope = torch.NewDisposeScope();
        var images = torch.randn(2, 3, size, size);

        // When features are computed and a loss on them is differentiated
        var features = model.call(images);
        features.square().mean().backward();

        // Then each image has OutputSize (the last width) finite features and every parameter a gradient
        Assert.Equal(48, model.OutputSize);
        Assert.Equal([2L, 48L], features.shape);
        Assert.True(features.isfinite().all().item<bool>());
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.True(p.grad is not null, $"{name} has no gradient");
            Assert.True(p.grad.isfinite().all().item<bool>(), $"{name} has a non-finite gradient");
        }
        model.zero_grad();
    }

    [Fact]
    public void A_projection_shortcut_appears_exactly_where_the_shape_changes()
    {
        // Given stages of widths 16, 16, 32: the second keeps the width but halves the size, the third changes both
        // When its parameter names are listed
        var names = projected.named_parameters().Select(p => p.name).ToArray();

        // Then only the first blocks of stages 2 and 3 have a downsample branch
        var withDownsample = names.Where(n => n.Contains(".downsample.")).Select(n => n[..n.IndexOf(".downsample.", StringComparison.Ordinal)]).Distinct();
        Assert.Equal(["layer2.0", "layer3.0"], withDownsample);
    }

    [Fact]
    public void Mismatched_widths_and_blocks_are_refused_with_the_rule()
    {
        var error = Assert.Throws<ArgumentException>(() => new ResNet(new ResNetOptions { Widths = [8, 16], Blocks = [1] }));
        Assert.Contains("one count per stage (2), got 1", error.Message);
        error = Assert.Throws<ArgumentException>(() => new ResNet(new ResNetOptions { Widths = [8, 0], Blocks = [1, 1] }));
        Assert.Contains("every width must be positive, stage 2 has 0", error.Message);
    }
}
