using System.Globalization;
using System.Text;
using System.Text.Json;
using LabelSphere.Data;
using LabelSphere.Text;

namespace LabelSphere.Tests.Cli;

/// <summary>
/// The synthetic topics corpus (TestData/text, docs/scripts/text_topics.py) embedded, trained on as raw text and as
/// the same text vectorised into a LIBSVM file, once for all the tests of <see cref="TextVerbsTests"/>.
/// </summary>
public sealed class TextRuns : IDisposable
{
    public readonly string Dir = CliRunner.TempFolder();

    public TextRuns()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestData", "text");
        TrainText = Path.Combine(folder, "topics_train.txt");
        TestText = Path.Combine(folder, "topics_test.tsv");
        Embedding = Path.Combine(Dir, "embedding");
        Run(["embed", TrainText, "--dim", "4", "--out", Embedding]);

        // The same instances as term counts over the vocabulary the CLI fits (defaults: words, every term of the training rows)
        var train = AnnotationReader.Read(TrainText);
        var test = AnnotationReader.Read(TestText);
        var vectorizer = TextVectorizer.Fit(train.Texts!, new TextFeatureOptions());
        TrainLibsvm = WriteLibsvm("topics_train.svm", train, vectorizer);
        TestLibsvm = WriteLibsvm("topics_test.svm", test, vectorizer);

        TextModel = Train("text-run", TrainText);
        LibsvmModel = Train("libsvm-run", TrainLibsvm);
    }

    public string TrainText { get; }
    public string TestText { get; }
    public string TrainLibsvm { get; }
    public string TestLibsvm { get; }
    public string Embedding { get; }
    public string TextModel { get; }
    public string LibsvmModel { get; }

    string WriteLibsvm(string name, AnnotationSet set, TextVectorizer vectorizer)
    {
        var counts = vectorizer.Transform(set.Texts!);
        var text = new StringBuilder();
        for (int r = 0; r < set.Count; r++)
        {
            var labels = set.Labels.Row(r).ToArray().Select(id => set.Vocabulary[id]);
            text.Append(string.Join(',', labels));
            for (long k = counts.Offsets[r]; k < counts.Offsets[r + 1]; k++)
                text.Append(CultureInfo.InvariantCulture, $" {counts.Indices[(int)k] + 1}:{counts.Values[(int)k]}");
            text.Append('\n');
        }
        var path = Path.Combine(Dir, name);
        File.WriteAllText(path, text.ToString());
        return path;
    }

    string Train(string name, string data)
    {
        var run = Path.Combine(Dir, name);
        Run(["train", data, "--embedding", Embedding, "--hidden", "32", "--steps", "150", "--validation", "0", "--seed", "3", "--out", run]);
        return run;
    }

    static void Run(string[] args)
    {
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode == 0, $"labelsphere {string.Join(' ', args)}: {result.Err}");
    }

    public void Dispose() => Directory.Delete(Dir, true);
}

/// <summary>Text in, ranked labels out: embed, train and predict on raw text, with the vectoriser saved in the model.</summary>
[Collection(TorchCollection.Name)]
public sealed class TextVerbsTests(TextRuns runs) : IClassFixture<TextRuns>
{
    [Fact]
    public void A_model_trained_on_raw_text_ranks_the_right_topic_first_for_most_test_documents()
    {
        // Given a model trained on 200 labelled documents of five topics, and 60 held-out documents as raw text
        // When predict ranks the held-out documents' labels
        var result = CliRunner.Run("predict", runs.TextModel, runs.TestText, "--top", "1", "--json");

        // Then the label ranked first is one of the document's topics for at least 54 of the 60 (a vectoriser that
        // loses the words, or applies another vocabulary than training's, leaves chance: about 1 in 4)
        Assert.True(result.ExitCode == 0, result.Err);
        var truth = File.ReadAllLines(runs.TestText).Select(l => l.Split('\t')[0].Split(' ')).ToArray();
        using var json = JsonDocument.Parse(result.Out);
        int right = 0, ranked = 0;
        foreach (var instance in json.RootElement.EnumerateArray())
        {
            int row = int.Parse(instance.GetProperty("instance").GetString()!, CultureInfo.InvariantCulture);
            var first = instance.GetProperty("labels")[0].GetProperty("label").GetString();
            ranked++;
            if (truth[row].Contains(first)) right++;
        }
        Assert.Equal(60, ranked);
        Assert.True(right >= 54, $"{right} of 60 documents have one of their topics at rank 1");
    }

    [Fact]
    public void Predict_on_text_gives_the_scores_of_a_model_trained_on_the_same_text_vectorised()
    {
        // Given one model trained on the raw text and one on its term counts written as LIBSVM, with the same options and seed
        // When each predicts its own form of the held-out documents
        var fromText = CliRunner.Run("predict", runs.TextModel, runs.TestText, "--top", "5");
        var fromCounts = CliRunner.Run("predict", runs.LibsvmModel, runs.TestLibsvm, "--top", "5");

        // Then the ranked labels and their scores are identical: the saved vectoriser gives the network what training gave it
        Assert.True(fromText.ExitCode == 0, fromText.Err);
        Assert.True(fromCounts.ExitCode == 0, fromCounts.Err);
        Assert.Equal(301, fromText.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(fromCounts.Out, fromText.Out);
    }

    [Fact]
    public void The_model_folder_holds_the_vocabulary_and_the_manifest_records_the_vectoriser()
    {
        // Given the model trained on text
        var model = Path.Combine(runs.TextModel, "model");

        // When its folder is read
        var terms = File.ReadAllLines(Path.Combine(model, "vocabulary.txt"));
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(model, "manifest.json")));

        // Then the vocabulary is sorted, one term per input feature, and the manifest says how text was vectorised
        Assert.Equal(terms.Order(StringComparer.Ordinal), terms);
        Assert.Equal(terms.Length, manifest.RootElement.GetProperty("backbone").GetProperty("inputShape")[0].GetInt32());
        var text = manifest.RootElement.GetProperty("text");
        Assert.Equal(1, text.GetProperty("ngramMax").GetInt32());
        Assert.Equal(JsonValueKind.Null, text.GetProperty("hashWidth").ValueKind);
    }

    [Fact]
    public void A_model_of_text_refuses_feature_vectors_and_a_model_of_vectors_refuses_text_in_one_line()
    {
        // Given the model trained on text and the one trained on vectors
        // When each is given the other kind of data, by predict and by evaluate
        foreach (var verb in new[] { "predict", "evaluate" })
        {
            var vectorsToText = CliRunner.Run(verb, runs.TextModel, runs.TestLibsvm);
            var textToVectors = CliRunner.Run(verb, runs.LibsvmModel, runs.TestText);

            // Then each refuses in one line naming the file and what the model takes, and writes nothing on standard output
            CliRunner.OneErrorLine(vectorsToText, runs.TestLibsvm, "holds feature vectors; the model was trained on text");
            CliRunner.OneErrorLine(textToVectors, runs.TestText, "holds text; the model was trained on feature vectors");
            Assert.Equal("", vectorsToText.Out);
            Assert.Equal("", textToVectors.Out);
        }
    }

    [Fact]
    public void Evaluate_measures_a_model_of_text_on_raw_text()
    {
        // Given the model trained on text and the held-out documents
        // When evaluate measures it
        var result = CliRunner.Run("evaluate", runs.TextModel, runs.TestText, "--json");

        // Then it measures the 60 documents, with a mean average precision of at least 0.9 (chance is about 0.5 for
        // five topics and 1.3 labels a document)
        Assert.True(result.ExitCode == 0, result.Err);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal(60, json.RootElement.GetProperty("instances").GetInt32());
        Assert.InRange(json.RootElement.GetProperty("meanAveragePrecision").GetDouble(), 0.9, 1.0);
    }

    [Fact]
    public void Training_on_text_with_hashing_and_bigrams_saves_no_vocabulary_and_predicts_text()
    {
        // Given the topics corpus trained with word pairs hashed into 256 features
        var run = Path.Combine(runs.Dir, "hashed");
        var trained = CliRunner.Run("train", runs.TrainText, "--embedding", runs.Embedding, "--hidden", "16", "--steps", "20",
            "--validation", "0", "--ngram-max", "2", "--hash-width", "256", "--out", run);
        Assert.True(trained.ExitCode == 0, trained.Err);

        // When it predicts the held-out text
        var predicted = CliRunner.Run("predict", run, runs.TestText, "--top", "2");

        // Then the model takes 256 features, keeps no vocabulary file, and ranks every document
        Assert.True(predicted.ExitCode == 0, predicted.Err);
        Assert.False(File.Exists(Path.Combine(run, "model", "vocabulary.txt")));
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(run, "model", "manifest.json")));
        Assert.Equal(256, manifest.RootElement.GetProperty("backbone").GetProperty("inputShape")[0].GetInt32());
        Assert.Equal(121, predicted.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void The_vocabulary_is_learnt_from_the_training_rows_and_not_the_validation_split()
    {
        // Given 40 documents, each with a word of its own ("only0", "only1", ...) besides its topic's words
        var path = Path.Combine(runs.Dir, "own-words.txt");
        var topics = new[] { "sports", "music" };
        File.WriteAllLines(path, Enumerable.Range(0, 40).Select(i =>
            $"{topics[i % 2]}\t{(i % 2 == 0 ? "match goal team" : "guitar album song")} only{i}"));

        // When it trains with a quarter held out for validation (seed 5)
        var run = Path.Combine(runs.Dir, "own-words-run");
        var trained = CliRunner.Run("train", path, "--head", "sigmoid", "--hidden", "4", "--steps", "2", "--validation", "0.25",
            "--seed", "5", "--out", run);

        // Then the vocabulary holds the own words of the training rows and none of the validation rows'
        Assert.True(trained.ExitCode == 0, trained.Err);
        var (train, validation) = LabelSphere.Training.InstanceSources.SplitRows(40, 0.25, 5);
        var terms = File.ReadAllLines(Path.Combine(run, "model", "vocabulary.txt")).Where(t => t.StartsWith("only", StringComparison.Ordinal));
        Assert.Equal(train.Select(i => $"only{i}").Order(StringComparer.Ordinal), terms);
        Assert.NotEmpty(validation);
    }

    [Fact]
    public void A_0_based_libsvm_file_read_as_1_based_names_the_zero_based_option()
    {
        // Given a LIBSVM file with index 0, as scikit-learn writes them
        var path = Path.Combine(runs.Dir, "zero.svm");
        File.WriteAllText(path, "a 0:1 2:1\nb 1:1\n");

        // When embed reads it without and with --zero-based
        var refused = CliRunner.Run("embed", path, "--dim", "1", "--out", Path.Combine(runs.Dir, "zero-emb"));
        var accepted = CliRunner.Run("embed", path, "--dim", "1", "--zero-based", "--out", Path.Combine(runs.Dir, "zero-emb"));

        // Then the first is one line naming the file, the line, the field and the option; the second reads it
        CliRunner.OneErrorLine(refused, $"{path}:1: features: feature index 0", "(--zero-based)");
        Assert.True(accepted.ExitCode == 0, accepted.Err);
    }

    [Theory]
    [InlineData("--ngram-max", "0", "--ngram-max")]
    [InlineData("--min-df", "0", "--min-df")]
    [InlineData("--hash-width", "0", "--hash-width")]
    public void A_vectoriser_option_out_of_range_is_one_usage_line_naming_it(string option, string value, string named)
    {
        // Given a training command line with a vectoriser option out of range
        // When it runs
        var result = CliRunner.Run("train", runs.TrainText, "--embedding", runs.Embedding, option, value, "--out", Path.Combine(runs.Dir, "never"));

        // Then it is a usage error in one line naming the option, before training
        CliRunner.OneUsageLine(result, named);
        Assert.False(Directory.Exists(Path.Combine(runs.Dir, "never")));
    }
}
