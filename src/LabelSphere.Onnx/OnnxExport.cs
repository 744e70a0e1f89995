using System.Reflection;
using System.Text.Json;
using Google.Protobuf;
using LabelSphere.Embedding;
using LabelSphere.IO;
using LabelSphere.Training;
using LabelSphere.Training.Images;
using Onnx;

namespace LabelSphere.Onnx;

/// <summary>What <see cref="OnnxExport.Export"/> wrote.</summary>
/// <param name="Path">The ONNX file.</param>
/// <param name="Features">Width of its input <c>features</c>; null for a model of images, whose input is <c>pixels</c>.</param>
/// <param name="Labels">Width of its output <c>scores</c>: the labels it ranks (trained and added zero-shot).</param>
/// <param name="Top">Width of its outputs <c>top_indices</c>, <c>top_scores</c> and <c>top_labels</c>.</param>
/// <param name="Bytes">Size of the file.</param>
/// <param name="ImageSide">For a model of images: the side of the square images its input <c>pixels</c> takes.</param>
public sealed record OnnxExportResult(string Path, int? Features, int Labels, int Top, long Bytes, int? ImageSide = null);

/// <summary>The ONNX file to write exists, and replacing it was not asked for.</summary>
public sealed class OnnxTargetExistsException(string path) : IOException($"{path}: already exists")
{
    /// <summary>The file.</summary>
    public string Path { get; } = path;
}

/// <summary>
/// A LabelSphere model as one ONNX graph (opset 17), computing exactly what <c>LabelClassifier.PredictBatch</c> does:
/// input <c>features</c> float [batch, F], the raw dense feature vectors (unscaled; NaN counts as 0); the feature scaling
/// recorded with the model (TF-IDF: (1 + ln tf)·idf for positive values, then L2 normalisation); the MLP body (Gemm and
/// Relu per hidden layer; dropout is absent at inference); the head's scores over every label the model ranks, labels
/// added zero-shot included; and the top p. Outputs: <c>scores</c> float [batch, L], <c>top_indices</c> int64 [batch, p],
/// <c>top_scores</c> float [batch, p], <c>top_labels</c> string [batch, p]. The label names, head, embedding dimension,
/// feature scaling and LabelSphere version are in the model's metadata (keys <c>labelsphere.*</c>).
/// </summary>
public static class OnnxExport
{
    /// <summary>The producer name written into every exported model (and looked for before one is overwritten).</summary>
    public const string Producer = "LabelSphere";

    /// <summary>
    /// Exports the model in <paramref name="modelPath"/> (a model folder or a training run holding one) to the ONNX file
    /// <paramref name="output"/>, ranking the top <paramref name="top"/> labels. An existing file is replaced only with
    /// <paramref name="overwrite"/> and only when it is a model this exporter wrote; the file is written beside its
    /// target and renamed into place, so it is never left half-written.
    /// </summary>
    public static OnnxExportResult Export(string modelPath, string output, int top = 5, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(output);
        CheckTarget(output, overwrite);
        var model = Build(modelPath, top);
        var target = Path.GetFullPath(output);
        var directory = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{output}: the folder {directory} does not exist");
        var temp = Path.Combine(directory, $".{Path.GetFileName(target)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = File.Create(temp)) model.WriteTo(stream);
            File.Move(temp, target, overwrite);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        var graph = model.Graph;
        int width = (int)graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue;
        bool images = graph.Input[0].Name == PretrainedGraph.InputName;
        return new OnnxExportResult(target, images ? null : width, (int)graph.Output[0].Type.TensorType.Shape.Dim[1].DimValue, top,
            new FileInfo(target).Length, images ? width : null);
    }

    // Refuses to replace anything but an earlier export, and that only when asked to.
    static void CheckTarget(string output, bool overwrite)
    {
        if (Directory.Exists(output)) throw new ArgumentException($"{output}: is a folder; give the path of the .onnx file to write", nameof(output));
        if (!File.Exists(output)) return;
        if (!overwrite) throw new OnnxTargetExistsException(output);
        bool ours;
        try
        {
            ours = ModelProto.Parser.ParseFrom(File.ReadAllBytes(output)).ProducerName == Producer;
        }
        catch (InvalidProtocolBufferException)
        {
            ours = false;
        }
        if (!ours) throw new IOException($"{output}: is not an ONNX model exported by LabelSphere; it is left alone (choose another path)");
    }

    /// <summary>The ONNX model of the model in <paramref name="modelPath"/>, ranking the top <paramref name="top"/> labels.</summary>
    public static ModelProto Build(string modelPath, int top = 5)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        var folder = ModelFolder.Find(modelPath)
            ?? throw new ModelFormatException($"{modelPath}: no model here (expected a manifest.json written by 'labelsphere train', or a model/ folder holding one)");
        var manifest = ModelFolder.ReadManifest(folder);
        var pretrained = Backbones.Pretrained(manifest.Backbone.Kind);
        if (manifest.Backbone.Kind != BackboneKind.Mlp && pretrained is null)
            throw new NotSupportedException($"{folder}: the {Backbones.Name(manifest.Backbone.Kind)} body cannot be exported to ONNX yet; export takes models with the mlp body or the resnet18-imagenet backbone (frozen or fine-tuned)");
        // The frozen network's features reach the body L2-normalised by the image source, not through a feature scaling.
        var scaling = pretrained is null
            ? ModelFolder.ReadFeatures(folder, manifest) ?? throw new ModelFormatException($"{folder}: the mlp model records no feature scaling (field features of its manifest)")
            : null;
        var embedding = ModelFolder.ReadEmbedding(folder, manifest);
        int labels = manifest.Head.UsesEmbedding() ? embedding!.LabelCount : manifest.LabelNames.Length;
        if (top < 1 || top > labels) throw new ArgumentOutOfRangeException(nameof(top), top, $"top must be between 1 and the number of labels ({labels}), got {top}");

        var weights = new Weights(Path.Combine(folder, "weights"));
        var g = new OnnxGraph();
        int width;
        string x, input;
        // A fine-tuned network is part of the model: its weights and mean image are saved under backbone., its MLP under backbone.mlp.
        bool fineTuned = pretrained is not null && manifest.Backbone.FineTune != FineTuneKind.None;
        var mlp = fineTuned ? "backbone.mlp" : "backbone";
        if (pretrained is { } network)
        {
            width = PretrainedNetworks.FeatureSize(network);
            x = PretrainedGraph.Features(g, network, fineTuned ? (name, shape) => weights.Read($"backbone.{name}", shape) : null);
            int side = PretrainedNetworks.InputSide(network);
            input = $"{PretrainedGraph.InputName}: uint8 [batch, {side}, {side}, 3], RGB pixels of images decoded, composited and resized as LabelSphere does";
        }
        else
        {
            width = scaling!.Columns;
            x = Scale(g, scaling, g.Input("features", width));
            input = scaling.Text is null
                ? $"features: float [batch, {width}], raw feature vectors"
                : $"features: float [batch, {width}], the term counts of each text from the model's vectoriser (tokenisation has no ONNX operator)";
        }
        for (int i = 0; i < manifest.Backbone.Hidden.Count; i++)
        {
            int hidden = manifest.Backbone.Hidden[i];
            x = Linear(g, weights, $"{mlp}.layers.linear{i}", x, hidden, width);
            x = g.Node("Relu", [x]);
            width = hidden;
        }
        var scores = Head(g, weights, manifest, embedding, x, width);
        var k = g.Int64s("top", top);
        var (values, indices) = g.Node2("TopK", [scores, k], OnnxGraph.Int("axis", 1), OnnxGraph.Int("largest", 1), OnnxGraph.Int("sorted", 1));
        var vocabulary = manifest.Head.UsesEmbedding() ? embedding!.Vocabulary.Names : manifest.LabelNames;
        var names = g.Node("Gather", [g.Strings("label_names", vocabulary), indices], attributes: OnnxGraph.Int("axis", 0));
        g.Output(scores, "scores", TensorProto.Types.DataType.Float, labels);
        g.Output(indices, "top_indices", TensorProto.Types.DataType.Int64, top);
        g.Output(values, "top_scores", TensorProto.Types.DataType.Float, top);
        g.Output(names, "top_labels", TensorProto.Types.DataType.String, top);

        var version = typeof(ModelFolder).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";
        var metadata = new Dictionary<string, string>
        {
            ["labelsphere.labels"] = JsonSerializer.Serialize(vocabulary),
            ["labelsphere.trained_labels"] = manifest.LabelNames.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["labelsphere.head"] = manifest.Head.Name(),
            ["labelsphere.body"] = Backbones.Name(manifest.Backbone.Kind),
            ["labelsphere.input"] = input,
            ["labelsphere.top"] = top.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["labelsphere.version"] = version,
        };
        if (manifest.EmbeddingDimension is { } dimension) metadata["labelsphere.embedding_dimension"] = dimension.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (scaling is not null)
        {
            metadata["labelsphere.features"] = scaling.Columns.ToString(System.Globalization.CultureInfo.InvariantCulture);
            metadata["labelsphere.scaling"] = scaling.Scaling.ToString();
            if (scaling.NamesHash is { } hash) metadata["labelsphere.feature_names"] = hash;
            if (scaling.Text is not null) metadata["labelsphere.text"] = "the input is the term counts of the model's text vectoriser (vocabulary.txt of the model folder, or hashed)";
        }
        if (manifest.Options.Image is { } image)
            metadata["labelsphere.background"] = $"#{image.Background.Red:x2}{image.Background.Green:x2}{image.Background.Blue:x2}";
        return g.Model(version, metadata,
            $"LabelSphere {manifest.Head.Name()} head on the {Backbones.Name(manifest.Backbone.Kind)} body: {input}; the scores of {labels} labels and the top {top}.");
    }

    // FeatureTransform.Apply as graph nodes: NaN → 0; TF-IDF (1 + ln v)·idf for v > 0, v·idf otherwise; L2 rows.
    static string Scale(OnnxGraph g, FeatureTransform scaling, string x)
    {
        var zero = g.Scalar("zero", 0);
        x = g.Node("Where", [g.Node("IsNaN", [x]), zero, x]);
        if (scaling.Scaling == FeatureScaling.TfIdf)
        {
            var logged = g.Node("Add", [g.Scalar("one", 1), g.Node("Log", [x])]);
            x = g.Node("Where", [g.Node("Greater", [x, zero]), logged, x]);
            x = g.Node("Mul", [x, g.Constant("idf", scaling.Idf, scaling.Columns)]);
        }
        if (scaling.Scaling is FeatureScaling.L2 or FeatureScaling.TfIdf) x = L2Rows(g, x);
        return x;
    }

    /// <summary>Rows [batch, F] divided by their L2 norm; a row of zeros stays zeros (its norm is replaced by 1).</summary>
    internal static string L2Rows(OnnxGraph g, string x)
    {
        var squares = g.Node("ReduceSumSquare", [x], attributes: [OnnxGraph.Ints("axes", 1), OnnxGraph.Int("keepdims", 1)]);
        var norm = g.Node("Where", [g.Node("Greater", [squares, g.Scalar("zero", 0)]), g.Node("Sqrt", [squares]), g.Scalar("one", 1)]);
        return g.Node("Div", [x, norm]);
    }

    // y = x·Wᵀ + b for the Linear module saved under prefix ([outputs, inputs] weight, [outputs] bias).
    static string Linear(OnnxGraph g, Weights weights, string prefix, string x, int outputs, int inputs)
    {
        var w = weights.Read($"{prefix}.weight", outputs, inputs);
        var b = weights.Read($"{prefix}.bias", outputs);
        return g.Node("Gemm", [x, g.Constant(prefix + ".weight", w, outputs, inputs), g.Constant(prefix + ".bias", b, outputs)], attributes: OnnxGraph.Int("transB", 1));
    }

    /// <summary>Rows divided by their L2 norm, as torch's normalize (the norm clamped at 1e-12).</summary>
    internal static string Normalize(OnnxGraph g, string x)
    {
        var norm = g.Node("Sqrt", [g.Node("ReduceSumSquare", [x], attributes: [OnnxGraph.Ints("axes", 1), OnnxGraph.Int("keepdims", 1)])]);
        return g.Node("Div", [x, g.Node("Max", [norm, g.Scalar("epsilon", 1e-12f)])]);
    }

    // The head's scores over every label it ranks, as LabelClassifier.PredictSource computes them.
    static string Head(OnnxGraph g, Weights weights, ModelManifest manifest, LabelEmbedding? embedding, string x, int width)
    {
        int n = manifest.LabelNames.Length;
        switch (manifest.Head)
        {
            case HeadKind.Sigmoid:
                return g.Node("Sigmoid", [Linear(g, weights, "head.logits", x, n, width)]);
            case HeadKind.Embedding:
            {
                // TopKDecoder: the normalised point against the unit rows of the whole embedding.
                int k = embedding!.Dimension;
                var point = Normalize(g, Linear(g, weights, "head.projection", x, k, width));
                return g.Node("MatMul", [point, g.Constant("label_units", Transpose(embedding.UnitVectors, embedding.LabelCount, k), k, embedding.LabelCount)]);
            }
            case HeadKind.CosineLogit:
            {
                // Trained labels: σ(s·cos(ẽ, E_j) + b_j); added labels: σ(s·cos + mean b).
                int k = embedding!.Dimension, all = embedding.LabelCount;
                var point = Normalize(g, Linear(g, weights, "head.projection", x, k, width));
                var units = LabelUnits(weights, embedding, n, k);
                float scale = MathF.Exp(weights.Read("head.logScale", 1)[0]);
                var bias = weights.Read("head.bias", n);
                var biases = new float[all];
                bias.CopyTo(biases, 0);
                Array.Fill(biases, bias.Average(), n, all - n);
                var cosines = g.Node("MatMul", [point, g.Constant("label_units", units, k, all)]);
                return g.Node("Sigmoid", [g.Node("Add", [g.Node("Mul", [cosines, g.Scalar("scale", scale)]), g.Constant("label_bias", biases, all)])]);
            }
            case HeadKind.Joint:
                return Joint(g, weights, embedding!, n, x, width);
            default:
                throw new NotSupportedException($"the {manifest.Head.Name()} head cannot be exported to ONNX yet");
        }
    }

    // The joint head: a·σ(l) + c·cos + z·(μl + σl·(α·(cos − μc)/σc + (1 − α)·(l − μl)/σl)) for trained labels, and for
    // labels added zero-shot (no logit of their own) a·σ(b̄)·(1 + cos)/2 + c·cos + z·(mean μl + mean σl·(cos − mean μc)/mean σc),
    // as JointHead does; both written per label as P·σ(l) + Q·cos + R·l + S, the logits of added labels being 0.
    static string Joint(OnnxGraph g, Weights weights, LabelEmbedding embedding, int n, string x, int width)
    {
        int k = embedding.Dimension, all = embedding.LabelCount;
        var point = Normalize(g, Linear(g, weights, "head.projection", x, k, width));
        var cosines = g.Node("MatMul", [point, g.Constant("label_units", LabelUnits(weights, embedding, n, k), k, all)]);
        var mix = weights.Read("head.mix", 4);
        var stats = weights.Read("head.zStats", 4, n);
        var bias = weights.Read("head.logits.bias", n);
        float a = mix[0], c = mix[1], alpha = mix[2], z = mix[3];
        var (p, q, r, s) = (new float[all], new float[all], new float[all], new float[all]);
        for (int j = 0; j < n; j++)
        {
            float lm = stats[j], ls = stats[n + j], cm = stats[2 * n + j], cs = stats[3 * n + j];
            p[j] = a;
            q[j] = c + z * alpha * ls / cs;
            r[j] = z * (1 - alpha);
            s[j] = z * alpha * (lm - ls * cm / cs);
        }
        if (all > n)
        {
            float prior = 1 / (1 + MathF.Exp(-bias.Average()));
            float Mean(int row) => stats.AsSpan(row * n, n).ToArray().Average();
            float logitMean = Mean(0), logitDeviation = Mean(1), cosineMean = Mean(2), cosineDeviation = Mean(3);
            for (int j = n; j < all; j++)
            {
                q[j] = a * prior * 0.5f + c + z * logitDeviation / cosineDeviation;
                s[j] = a * prior * 0.5f + z * (logitMean - logitDeviation * cosineMean / cosineDeviation);
            }
        }
        var logits = Linear(g, weights, "head.logits", x, n, width);
        if (all > n) logits = g.Node("Pad", [logits, g.Int64s("pads", 0, 0, 0, all - n)]);
        var terms = g.Node("Add", [
            g.Node("Mul", [g.Node("Sigmoid", [logits]), g.Constant("joint_p", p, all)]),
            g.Node("Mul", [cosines, g.Constant("joint_q", q, all)])]);
        terms = g.Node("Add", [terms, g.Node("Mul", [logits, g.Constant("joint_r", r, all)])]);
        return g.Node("Add", [terms, g.Constant("joint_s", s, all)]);
    }

    // [k, all] the unit label rows, transposed: the head's trained rows normalised as the head normalises its buffer,
    // then the rows of labels added zero-shot from the embedding.
    static float[] LabelUnits(Weights weights, LabelEmbedding embedding, int n, int k)
    {
        int all = embedding.LabelCount;
        var rows = new float[all * k];
        // Models saved before the label rows were stored once keep them among the weights too; they are the same rows.
        var trained = weights.Has("head.labelVectors") ? weights.Read("head.labelVectors", n, k) : embedding.Vectors[..(n * k)].ToArray();
        for (int j = 0; j < n; j++)
        {
            double squares = 0;
            for (int d = 0; d < k; d++) squares += (double)trained[j * k + d] * trained[j * k + d];
            float norm = (float)Math.Max(Math.Sqrt(squares), 1e-12);
            for (int d = 0; d < k; d++) rows[j * k + d] = trained[j * k + d] / norm;
        }
        embedding.UnitVectors[(n * k)..].CopyTo(rows.AsSpan(n * k));
        return Transpose(rows, all, k);
    }

    static float[] Transpose(ReadOnlySpan<float> values, int rows, int columns)
    {
        var result = new float[values.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                result[j * rows + i] = values[i * columns + j];
        return result;
    }

    // The saved state entries of a model folder (weights/NAME.npy), checked for shape and finiteness.
    sealed class Weights(string folder)
    {
        public bool Has(string name) => File.Exists(Path.Combine(folder, name + ".npy"));

        public float[] Read(string name, params long[] shape)
        {
            var path = Path.Combine(folder, name + ".npy");
            if (!File.Exists(path)) throw new ModelFormatException($"{path}: missing (the model expects its {name})");
            try
            {
                var (data, actual) = Npy.Read<float>(path);
                if (!actual.SequenceEqual(shape))
                    throw new ModelFormatException($"{path}: shape ({string.Join(", ", actual)}) is not ({string.Join(", ", shape)})");
                foreach (var v in data)
                    if (!float.IsFinite(v)) throw new ModelFormatException($"{path}: holds {v}; every weight must be a finite number");
                return data;
            }
            catch (InvalidDataException e)
            {
                throw new ModelFormatException(e.Message);
            }
        }
    }
}
