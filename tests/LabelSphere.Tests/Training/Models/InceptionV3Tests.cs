using LabelSphere.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Tests.Training.Models;

/// <remarks>
/// The network is built in the constructor, outside the leak check's window: TorchSharp's <c>nn.Parameter(tensor)</c>
/// leaves its source tensor counted as live for good (one per parameter, 282 here), which no dispose undoes.
/// </remarks>
[Collection(TorchCollection.Name)]
[NoTensorLeaks]
public sealed class InceptionV3Tests : IDisposable
{
    readonly InceptionV3 model;

    public InceptionV3Tests()
    {
        torch.manual_seed(1);
        model = new InceptionV3();
    }

    public void Dispose() => model.Dispose();

    [Fact]
    public void Parameters_match_torchvision_inception_v3_without_aux_head_and_fc_name_for_name()
    {
        // Given torchvision's parameter list (torchvision_parameters.py beside this file, torchvision 0.14.1)
        var golden = GoldenParameters.Read("inception_v3_parameters.txt");

        // When the network's parameters are listed (the network is built by the constructor)
        // Then every parameter has torchvision's name and shape, in the same order, and the total is 21,785,568
        Assert.Equal(golden.Shapes, GoldenParameters.Of(model));
        Assert.Equal(21_785_568, golden.Total);
        Assert.Equal(golden.Total, GoldenParameters.Count(model));
        Assert.Equal(2048, model.OutputSize);
    }

    [Fact]
    public void Forward_and_backward_at_the_minimum_size_give_2048_features_and_gradients_everywhere()
    {
        // Given two 75×75 images, the smallest size the network takes
        model.train();
        using var scope = torch.NewDisposeScope();
        var images = torch.randn(2, 3, InceptionV3.MinimumInputSize, InceptionV3.MinimumInputSize);

        // When features are computed and a loss on them is differentiated
        var features = model.call(images);
        features.square().mean().backward();

        // Then there are 2048 finite features per image and every parameter received a gradient
        Assert.Equal([2L, 2048L], features.shape);
        Assert.True(features.isfinite().all().item<bool>());
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.True(p.grad is not null, $"{name} has no gradient");
            Assert.True(p.grad.isfinite().all().item<bool>(), $"{name} has a non-finite gradient");
        }
        Assert.Contains(model.parameters(), p => p.grad!.abs().sum().item<float>() > 0);
        model.zero_grad();
    }

    [Fact]
    public void The_standard_299_pixel_input_gives_an_8x8_grid_and_2048_features()
    {
        // Given one 299×299 image and the network in evaluation mode
        model.eval();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();

        // When its features are computed
        var features = model.call(torch.randn(1, 3, 299, 299));

        // Then they are [1, 2048], and the last grid before pooling is 8×8 as in the paper's figure
        Assert.Equal([1L, 2048L], features.shape);
        Assert.Equal(8, InceptionV3.GridSize(InceptionV3.StandardInputSize));
        Assert.Equal(1, InceptionV3.GridSize(InceptionV3.MinimumInputSize));
    }

    [Theory]
    [InlineData(74, 299)]
    [InlineData(299, 64)]
    public void Images_smaller_than_75_pixels_are_refused_with_the_rule(int height, int width)
    {
        // Given the network and an image too small on one side
        using var scope = torch.NewDisposeScope();
        var images = torch.zeros(1, 3, height, width);

        // When it is run, then the error states the minimum and the size given
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.call(images));
        Assert.Contains("at least 75×75 pixels", error.Message);
        Assert.Contains($"got {height}×{width}", error.Message);
    }

    [Fact]
    public void Grid_size_refuses_sizes_below_the_minimum()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => InceptionV3.GridSize(74));
        Assert.Contains("at least 75×75", error.Message);
    }
}

/// <summary>Reads the parameter lists torchvision_parameters.py wrote beside this file.</summary>
internal static class GoldenParameters
{
    public static (string[] Shapes, long Total) Read(string fileName, [System.Runtime.CompilerServices.CallerFilePath] string here = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(here)!, fileName);
        var lines = File.ReadAllLines(path);
        Assert.StartsWith("total ", lines[^1]);
        return (lines[..^1], long.Parse(lines[^1]["total ".Length..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>'name dim,dim,...' for every parameter, in registration order.</summary>
    public static string[] Of(nn.Module module) =>
        [.. module.named_parameters().Select(p => $"{p.name} {string.Join(',', p.parameter.shape)}")];

    public static long Count(nn.Module module) => module.parameters().Sum(p => p.numel());
}
