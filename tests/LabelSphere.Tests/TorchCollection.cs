namespace LabelSphere.Tests;

/// <summary>Tests that use libtorch run one at a time: torch's global state (seed, threads) is shared.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    public const string Name = "torch";
}
