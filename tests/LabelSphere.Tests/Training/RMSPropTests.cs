using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LabelSphere.Tests.Training;

[Collection(TorchCollection.Name)]
public sealed class RMSPropTests
{
    static (Parameter Weight, Parameter Bias) Parameters()
    {
        using var generator = new Generator(5);
        return (new Parameter(randn([7, 5], generator: generator)), new Parameter(randn([7], generator: generator)));
    }

    static float[] Train(optim.Optimizer optimizer, Parameter weight, Parameter bias, int steps)
    {
        using var generator = new Generator(9);
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var x = randn([4, 5], generator: generator);
            var loss = (x.matmul(weight.t()) + bias).tanh().pow(2).sum();
            loss.backward();
            optimizer.step();
        }
        return [.. weight.data<float>(), .. bias.data<float>()];
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.01)]
    public void Its_steps_are_torchsharps_rmsprop_steps(double weightDecay)
    {
        var (w1, b1) = Parameters();
        var (w2, b2) = Parameters();
        using var theirs = optim.RMSProp([w1, b1], 3e-2, alpha: 0.9, eps: 1e-7, weight_decay: weightDecay);
        using var ours = new LabelSphere.Training.RMSProp([w2, b2], 3e-2, alpha: 0.9, eps: 1e-7, weightDecay: weightDecay);
        var expected = Train(theirs, w1, b1, 12);
        var actual = Train(ours, w2, b2, 12);
        Assert.Equal(expected, actual);
        var (w0, b0) = Parameters();
        float[] initial = [.. w0.data<float>(), .. b0.data<float>()];
        Assert.True(actual.Zip(initial).Count(p => p.First != p.Second) == initial.Length, "every parameter moved");
    }

    [Fact]
    public void Its_state_files_are_torchsharps()
    {
        var (w1, b1) = Parameters();
        var (w2, b2) = Parameters();
        using var theirs = optim.RMSProp([w1, b1], 3e-2, alpha: 0.9, eps: 1e-7);
        Train(theirs, w1, b1, 5);
        var file = Path.GetTempFileName();
        try
        {
            theirs.save_state_dict(file);
            using var ours = new LabelSphere.Training.RMSProp([w2, b2], 3e-2, alpha: 0.9, eps: 1e-7, weightDecay: 0);
            ours.load_state_dict(file);
            using (no_grad())
            {
                w2.copy_(w1);
                b2.copy_(b1);
            }
            Assert.Equal(Train(theirs, w1, b1, 3), Train(ours, w2, b2, 3));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
