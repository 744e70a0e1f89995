using LabelSphere.Data;
using LabelSphere.Training;
using LabelSphere.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LabelSphere.Tests.Training;

/// <summary>Fine-tuning ML.NET's pretrained ResNet-18 end to end: what learns, the loss, checkpoints and resume.</summary>
[Collection(TorchCollection.Name)]
public sealed class FineTuneTests : IDisposable
{
    const int Side = ResNet18Weights.InputSide;

    readonly string dir = TrainingFixtures.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    static readonly TrainingOptions Options = new()
    {
        Backbone = BackboneKind.ResNet18ImageNet,
        FineTune = FineTuneKind.LastBlock,
        Head = HeadKind.Sigmoid,
        Hidden = [16],
        Dropout = 0,
        BatchSize = 6,
        Steps = 4,
        Optimizer = OptimizerKind.Adam,
        LearningRate = 1e-3,
        EvalEvery = 0,
        LogEvery = 1,
        CheckpointEvery = 0,
        Seed = 5,
    };

    /// <summary>Six 224-pixel pictures (R, G, B from 0 to 255): a red, green or blue disc on grey, its colour the label.</summary>
    static ArraySource Discs()
    {
        const int count = 6;
        var inputs = new float[count * 3 * Side * Side];
        var labels = new LabelMatrixBuilder();
        for (int i = 0; i < count; i++)
        {
            int label = i % 3;
            int radius = 40 + 12 * i, cx = 112 + (i % 2 == 0 ? -20 : 20);
            for (int y = 0; y < Side; y++)
                for (int x = 0; x < Side; x++)
                {
                    bool inside = (x - cx) * (x - cx) + (y - 112) * (y - 112) < radius * radius;
                    for (int c = 0; c < 3; c++)
                        inputs[((i * 3) + c) * Side * Side + y * Side + x] = inside ? (c == label ? 230f : 20f) : 128f;
                }
            labels.AddRow([label]);
        }
        return new ArraySource(inputs, [3, Side, Side], labels.Build(3), new LabelVocabulary(["red", "green", "blue"]));
    }

    TrainingRun Run(TrainingOptions options, string name, bool resume = false) => new()
    {
        Train = Discs(),
        Options = options,
        Output = Path.Combine(dir, name),
        Resume = resume,
    };

    static TrainingResult Train(TrainingRun run, IProgress<TrainingProgress>? progress = null, CancellationTokenSource? stop = null)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop?.Token ?? default, TestContext.Current.CancellationToken);
        return Trainer.Train(run, progress, linked.Token);
    }

    /// <summary>The network's state entries (torchvision names) whose values differ from the pretrained ones.</summary>
    static SortedSet<string> Changed(string modelFolder)
    {
        using var pretrained = new PretrainedResNet18(FineTuneKind.All, [], 0);
        pretrained.LoadImageNetWeights();
        var changed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in pretrained.Network.state_dict())
        {
            if (value.dtype != ScalarType.Float32) continue;
            var (saved, _) = LabelSphere.IO.Npy.Read<float>(Path.Combine(modelFolder, "weights", $"backbone.network.{name}.npy"));
            if (!saved.AsSpan().SequenceEqual(value.data<float>().ToArray())) changed.Add(name);
        }
        return changed;
    }

    [Theory]
    [InlineData(FineTuneKind.LastBlock)]
    [InlineData(FineTuneKind.All)]
    public void Fine_tuning_changes_only_the_layers_it_names_and_lowers_the_loss(FineTuneKind fineTune)
    {
        // Given six pictures whose disc's colour is their label, in one batch
        var options = Options with { FineTune = fineTune };

        // When the pretrained network is fine-tuned on them for four steps (the same batch each step)
        var result = Train(Run(options, fineTune.ToString()));

        // Then the loss of the batch falls at every step, by more than 1% in all (from the prior's 0.637: L2-normalised
        // features move the MLP slowly at the first steps)
        Assert.True(result.Completed);
        var losses = string.Join(", ", result.Losses);
        for (int s = 1; s < result.Losses.Length; s++) Assert.True(result.Losses[s] < result.Losses[s - 1], $"losses {losses}");
        Assert.True(result.Losses[^1] < 0.99 * result.Losses[0], $"losses {losses}");
        // And of the network's weights only the named layers' convolutions and batch-norm scales and biases changed; every
        // batch norm's running statistics stayed ImageNet's (they normalise in evaluation mode)
        var changed = Changed(result.ModelFolder!);
        Assert.NotEmpty(changed);
        Assert.DoesNotContain(changed, name => name.Contains("running_", StringComparison.Ordinal));
        if (fineTune == FineTuneKind.LastBlock)
            Assert.All(changed, name => Assert.StartsWith("layer4.", name));
        else
        {
            Assert.Contains("conv1.weight", changed);
            Assert.Contains("layer1.0.bn1.weight", changed);
        }
        Assert.Contains("layer4.2.conv2.weight", changed);
        Assert.Contains("layer4.0.downsample.0.weight", changed);
    }

    [Fact]
    public void A_fine_tuned_run_stopped_and_resumed_ends_where_an_uninterrupted_run_ends()
    {
        // Given an uninterrupted fine-tuning run of four steps in batches of three (two per epoch)
        var options = Options with { BatchSize = 3 };
        var whole = Train(Run(options, "whole"));

        // When the same run is cancelled after step 2 and resumed
        using var cancel = new CancellationTokenSource();
        var stopped = Train(Run(options, "split"), new SyncProgress(p => { if (p.Step == 2) cancel.Cancel(); }), cancel);
        var checkpoint = Path.Combine(dir, "split", Trainer.CheckpointFolderName, "weights");
        bool holdsNetwork = File.Exists(Path.Combine(checkpoint, "backbone.network.layer4.2.conv2.weight.npy"))
                            && File.Exists(Path.Combine(checkpoint, "backbone.network.conv1.weight.npy"));
        var resumed = Train(Run(options, "split", resume: true));

        // Then the checkpoint held the network's weights, and the resumed run ends with the same losses and weights
        Assert.False(stopped.Completed);
        Assert.True(holdsNetwork, "the checkpoint does not hold the network's weights");
        Assert.True(resumed.Completed && resumed.Resumed);
        Assert.Equal(whole.Losses, (float[])[.. stopped.Losses, .. resumed.Losses]);
        var files = Directory.GetFiles(Path.Combine(whole.ModelFolder!, "weights")).Select(Path.GetFileName).Order().ToArray();
        Assert.Contains("backbone.mean.npy", files);
        foreach (var file in files)
            Assert.True(File.ReadAllBytes(Path.Combine(whole.ModelFolder!, "weights", file!)).AsSpan()
                .SequenceEqual(File.ReadAllBytes(Path.Combine(resumed.ModelFolder!, "weights", file!))), $"{file} differs");
    }

    [Fact]
    public void Resuming_a_fine_tuned_run_with_another_fine_tuning_choice_is_refused()
    {
        // Given a last-block run stopped after its first step
        using var cancel = new CancellationTokenSource();
        Train(Run(Options, "run"), new SyncProgress(p => { if (p.Step == 1) cancel.Cancel(); }), cancel);

        // When it is resumed fine-tuning every layer, then the options' difference is named
        var error = Assert.Throws<ArgumentException>(() => Train(Run(Options with { FineTune = FineTuneKind.All }, "run", resume: true)));
        Assert.Contains("fineTune", error.Message);
    }

    [Fact]
    public void A_saved_fine_tuned_model_predicts_as_the_trained_network_did()
    {
        // Given a fine-tuned model saved by a completed run, and the network the run handed over
        var run = Run(Options, "saved");
        var trained = Trainer.Fit(run, cancellationToken: TestContext.Current.CancellationToken);
        using var handedOver = trained.Model!;

        // When the model folder is loaded and both score the pictures
        var folder = trained.Result.ModelFolder!;
        using var loaded = ModelFolder.LoadNetwork(folder, ModelFolder.ReadManifest(folder), null);
        var source = Discs();
        var expected = Scores(handedOver, source);
        var actual = Scores(loaded, source);

        // Then they agree: the folder holds the fine-tuned network, not a fresh or pretrained one
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5, $"score {i}: {actual[i]} against {expected[i]}");
    }

    static float[] Scores(LabelModel model, ArraySource source)
    {
        var scores = new List<float>();
        Inference.ForEachBatch(model, source, CPU, 6, (_, outputs) => scores.AddRange(outputs.data<float>().ToArray()));
        return [.. scores];
    }
}
