using System.Text.Json;
using LabelSphere.Data;
using LabelSphere.Text;
using LabelSphere.Training;

namespace LabelSphere.Tests.Text;

public sealed class TextVectorizerTests
{
    static string TestData(string file) => Path.Combine(AppContext.BaseDirectory, "TestData", "text", file);

    /// <summary>The corpus as text data without labels, as a text reader gives it.</summary>
    static AnnotationSet AsTextData(string[] texts) => new(new LabelVocabulary(["x"]), Empty(texts.Length),
        new ReadReport("corpus", AnnotationFormat.Text, texts.Length, texts.Length, 0, []), texts: texts);

    static LabelMatrix Empty(int rows)
    {
        var builder = new LabelMatrixBuilder();
        for (int r = 0; r < rows; r++) builder.AddSortedRow([]);
        return builder.Build(1);
    }

    public static TheoryData<string> GoldenCases() => ["words", "bigrams_min_df_2_max_6", "bigrams_only", "hashing_16_bigrams"];

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void Tfidf_of_text_matches_scikit_learn_within_1e_6(string name)
    {
        // Given scikit-learn's TfidfVectorizer(sublinear_tf=True) (or HashingVectorizer + TfidfTransformer) fitted on
        // the first 8 texts of a small corpus and applied to all 12 (docs/scripts/tfidf_golden.py)
        using var golden = JsonDocument.Parse(File.ReadAllBytes(TestData("tfidf_golden.json")));
        var corpus = golden.RootElement.GetProperty("corpus").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var trainRows = golden.RootElement.GetProperty("trainRows").EnumerateArray().Select(r => r.GetInt32()).ToArray();
        var spec = golden.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        static int? Optional(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetInt32();
        var options = new TextFeatureOptions
        {
            NgramMin = spec.GetProperty("ngramMin").GetInt32(),
            NgramMax = spec.GetProperty("ngramMax").GetInt32(),
            MinDocumentFrequency = spec.GetProperty("minDf").GetInt32(),
            MaxFeatures = Optional(spec.GetProperty("maxFeatures")),
            HashWidth = Optional(spec.GetProperty("hashWidth")),
        };

        // When LabelSphere fits its vectoriser and TF-IDF scaling on the same rows and applies them to every text
        var (transform, features) = FeatureTransform.Fit(AsTextData(corpus), FeatureScaling.TfIdf, trainRows, options);

        // Then the vocabulary is scikit-learn's, in its order, and every weight agrees within 1e-6
        if (spec.GetProperty("vocabulary").ValueKind != JsonValueKind.Null)
            Assert.Equal(spec.GetProperty("vocabulary").EnumerateArray().Select(t => t.GetString()!), transform.Text!.Terms!);
        var expected = spec.GetProperty("matrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        Assert.Equal(expected[0].Length, transform.Columns);
        var row = new float[transform.Columns];
        for (int r = 0; r < corpus.Length; r++)
        {
            transform.Apply(features, r, row);
            for (int c = 0; c < row.Length; c++)
                Assert.True(Math.Abs(row[c] - expected[r][c]) <= 1e-6, $"row {r} ('{corpus[r]}'), column {c}: {row[c]} against scikit-learn's {expected[r][c]}");
        }
    }

    [Fact]
    public void Words_are_lower_cased_runs_of_two_or_more_letters_digits_or_underscores()
    {
        // Given text with capitals, punctuation, a one-letter word, digits, an underscore and accented letters
        var words = new List<string>();

        // When it is split
        TextVectorizer.Words("The CAT's 3.5% rise: gold_futures in Zürich, a café!", words);

        // Then it gives the words scikit-learn's default token pattern finds
        Assert.Equal(["the", "cat", "rise", "gold_futures", "in", "zürich", "café"], words);
    }

    [Fact]
    public void Words_unseen_in_training_rows_have_no_column()
    {
        // Given a vectoriser fitted on two rows of three
        string[] texts = ["red apple", "green apple", "blue sky"];
        var vectorizer = TextVectorizer.Fit(texts, new TextFeatureOptions(), [0, 1]);

        // When all three are vectorised
        var counts = vectorizer.Transform(texts);

        // Then the vocabulary holds the training words only, and the third row is empty
        Assert.Equal(["apple", "green", "red"], vectorizer.Terms!);
        Assert.Equal(0, counts.Offsets[3] - counts.Offsets[2]);
        Assert.Equal(["apple", "green", "red"], counts.Names!);
    }

    [Fact]
    public void Murmurhash3_matches_the_reference_vectors()
    {
        // Given the reference implementation's published values (seed 0 and seed 1 on "", seed 0 on "hello")
        // When hashed
        // Then they agree, as signed 32-bit integers
        Assert.Equal(0, TextVectorizer.MurmurHash3(""u8, 0));
        Assert.Equal(unchecked((int)0x514E28B7), TextVectorizer.MurmurHash3(""u8, 1));
        Assert.Equal(unchecked((int)0x248BFA47), TextVectorizer.MurmurHash3("hello"u8, 0));
    }

    [Theory]
    [InlineData(0, 1, 1, null, null, "NgramMin")]
    [InlineData(2, 1, 1, null, null, "NgramMax")]
    [InlineData(1, 1, 0, null, null, "MinDocumentFrequency")]
    [InlineData(1, 1, 1, 0, null, "MaxFeatures")]
    [InlineData(1, 1, 1, null, 0, "HashWidth")]
    [InlineData(1, 1, 1, 10, 64, "HashWidth")]
    [InlineData(1, 1, 2, null, 64, "HashWidth")]
    public void Options_out_of_range_or_in_contradiction_are_refused_naming_the_option(int min, int max, int minDf, int? maxFeatures, int? hash, string param)
    {
        // Given options with one value out of range, or hashing together with a vocabulary limit
        var options = new TextFeatureOptions { NgramMin = min, NgramMax = max, MinDocumentFrequency = minDf, MaxFeatures = maxFeatures, HashWidth = hash };

        // When they are validated
        var error = Assert.ThrowsAny<ArgumentException>(options.Validate);

        // Then the error names the option at fault
        Assert.Equal(param, error.ParamName);
    }

    [Fact]
    public void A_minimum_document_frequency_no_term_reaches_is_refused()
    {
        // Given two texts without a common word
        // When a vocabulary is fitted keeping words of at least 2 texts
        var error = Assert.Throws<ArgumentException>(() => TextVectorizer.Fit(["red apple", "blue sky"], new TextFeatureOptions { MinDocumentFrequency = 2 }));

        // Then the error says so and names the option
        Assert.Equal(nameof(TextFeatureOptions.MinDocumentFrequency), error.ParamName);
        Assert.Contains("in at least 2 of them", error.Message);
    }

    [Fact]
    public void A_transform_fitted_on_text_refuses_feature_vectors_and_one_fitted_on_vectors_refuses_text()
    {
        // Given a transform fitted on text and one fitted on feature vectors
        var text = AsTextData(["red apple", "green apple"]);
        var (textTransform, _) = FeatureTransform.Fit(text, FeatureScaling.TfIdf);
        var builder = new FeatureMatrixBuilder();
        builder.Add(0, 1);
        builder.EndRow();
        builder.Add(2, 1);
        builder.EndRow();
        var vectors = new AnnotationSet(new LabelVocabulary(["x"]), Empty(2), new ReadReport("vectors.svm", AnnotationFormat.Libsvm, 2, 2, 0, []),
            builder.Build(3, columnsInferred: true));
        var (vectorTransform, _) = FeatureTransform.Fit(vectors, FeatureScaling.TfIdf);

        // When each is given the other kind of data
        var refusedVectors = Assert.Throws<ArgumentException>(() => textTransform.Input(vectors));
        var refusedText = Assert.Throws<ArgumentException>(() => vectorTransform.Input(text));

        // Then each refusal names the file and says what the model takes
        Assert.StartsWith("vectors.svm: holds feature vectors; the model was trained on text (a vocabulary of 3 terms)", refusedVectors.Message);
        Assert.StartsWith("corpus: holds text; the model was trained on feature vectors of 3 features", refusedText.Message);
    }

    [Fact]
    public void Libsvm_rows_fit_a_wider_feature_space_but_not_a_narrower_one()
    {
        // Given a transform of 5 features, and LIBSVM data whose largest index is 3, then 6
        var builder = new FeatureMatrixBuilder();
        builder.Add(4, 1);
        builder.EndRow();
        var transform = FeatureTransform.Fit(builder.Build(5), FeatureScaling.L2);
        FeatureMatrix Libsvm(int columns)
        {
            var b = new FeatureMatrixBuilder();
            b.Add(columns - 1, 1);
            b.EndRow();
            return b.Build(columns, columnsInferred: true);
        }

        // When each is checked against the model's feature space
        transform.CheckFeatures(Libsvm(3), "narrow.svm");
        var error = Assert.Throws<ArgumentException>(() => transform.CheckFeatures(Libsvm(6), "wide.svm"));

        // Then the narrower data is accepted (a LIBSVM file declares no count) and the wider refused
        Assert.Contains("wide.svm: uses feature 6; the model was trained on 5 features", error.Message);
    }
}
