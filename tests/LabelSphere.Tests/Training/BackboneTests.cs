using LabelSphere.Embedding;
using LabelSphere.Native;
using LabelSphere.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Tests.Training;

[Collection(TorchCollection.Name)]
[NoTensorLeaks]
public sealed class BackboneTests
{
    // Fitted per test, not in a static initializer: the eigensolver uses libtorch, and a type initializer may run on
    // another thread while a torch test is running.
    readonly LabelEmbedding embedding = TrainingFixtures.Synthetic(300).Embed(4);

    public BackboneTests() => TorchRuntime.EnsureLoaded();

    public static TheoryData<BackboneKind, HeadKind, long[]> Shapes() => new()
    {
        { BackboneKind.Mlp, HeadKind.Embedding, [40] },
        { BackboneKind.Mlp, HeadKind.Sigmoid, [40] },
        { BackboneKind.Cnn, HeadKind.Embedding, [3, 32, 32] },
        { BackboneKind.Cnn, HeadKind.Sigmoid, [3, 20, 28] },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_backbone_runs_forward_and_backward_under_either_head(BackboneKind kind, HeadKind loss, long[] inputShape)
    {
        // Given a model of the backbone under the head, and a batch of its expected input shape
        var config = new BackboneConfig(kind, inputShape, [32, 16], 0.2, 8);
        NoTensorLeaksAttribute.AllowConstruction(1, () => LabelModel.Create(config, loss, 12, embedding));
        torch.random.manual_seed(3).Dispose();
        using var model = LabelModel.Create(config, loss, 12, embedding);
        using var scope = NewDisposeScope();
        var x = randn([4, .. inputShape]);
        using var labels = new BatchLabels(TrainingFixtures.Synthetic(4).Labels, [0, 1, 2, 3], 12, CPU);

        // When a loss is taken on its output and differentiated
        var output = model.forward(x);
        var value = model.Head.Loss(output, labels);
        value.backward();

        // Then the output has one row per instance and k or N columns, and every parameter has a finite gradient
        Assert.Equal([4L, loss == HeadKind.Embedding ? 4 : 12], output.shape);
        Assert.True(float.IsFinite(value.item<float>()));
        foreach (var (name, p) in model.named_parameters())
        {
            var grad = p.grad;
            Assert.True(grad is not null, $"{name} has no gradient");
            Assert.True(grad.isfinite().all().item<bool>(), $"{name} has a gradient that is not finite");
        }
    }

    [Fact]
    public void The_small_cnn_runs_its_layers_channels_last_and_computes_what_they_compute_on_NCHW_images()
    {
        // Given the small CNN in evaluation mode, a probe on its first convolution's input, and NCHW images
        NoTensorLeaksAttribute.AllowConstruction(1, () => new SmallCnn(3, 8, 0));
        torch.random.manual_seed(5).Dispose();
        using var cnn = new SmallCnn(3, 8, 0);
        cnn.eval();
        var layers = (TorchSharp.Modules.Sequential)cnn.named_children().Single().module;
        var conv = (TorchSharp.Modules.Conv2d)layers.named_children().First().module;
        long[]? strides = null;
        var probe = conv.register_forward_pre_hook((_, input) => { strides = input.stride(); return input; });
        using var scope = NewDisposeScope();
        var images = randn(2, 3, 12, 10);

        // When it computes features, and the same layers compute them on the images as they are
        var features = cnn.forward(images);
        probe.remove();
        var direct = layers.forward(images);

        // Then its convolutions saw channels-last strides, and the features agree to float rounding
        Assert.Equal([3L * 12 * 10, 1, 10 * 3, 3], strides!);
        Assert.Equal([2L, 32], features.shape);
        Assert.True(features.allclose(direct, rtol: 1e-5, atol: 1e-6), $"largest difference {(features - direct).abs().max().item<float>()}");
    }

    [Fact]
    public void Channels_last_keeps_shape_and_values_and_refuses_what_is_not_an_image_batch()
    {
        // Given a batch of two 3-channel 4×5 images
        using var scope = NewDisposeScope();
        var images = arange(2 * 3 * 4 * 5, dtype: float32).reshape(2, 3, 4, 5);

        // When it is laid out channels-last
        var nhwc = MemoryFormat.ChannelsLast(images);

        // Then the shape and every value stay, the channel is the innermost stride, and a 3-d tensor is refused
        Assert.Equal(images.shape, nhwc.shape);
        Assert.Equal([60L, 1, 15, 3], nhwc.stride());
        Assert.True(nhwc.equal(images).all().item<bool>());
        Assert.Throws<ArgumentException>(() => MemoryFormat.ChannelsLast(images[0]));
    }

    [Fact]
    public void A_backbone_refuses_inputs_of_the_other_kind()
    {
        Assert.Throws<ArgumentException>(() => Backbones.Create(new BackboneConfig(BackboneKind.Mlp, [3, 32, 32], [8], 0, 8)));
        Assert.Throws<ArgumentException>(() => Backbones.Create(new BackboneConfig(BackboneKind.Cnn, [40], [8], 0, 8)));
    }

    [Theory]
    [InlineData(BackboneKind.ResNet, 16)]
    [InlineData(BackboneKind.InceptionV3, 75)]
    public void The_image_backbones_refuse_feature_vectors_and_images_below_their_minimum(BackboneKind kind, int minimum)
    {
        // Given the backbone's smallest image side
        Assert.Equal(minimum, Backbones.MinimumImageSide(kind));

        // When it is asked for feature vectors, for one-channel images and for RGB images a pixel too small
        var features = Assert.Throws<ArgumentException>(() => Backbones.Create(new BackboneConfig(kind, [40], [], 0, 8)));
        var grey = Assert.Throws<ArgumentException>(() => Backbones.Create(new BackboneConfig(kind, [1, minimum, minimum], [], 0, 8)));
        var small = Assert.Throws<ArgumentException>(() => Backbones.Create(new BackboneConfig(kind, [3, minimum - 1, minimum], [], 0, 8)));

        // Then each refusal says what it takes (its forward and backward passes are tested with the models)
        foreach (var e in new[] { features, grey, small })
        {
            Assert.Contains($"the {Backbones.Name(kind)} backbone takes RGB images", e.Message);
            Assert.Contains($"at least {minimum}×{minimum} pixels", e.Message);
        }
        Assert.Contains("feature vectors need the mlp backbone", features.Message);
        Assert.Equal(nameof(TrainingOptions.Backbone), features.ParamName);
    }

    [Fact]
    public void Only_the_mlp_takes_feature_vectors()
    {
        Assert.Null(Backbones.MinimumImageSide(BackboneKind.Mlp));
        Assert.Equal(SmallCnn.MinimumSide, Backbones.MinimumImageSide(BackboneKind.Cnn));
    }

    [Fact]
    public void Command_line_names_round_trip()
    {
        foreach (var kind in Enum.GetValues<BackboneKind>()) Assert.Equal(kind, Backbones.Parse(Backbones.Name(kind)));
        Assert.Equal(BackboneKind.InceptionV3, Backbones.Parse("inception-v3"));
        Assert.Null(Backbones.Parse("vgg"));
    }
}
