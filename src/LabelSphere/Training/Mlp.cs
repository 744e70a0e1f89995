using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LabelSphere.Training;

/// <summary>
/// A multilayer perceptron over feature vectors: [batch, inputs] → Linear → ReLU → Dropout, once per hidden width
/// → [batch, <see cref="OutputSize"/>]. With no hidden layer it passes its input through, and the head alone makes a
/// linear model.
/// </summary>
internal sealed class Mlp : nn.Module<Tensor, Tensor>, IBackbone
{
    private readonly Sequential layers;

    /// <summary>Builds the layers; weights are drawn from torch's global generator (seed it first).</summary>
    /// <param name="inputs">Features per instance.</param>
    /// <param name="hidden">Widths of the hidden layers, in order.</param>
    /// <param name="dropout">Dropout probability after each hidden layer (0 = none).</param>
    public Mlp(int inputs, IReadOnlyList<int> hidden, double dropout) : base(nameof(Mlp))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentNullException.ThrowIfNull(hidden);
        layers = nn.Sequential();
        int width = inputs;
        for (int i = 0; i < hidden.Count; i++)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden[i]);
            layers.append($"linear{i}", nn.Linear(width, hidden[i]));
            layers.append($"relu{i}", nn.ReLU());
            if (dropout > 0) layers.append($"dropout{i}", nn.Dropout(dropout));
            width = hidden[i];
        }
        if (hidden.Count == 0) layers.append("identity", nn.Identity());
        OutputSize = width;
        RegisterComponents();
    }

    /// <inheritdoc />
    public int OutputSize { get; }

    /// <param name="input">[batch, inputs]</param>
    /// <returns>[batch, OutputSize]</returns>
    public override Tensor forward(Tensor input) => layers.forward(input);
}
