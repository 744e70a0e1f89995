using System.Text.Json;
using System.Text.Json.Nodes;

namespace LabelSphere.Tests.Cli;

[Collection(TorchCollection.Name)]
public sealed class PackVerbTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    string Pack(string data, string name, params string[] more)
    {
        var path = Path.Combine(dir, name);
        var packed = CliRunner.Run(["pack", data, "--out", path, "--json", .. more]);
        Assert.True(packed.ExitCode == 0, packed.Err);
        return path;
    }

    static string[] Train(string data, string output) =>
        ["train", data, "--head", "sigmoid", "--out", output, "--epochs", "1", "--batch-size", "16", "--hidden", "8", "--validation", "0", "--json"];

    [Fact]
    public void Train_on_a_pack_gives_the_model_training_on_the_file_gives_and_evaluate_measures_the_pack_as_the_file()
    {
        // Given a file of 150 instances, and its pack
        var data = CliFixtures.WriteExtremeText(dir, "syn", 150, 7);
        var pack = Pack(data, "pack");

        // When the same run trains on each, and each model is evaluated on the other's data
        var fromFile = CliRunner.Run(Train(data, Path.Combine(dir, "file-run")));
        var fromPack = CliRunner.Run(Train(pack, Path.Combine(dir, "pack-run")));
        Assert.True(fromFile.ExitCode == 0, fromFile.Err);
        Assert.True(fromPack.ExitCode == 0, fromPack.Err);
        var onFile = CliRunner.Run("evaluate", Path.Combine(dir, "pack-run"), data, "--json");
        var onPack = CliRunner.Run("evaluate", Path.Combine(dir, "pack-run"), pack, "--json");

        // Then the weights are the same bytes, and the pack scores as the file does
        foreach (var file in Directory.GetFiles(Path.Combine(dir, "file-run", "model", "weights")))
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(dir, "pack-run", "model", "weights", Path.GetFileName(file))));
        Assert.True(onPack.ExitCode == 0, onPack.Err);
        using var a = JsonDocument.Parse(onFile.Out);
        using var b = JsonDocument.Parse(onPack.Out);
        Assert.Equal(a.RootElement.GetProperty("paperMap").GetDouble(), b.RootElement.GetProperty("paperMap").GetDouble());
    }

    [Fact]
    public void Generate_writes_packs_that_train_reads_with_the_test_pack_as_held_out_data()
    {
        // Given a synthetic world written as packs in shards of 100 rows
        var world = Path.Combine(dir, "world");
        var generated = CliRunner.Run("generate", "--out", world, "--instances", "300", "--test-instances", "80", "--label-count", "20", "--feature-dim", "8", "--pack", "--shard-rows", "100", "--json");
        Assert.True(generated.ExitCode == 0, generated.Err);

        // When a model trains on train/ measured on test/
        var run = CliRunner.Run(["train", Path.Combine(world, "train"), "--test", Path.Combine(world, "test"), "--head", "sigmoid", "--out", Path.Combine(dir, "run"),
            "--epochs", "1", "--hidden", "8", "--json"]);

        // Then it trained on the 300 instances of the three shards and measured the 80
        Assert.True(run.ExitCode == 0, run.Err);
        using var summary = JsonDocument.Parse(run.Out);
        Assert.Equal(300, summary.RootElement.GetProperty("trainingInstances").GetInt32());
        Assert.Equal(80, summary.RootElement.GetProperty("validationInstances").GetInt32());
        Assert.Equal(3, Directory.GetFiles(Path.Combine(world, "train", "shards")).Length);
    }

    [Fact]
    public void A_pack_is_not_split_for_validation_and_says_what_to_give_instead()
    {
        var pack = Pack(CliFixtures.WriteExtremeText(dir, "syn", 60, 7), "pack");
        var run = CliRunner.Run("train", pack, "--head", "sigmoid", "--out", Path.Combine(dir, "run"), "--steps", "2");
        CliRunner.OneErrorLine(run, "--validation", pack, "is not split for validation");
    }

    [Fact]
    public void A_truncated_shard_is_refused_in_one_line_naming_the_file_and_its_rows()
    {
        // Given a pack of three shards whose second lost its last bytes
        var pack = Pack(CliFixtures.WriteExtremeText(dir, "syn", 150, 7), "pack", "--shard-rows", "50");
        var shard = Path.Combine(pack, "shards", "00001.f32");
        using (var file = new FileStream(shard, FileMode.Open)) file.SetLength(file.Length - 10);

        // When a model trains on it, then the run stops before training, naming the shard and its rows
        CliRunner.OneErrorLine(CliRunner.Run(Train(pack, Path.Combine(dir, "run"))), shard, "shard 1, rows 50-99", "truncated");
    }

    [Fact]
    public void A_shard_whose_bytes_changed_is_refused_in_one_line_naming_the_file_when_training_reaches_it()
    {
        // Given a pack of three shards with one byte of the third changed (its size unchanged)
        var pack = Pack(CliFixtures.WriteExtremeText(dir, "syn", 150, 7), "pack", "--shard-rows", "50");
        var shard = Path.Combine(pack, "shards", "00002.f32");
        var bytes = File.ReadAllBytes(shard);
        bytes[17] ^= 0x40;
        File.WriteAllBytes(shard, bytes);

        // When a model trains on it for an epoch, then the run stops naming the shard
        CliRunner.OneErrorLine(CliRunner.Run(Train(pack, Path.Combine(dir, "run"))), shard, "shard 2, rows 100-149", "SHA-256");
    }

    [Fact]
    public void A_pack_of_another_format_version_is_refused_naming_its_manifest()
    {
        var pack = Pack(CliFixtures.WriteExtremeText(dir, "syn", 60, 7), "pack");
        var manifest = Path.Combine(pack, "pack.json");
        var json = JsonNode.Parse(File.ReadAllText(manifest))!;
        json["formatVersion"] = 2;
        File.WriteAllText(manifest, json.ToJsonString());
        CliRunner.OneErrorLine(CliRunner.Run(Train(pack, Path.Combine(dir, "run"))), manifest, "format version 2", "reads version 1");
    }

    [Fact]
    public void Evaluating_a_model_on_a_pack_of_another_width_is_refused_naming_the_pack()
    {
        // Given a model of the 40 features of the synthetic data, and a pack of 8 features
        var data = CliFixtures.WriteExtremeText(dir, "syn", 60, 7);
        Assert.Equal(0, CliRunner.Run(Train(data, Path.Combine(dir, "run"))).ExitCode);
        var world = Path.Combine(dir, "world");
        Assert.Equal(0, CliRunner.Run("generate", "--out", world, "--instances", "50", "--test-instances", "0", "--label-count", "12", "--feature-dim", "8", "--pack").ExitCode);

        // When the model is evaluated on the pack, then it is refused in one line naming the pack and both widths
        CliRunner.OneErrorLine(CliRunner.Run("evaluate", Path.Combine(dir, "run"), Path.Combine(world, "train")), Path.Combine(world, "train"), "has 8 features", "trained on 40");
    }

    [Fact]
    public void A_folder_left_by_a_killed_pack_does_not_load_and_the_next_pack_clears_it()
    {
        // Given what a pack killed before its last rename leaves: the staged folder beside the target, no target
        var pack = Pack(CliFixtures.WriteExtremeText(dir, "syn", 60, 7), "pack");
        var staged = Path.Combine(dir, ".pack.tmp-0123456789abcdef0123456789abcdef");
        Directory.Move(pack, staged);

        // When a model trains on the target, it is refused (there is none); when the data is packed again, the staged folder is gone
        Assert.Equal(1, CliRunner.Run(Train(pack, Path.Combine(dir, "run"))).ExitCode);
        Pack(Path.Combine(dir, "syn_data.txt"), "pack");
        Assert.False(Directory.Exists(staged));
    }

    [Fact]
    public void A_pack_of_text_keeps_its_vectoriser_and_trains_the_model_of_text_training_on_the_file_gives()
    {
        // Given 40 short documents of two topics, and their pack (word pairs as terms)
        var path = Path.Combine(dir, "docs.txt");
        var topics = new[] { "sports", "music" };
        File.WriteAllLines(path, Enumerable.Range(0, 40).Select(i => $"{topics[i % 2]}\t{(i % 2 == 0 ? "match goal team" : "guitar album song")} word{i % 7}"));
        var pack = Pack(path, "pack", "--ngram-max", "2");

        // When a model trains on the pack and one on the file, with the same options
        var fromFile = CliRunner.Run([.. Train(path, Path.Combine(dir, "file-run")), "--ngram-max", "2"]);
        var fromPack = CliRunner.Run(Train(pack, Path.Combine(dir, "pack-run")));
        Assert.True(fromFile.ExitCode == 0, fromFile.Err);
        Assert.True(fromPack.ExitCode == 0, fromPack.Err);

        // Then the pack's model has the file's terms and weights, and it ranks raw text
        Assert.Equal(File.ReadAllLines(Path.Combine(dir, "file-run", "model", "vocabulary.txt")), File.ReadAllLines(Path.Combine(dir, "pack-run", "model", "vocabulary.txt")));
        foreach (var file in Directory.GetFiles(Path.Combine(dir, "file-run", "model", "weights")))
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(dir, "pack-run", "model", "weights", Path.GetFileName(file))));
        var predicted = CliRunner.Run("predict", Path.Combine(dir, "pack-run"), path, "--top", "1");
        Assert.True(predicted.ExitCode == 0, predicted.Err);
    }
}
