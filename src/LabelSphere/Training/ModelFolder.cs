using System.Text.Json;
using System.Text.Json.Serialization;
using LabelSphere.Data;
using LabelSphere.Embedding;
using LabelSphere.IO;
using LabelSphere.Text;
using LabelSphere.Training.Images;

namespace LabelSphere.Training;

/// <summary>A saved model that cannot be loaded: what is wrong and in which file.</summary>
public sealed class ModelFormatException(string message) : Exception(message);

/// <summary>How a saved model was trained and how well it did.</summary>
/// <param name="Steps">Optimizer steps.</param>
/// <param name="TrainingInstances">Instances it trained on.</param>
/// <param name="EmptyTrainingInstances">Training instances without labels (zero target, no gradient under the cosine loss).</param>
/// <param name="ExamplesPerSecond">Training throughput, over the time spent in training steps.</param>
/// <param name="TrainingSeconds">Time spent in training steps.</param>
/// <param name="Validation">The last measurement on the validation or test instances, if there were any.</param>
/// <param name="Parameters">Parameter counts of the body and of both heads.</param>
/// <param name="Data">Fingerprint of the training instances.</param>
/// <param name="LabelCounts">
/// [labels] training instances carrying each label, the N_l of propensity-scored precision and the frequencies of the
/// class-weighted MAP@100; null in models written before it was recorded.
/// </param>
public sealed record TrainingSummary(int Steps, int TrainingInstances, int EmptyTrainingInstances, double ExamplesPerSecond,
                                     double TrainingSeconds, ValidationMetrics? Validation, ParameterCounts Parameters, string Data,
                                     long[]? LabelCounts = null);

/// <summary>The manifest of a saved model: everything needed to rebuild the network and decode its outputs.</summary>
/// <param name="Format">Always <c>labelsphere.model</c>.</param>
/// <param name="FormatVersion">The version of this layout.</param>
/// <param name="Head">The head; its options (the joint head's weight and ranking) are in <paramref name="Options"/>.</param>
/// <param name="Backbone">The body.</param>
/// <param name="Outputs">The head's output width: k (embedding, cosine-logit), N (sigmoid) or k + N (joint).</param>
/// <param name="LabelNames">The N labels it was trained on, in id order (the first N rows of its embedding).</param>
/// <param name="Scaling">Feature scaling of the input, or null for inputs that are not feature vectors.</param>
/// <param name="Options">The training options; for an image model <see cref="TrainingOptions.Image"/> says how its images are decoded.</param>
/// <param name="Training">How training went.</param>
/// <param name="FeatureNames">
/// <see cref="FeatureTransform.HashNames"/> of the training features' names (ARFF attributes, an XC _features.txt); null where the data
/// has none or in models written before it was recorded. The feature count is the backbone's input shape.
/// </param>
/// <param name="Text">
/// How the model's text input is vectorised (its vocabulary in <c>vocabulary.txt</c>, one term a line in column order,
/// unless it hashes), or null for a model of feature vectors.
/// </param>
public sealed record ModelManifest(string Format, int FormatVersion, HeadKind Head, BackboneConfig Backbone, int Outputs,
                                   [property: JsonPropertyName("labels")] string[] LabelNames, [property: JsonPropertyName("features")] FeatureScaling? Scaling,
                                   TrainingOptions Options, TrainingSummary Training,
                                   string? FeatureNames = null, TextFeatureOptions? Text = null)
{
    /// <summary>k, the dimension of the embedding the head ranks by, or null for the sigmoid head.</summary>
    public int? EmbeddingDimension => Head switch
    {
        HeadKind.Sigmoid => null,
        HeadKind.Joint => Outputs - LabelNames.Length,
        _ => Outputs,
    };
}

/// <summary>
/// A model folder: <c>manifest.json</c> (<see cref="ModelManifest"/>), <c>weights/*.npy</c> (one float32 or int64
/// array per parameter or buffer), <c>idf.npy</c> (TF-IDF features only), <c>vocabulary.txt</c> (a model of text with
/// a vocabulary: its terms, one a line in column order) and <c>embedding/</c> (the label embedding,
/// whose rows beyond the trained labels are labels added zero-shot since). Written beside its target and renamed
/// into place.
/// </summary>
internal static class ModelFolder
{
    /// <summary>
    /// The format version written by this build (2: <c>head</c> in place of version 1's <c>loss</c>); loading accepts
    /// this version and version 1, whose <c>loss</c> cosine or sigmoid it reads as the embedding or sigmoid head.
    /// </summary>
    public const int FormatVersion = 2;

    /// <summary>The value of the manifest's <c>format</c> field.</summary>
    public const string Format = "labelsphere.model";

    const string ManifestFile = "manifest.json";
    const string WeightsFolder = "weights";
    const string IdfFile = "idf.npy";
    const string VocabularyFile = "vocabulary.txt";
    const string EmbeddingFolder = "embedding";

    /// <summary>The subfolder of a training output folder that holds the model.</summary>
    public const string ModelSubfolder = "model";

    /// <summary>
    /// The model folder <paramref name="path"/> names: the folder itself when it holds a model manifest, or its
    /// <c>model</c> subfolder (a <c>labelsphere train --out</c> folder); null when neither does.
    /// </summary>
    public static string? Find(string path)
    {
        if (IsModel(path)) return Path.GetFullPath(path);
        var inner = Path.Combine(path, ModelSubfolder);
        return IsModel(inner) ? Path.GetFullPath(inner) : null;
    }

    static bool IsModel(string folder)
    {
        var manifest = Path.Combine(folder, ManifestFile);
        if (!File.Exists(manifest)) return false;
        try
        {
            using var _ = JsonDocument.Parse(File.ReadAllBytes(manifest));
        }
        catch (JsonException e)
        {
            // A manifest.json that does not parse is reported as corrupt, not as missing.
            throw new ModelFormatException(JsonFileError.Describe(manifest, e));
        }
        return Kind.Recognises(folder);
    }

    /// <summary>What <see cref="Save"/> writes, recognised by its manifest.</summary>
    public static readonly OutputKind Kind = new("a model", OutputKind.ManifestFormat(Format), [ManifestFile, WeightsFolder, IdfFile, VocabularyFile, EmbeddingFolder]);

    /// <summary>
    /// Writes <paramref name="model"/> with its manifest, embedding and feature scaling to <paramref name="folder"/>,
    /// which is replaced only under <paramref name="options"/>' overwrite, and only when it is a model (<see cref="OutputFolder"/>).
    /// </summary>
    public static void Save(string folder, LabelModel model, ModelManifest manifest, LabelEmbedding? embedding, FeatureTransform? features,
                            OutputOptions? options = null)
    {
        if (manifest.Head.UsesEmbedding() && embedding is null) throw new ArgumentException($"a model with the {manifest.Head.Name()} head needs its embedding saved with it");
        // The manifest records the vectoriser the features carry, so that the two can never disagree.
        manifest = manifest with { Text = features?.Text?.Options };
        using var output = OutputFolder.Open(folder, Kind, options);
        output.Write(temp =>
        {
            // The embedding heads' label rows are the embedding's first rows, saved once, in the embedding folder.
            ModuleState.Save(model, Path.Combine(temp, WeightsFolder), embedding is null ? null : ModuleState.EmbeddingBuffers(model));
            if (features is { Scaling: FeatureScaling.TfIdf }) Npy.Write<float>(Path.Combine(temp, IdfFile), features.Idf, features.Columns);
            if (features?.Text?.Terms is { } terms) File.WriteAllLines(Path.Combine(temp, VocabularyFile), terms, new System.Text.UTF8Encoding(false));
            embedding?.Save(Path.Combine(temp, EmbeddingFolder));
            File.WriteAllBytes(Path.Combine(temp, ManifestFile), JsonSerializer.SerializeToUtf8Bytes(manifest, TrainingJson.Options));
        });
    }

    /// <summary>Reads and checks the manifest of the model folder <paramref name="folder"/>.</summary>
    public static ModelManifest ReadManifest(string folder)
    {
        var path = Path.Combine(folder, ManifestFile);
        if (!File.Exists(path)) throw new ModelFormatException($"{folder}: no {ManifestFile}; is this a model folder written by 'labelsphere train'?");
        ModelManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(Upgrade(File.ReadAllBytes(path)), TrainingJson.Options)
                ?? throw new ModelFormatException($"{path}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(JsonFileError.Describe(path, e));
        }
        if (manifest.Format != Format) throw new ModelFormatException($"{path}: field format: '{manifest.Format}' is not a LabelSphere model");
        if (manifest.FormatVersion != FormatVersion)
            throw new ModelFormatException($"{path}: field formatVersion: version {manifest.FormatVersion} is not supported (this build reads version {FormatVersion})");
        if (manifest.LabelNames is null || manifest.LabelNames.Length == 0) throw new ModelFormatException($"{path}: field labels: no labels");
        if (manifest.Backbone?.InputShape is null) throw new ModelFormatException($"{path}: field backbone: missing or without an input shape");
        if (manifest.Options is null || manifest.Training is null) throw new ModelFormatException($"{path}: options or training missing");
        if (manifest.Options.Image is { } image)
        {
            if (!manifest.Backbone.InputShape.SequenceEqual(image.InputShape()))
                throw new ModelFormatException(image.Pretrained is { } network
                    ? $"{path}: field backbone.inputShape: [{string.Join(", ", manifest.Backbone.InputShape)}] does not fit the {PretrainedNetworks.FeatureSize(network)} features of {PretrainedNetworks.Name(network)} (options.image.pretrained)"
                    : $"{path}: field backbone.inputShape: [{string.Join(", ", manifest.Backbone.InputShape)}] does not fit images of {image.Size}×{image.Size} pixels (options.image.size)");
            if (Backbones.Features(manifest.Backbone) != image.Pretrained)
                throw new ModelFormatException($"{path}: field options.image.pretrained: the {Backbones.Name(manifest.Backbone.Kind)} backbone does not take {(image.Pretrained is { } n ? PretrainedNetworks.Name(n) + " features" : "pixels")}");
            try
            {
                image.Validate();
            }
            catch (ArgumentException e)
            {
                throw new ModelFormatException($"{path}: field options.image: {e.Message}");
            }
        }
        if (manifest.Training.LabelCounts is { } counts)
        {
            if (counts.Length != manifest.LabelNames.Length)
                throw new ModelFormatException($"{path}: field training.labelCounts: {counts.Length} counts for {manifest.LabelNames.Length} labels");
            foreach (var c in counts)
                if (c < 0 || c > manifest.Training.TrainingInstances)
                    throw new ModelFormatException($"{path}: field training.labelCounts: {c} is not between 0 and the {manifest.Training.TrainingInstances} training instances");
        }
        bool fits = manifest.Head == HeadKind.Sigmoid ? manifest.Outputs == manifest.LabelNames.Length : manifest.EmbeddingDimension >= 1;
        if (!fits) throw new ModelFormatException($"{path}: field outputs: {manifest.Outputs} outputs do not fit a {manifest.Head.Name()} head over {manifest.LabelNames.Length} labels");
        return manifest;
    }

    // A version-1 manifest names its head by its loss (cosine or sigmoid): read it as the version-2 manifest it is.
    static byte[] Upgrade(byte[] json)
    {
        if (System.Text.Json.Nodes.JsonNode.Parse(json) is not System.Text.Json.Nodes.JsonObject root
            || root["formatVersion"] is not System.Text.Json.Nodes.JsonValue version || !version.TryGetValue<int>(out var v) || v != 1)
            return json;
        static void Rename(System.Text.Json.Nodes.JsonObject? node)
        {
            if (node is null || !node.TryGetPropertyValue("loss", out var loss) || loss is not System.Text.Json.Nodes.JsonValue value) return;
            node.Remove("loss");
            node["head"] = value.TryGetValue<string>(out var name) && name == "cosine" ? "embedding" : value.DeepClone();
        }
        Rename(root);
        Rename(root["options"] as System.Text.Json.Nodes.JsonObject);
        root["formatVersion"] = FormatVersion;
        return JsonSerializer.SerializeToUtf8Bytes(root);
    }

    /// <summary>
    /// Loads the embedding saved in a model folder (with any zero-shot labels added since), or null when the
    /// model has none; checks that its first rows are the trained labels.
    /// </summary>
    public static LabelEmbedding? ReadEmbedding(string folder, ModelManifest manifest)
    {
        var path = Path.Combine(folder, EmbeddingFolder);
        if (!Directory.Exists(path))
        {
            if (manifest.Head.UsesEmbedding()) throw new ModelFormatException($"{folder}: the {EmbeddingFolder} folder is missing; a model with the {manifest.Head.Name()} head ranks with it");
            return null;
        }
        var embedding = LabelEmbedding.Load(path);
        CheckExtends(embedding, manifest, path);
        return embedding;
    }

    /// <summary>Throws unless the first rows of <paramref name="embedding"/> are the model's trained labels, in order.</summary>
    public static void CheckExtends(LabelEmbedding embedding, ModelManifest manifest, string where)
    {
        int n = manifest.LabelNames.Length;
        if (embedding.LabelCount < n) throw new ModelFormatException($"{where}: has {embedding.LabelCount} labels; the model was trained on {n}");
        if (manifest.EmbeddingDimension is { } k && embedding.Dimension != k)
            throw new ModelFormatException($"{where}: has dimension {embedding.Dimension}; the model predicts {k}-dimensional points");
        for (int i = 0; i < n; i++)
            if (embedding.Vocabulary[i] != manifest.LabelNames[i])
                throw new ModelFormatException($"{where}: label {i} is '{embedding.Vocabulary[i]}'; the model's label {i} is '{manifest.LabelNames[i]}' (the model's labels must come first, in order)");
    }

    /// <summary>The feature scaling saved in a model folder, or null for a model whose input is not feature vectors.</summary>
    public static FeatureTransform? ReadFeatures(string folder, ModelManifest manifest)
    {
        if (manifest.Scaling is not { } scaling) return null;
        if (manifest.Backbone.InputShape.Length != 1) throw new ModelFormatException($"{folder}: feature scaling is set, but the input shape is not [features]");
        int columns = (int)manifest.Backbone.InputShape[0];
        float[]? idf = null;
        if (scaling == FeatureScaling.TfIdf)
        {
            var path = Path.Combine(folder, IdfFile);
            if (!File.Exists(path)) throw new ModelFormatException($"{path}: missing (TF-IDF scaling needs its idf weights)");
            try
            {
                var (data, shape) = Npy.Read<float>(path);
                if (shape.Length != 1 || shape[0] != columns) throw new ModelFormatException($"{path}: shape ({string.Join(", ", shape)}) is not ({columns},)");
                ModuleState.CheckFinite(data, path);
                idf = data;
            }
            catch (InvalidDataException e)
            {
                throw new ModelFormatException(e.Message);
            }
        }
        return FeatureTransform.FromParts(scaling, columns, idf, manifest.FeatureNames, ReadText(folder, manifest, columns));
    }

    /// <summary>The text vectoriser of a model trained on text, or null for a model of feature vectors.</summary>
    static TextVectorizer? ReadText(string folder, ModelManifest manifest, int columns)
    {
        if (manifest.Text is not { } options) return null;
        var manifestPath = Path.Combine(folder, ManifestFile);
        string[]? terms = null;
        if (options.HashWidth is null)
        {
            var path = Path.Combine(folder, VocabularyFile);
            if (!File.Exists(path)) throw new ModelFormatException($"{path}: missing (a model of text with a vocabulary needs its terms)");
            terms = File.ReadAllLines(path);
            if (terms.Length != columns)
                throw new ModelFormatException($"{path}: {terms.Length:N0} terms for the model's {columns:N0} features (backbone.inputShape)");
            if (manifest.FeatureNames is { } hash && FeatureTransform.HashNames(terms) != hash)
                throw new ModelFormatException($"{path}: the terms are not those the model was trained on (field featureNames of {manifestPath})");
        }
        else if (options.HashWidth != columns)
            throw new ModelFormatException($"{manifestPath}: field text.hashWidth: {options.HashWidth} columns for the model's {columns:N0} features (backbone.inputShape)");
        try
        {
            return TextVectorizer.FromParts(options, terms);
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"{manifestPath}: field text: {e.Message}");
        }
    }

    /// <summary>
    /// Builds the network a model folder describes and loads its weights. The embedding head's label rows are
    /// the first N rows of <paramref name="embedding"/>.
    /// </summary>
    public static LabelModel LoadNetwork(string folder, ModelManifest manifest, LabelEmbedding? embedding)
    {
        var model = LabelModel.Create(manifest.Backbone, manifest.Options with { Head = manifest.Head }, manifest.LabelNames.Length, embedding);
        try
        {
            ModuleState.Load(model, Path.Combine(folder, WeightsFolder), embedding is null ? null : ModuleState.EmbeddingBuffers(model));
            model.eval();
            return model;
        }
        catch (InvalidDataException e)
        {
            model.Dispose();
            throw new ModelFormatException(e.Message);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes a copy of the model folder <paramref name="folder"/> to <paramref name="output"/> (which may be the
    /// same folder) with <paramref name="embedding"/>, an extension of its embedding, in place of its own: how a label
    /// added zero-shot after training becomes one the model can predict. An existing <paramref name="output"/> is
    /// replaced only under <paramref name="options"/>' overwrite, and only when it is a model (<see cref="OutputFolder"/>).
    /// </summary>
    public static void ReplaceEmbedding(string folder, LabelEmbedding embedding, string output, OutputOptions? options = null)
    {
        var manifest = ReadManifest(folder);
        if (!manifest.Head.UsesEmbedding())
            throw new ArgumentException("the sigmoid baseline has one output per training label and cannot rank a label added after training; zero-shot labels need a model whose head uses the label embedding (embedding, cosine-logit or joint)");
        CheckExtends(embedding, manifest, "the new embedding");
        var source = Path.GetFullPath(folder);
        using var target = OutputFolder.Open(output, Kind, options);
        target.Write(temp =>
        {
            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(source, file);
                if (relative.StartsWith(EmbeddingFolder + Path.DirectorySeparatorChar, StringComparison.Ordinal)) continue;
                var target = Path.Combine(temp, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
            embedding.Save(Path.Combine(temp, EmbeddingFolder));
        });
    }
}
