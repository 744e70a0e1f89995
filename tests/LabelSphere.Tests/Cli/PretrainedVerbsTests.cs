using System.Runtime.CompilerServices;
using System.Text.Json;

namespace LabelSphere.Tests.Cli;

/// <summary>The verbs with --model resnet18-imagenet, on the small images of Training/Images/Pretrained/odd.</summary>
[Collection(TorchCollection.Name)]
public sealed class PretrainedVerbsTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();
    readonly Dictionary<string, string> environment;

    public PretrainedVerbsTests() => environment = new() { ["LABELSPHERE_CACHE"] = Path.Combine(dir, "cache") };

    public void Dispose() => Directory.Delete(dir, true);

    static string Odd([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "Training", "Images", "Pretrained", "odd"));

    /// <summary>Six images (copies of the four odd pictures) tagged with their colours, as a long CSV in a folder of their own.</summary>
    (string Csv, string Images) Photos()
    {
        var images = Path.Combine(dir, "photos");
        Directory.CreateDirectory(images);
        var rows = new List<string> { "image,label" };
        foreach (var (name, tags) in new[] { ("rgb.jpg", "red yellow blue"), ("cmyk.jpg", "red yellow blue"), ("grey.jpg", "grey"), ("alpha.png", "red yellow blue white") })
        {
            File.Copy(Path.Combine(Odd(), name), Path.Combine(images, name));
            rows.AddRange(tags.Split(' ').Select(t => $"{name},{t}"));
        }
        var csv = Path.Combine(dir, "tags.csv");
        File.WriteAllLines(csv, rows);
        return (csv, images);
    }

    [Fact]
    public void Train_with_the_pretrained_network_then_predict_tags_the_same_photos_from_the_model_folder()
    {
        // Given four tagged images
        var (csv, images) = Photos();
        var run = Path.Combine(dir, "run");

        // When an MLP trains on their ResNet-18 features, then the model tags the images
        var trained = CliRunner.RunWith(null, environment, "train", csv, "--images", images, "--model", "resnet18-imagenet", "--head", "sigmoid",
            "--steps", "5", "--batch-size", "4", "--validation", "0", "--eval-every", "0", "--out", run, "--json");
        Assert.True(trained.ExitCode == 0, trained.Err);
        var predicted = CliRunner.RunWith(null, environment, "predict", run, csv, "--images", images, "--top", "2", "--json");

        // Then the model records the backbone and its features, the features were extracted once (the prediction read
        // them back), and every image gets two tags
        Assert.True(predicted.ExitCode == 0, predicted.Err);
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "model", "manifest.json"))))
        {
            var backbone = manifest.RootElement.GetProperty("backbone");
            Assert.Equal("resnet18-imagenet", backbone.GetProperty("kind").GetString());
            Assert.Equal([512], backbone.GetProperty("inputShape").EnumerateArray().Select(e => e.GetInt32()));
        }
        Assert.Contains("features of 4 images: 0 read back", trained.Err);
        Assert.Contains("features of 4 images: 4 read back", predicted.Err);
        using var tags = JsonDocument.Parse(predicted.Out);
        Assert.Equal(4, tags.RootElement.GetArrayLength());
        foreach (var image in tags.RootElement.EnumerateArray()) Assert.Equal(2, image.GetProperty("labels").GetArrayLength());

        // And a manifest whose image options lose the network no longer fits its [512] input: one line says so
        var manifestPath = Path.Combine(run, "model", "manifest.json");
        var edited = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifestPath))!;
        Assert.True(edited["options"]!["image"]!.AsObject().Remove("pretrained"));
        File.WriteAllText(manifestPath, edited.ToJsonString());
        var refused = CliRunner.RunWith(null, environment, "predict", run, csv, "--images", images);
        CliRunner.OneErrorLine(refused, "manifest.json", "backbone.inputShape", "[512]");
    }

    [Fact]
    public void Predict_tags_every_image_of_a_plain_folder_and_names_one_it_cannot_decode()
    {
        // Given a model trained on the four tagged images, whose folder also holds a text file
        var (csv, images) = Photos();
        var run = Path.Combine(dir, "run");
        var trained = CliRunner.RunWith(null, environment, "train", csv, "--images", images, "--model", "resnet18-imagenet", "--head", "sigmoid",
            "--steps", "3", "--batch-size", "4", "--validation", "0", "--eval-every", "0", "--out", run);
        Assert.True(trained.ExitCode == 0, trained.Err);
        File.WriteAllText(Path.Combine(images, "notes.txt"), "not an image, not listed");

        // When the folder itself is given as the data, then again with a broken JPEG in it
        var tagged = CliRunner.RunWith(null, environment, "predict", run, images, "--images", images, "--top", "1");
        File.WriteAllText(Path.Combine(images, "broken.jpg"), "not a picture");
        var broken = CliRunner.RunWith(null, environment, "predict", run, images, "--images", images, "--top", "1");

        // Then each image file gets a tag, by file name, and the text file is ignored; the broken JPEG is one error line
        Assert.True(tagged.ExitCode == 0, tagged.Err);
        var rows = tagged.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains('\t') && !l.StartsWith("instance\t", StringComparison.Ordinal)).Select(l => l.Split('\t')[0]);
        Assert.Equal(["alpha.png", "cmyk.jpg", "grey.jpg", "rgb.jpg"], rows);
        CliRunner.OneErrorLine(broken, images, "broken.jpg", "cannot be decoded");
    }

    [Fact]
    public void Features_writes_a_data_set_that_train_reads_and_a_second_run_reads_the_store()
    {
        // Given four tagged images
        var (csv, images) = Photos();
        var out1 = Path.Combine(dir, "features");
        var out2 = Path.Combine(dir, "again");

        // When their features are written twice, and a model trains on the first file as feature data
        var first = CliRunner.RunWith(null, environment, "features", csv, "--images", images, "--out", out1, "--json");
        var second = CliRunner.RunWith(null, environment, "features", csv, "--images", images, "--out", out2);
        var trained = CliRunner.RunWith(null, environment, "train", Path.Combine(out1, "features_data.txt"), "--features", "none", "--head", "sigmoid",
            "--steps", "3", "--batch-size", "4", "--validation", "0", "--eval-every", "0", "--out", Path.Combine(dir, "run"), "--json");

        // Then the file holds 4 images of 512 features over the 5 tags, named beside it; the second run ran the
        // network on none; the same bytes come out; and train takes the file as 512 named features
        Assert.True(first.ExitCode == 0, first.Err);
        Assert.True(second.ExitCode == 0, second.Err);
        Assert.True(trained.ExitCode == 0, trained.Err);
        Assert.Equal("4 512 5", File.ReadLines(Path.Combine(out1, "features_data.txt")).First());
        Assert.Equal(["rgb.jpg", "cmyk.jpg", "grey.jpg", "alpha.png"], File.ReadAllLines(Path.Combine(out1, "images.txt")));
        Assert.Equal(512, File.ReadAllLines(Path.Combine(out1, "features_features.txt")).Length);
        Assert.Contains("0 extracted", second.Err);
        Assert.Equal(File.ReadAllBytes(Path.Combine(out1, "features_data.txt")), File.ReadAllBytes(Path.Combine(out2, "features_data.txt")));
        using var summary = JsonDocument.Parse(trained.Out);
        Assert.Equal(4, summary.RootElement.GetProperty("trainingInstances").GetInt32());
    }

    [Fact]
    public void Features_on_cuda_without_ONNX_Runtimes_CUDA_provider_says_why_in_one_line_and_runs_on_the_CPU()
    {
        // Given four tagged images, and this build's ONNX Runtime (the CPU package, without the CUDA provider)
        var (csv, images) = Photos();
        var cpu = Path.Combine(dir, "cpu");
        var cuda = Path.Combine(dir, "cuda");

        // When their features are written on the CPU, then asked of CUDA in a fresh store
        var onCpu = CliRunner.RunWith(null, environment, "features", csv, "--images", images, "--out", cpu);
        var onCuda = CliRunner.RunWith(null, new Dictionary<string, string> { ["LABELSPHERE_CACHE"] = Path.Combine(dir, "cache-cuda") },
            "features", csv, "--images", images, "--device", "cuda", "--out", cuda);

        // Then the CUDA run succeeds with exactly one line saying why it fell back and that the CPU runs instead (the
        // CPU run prints none), and writes the CPU's features
        Assert.True(onCpu.ExitCode == 0, onCpu.Err);
        Assert.True(onCuda.ExitCode == 0, onCuda.Err);
        var fallback = Assert.Single(onCuda.Err.Split('\n'), line => line.Contains("--device cuda", StringComparison.Ordinal));
        Assert.Contains("no CUDA provider", fallback);
        Assert.EndsWith("the features are extracted on the CPU instead", fallback.TrimEnd());
        Assert.DoesNotContain("--device", onCpu.Err);
        Assert.Contains("4 extracted", onCuda.Err);
        Assert.Equal(File.ReadAllBytes(Path.Combine(cpu, "features_data.txt")), File.ReadAllBytes(Path.Combine(cuda, "features_data.txt")));
    }

    [Fact]
    public void A_file_that_is_not_an_image_stops_training_with_one_line_naming_it()
    {
        // Given the images and a text file named like a JPEG on line 13 of the annotations
        var (csv, images) = Photos();
        File.WriteAllText(Path.Combine(images, "readme.jpg"), "not a picture");
        File.AppendAllLines(csv, ["readme.jpg,grey"]);

        // When training on them with the pretrained network
        var result = CliRunner.RunWith(null, environment, "train", csv, "--images", images, "--model", "resnet18-imagenet", "--head", "sigmoid",
            "--steps", "2", "--validation", "0", "--out", Path.Combine(dir, "run"));

        // Then one line names the annotation line and the image file
        CliRunner.OneErrorLine(result, $"{csv}:13", "readme.jpg", "cannot be decoded");
    }

    [Fact]
    public void Image_size_and_augmentation_are_refused_with_the_pretrained_network()
    {
        var (csv, images) = Photos();
        foreach (var option in new[] { new[] { "--image-size", "64" }, ["--augment"] })
        {
            var result = CliRunner.RunWith(null, environment, ["train", csv, "--images", images, "--model", "resnet18-imagenet", .. option, "--out", Path.Combine(dir, "run")]);
            CliRunner.OneUsageLine(result, option[0], "resnet18-imagenet", "224×224");
        }
    }

    [Fact]
    public void A_fine_tuned_network_is_saved_with_the_model_and_predict_tags_from_the_folder_alone()
    {
        // Given four tagged images
        var (csv, images) = Photos();
        var run = Path.Combine(dir, "tuned");

        // When ResNet-18's last stage is fine-tuned on them for two steps, then the model tags them
        var trained = CliRunner.RunWith(null, environment, "train", csv, "--images", images, "--model", "resnet18-imagenet", "--fine-tune", "last-block",
            "--head", "sigmoid", "--steps", "2", "--batch-size", "4", "--hidden", "16", "--validation", "0", "--eval-every", "0", "--out", run, "--json");
        Assert.True(trained.ExitCode == 0, trained.Err);
        var predicted = CliRunner.RunWith(null, environment, "predict", run, csv, "--images", images, "--top", "2", "--json");

        // Then the manifest records the fine-tuning and pixel input, the weights hold the network, no features were
        // extracted or stored, and every image gets two tags
        Assert.True(predicted.ExitCode == 0, predicted.Err);
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "model", "manifest.json"))))
        {
            var backbone = manifest.RootElement.GetProperty("backbone");
            Assert.Equal("last-block", backbone.GetProperty("fineTune").GetString());
            Assert.Equal([3, 224, 224], backbone.GetProperty("inputShape").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal("last-block", manifest.RootElement.GetProperty("options").GetProperty("fineTune").GetString());
        }
        Assert.True(File.Exists(Path.Combine(run, "model", "weights", "backbone.network.layer4.2.conv2.weight.npy")));
        Assert.DoesNotContain("features of", trained.Err + predicted.Err);
        Assert.False(Directory.Exists(Path.Combine(dir, "cache")));
        using var tags = JsonDocument.Parse(predicted.Out);
        Assert.Equal(4, tags.RootElement.GetArrayLength());
        foreach (var image in tags.RootElement.EnumerateArray()) Assert.Equal(2, image.GetProperty("labels").GetArrayLength());
    }

    [Fact]
    public void Fine_tuning_is_refused_without_the_pretrained_network_and_with_another_image_size()
    {
        var (csv, images) = Photos();
        var cnn = CliRunner.RunWith(null, environment, "train", csv, "--images", images, "--model", "cnn", "--fine-tune", "all", "--out", Path.Combine(dir, "run"));
        CliRunner.OneUsageLine(cnn, "--fine-tune", "resnet18-imagenet");
        var sized = CliRunner.RunWith(null, environment, "train", csv, "--images", images, "--model", "resnet18-imagenet", "--fine-tune", "all",
            "--image-size", "96", "--out", Path.Combine(dir, "run"));
        CliRunner.OneUsageLine(sized, "--image-size", "224×224");
        var features = CliRunner.RunWith(null, environment, "train", csv, "--fine-tune", "all", "--out", Path.Combine(dir, "run"));
        CliRunner.OneUsageLine(features, "--fine-tune", "--images");
    }
}
