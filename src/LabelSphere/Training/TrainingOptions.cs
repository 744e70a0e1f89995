using System.Text.Json;
using System.Text.Json.Serialization;
using LabelSphere.Training.Images;

namespace LabelSphere.Training;

/// <summary>The network body under the head (the paper's section 4.3 trains the same body under both heads).</summary>
public enum BackboneKind
{
    /// <summary>A multilayer perceptron over feature vectors.</summary>
    Mlp,
    /// <summary>A small convolutional network over [channels, height, width] images.</summary>
    Cnn,
    /// <summary>A residual network: a small one for images of up to 96 pixels, ResNet-18 above.</summary>
    [JsonStringEnumMemberName("resnet")]
    ResNet,
    /// <summary>Inception v3, the paper's network, without its auxiliary head.</summary>
    InceptionV3,
    /// <summary>
    /// ResNet-18 pretrained on ImageNet, frozen: each image's 512 features (<see cref="Images.PretrainedNetwork.ResNet18ImageNet"/>,
    /// extracted once and stored) feed a multilayer perceptron.
    /// </summary>
    [JsonStringEnumMemberName("resnet18-imagenet")]
    ResNet18ImageNet,
}

/// <summary>Which layers of a pretrained backbone (<see cref="BackboneKind.ResNet18ImageNet"/>) training changes.</summary>
public enum FineTuneKind
{
    /// <summary>None: the network is frozen, its features of each image extracted once and stored; only the MLP and head learn.</summary>
    None,

    /// <summary>
    /// The last stage of the network (<c>layer4</c>, conv5_x: in ML.NET's ResNet-18 three basic blocks, 13.1 million
    /// of its 15.9 million parameters, but only about a third of its computation) learns with the MLP and head, from augmented images; the layers below it stay as pretrained.
    /// </summary>
    LastBlock,

    /// <summary>Every layer of the network learns with the MLP and head, from augmented images.</summary>
    All,
}

/// <summary>The head on the body: what the network predicts, the loss it learns with and how it ranks labels.</summary>
public enum HeadKind
{
    /// <summary>The paper's: k outputs ẽ regressed onto the label embedding e with −cos(e, ẽ); ranks by cos(ẽ, E_j).</summary>
    Embedding,
    /// <summary>The baseline: N outputs, one sigmoid per label, binary cross-entropy.</summary>
    Sigmoid,
    /// <summary>
    /// logit_j = s·cos(ẽ, E_j) + b_j over a k-dimensional projection ẽ, s learned (started at 10), b_j started at the
    /// label's prior log-odds; binary cross-entropy; ranks by sigmoid(logit_j).
    /// </summary>
    CosineLogit,
    /// <summary>
    /// The embedding head and the sigmoid head side by side on one body; loss = cosine loss + w·BCE
    /// (<see cref="TrainingOptions.JointWeight"/>); ranks by <see cref="TrainingOptions.JointRanking"/>.
    /// </summary>
    Joint,
}

/// <summary>How the joint head ranks labels from its two halves (<see cref="JointHead.Mix"/>).</summary>
public enum JointRanking
{
    /// <summary>The sigmoid half's probability alone.</summary>
    Sigmoid,
    /// <summary>Probability plus cosine, unweighted.</summary>
    Sum,
    /// <summary>
    /// α·(cos_j − μc_j)/σc_j + (1 − α)·(l_j − μl_j)/σl_j: each label's logit l and cosine z-scored by their mean and
    /// standard deviation on the validation instances, α from {0, 0.1, …, 1} chosen for the best class-weighted
    /// MAP@100 there, both refitted at every evaluation (<see cref="JointMix.Fit"/>); needs validation instances.
    /// </summary>
    Fitted,
}

/// <summary>The loss of every per-label sigmoid output: the sigmoid and cosine-logit heads, the joint head's sigmoid half.</summary>
public enum BinaryLoss
{
    /// <summary>Binary cross-entropy, averaged over every (instance, label) cell.</summary>
    CrossEntropy,
    /// <summary>
    /// The asymmetric loss of Ridnik et al. 2021 with their multi-label defaults: −[y·log p + (1 − y)·p_m⁴·log(1 − p_m)],
    /// p_m = max(p − 0.05, 0): negatives the model already ranks low count less, and not at all below p = 0.05.
    /// </summary>
    Asymmetric,
}

/// <summary>Which weights a finished run keeps.</summary>
public enum KeepKind
{
    /// <summary>The weights of the last step.</summary>
    Last,
    /// <summary>The weights at the evaluation with the best class-weighted MAP@100 on the validation instances.</summary>
    Best,
}

/// <summary>The optimizer.</summary>
public enum OptimizerKind
{
    /// <summary>RMSprop (ρ = 0.9), as in the paper.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("rmsprop")]
    RmsProp,
    /// <summary>Adam (β = 0.9, 0.999).</summary>
    Adam,
    /// <summary>Stochastic gradient descent with (heavy-ball) momentum.</summary>
    Sgd,
}

/// <summary>How the learning rate changes over the run.</summary>
public enum ScheduleKind
{
    /// <summary>The same rate at every step.</summary>
    Constant,
    /// <summary>Half a cosine from the rate down to zero at the last step.</summary>
    Cosine,
    /// <summary>The rate divided by 10 at half and again at three quarters of the run.</summary>
    Step,
}

/// <summary>Where tensors live.</summary>
public enum DeviceKind
{
    /// <summary>The CPU.</summary>
    Cpu,
    /// <summary>The first CUDA device (needs a CUDA build of TorchSharp).</summary>
    Cuda,
}

/// <summary>
/// How to train a label model: the body, the head, the optimizer and its schedule, batches and the run's length,
/// the seed. Immutable; defaults train a good MLP on Mulan-sized feature data (bibtex, delicious).
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Default mini-batch size.</summary>
    public const int DefaultBatchSize = 128;

    /// <summary>Default number of passes over the training instances.</summary>
    public const int DefaultEpochs = 30;

    /// <summary>Default width of the MLP's hidden layer(s).</summary>
    public const int DefaultHidden = 1024;

    /// <summary>
    /// Default weight of the joint head's binary cross-entropy: 100 suits the default inputs (TF-IDF + L2, dropout
    /// 0.5), where 10 lets the cosine loss steer the shared body (3.7% lower on stackex_cooking, docs/results.md);
    /// with raw inputs and no dropout 10 does better.
    /// </summary>
    public const double DefaultJointWeight = 100;

    /// <summary>The network body.</summary>
    public BackboneKind Backbone { get; init; } = BackboneKind.Mlp;

    /// <summary>
    /// With <see cref="BackboneKind.ResNet18ImageNet"/>: which layers of the pretrained network learn (its weights are
    /// then saved with the model). <see cref="FineTuneKind.None"/> (the default) keeps it frozen.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public FineTuneKind FineTune { get; init; }

    /// <summary>The head: what the network predicts, its loss and how it ranks labels.</summary>
    public HeadKind Head { get; init; } = HeadKind.Embedding;

    /// <summary>Joint head: the weight w of the binary cross-entropy in cosine loss + w·BCE.</summary>
    public double JointWeight { get; init; } = DefaultJointWeight;

    /// <summary>Joint head: how its two halves' scores are combined into one ranking.</summary>
    public JointRanking JointRanking { get; init; } = JointRanking.Sum;

    /// <summary>The loss of the per-label sigmoid outputs (sigmoid, cosine-logit and joint heads); the embedding head's is the cosine loss.</summary>
    public BinaryLoss BinaryLoss { get; init; } = BinaryLoss.CrossEntropy;

    /// <summary>Which weights the finished run keeps: the last step's or the best on the validation instances.</summary>
    public KeepKind Keep { get; init; } = KeepKind.Last;

    /// <summary>The optimizer.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.RmsProp;

    /// <summary>Peak learning rate, or null for the optimizer's default (<see cref="DefaultLearningRate"/>).</summary>
    public double? LearningRate { get; init; }

    /// <summary>Momentum of SGD (ignored by RMSprop and Adam).</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>L2 weight decay added to the gradient by the optimizer.</summary>
    public double WeightDecay { get; init; }

    /// <summary>The learning-rate schedule.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;

    /// <summary>Steps over which the rate rises linearly from zero at the start (0 = none).</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Instances per mini-batch.</summary>
    public int BatchSize { get; init; } = DefaultBatchSize;

    /// <summary>Passes over the training instances; ignored when <see cref="Steps"/> is set.</summary>
    public int Epochs { get; init; } = DefaultEpochs;

    /// <summary>Number of optimizer steps, or null to run <see cref="Epochs"/> epochs.</summary>
    public int? Steps { get; init; }

    /// <summary>Seeds weight initialisation, dropout and every shuffle; two runs with one seed give identical losses.</summary>
    public int Seed { get; init; }

    /// <summary>MLP: widths of the hidden layers (ReLU, then dropout, after each).</summary>
    public IReadOnlyList<int> Hidden { get; init; } = [DefaultHidden];

    /// <summary>Dropout probability after each hidden layer of the body.</summary>
    public double Dropout { get; init; } = 0.5;

    /// <summary>CNN: channels of the first convolution (doubled at each of the next two).</summary>
    public int CnnWidth { get; init; } = 32;

    /// <summary>Sigmoid, cosine-logit and joint heads: start each label's bias at the log-odds of its training frequency (else at 0).</summary>
    public bool PriorBias { get; init; } = true;

    /// <summary>How feature vectors are scaled before the network sees them.</summary>
    [JsonPropertyName("features")]
    public FeatureScaling Scaling { get; init; } = FeatureScaling.TfIdf;

    /// <summary>
    /// Image models: how images are decoded, resized, normalised and (training batches only) augmented; saved with
    /// the model so that prediction decodes images the same way. Null for models of feature vectors.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ImageSourceOptions? Image { get; init; }

    /// <summary>Evaluate on the validation instances every this many steps (0 = only at the end).</summary>
    public int EvalEvery { get; init; } = 200;

    /// <summary>Write a log line every this many steps.</summary>
    public int LogEvery { get; init; } = 50;

    /// <summary>Write a checkpoint every this many steps (0 = only when stopped).</summary>
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>
    /// The smallest share of training instances that must carry at least one label of the vocabulary, in [0, 1];
    /// whatever it is, at least one must (an embedding of another data set labels none). Under the cosine loss an
    /// instance without labels teaches nothing.
    /// </summary>
    public double MinLabelledShare { get; init; }

    /// <summary>Whether <paramref name="labelled"/> labelled instances of <paramref name="instances"/> are enough to train on (<see cref="MinLabelledShare"/>).</summary>
    internal bool EnoughLabelled(int labelled, int instances) => labelled > 0 && labelled >= MinLabelledShare * instances;

    /// <summary>Where to train.</summary>
    public DeviceKind Device { get; init; } = DeviceKind.Cpu;

    /// <summary>The learning rate used when none is given: 1e-3 for RMSprop and Adam, 0.05 for SGD.</summary>
    public static double DefaultLearningRate(OptimizerKind optimizer) => optimizer switch
    {
        OptimizerKind.RmsProp => 1e-3,
        OptimizerKind.Adam => 1e-3,
        OptimizerKind.Sgd => 0.05,
        _ => throw new ArgumentOutOfRangeException(nameof(optimizer), optimizer, "unknown optimizer"),
    };

    /// <summary>The learning rate in effect: <see cref="LearningRate"/> or the optimizer's default.</summary>
    public double PeakLearningRate => LearningRate ?? DefaultLearningRate(Optimizer);

    /// <summary>Optimizer steps for <paramref name="instances"/> training instances.</summary>
    internal int TotalSteps(int instances) => Steps ?? checked(Epochs * StepsPerEpoch(instances));

    /// <summary>Mini-batches in one pass over <paramref name="instances"/> instances (the last may be smaller).</summary>
    internal int StepsPerEpoch(int instances) => Math.Max(1, (instances + BatchSize - 1) / BatchSize);

    /// <summary>The learning rate at 0-based <paramref name="step"/> of a run of <paramref name="totalSteps"/> steps.</summary>
    internal double LearningRateAt(int step, int totalSteps)
    {
        double peak = PeakLearningRate;
        if (WarmupSteps > 0 && step < WarmupSteps) return peak * (step + 1) / WarmupSteps;
        double progress = totalSteps <= 1 ? 0 : (double)step / totalSteps;
        return Schedule switch
        {
            ScheduleKind.Constant => peak,
            ScheduleKind.Cosine => peak * 0.5 * (1 + Math.Cos(Math.PI * progress)),
            ScheduleKind.Step => progress < 0.5 ? peak : progress < 0.75 ? peak / 10 : peak / 100,
            _ => throw new ArgumentOutOfRangeException(nameof(Schedule), Schedule, "unknown schedule"),
        };
    }

    /// <summary>Throws when a value is outside its range, with a message that states the rule.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Backbone)) throw new ArgumentOutOfRangeException(nameof(Backbone), Backbone, "unknown backbone");
        if (!Enum.IsDefined(FineTune)) throw new ArgumentOutOfRangeException(nameof(FineTune), FineTune, "unknown fine-tuning choice");
        if (FineTune != FineTuneKind.None && Backbone != BackboneKind.ResNet18ImageNet)
            throw new ArgumentException($"fine-tuning applies to the pretrained {Backbones.Name(BackboneKind.ResNet18ImageNet)} backbone, not to {Backbones.Name(Backbone)}", nameof(FineTune));
        if (FineTune != FineTuneKind.None && Image is { } pixels && (pixels.Pretrained is not null || pixels.Size != Images.PretrainedNetworks.InputSide(Images.PretrainedNetwork.ResNet18ImageNet)))
            throw new ArgumentException($"a fine-tuned network learns from the pixels of {Images.PretrainedNetworks.InputSide(Images.PretrainedNetwork.ResNet18ImageNet)}-pixel images, not from extracted features or images of {pixels.Size} pixels", nameof(FineTune));
        if (!Enum.IsDefined(Head)) throw new ArgumentOutOfRangeException(nameof(Head), Head, "unknown head");
        if (!Enum.IsDefined(JointRanking)) throw new ArgumentOutOfRangeException(nameof(JointRanking), JointRanking, "unknown joint ranking");
        if (!Enum.IsDefined(BinaryLoss)) throw new ArgumentOutOfRangeException(nameof(BinaryLoss), BinaryLoss, "unknown binary loss");
        if (!Enum.IsDefined(Keep)) throw new ArgumentOutOfRangeException(nameof(Keep), Keep, "unknown choice of weights to keep");
        if (!(JointWeight > 0 && double.IsFinite(JointWeight))) throw new ArgumentOutOfRangeException(nameof(JointWeight), JointWeight, $"joint weight must be a positive number, got {JointWeight}");
        if (!Enum.IsDefined(Optimizer)) throw new ArgumentOutOfRangeException(nameof(Optimizer), Optimizer, "unknown optimizer");
        if (!Enum.IsDefined(Schedule)) throw new ArgumentOutOfRangeException(nameof(Schedule), Schedule, "unknown schedule");
        if (!Enum.IsDefined(Scaling)) throw new ArgumentOutOfRangeException(nameof(Scaling), Scaling, "unknown feature scaling");
        if (!Enum.IsDefined(Device)) throw new ArgumentOutOfRangeException(nameof(Device), Device, "unknown device");
        if (LearningRate is { } lr && !(lr > 0 && double.IsFinite(lr)))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), lr, $"learning rate must be a positive number, got {lr}");
        if (!(Momentum >= 0 && Momentum < 1)) throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, $"momentum must be in [0, 1), got {Momentum}");
        if (!(WeightDecay >= 0 && double.IsFinite(WeightDecay))) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, $"weight decay must be 0 or more, got {WeightDecay}");
        if (WarmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(WarmupSteps), WarmupSteps, $"warm-up steps must be 0 or more, got {WarmupSteps}");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"batch size must be at least 1, got {BatchSize}");
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, $"epochs must be at least 1, got {Epochs}");
        if (Steps is < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"steps must be at least 1, got {Steps}");
        if (Hidden is null || Hidden.Any(h => h < 1))
            throw new ArgumentOutOfRangeException(nameof(Hidden), $"hidden layer widths must be at least 1, got [{string.Join(", ", Hidden ?? [])}]");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, $"dropout must be in [0, 1), got {Dropout}");
        if (CnnWidth < 1) throw new ArgumentOutOfRangeException(nameof(CnnWidth), CnnWidth, $"CNN width must be at least 1, got {CnnWidth}");
        if (EvalEvery < 0) throw new ArgumentOutOfRangeException(nameof(EvalEvery), EvalEvery, $"evaluation interval must be 0 or more steps, got {EvalEvery}");
        if (LogEvery < 1) throw new ArgumentOutOfRangeException(nameof(LogEvery), LogEvery, $"log interval must be at least 1 step, got {LogEvery}");
        if (CheckpointEvery < 0) throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), CheckpointEvery, $"checkpoint interval must be 0 or more steps, got {CheckpointEvery}");
        if (!(MinLabelledShare >= 0 && MinLabelledShare <= 1))
            throw new ArgumentOutOfRangeException(nameof(MinLabelledShare), MinLabelledShare, $"the minimum labelled share must be in [0, 1], got {MinLabelledShare}");
        Image?.Validate();
    }

    /// <summary>
    /// The options that decide the numbers a run computes, as JSON: everything but how often it evaluates, logs
    /// and checkpoints, and the labelled share it demands. A run resumes only under the same training key.
    /// </summary>
    internal JsonElement TrainingKey() =>
        JsonSerializer.SerializeToElement(this with { EvalEvery = 0, LogEvery = 1, CheckpointEvery = 0, MinLabelledShare = 0 }, TrainingJson.Options);

    /// <summary>Names and values of the options whose training keys differ, for an error message.</summary>
    internal static IReadOnlyList<string> Differences(JsonElement expected, JsonElement actual)
    {
        var result = new List<string>();
        var names = expected.EnumerateObject().Select(p => p.Name).Union(actual.EnumerateObject().Select(p => p.Name));
        foreach (var name in names)
        {
            var a = expected.TryGetProperty(name, out var x) ? JsonSerializer.Serialize(x) : "(absent)";
            var b = actual.TryGetProperty(name, out var y) ? JsonSerializer.Serialize(y) : "(absent)";
            if (a != b) result.Add($"{name}: {a} then, {b} now");
        }
        return result;
    }
}
