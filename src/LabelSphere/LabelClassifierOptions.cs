using LabelSphere.Embedding;
using LabelSphere.Training;

namespace LabelSphere;

/// <summary>
/// How <see cref="LabelClassifier.Fit"/> trains: the training options, the label embedding the structured heads rank
/// by, the validation data and, when the run should survive a stop, the folder it checkpoints to. Immutable; the
/// defaults train the paper's embedding head (which needs <see cref="Embedding"/>) on a 10% validation split.
/// </summary>
public sealed record LabelClassifierOptions
{
    /// <summary>The default share of the training data held out for validation.</summary>
    public const double DefaultValidationFraction = 0.1;

    /// <summary>The body, head, optimizer, schedule, run length, seed and feature scaling.</summary>
    public TrainingOptions Training { get; init; } = new();

    /// <summary>
    /// The label embedding: required by every head but <see cref="HeadKind.Sigmoid"/>; its labels are the model's
    /// vocabulary (the data's own labels without one).
    /// </summary>
    public LabelEmbedding? Embedding { get; init; }

    /// <summary>
    /// Share of the training data held out (seeded by <see cref="TrainingOptions.Seed"/>) and measured during training,
    /// in [0, 1); 0 for none. Unused when <see cref="Validation"/> is given.
    /// </summary>
    public double ValidationFraction { get; init; } = DefaultValidationFraction;

    /// <summary>Held-out data measured during training instead of a share of the training data, or null.</summary>
    public LabelData? Validation { get; init; }

    /// <summary>
    /// A folder for the run: its log (<c>train.jsonl</c>), a checkpoint every <see cref="TrainingOptions.CheckpointEvery"/>
    /// steps and when stopped, and the model (<c>model/</c>) once complete; null (the default) to train in memory and
    /// write nothing. The folder must be new, empty or an earlier run (<see cref="Overwrite"/>, <see cref="Resume"/>).
    /// </summary>
    public string? CheckpointFolder { get; init; }

    /// <summary>Continue the run in <see cref="CheckpointFolder"/> from its checkpoint (same data and options).</summary>
    public bool Resume { get; init; }

    /// <summary>Replace an earlier run in <see cref="CheckpointFolder"/> (never a folder of anything else).</summary>
    public bool Overwrite { get; init; }

    /// <summary>Throws when a value is outside its range or two settings exclude each other, with a message that states the rule.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Training, nameof(Training));
        Training.Validate();
        if (!(ValidationFraction >= 0 && ValidationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, $"the validation fraction must be in [0, 1), got {ValidationFraction}");
        if (CheckpointFolder is null && (Resume || Overwrite))
            throw new ArgumentException($"{(Resume ? nameof(Resume) : nameof(Overwrite))} applies to a checkpoint folder, and none is given", nameof(CheckpointFolder));
        if (Resume && Overwrite)
            throw new ArgumentException("resuming continues the run in the checkpoint folder and overwriting replaces it: choose one", nameof(Resume));
    }
}

/// <summary>
/// <see cref="LabelClassifier.Fit"/> was cancelled: with a checkpoint folder after writing a checkpoint there, from which
/// the same call with <see cref="LabelClassifierOptions.Resume"/> continues.
/// </summary>
public sealed class TrainingStoppedException(TrainingResult result)
    : OperationCanceledException(result.CheckpointFolder is { } folder
        ? $"training was stopped at step {result.Step} of {result.TotalSteps}; the checkpoint is in {folder}"
        : $"training was stopped at step {result.Step} of {result.TotalSteps}")
{
    /// <summary>What the run did up to the stop.</summary>
    public TrainingResult Result { get; } = result;
}
