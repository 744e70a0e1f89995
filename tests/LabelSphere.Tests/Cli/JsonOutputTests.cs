using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LabelSphere.Tests.Cli;

/// <summary>
/// JSON, printed with --json or written into folders, spells enum values as the command line does (kebab case), and
/// folders written with the earlier camel-case spelling still load.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed partial class JsonOutputTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    [GeneratedRegex("^[a-z]+[A-Z][A-Za-z0-9]*$")]
    private static partial Regex CamelCase();

    // Every string value of a JSON document (not the property names, which are camel case by design).
    static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };

    [Fact]
    public void Embed_prints_and_writes_enum_values_in_kebab_case_and_explained_by_k_as_an_object()
    {
        // Given a long CSV, when it is embedded with --json
        var data = Path.Combine(dir, "tags.csv");
        File.WriteAllLines(data, ["image,label", "a,x", "a,y", "b,y", "b,z", "c,x", "c,z", "d,x", "d,y"]);
        var embed = CliRunner.Run("embed", data, "--dim", "2", "--out", Path.Combine(dir, "emb"), "--json");
        Assert.True(embed.ExitCode == 0, embed.Err);

        // Then the summary names the format and solver as --format and --solver take them, and maps each k to its share
        using var summary = JsonDocument.Parse(embed.Out);
        Assert.Equal("long-csv", summary.RootElement.GetProperty("format").GetString());
        Assert.Equal("exact", summary.RootElement.GetProperty("solver").GetString());
        var byK = summary.RootElement.GetProperty("explainedByK");
        Assert.Equal(JsonValueKind.Object, byK.ValueKind);
        Assert.Equal(["1", "2"], byK.EnumerateObject().Select(p => p.Name));
        Assert.Equal(summary.RootElement.GetProperty("explainedAtK").GetDouble(), byK.GetProperty("2").GetDouble());

        // and the folder's manifest holds no camel-case value
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "emb", "manifest.json")));
        Assert.Equal("self-information", manifest!["options"]!["pmi"]!["diagonal"]!.GetValue<string>());
        Assert.DoesNotContain(Strings(manifest), s => CamelCase().IsMatch(s));
    }

    [Fact]
    public void A_model_manifest_spells_options_as_the_command_line_and_one_in_the_old_spelling_still_predicts()
    {
        // Given a trained model
        var train = CliFixtures.WriteExtremeText(dir, "syn", 80, 7);
        var run = Path.Combine(dir, "run");
        var trained = CliRunner.Run("train", train, "--head", "sigmoid", "--out", run, "--steps", "4", "--hidden", "8", "--json");
        Assert.True(trained.ExitCode == 0, trained.Err);

        // Then its manifest spells the options as --features, --optimizer and --keep take them
        var path = Path.Combine(run, "model", "manifest.json");
        var text = File.ReadAllText(path);
        var manifest = JsonNode.Parse(text)!;
        Assert.Equal("tf-idf", manifest["options"]!["features"]!.GetValue<string>());
        Assert.Equal("rmsprop", manifest["options"]!["optimizer"]!.GetValue<string>());
        Assert.DoesNotContain(Strings(manifest), s => CamelCase().IsMatch(s));

        // When the manifest is rewritten in the spelling of earlier versions (tfIdf, rmsProp), then the model still predicts
        var old = text.Replace("\"tf-idf\"", "\"tfIdf\"").Replace("\"rmsprop\"", "\"rmsProp\"");
        Assert.NotEqual(text, old);
        File.WriteAllText(path, old);
        var predicted = CliRunner.Run("predict", run, train, "--top", "2", "--json");
        Assert.True(predicted.ExitCode == 0, predicted.Err);
    }

    [Fact]
    public void An_embedding_folder_in_the_old_spelling_still_loads()
    {
        // Given an embedding whose manifest is rewritten as earlier versions wrote it (selfInformation, Exact)
        var data = Path.Combine(dir, "tags.csv");
        File.WriteAllLines(data, ["image,label", "a,x", "a,y", "b,y", "b,z", "c,x", "c,z"]);
        var emb = Path.Combine(dir, "emb");
        Assert.Equal(0, CliRunner.Run("embed", data, "--dim", "2", "--out", emb).ExitCode);
        var path = Path.Combine(emb, "manifest.json");
        var text = File.ReadAllText(path);
        var old = text.Replace("\"self-information\"", "\"selfInformation\"").Replace("\"solver\": \"exact\"", "\"solver\": \"Exact\"");
        Assert.NotEqual(text, old);
        File.WriteAllText(path, old);

        // When its neighbours are asked for, then they come
        var neighbors = CliRunner.Run("neighbors", emb, "x", "--json");
        Assert.True(neighbors.ExitCode == 0, neighbors.Err);
    }
}
