using LabelSphere.Training;
using LabelSphere.Training.Images;
using LabelSphere.Training.Models;
using Onnx;

namespace LabelSphere.Onnx;

/// <summary>
/// The pretrained network of an image model as graph nodes: RGB pixels in, the L2-normalised features the model's
/// body was trained on out, computed as <c>ImageFeaturizer</c> and the image source compute them (the package's
/// preprocessing graph: RGB to BGR, minus ImageNet's mean image; then the network; then each row divided by its norm),
/// or, fine-tuned, as <c>PretrainedResNet18</c> computes them (the same steps with the model's own weights).
/// </summary>
internal static class PretrainedGraph
{
    /// <summary>The name of the exported image input.</summary>
    public const string InputName = "pixels";

    /// <summary>
    /// The operators of the network's graph (written by CNTK against opset 8) and what their opset-8 form needs to be
    /// the <see cref="OnnxGraph.Opset"/> form: BatchNormalization lost its <c>spatial</c> attribute in opset 9 (spatial = 1
    /// is what it always does since); the others kept their attributes and meaning.
    /// </summary>
    static readonly HashSet<string> KnownOperators = ["Conv", "BatchNormalization", "Relu", "MaxPool", "AveragePool", "Add"];

    /// <summary>
    /// Declares the input <see cref="InputName"/>: uint8 [batch, side, side, 3], the RGB pixels of images decoded and
    /// resized as LabelSphere does (<c>PretrainedPreprocessing</c>), and returns the [batch, features] features of
    /// <paramref name="network"/> for them. A fine-tuned network's saved state entries are read by
    /// <paramref name="fineTuned"/>, given the entry's name in the fine-tuned backbone (<c>mean</c>,
    /// <c>network.layer4.0.conv1.weight</c>) and its shape; null exports the frozen network of the package.
    /// </summary>
    public static string Features(OnnxGraph g, PretrainedNetwork network, Func<string, long[], float[]>? fineTuned = null)
    {
        int side = PretrainedNetworks.InputSide(network);
        var (preprocessPath, networkPath) = ImageFeaturizer.Files(network);
        var meanImage = fineTuned is null ? MeanImage(preprocessPath, side) : fineTuned("mean", [1, 3, side, side]);
        var model = Read(networkPath);

        // [batch, side, side, 3] bytes → [batch, 3, side, side] floats 0–255, as the featurizer renders them.
        var x = g.Node("Cast", [g.Input(InputName, TensorProto.Types.DataType.Uint8, side, side, 3)], attributes: OnnxGraph.Int("to", (long)TensorProto.Types.DataType.Float));
        x = g.Node("Transpose", [x], attributes: OnnxGraph.Ints("perm", 0, 3, 1, 2));
        // The package's preprocessing graph: channels reversed (BGR), then ImageNet's mean image subtracted.
        x = g.Node("Gather", [x, g.Int64s("bgr", 2, 1, 0)], attributes: OnnxGraph.Int("axis", 1));
        x = g.Node("Sub", [x, g.Constant("mean_image", meanImage, 1, 3, side, side)]);

        var graph = Upgrade(model, networkPath);
        if (fineTuned is not null) TakeWeights(graph, fineTuned);
        if (graph.Input.Count(i => graph.Initializer.All(t => t.Name != i.Name)) != 1 || graph.Output.Count != 1)
            throw new ModelFormatException($"{networkPath}: expected one image input and one output");
        var input = graph.Input.Single(i => graph.Initializer.All(t => t.Name != i.Name)).Name;
        var output = g.Import(graph, $"{PretrainedNetworks.Name(network)}/", new Dictionary<string, string> { [input] = x }, graph.Output[0].Name)[0];
        // [batch, features, 1, 1] → [batch, features], each row divided by its norm: by the image source's rule for the
        // frozen network's features (a row of zeros stays zeros), by torch's normalize in the fine-tuned network's forward.
        x = g.Node("Flatten", [output], attributes: OnnxGraph.Int("axis", 1));
        return fineTuned is null ? OnnxExport.L2Rows(g, x) : OnnxExport.Normalize(g, x);
    }

    /// <summary>
    /// Replaces the values of every initializer of the network's <paramref name="graph"/> that holds a weight of
    /// ResNet-18 (<see cref="ResNet18Weights.Map"/>: convolution kernels, batch-norm scales, biases and running
    /// statistics) by the fine-tuned network's entry of the same place.
    /// </summary>
    static void TakeWeights(GraphProto graph, Func<string, long[], float[]> fineTuned)
    {
        IReadOnlyList<ResNet18Weights.Entry> entries;
        try
        {
            entries = ResNet18Weights.Map(graph);
        }
        catch (InvalidDataException e)
        {
            throw new ModelFormatException(e.Message);
        }
        var tensors = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var (name, initializer) in entries)
        {
            var tensor = tensors[initializer];
            var values = fineTuned($"network.{name}", [.. tensor.Dims]);
            tensor.FloatData.Clear();
            tensor.RawData = Google.Protobuf.ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        }
    }

    static ModelProto Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: the pretrained network's model file is missing; it comes from the Microsoft.ML.DnnImageFeaturizer.ResNet18 package (0.23.1), which copies it beside the program that references it", path);
        try
        {
            return ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new ModelFormatException($"{path}: not an ONNX model ({e.Message})");
        }
    }

    /// <summary>
    /// ImageNet's mean image [1, 3, side, side] (BGR) from the package's preprocessing graph, after checking that the
    /// graph is what the export writes in its place: split into R, G, B, concatenated as B, G, R, minus the mean image.
    /// </summary>
    static float[] MeanImage(string path, int side)
    {
        var graph = Read(path).Graph;
        var ops = string.Join(" ", graph.Node.Select(n => n.OpType));
        if (ops != "Split Concat Sub" || graph.Node[1].Input.Count != 3
            || graph.Node[1].Input[0] != graph.Node[0].Output[2] || graph.Node[1].Input[2] != graph.Node[0].Output[0]
            || graph.Node[2].Input[0] != graph.Node[1].Output[0])
            throw new ModelFormatException($"{path}: the preprocessing graph is not the split, reversal of channels and subtraction of a mean image it was ({ops})");
        var mean = graph.Initializer.SingleOrDefault(t => t.Name == graph.Node[2].Input[1])
            ?? throw new ModelFormatException($"{path}: the mean image is not in the graph");
        var values = mean.FloatData.Count > 0 ? mean.FloatData.ToArray()
            : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(mean.RawData.Span).ToArray();
        if (mean.DataType != (int)TensorProto.Types.DataType.Float || values.Length != 3 * side * side)
            throw new ModelFormatException($"{path}: the mean image holds {values.Length} values, not 3×{side}×{side} floats");
        return values;
    }

    /// <summary>
    /// The network's graph in the export's opset: every operator checked against <see cref="KnownOperators"/>, and the
    /// attributes later opsets removed dropped where they held the value that is now the only behaviour.
    /// </summary>
    static GraphProto Upgrade(ModelProto model, string path)
    {
        foreach (var opset in model.OpsetImport)
            if (opset.Domain is not ("" or "ai.onnx") || opset.Version > OnnxGraph.Opset)
                throw new ModelFormatException($"{path}: imports opset {opset.Version} of domain '{opset.Domain}'; the export writes opset {OnnxGraph.Opset} of the default domain");
        var graph = model.Graph.Clone();
        foreach (var node in graph.Node)
        {
            if (!KnownOperators.Contains(node.OpType))
                throw new ModelFormatException($"{path}: node {node.Name} is a {node.OpType}, which the export does not know how to carry to opset {OnnxGraph.Opset}");
            if (node.OpType != "BatchNormalization") continue;
            if (node.Output.Count != 1) throw new ModelFormatException($"{path}: node {node.Name} computes training statistics; the export takes inference-only batch normalisation");
            var spatial = node.Attribute.FirstOrDefault(a => a.Name == "spatial");
            if (spatial is null) continue;
            if (spatial.I != 1) throw new ModelFormatException($"{path}: node {node.Name} normalises per position (spatial = 0), which opset {OnnxGraph.Opset} cannot express");
            node.Attribute.Remove(spatial);
        }
        return graph;
    }
}
