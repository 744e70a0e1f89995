using System.Diagnostics;
using System.Text.Json;
using LabelSphere.Embedding;
using LabelSphere.Evaluation;
using LabelSphere.IO;
using LabelSphere.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LabelSphere.Training;

/// <summary>Loss, precision@k and MAP@100 on validation (or test) instances.</summary>
/// <param name="Loss">Mean loss: over labelled instances for the embedding head's cosine loss, over all for the others.</param>
/// <param name="PrecisionAt1">Precision@1 over all instances.</param>
/// <param name="PrecisionAt3">Precision@3 over all instances.</param>
/// <param name="PrecisionAt5">Precision@5 over all instances.</param>
/// <param name="Instances">Instances measured.</param>
/// <param name="PaperMap">MAP@100 as the paper writes it, classes unweighted (null in logs written before it was measured).</param>
/// <param name="WeightedPaperMap">
/// The same with classes weighted by their training frequency (<see cref="ClassWeights.FromLabels"/>): what
/// <see cref="KeepKind.Best"/> selects by.
/// </param>
public sealed record ValidationMetrics(double Loss, double PrecisionAt1, double PrecisionAt3, double PrecisionAt5, int Instances,
                                       double? PaperMap = null, double? WeightedPaperMap = null)
{
    /// <summary>The score runs are selected by: the class-weighted MAP@100, else the unweighted one, else precision@1.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    internal double Selection => WeightedPaperMap ?? PaperMap ?? PrecisionAt1;
}

/// <summary>What the trainer is doing.</summary>
public enum TrainingPhase
{
    /// <summary>Optimizer steps.</summary>
    Training,
    /// <summary>Measuring the validation instances.</summary>
    Evaluating,
    /// <summary>Writing a checkpoint.</summary>
    Checkpointing,
    /// <summary>Writing the model.</summary>
    Saving,
}

/// <summary>A progress report, sent after every step and at each phase change.</summary>
/// <param name="Phase">What the trainer is doing.</param>
/// <param name="Step">Steps completed.</param>
/// <param name="TotalSteps">Steps of the whole run.</param>
/// <param name="Epoch">0-based epoch of the last step.</param>
/// <param name="Loss">Mean training loss since the last log line (the last step's before any).</param>
/// <param name="LearningRate">Learning rate of the last step.</param>
/// <param name="ExamplesPerSecond">Training throughput of this process so far.</param>
/// <param name="Validation">The last validation measurement.</param>
public sealed record TrainingProgress(TrainingPhase Phase, int Step, int TotalSteps, int Epoch, double Loss, double LearningRate,
                                      double ExamplesPerSecond, ValidationMetrics? Validation);

/// <summary>One line of the JSONL training log.</summary>
/// <param name="Step">Steps completed.</param>
/// <param name="Epoch">0-based epoch of the last step.</param>
/// <param name="Loss">Mean training loss over the steps since the previous line.</param>
/// <param name="LearningRate">Learning rate of the last step.</param>
/// <param name="ExamplesPerSecond">Training throughput of this process so far.</param>
/// <param name="Validation">Validation metrics, on the lines where they were measured.</param>
internal sealed record TrainingLogEntry(int Step, int Epoch, double Loss, double LearningRate, double ExamplesPerSecond, ValidationMetrics? Validation);

/// <summary>What a training call did.</summary>
/// <param name="Completed">Whether the run reached its last step (false when it was stopped and checkpointed).</param>
/// <param name="Resumed">Whether it continued from a checkpoint.</param>
/// <param name="FirstStep">The step this call started from.</param>
/// <param name="Step">Steps completed when it returned.</param>
/// <param name="TotalSteps">Steps of the whole run.</param>
/// <param name="Losses">The training loss of every step this call ran, in order (steps FirstStep+1 … Step).</param>
/// <param name="ExamplesPerSecond">Training throughput over the whole run (time in training steps only).</param>
/// <param name="TrainingSeconds">Time spent in training steps over the whole run.</param>
/// <param name="Validation">The last validation measurement (the final one when completed).</param>
/// <param name="Parameters">Parameter counts of the body and of both heads.</param>
/// <param name="EmptyTrainingInstances">Training instances without labels.</param>
/// <param name="ModelFolder">Where the model was saved, when completed with an output folder.</param>
/// <param name="CheckpointFolder">Where the checkpoint is (written when stopped), or null for a run without an output folder.</param>
/// <param name="LogFile">The JSONL log, or null for a run without an output folder.</param>
/// <param name="KeptStep">
/// With <see cref="KeepKind.Best"/>, the step whose weights the saved model has (the evaluation with the best
/// validation score; <paramref name="Validation"/> is that evaluation's); null when the last step's weights are kept.
/// </param>
public sealed record TrainingResult(bool Completed, bool Resumed, int FirstStep, int Step, int TotalSteps, float[] Losses,
                                    double ExamplesPerSecond, double TrainingSeconds, ValidationMetrics? Validation,
                                    ParameterCounts Parameters, int EmptyTrainingInstances, string? ModelFolder,
                                    string? CheckpointFolder, string? LogFile, int? KeptStep = null);

/// <summary>A training run: its data, options and where it writes.</summary>
internal sealed record TrainingRun
{
    /// <summary>Instances to learn from; their labels define the model's vocabulary.</summary>
    public required IInstanceSource Train { get; init; }

    /// <summary>Instances measured every <see cref="TrainingOptions.EvalEvery"/> steps and at the end (same vocabulary), or null.</summary>
    public IInstanceSource? Validation { get; init; }

    /// <summary>How to train.</summary>
    public required TrainingOptions Options { get; init; }

    /// <summary>The label embedding: required for the cosine loss, whose targets it defines; saved with the model.</summary>
    public LabelEmbedding? Embedding { get; init; }

    /// <summary>
    /// The output folder: the model goes to <c>model/</c>, checkpoints to <c>checkpoint/</c>, the log to
    /// <c>train.jsonl</c>; null to train in memory only (no log, no checkpoint: a cancelled run stops without one).
    /// The feature scaling saved with the model is the training source's own (<see cref="IInstanceSource.Transform"/>).
    /// </summary>
    public string? Output { get; init; }

    /// <summary>
    /// Continue from the checkpoint in <see cref="Output"/>; an error when there is none, unless the folder is absent
    /// or empty (<see cref="Trainer.IsUnwritten"/>), where the run starts from step 0.
    /// </summary>
    public bool Resume { get; init; }

    /// <summary>
    /// Whether an existing run in <see cref="Output"/> may be replaced, and which inputs it must not hold
    /// (<see cref="OutputFolder"/>); unused when <see cref="Folder"/> is given.
    /// </summary>
    public OutputOptions? OutputOptions { get; init; }

    /// <summary>
    /// <see cref="Output"/> already opened by the caller with <see cref="Trainer.RunKind"/> (continuing when
    /// <see cref="Resume"/>), so that it is locked before the data is read; null to let <see cref="Trainer.Train"/> open it.
    /// </summary>
    public OutputFolder? Folder { get; init; }

    /// <summary>
    /// Called at every evaluation point (every <see cref="TrainingOptions.EvalEvery"/> steps and at the end) with
    /// the step and the model, after the validation measurement; for experiments that measure more than loss and
    /// precision@k. The model is in training mode and must be left so.
    /// </summary>
    public Action<int, LabelModel>? OnEvaluate { get; init; }

    /// <summary>
    /// The processes this run is one of, for data-parallel training (<see cref="DataParallel"/>), or null for one
    /// process. <see cref="TrainingOptions.BatchSize"/> is then each rank's: the run's batch, which its checkpoints and
    /// model record, is that many times <see cref="DataParallel.Size"/>. Rank 0 alone measures
    /// <see cref="Validation"/> and calls <see cref="OnEvaluate"/>; the other ranks are given no <see cref="Output"/>.
    /// </summary>
    public DataParallel? Parallel { get; init; }
}

/// <summary>
/// Trains a label model by mini-batch gradient descent: shuffled batches (the permutation of epoch t drawn from
/// (seed, t), so resuming needs no shuffle state), the learning rate a function of the step, periodic validation,
/// a JSONL log and atomic checkpoints; a cancelled run stops after checkpointing, and a resumed run ends exactly
/// where an uninterrupted one would.
/// </summary>
internal static class Trainer
{
    /// <summary>RMSprop's decay of the squared-gradient average (Keras's default, which the paper used).</summary>
    public const double RmsPropRho = 0.9;

    /// <summary>Batch size used to evaluate and predict.</summary>
    public const int EvaluationBatchSize = 512;

    /// <summary>The log file inside the output folder.</summary>
    public const string LogFileName = "train.jsonl";

    /// <summary>The checkpoint folder inside the output folder.</summary>
    public const string CheckpointFolderName = "checkpoint";

    /// <summary>A training run's folder: its log, its checkpoint while it runs and its model once complete.</summary>
    public static readonly OutputKind RunKind = new("a training run",
        folder => File.Exists(Path.Combine(folder, LogFileName)) || Checkpoint.Exists(Path.Combine(folder, CheckpointFolderName))
                  || ModelFolder.Kind.Recognises(Path.Combine(folder, ModelFolder.ModelSubfolder)),
        [LogFileName, CheckpointFolderName, ModelFolder.ModelSubfolder, BestFolderName]);

    /// <summary>
    /// The folder inside the output folder that holds, with <see cref="KeepKind.Best"/>, the weights of the best
    /// evaluations so far: <c>step-S/</c> with <c>weights/*.npy</c> and <c>best.json</c> (step and validation). Older
    /// ones are dropped at each checkpoint, so a run resumed from its checkpoint finds the best up to it; deleted when
    /// the run completes.
    /// </summary>
    public const string BestFolderName = "best";

    /// <summary>The step and validation of the weights in <see cref="BestFolderName"/>.</summary>
    sealed record BestState(int Step, ValidationMetrics Validation);

    /// <summary>Runs (or resumes) <paramref name="run"/>; returns when it completes or, after a checkpoint, when cancelled.</summary>
    public static TrainingResult Train(TrainingRun run, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var trained = Fit(run, progress, cancellationToken);
        trained.Model?.Dispose();
        return trained.Result;
    }

    /// <summary>
    /// What <see cref="Fit"/> trained: the result and, when the run completed, the network (in evaluation mode, owned by
    /// the caller) and its manifest.
    /// </summary>
    internal sealed record Trained(TrainingResult Result, LabelModel? Model, ModelManifest? Manifest, FeatureTransform? Features);

    /// <summary>
    /// Runs (or resumes) <paramref name="run"/> as <see cref="Train"/> does, and hands over the trained network instead
    /// of disposing it; with no <see cref="TrainingRun.Output"/> nothing is written.
    /// </summary>
    internal static Trained Fit(TrainingRun run, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var options = run.Options;
        options.Validate();
        var parallel = run.Parallel;
        int perRank = options.BatchSize;
        if (parallel is not null)
        {
            if (!parallel.IsRoot && (run.Output is not null || run.Folder is not null))
                throw new ArgumentException($"rank {parallel.Rank} writes nothing; only rank 0 is given the output folder", nameof(run.Output));
            options = options with { BatchSize = checked(perRank * parallel.Size) };
        }
        var train = run.Train;
        if (train.Count == 0) throw new ArgumentException("there are no training instances");
        int labels = train.Vocabulary.Count;
        if (labels == 0) throw new ArgumentException("the training data has no labels");
        int empty = train.Labels.EmptyRows();
        if (!options.EnoughLabelled(train.Count - empty, train.Count))
            throw new ArgumentException(train.Count == empty
                ? $"none of the {train.Count:N0} training instances carries one of the {labels:N0} labels of the vocabulary; the labels do not belong to this data"
                : $"only {train.Count - empty:N0} of the {train.Count:N0} training instances carry a label of the vocabulary, fewer than the minimum share {options.MinLabelledShare * 100:G3}%");
        if (options.Head.UsesEmbedding())
        {
            if (run.Embedding is null) throw new ArgumentException($"the {options.Head.Name()} head needs a label embedding", nameof(run.Embedding));
            if (!SameNames(run.Embedding.Vocabulary, train.Vocabulary))
                throw new ArgumentException("the training labels must be the embedding's labels, in its order; map them with LabelMapping first");
        }
        if (run.Validation is { } v && !SameNames(v.Vocabulary, train.Vocabulary))
            throw new ArgumentException("the validation instances must use the training vocabulary");
        var features = train.Transform;
        if (features is not null && features.Scaling != options.Scaling)
            throw new ArgumentException($"the training instances are scaled {features.Scaling}, the options ask for {options.Scaling}; fit the feature scaling with the options' (the scaling is set in one place, the options)", nameof(TrainingOptions.Scaling));
        if (run.Validation?.Transform is { } vt && features is not null && (vt.Scaling != features.Scaling || vt.Columns != features.Columns))
            throw new ArgumentException("the validation instances are scaled otherwise than the training instances; scale both with the training instances' fitted scaling");
        if (run.Validation is { } v2 && !v2.InputShape.SequenceEqual(train.InputShape))
            throw new ArgumentException($"validation inputs are [{string.Join(", ", v2.InputShape)}], training inputs [{string.Join(", ", train.InputShape)}]");
        if (options.Head == HeadKind.Joint && options.JointRanking == JointRanking.Fitted && run.Validation is null)
            throw new ArgumentException("the joint head's fitted ranking chooses its mix on validation instances, and there are none");
        if (options.Keep == KeepKind.Best && run.Validation is null)
            throw new ArgumentException("keeping the best weights needs validation instances to choose them by, and there are none");

        TorchRuntime.EnsureLoaded();
        var device = Devices.Resolve(options.Device);
        if (run.Output is null && (run.Resume || run.Folder is not null))
            throw new ArgumentException("resuming needs the output folder that holds the checkpoint", nameof(run.Output));
        var output = run.Output is null ? null : Path.GetFullPath(run.Output);
        if (run.Folder is { } given && given.Path != output!.TrimEnd(Path.DirectorySeparatorChar))
            throw new ArgumentException($"the run's folder {given.Path} is not its output {output}");
        using var owned = run.Folder is null && output is not null ? OutputFolder.Open(output, RunKind, run.OutputOptions, continuing: run.Resume) : null;
        var folder = run.Folder ?? owned;
        string? In(string name) => output is null ? null : Path.Combine(output, name);
        var modelFolder = In(ModelFolder.ModelSubfolder);
        var checkpointFolder = In(CheckpointFolderName);
        var logPath = In(LogFileName);
        var bestFolder = In(BestFolderName);
        folder?.OpenInPlace();
        // A run killed between the two renames of a checkpoint left it beside its place: put it back before looking for it.
        if (output is not null)
        {
            AtomicFolder.Recover(checkpointFolder!);
            AtomicFolder.Recover(modelFolder!);
            AtomicFolder.Recover(logPath!);
        }
        bool hasCheckpoint = checkpointFolder is not null && Checkpoint.Exists(checkpointFolder);
        if (run.Resume && !hasCheckpoint && Directory.Exists(modelFolder))
            throw new IOException($"the run in {output} is already complete; its model is in {modelFolder}");
        // Resuming where nothing was ever written starts the run (a script may always ask to resume); resuming a
        // folder that holds something but no checkpoint cannot continue anything.
        if (run.Resume && !hasCheckpoint && !IsUnwritten(output!))
            throw new IOException($"{output} holds no checkpoint to resume from ({Path.Combine(CheckpointFolderName, "manifest.json")} is missing), so there is nothing to resume");

        int total = options.TotalSteps(train.Count);
        int perEpoch = options.StepsPerEpoch(train.Count);
        var data = Checkpoint.Fingerprint(train, run.Embedding);
        var key = options.TrainingKey();
        var classWeights = ClassWeights.FromLabels(train.Labels);

        torch.random.manual_seed(options.Seed).Dispose();
        if (device.type == DeviceType.CUDA) torch.cuda.manual_seed_all(options.Seed);
        var model = LabelModel.Create(BackboneConfig.From(options, train.InputShape), options, labels, run.Embedding,
            options.Head.UsesPriors() && options.PriorBias ? Priors(train.Labels) : null);
        bool handedOver = false;
        try
        {
            // A fine-tuned network starts from its pretrained weights (a resumed run then takes its checkpoint's).
            if (model.Body is Models.PretrainedResNet18 pretrained && !(run.Resume && hasCheckpoint)) pretrained.LoadImageNetWeights();
            model.to(device);
            using var optimizer = CreateOptimizer(model, options);
            var parameters = model.CountParameters(run.Embedding?.Dimension);

            int step = 0;
            double seconds = 0, windowLoss = 0;
            long examples = 0;
            int windowSteps = 0;
            ValidationMetrics? validation = null;
            bool resumed = false;
            if (run.Resume && hasCheckpoint)
            {
                var state = Checkpoint.Load(checkpointFolder!, model, optimizer, key, data);
                (step, seconds, examples, windowLoss, windowSteps, validation) =
                    (state.Step, state.TrainingSeconds, state.Examples, state.WindowLoss, state.WindowSteps, state.Validation);
                resumed = true;
                TruncateLog(logPath!, step);
            }
            else if (File.Exists(logPath)) File.Delete(logPath);
            // Every rank starts from rank 0's weights, optimizer state and step.
            parallel?.Synchronize(model, optimizer, options.Seed, ref step);
            var learning = model.parameters().Where(p => p.requires_grad).ToList();
            // The best weights so far belong to this run only when it resumes; a fresh run starts its own. Without an
            // output folder they are kept in memory.
            var (best, bestPath) = options.Keep == KeepKind.Best && bestFolder is not null ? BestUpTo(bestFolder, resumed ? step : 0) : (null, null);
            using var bestInMemory = new ModuleState.Copy();

            int firstStep = step;
            var losses = new List<float>();
            double learningRate = options.LearningRateAt(Math.Min(step, total - 1), total);
            double lastLoss = 0;
            var clock = new Stopwatch();
            using var log = logPath is null ? null : new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.Read));

            double Throughput() => seconds + clock.Elapsed.TotalSeconds > 0 ? examples / (seconds + clock.Elapsed.TotalSeconds) : 0;
            int EpochOf(int s) => Math.Max(0, s - 1) / perEpoch;
            double ShownLoss() => windowSteps > 0 ? windowLoss / windowSteps : lastLoss;
            void Report(TrainingPhase phase) =>
                progress?.Report(new TrainingProgress(phase, step, total, EpochOf(step), ShownLoss(), learningRate, Throughput(), validation));
            CheckpointState Snapshot() => new(step, key, data, seconds + clock.Elapsed.TotalSeconds, examples, windowLoss, windowSteps, validation);
            void SaveCheckpoint()
            {
                if (checkpointFolder is null) return;
                Report(TrainingPhase.Checkpointing);
                Checkpoint.Save(checkpointFolder, Snapshot(), model, optimizer);
                if (bestPath is not null) BestUpTo(bestFolder!, step, keep: bestPath);
            }
            void Evaluate()
            {
                if ((run.Validation is null && run.OnEvaluate is null) || parallel is { IsRoot: false }) return;
                Report(TrainingPhase.Evaluating);
                // An evaluation runs to its end even when the run is being stopped: the stop comes at the next step, after
                // this step's measurement and log line, so the checkpoint written then resumes with nothing missing.
                if (run.Validation is not null && model.Head is JointHead joint && options.JointRanking == JointRanking.Fitted)
                    joint.Fit(FitMix(model, joint, run.Validation, device, classWeights, CancellationToken.None));
                if (run.Validation is not null) validation = Measure(model, run.Validation, device, classWeights, CancellationToken.None);
                if (options.Keep == KeepKind.Best && validation is { } measured && (best is null || measured.Selection > best.Validation.Selection))
                {
                    best = new BestState(step, measured);
                    if (bestFolder is null) bestInMemory.Take(model);
                    else
                    {
                        bestPath = Path.Combine(bestFolder, $"step-{step}");
                        AtomicFolder.Write(bestPath, temp =>
                        {
                            ModuleState.Save(model, Path.Combine(temp, "weights"));
                            File.WriteAllBytes(Path.Combine(temp, "best.json"), JsonSerializer.SerializeToUtf8Bytes(best, TrainingJson.Options));
                        });
                    }
                }
                run.OnEvaluate?.Invoke(step, model);
            }

            model.train();
            bool stopped = false, agreedStop = false;
            while (step < total && !stopped)
            {
                int epoch = step / perEpoch;
                int skip = (step % perEpoch) * options.BatchSize;
                // Every rank draws the same global batches and trains on its slice of each; ranks stop together (a stop is
                // agreed in the step's all-reduce), so their batch streams are not cancelled.
                using var batches = train.EpochBatches(options.Seed, epoch, skip, options.BatchSize, parallel is null ? cancellationToken : CancellationToken.None)
                    .GetEnumerator();
                while (step < total)
                {
                    if (parallel is null ? cancellationToken.IsCancellationRequested : agreedStop) { stopped = true; break; }
                    clock.Start();
                    try
                    {
                        if (!batches.MoveNext()) { clock.Stop(); break; }
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        clock.Stop();
                        stopped = true;
                        break;
                    }
                    var global = batches.Current.Indices;
                    // A rank whose slice of the epoch's last global batch is empty still takes part in its step.
                    var batch = parallel is null ? batches.Current : parallel.LocalBatch(batches.Current, perRank);
                    learningRate = options.LearningRateAt(step, total);
                    foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate;
                    float loss;
                    using (NewDisposeScope())
                    {
                        optimizer.zero_grad();
                        using var y = batch is null ? null : new BatchLabels(train.Labels, batch.Indices, labels, device);
                        if (parallel is null)
                        {
                            var value = model.Head.Loss(model.forward(tensor(batch!.Inputs, batch.Shape).to(device)), y!);
                            value.backward();
                            loss = value.item<float>();
                        }
                        else
                        {
                            var share = DataParallel.Share(train.Labels, global, batch is null ? [] : batch.Indices);
                            var value = batch is null
                                ? stack(learning.Select(p => p.sum())).sum() * 0
                                : model.Head.PartialLoss(model.forward(tensor(batch.Inputs, batch.Shape).to(device)), y!, share);
                            value.backward();
                            (loss, agreedStop) = parallel.AllReduce(learning, value.item<float>(), cancellationToken.IsCancellationRequested);
                        }
                        optimizer.step();
                    }
                    clock.Stop();
                    step++;
                    examples += global.Length;
                    losses.Add(loss);
                    lastLoss = loss;
                    windowLoss += loss;
                    windowSteps++;

                    bool last = step == total;
                    bool evaluate = last || (options.EvalEvery > 0 && step % options.EvalEvery == 0);
                    if (evaluate) Evaluate();
                    if (evaluate || step % options.LogEvery == 0)
                    {
                        var entry = new TrainingLogEntry(step, EpochOf(step), windowLoss / windowSteps, learningRate, Throughput(), evaluate ? validation : null);
                        log?.WriteLine(JsonSerializer.Serialize(entry, TrainingJson.Line));
                        log?.Flush();
                        Report(TrainingPhase.Training);
                        windowLoss = 0;
                        windowSteps = 0;
                    }
                    else Report(TrainingPhase.Training);
                    if (!last && options.CheckpointEvery > 0 && step % options.CheckpointEvery == 0) SaveCheckpoint();
                }
            }

            seconds += clock.Elapsed.TotalSeconds;
            clock.Reset();
            if (stopped)
            {
                SaveCheckpoint();
                return new Trained(new TrainingResult(false, resumed, firstStep, step, total, [.. losses], seconds > 0 ? examples / seconds : 0, seconds,
                    validation, parameters, empty, null, checkpointFolder, logPath), null, null, features);
            }

            Report(TrainingPhase.Saving);
            int? keptStep = null;
            if (options.Keep == KeepKind.Best && best is not null && (bestPath is not null || bestInMemory.Taken))
            {
                if (bestPath is not null) ModuleState.Load(model, Path.Combine(bestPath, "weights"));
                else bestInMemory.Restore(model);
                (keptStep, validation) = (best.Step, best.Validation);
            }
            var summary = new TrainingSummary(step, train.Count, empty, seconds > 0 ? examples / seconds : 0, seconds, validation, parameters, data,
                train.Labels.LabelCounts());
            var manifest = new ModelManifest(ModelFolder.Format, ModelFolder.FormatVersion, options.Head,
                BackboneConfig.From(options, train.InputShape), model.Head.Outputs, [.. train.Vocabulary.Names], features?.Scaling, options, summary,
                features?.NamesHash);
            if (modelFolder is not null) ModelFolder.Save(modelFolder, model, manifest, run.Embedding, features);
            if (Directory.Exists(checkpointFolder)) Directory.Delete(checkpointFolder, recursive: true);
            if (Directory.Exists(bestFolder)) Directory.Delete(bestFolder, recursive: true);
            model.eval();
            handedOver = true;
            return new Trained(new TrainingResult(true, resumed, firstStep, step, total, [.. losses], summary.ExamplesPerSecond, seconds,
                validation, parameters, empty, modelFolder, checkpointFolder, logPath, keptStep), model, manifest, features);
        }
        finally
        {
            if (!handedOver) model.Dispose();
        }
    }

    /// <summary>Whether <paramref name="output"/> is absent or empty: resuming a run there starts it from step 0.</summary>
    public static bool IsUnwritten(string output) => !Directory.Exists(output) || !Directory.EnumerateFileSystemEntries(output).Any();

    /// <summary>
    /// Loss, precision@1/3/5 and MAP@100 (class-weighted by <paramref name="classWeights"/> when given) of
    /// <paramref name="model"/> on every instance of <paramref name="source"/>.
    /// </summary>
    public static ValidationMetrics Measure(LabelModel model, IInstanceSource source, Device device, double[]? classWeights = null, CancellationToken cancellationToken = default)
    {
        int n = source.Vocabulary.Count, top = Math.Min(5, n);
        var ranked = new int[source.Count][];
        double lossSum = 0, weightSum = 0;
        var metrics = new MetricsAccumulator(n, new MetricsOptions { Cutoffs = [1] }, default, classWeights ?? default);
        Inference.ForEachBatch(model, source, device, EvaluationBatchSize, (batch, outputs) =>
        {
            using var y = new BatchLabels(source.Labels, batch.Indices, n, outputs.device);
            double weight = model.Head.Kind switch
            {
                HeadKind.Embedding => Labelled(source, batch.Indices),
                HeadKind.Sigmoid or HeadKind.CosineLogit or HeadKind.Joint => batch.Indices.Length,
                _ => throw new InvalidOperationException("unknown head"),
            };
            if (weight > 0)
            {
                lossSum += model.Head.Loss(outputs, y).item<float>() * weight;
                weightSum += weight;
            }
            var scores = model.Head.Scores(outputs);
            metrics.Add(scores.cpu().contiguous().data<float>().ToArray(), source.Labels.SelectRows(batch.Indices));
            var (_, indexes) = scores.topk(top, dim: 1);
            var ids = indexes.cpu().data<long>().ToArray();
            for (int i = 0; i < batch.Indices.Length; i++)
            {
                var row = new int[top];
                for (int t = 0; t < top; t++) row[t] = (int)ids[i * top + t];
                ranked[batch.Indices[i]] = row;
            }
        }, cancellationToken);
        var precision = RankingMetrics.Evaluate(ranked, source.Labels);
        var map = metrics.Report();
        return new ValidationMetrics(weightSum > 0 ? lossSum / weightSum : 0, precision.At1, precision.At3, precision.At5, source.Count,
            map.PaperMap, map.WeightedPaperMap);
    }

    /// <summary>The joint head's mix fitted on <paramref name="source"/> (<see cref="JointMix.Fit"/>).</summary>
    static JointMix.Fitted FitMix(LabelModel model, JointHead head, IInstanceSource source, Device device, double[] classWeights, CancellationToken cancellationToken)
    {
        int n = head.Labels;
        var logits = new float[checked(source.Count * n)];
        var cosine = new float[logits.Length];
        Inference.ForEachBatch(model, source, device, EvaluationBatchSize, (batch, outputs) =>
        {
            var (l, c) = head.Components(outputs);
            var lv = l.cpu().contiguous().data<float>().ToArray();
            var cv = c.cpu().contiguous().data<float>().ToArray();
            for (int i = 0; i < batch.Indices.Length; i++)
            {
                lv.AsSpan(i * n, n).CopyTo(logits.AsSpan(batch.Indices[i] * n, n));
                cv.AsSpan(i * n, n).CopyTo(cosine.AsSpan(batch.Indices[i] * n, n));
            }
        }, cancellationToken);
        return JointMix.Fit(logits, cosine, source.Labels, n, classWeights);
    }

    /// <summary>
    /// The newest best weights in <paramref name="folder"/> from step <paramref name="step"/> or before (null when there
    /// are none); the later ones, which a resumed run recomputes, are deleted, and with <paramref name="keep"/> every
    /// other one too.
    /// </summary>
    static (BestState? Best, string? Path) BestUpTo(string folder, int step, string? keep = null)
    {
        if (!Directory.Exists(folder)) return (null, null);
        (BestState? Best, string? Path) newest = (null, null);
        foreach (var path in Directory.GetDirectories(folder, "step-*"))
        {
            bool later = !int.TryParse(Path.GetFileName(path)["step-".Length..], out var at) || at > step;
            if (later || (keep is not null && path != keep))
            {
                Directory.Delete(path, recursive: true);
                continue;
            }
            if (newest.Best is not null && newest.Best.Step > at) continue;
            var file = Path.Combine(path, "best.json");
            try
            {
                newest = (JsonSerializer.Deserialize<BestState>(File.ReadAllBytes(file), TrainingJson.Options)
                    ?? throw new InvalidDataException($"{file}: empty"), path);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{file}: line {e.LineNumber + 1}: {e.Message}");
            }
        }
        return newest;
    }

    /// <summary>Each label's share of the instances of <paramref name="labels"/>.</summary>
    public static double[] Priors(Data.LabelMatrix labels)
    {
        var counts = labels.LabelCounts();
        var priors = new double[counts.Length];
        for (int j = 0; j < counts.Length; j++) priors[j] = labels.Rows == 0 ? 0 : (double)counts[j] / labels.Rows;
        return priors;
    }

    static int Labelled(IInstanceSource source, int[] indices)
    {
        int count = 0;
        foreach (var i in indices) if (!source.Labels.Row(i).IsEmpty) count++;
        return count;
    }

    /// <summary>The order of epoch <paramref name="epoch"/>: a Fisher–Yates shuffle drawn from (seed, epoch) alone.</summary>
    public static int[] Permutation(int count, int seed, int epoch)
    {
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        new Random(Mix(seed, epoch)).Shuffle(order);
        return order;
    }

    /// <summary>A seed for (seed, stream): SplitMix64's finaliser, so that nearby pairs give unrelated seeds.</summary>
    public static int Mix(int seed, int stream)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)stream) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & int.MaxValue);
    }

    static OptimizerHelper CreateOptimizer(LabelModel model, TrainingOptions options)
    {
        double lr = options.PeakLearningRate;
        // The layers a fine-tuned network keeps frozen have no gradient and no optimizer state.
        var learning = model.parameters().Where(p => p.requires_grad).ToList();
        return options.Optimizer switch
        {
            OptimizerKind.RmsProp => new RMSProp(learning, lr, alpha: RmsPropRho, eps: 1e-7, weightDecay: options.WeightDecay),
            OptimizerKind.Adam => optim.Adam(learning, lr, weight_decay: options.WeightDecay),
            OptimizerKind.Sgd => optim.SGD(learning, lr, momentum: options.Momentum, weight_decay: options.WeightDecay),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Optimizer, "unknown optimizer"),
        };
    }

    static bool SameNames(Data.LabelVocabulary a, Data.LabelVocabulary b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++) if (a[i] != b[i]) return false;
        return true;
    }

    // A killed run may have logged steps past its last checkpoint; the resumed run logs them again.
    static void TruncateLog(string path, int step)
    {
        if (!File.Exists(path)) return;
        var kept = new List<string>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.TryGetProperty("step", out var s) && s.TryGetInt32(out var at) && at <= step) kept.Add(line);
            }
            catch (JsonException)
            {
                // A line cut short by the kill.
            }
        }
        AtomicFolder.WriteFile(path, stream =>
        {
            using var writer = new StreamWriter(stream);
            foreach (var line in kept) writer.WriteLine(line);
        });
    }
}

/// <summary>Maps <see cref="DeviceKind"/> to torch devices.</summary>
internal static class Devices
{
    /// <summary>The torch device for <paramref name="kind"/>; throws when CUDA is asked for but absent.</summary>
    public static Device Resolve(DeviceKind kind) => kind switch
    {
        DeviceKind.Cpu => CPU,
        DeviceKind.Cuda => torch.cuda.is_available()
            ? CUDA
            : throw new ArgumentException("cuda: CUDA is not available to this build (it uses TorchSharp-cpu; reference a CUDA build of TorchSharp such as TorchSharp-cuda-linux and rebuild, on a machine with an NVIDIA driver)", nameof(TrainingOptions.Device)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown device"),
    };
}
