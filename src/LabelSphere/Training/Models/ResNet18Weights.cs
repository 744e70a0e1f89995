using System.Globalization;
using Google.Protobuf;
using LabelSphere.IO;
using Onnx;
using static TorchSharp.torch;

namespace LabelSphere.Training.Models;

/// <summary>
/// The weights of ML.NET's ImageNet ResNet-18 (<c>ResNet18.onnx</c>, exported from CNTK at opset 8) mapped one to one
/// onto <see cref="ResNet"/> with <see cref="Network"/>'s shape: each convolution's kernel and each batch norm's
/// scale, bias, mean and variance to the torchvision-named entry in the same place of the network. The mapping is read
/// from the graph's structure (the stem, then per basic block its two convolutions, its projection shortcut where the
/// shape changes and its residual add, then the 7×7 average pool), checking every kernel, stride, padding and
/// epsilon on the way, so a graph of another shape is refused rather than loaded wrongly.
/// </summary>
/// <remarks>
/// CNTK pads a stride-2 layer at its start only (ONNX pads [1, 1, 0, 0]) where torchvision pads both sides; at the
/// network's 224-pixel input every such layer sees an even side, whose last window never reaches the extra padding,
/// so both give the same maps. The check below computes every layer's output size both ways and refuses the graph
/// where they would differ.
/// </remarks>
internal static class ResNet18Weights
{
    /// <summary>
    /// The network's shape: torchvision's ResNet-18 widths and stem, but three basic blocks in the last stage where
    /// torchvision has two (CNTK's ResNet-18, 22 convolutions: 15.9 million parameters, 11.2 million in torchvision's).
    /// </summary>
    public static ResNetOptions Network { get; } = new() { Blocks = [2, 2, 2, 3] };

    /// <summary>Side of the input the graph declares and the padding check is made for.</summary>
    public const int InputSide = 224;

    // torchvision's BatchNorm2d epsilon, which TorchSharp's batch norm uses; the graph's is the float nearest it.
    const double Epsilon = 1e-5;

    /// <summary>One mapped entry: the state entry of <see cref="ResNet"/> and the ONNX initializer that holds its values.</summary>
    internal readonly record struct Entry(string Name, string Initializer);

    /// <summary>Reads the ONNX model in <paramref name="path"/>; a file that is not one is named in the error.</summary>
    public static ModelProto Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: the resnet18-imagenet model file is missing; it comes from the Microsoft.ML.DnnImageFeaturizer.ResNet18 package (0.23.1), which the LabelSphere.Images package copies beside the program", path);
        try
        {
            using var stream = File.OpenRead(path);
            return ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{path}: not an ONNX model ({e.Message})", e);
        }
    }

    /// <summary>
    /// The entries of ResNet-18 in <paramref name="graph"/>, in the graph's order, found by walking it from its input
    /// to its output; throws <see cref="InvalidDataException"/> where it departs from ResNet-18.
    /// </summary>
    public static IReadOnlyList<Entry> Map(GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var consumers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var input in node.Input)
            {
                if (!consumers.TryGetValue(input, out var list)) consumers[input] = list = [];
                list.Add(node);
            }
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        if (inputs.Count != 1) throw Invalid($"the graph has {inputs.Count} inputs besides its weights; ResNet-18 has one image input");
        var dims = inputs[0].Type?.TensorType?.Shape?.Dim.Select(d => d.DimValue).ToArray() ?? [];
        if (dims.Length != 4 || dims[1] != 3 || dims[2] != InputSide || dims[3] != InputSide)
            throw Invalid($"input {inputs[0].Name} is [{string.Join(", ", dims)}]; ResNet-18's is [batch, 3, {InputSide}, {InputSide}]");

        var entries = new List<Entry>();
        int side = InputSide;
        string x = inputs[0].Name;

        NodeProto Only(string value, string op)
        {
            var next = consumers.GetValueOrDefault(value) ?? [];
            if (next.Count != 1 || next[0].OpType != op)
                throw Invalid($"{value} feeds [{string.Join(", ", next.Select(n => n.OpType))}]; ResNet-18 feeds it to one {op}");
            return next[0];
        }
        NodeProto Conv(NodeProto conv, string name, int kernel, int stride, int padding, int inSide, out int outSide)
        {
            if (conv.Input.Count != 2 || !initializers.Contains(conv.Input[1]))
                throw Invalid($"convolution {conv.Output[0]} has {(conv.Input.Count == 3 ? "a bias" : "no weight initializer")}; ResNet-18's ({name}) has a weight and no bias");
            if ((conv.Attribute.FirstOrDefault(a => a.Name == "group")?.I ?? 1) != 1 || Ints(conv, "dilations", [1, 1]).Any(d => d != 1))
                throw Invalid($"convolution {conv.Output[0]} is grouped or dilated; ResNet-18's ({name}) is neither");
            outSide = Window(conv, name, kernel, stride, padding, inSide);
            entries.Add(new($"{name}.weight", conv.Input[1]));
            var norm = Only(conv.Output[0], "BatchNormalization");
            if (norm.Input.Count != 5 || norm.Input.Skip(1).Any(i => !initializers.Contains(i)))
                throw Invalid($"batch norm {norm.Output[0]} does not take its scale, bias, mean and variance from initializers");
            double epsilon = norm.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5;
            if (Math.Abs(epsilon - Epsilon) > 1e-9)
                throw Invalid($"batch norm {norm.Output[0]} has epsilon {epsilon.ToString(CultureInfo.InvariantCulture)}; torchvision's is 1e-5");
            if (norm.Attribute.FirstOrDefault(a => a.Name == "spatial") is { } spatial && spatial.I != 1)
                throw Invalid($"batch norm {norm.Output[0]} is not spatial (per channel)");
            string bn = name.EndsWith(".0", StringComparison.Ordinal) ? name[..^1] + "1" : name.Replace("conv", "bn", StringComparison.Ordinal);
            entries.Add(new($"{bn}.weight", norm.Input[1]));
            entries.Add(new($"{bn}.bias", norm.Input[2]));
            entries.Add(new($"{bn}.running_mean", norm.Input[3]));
            entries.Add(new($"{bn}.running_var", norm.Input[4]));
            return norm;
        }

        // The stem: 7×7 convolution of stride 2, batch norm, ReLU, 3×3 max pool of stride 2.
        var stem = Conv(Only(x, "Conv"), "conv1", 7, 2, 3, side, out side);
        var pool = Only(Only(stem.Output[0], "Relu").Output[0], "MaxPool");
        side = Window(pool, "the stem's max pool", 3, 2, 1, side);
        x = pool.Output[0];

        // Blocks follow one another until the average pool; a block with a projection shortcut (stride 2) starts a stage.
        int stage = 0, block = 0;
        var layout = new List<int>();
        while ((consumers.GetValueOrDefault(x) ?? []) is var next && !(next.Count == 1 && next[0].OpType == "AveragePool"))
        {
            if (next.Count != 2 || next.Any(n => n.OpType is not ("Conv" or "Add")))
                throw Invalid($"{x} feeds [{string.Join(", ", next.Select(n => n.OpType))}]; a basic block feeds its input to a convolution and to the residual add or a projection");
            bool projects = next.All(n => n.OpType == "Conv");
            if (projects || layout.Count == 0) { layout.Add(0); (stage, block) = (layout.Count, 0); }
            layout[^1]++;
            string name = $"layer{stage}.{block++}";
            int stride = projects ? 2 : 1;
            var main = next.SingleOrDefault(n => n.OpType == "Conv" && Ints(n, "kernel_shape", [0])[0] == 3)
                ?? throw Invalid($"block {name}: no 3×3 convolution reads {x}");
            string shortcut = x;
            if (projects)
            {
                var projection = next.SingleOrDefault(n => n.OpType == "Conv" && Ints(n, "kernel_shape", [0])[0] == 1)
                    ?? throw Invalid($"block {name}: no 1×1 projection reads {x}");
                shortcut = Conv(projection, $"{name}.downsample.0", 1, stride, 0, side, out _).Output[0];
            }
            var first = Conv(main, $"{name}.conv1", 3, stride, 1, side, out side);
            var second = Conv(Only(Only(first.Output[0], "Relu").Output[0], "Conv"), $"{name}.conv2", 3, 1, 1, side, out side);
            var add = Only(second.Output[0], "Add");
            if (!add.Input.Contains(shortcut))
                throw Invalid($"block {name}: the residual add {add.Output[0]} does not add {(projects ? "the projection" : "the block's input")} {shortcut}");
            x = Only(add.Output[0], "Relu").Output[0];
        }
        if (!layout.SequenceEqual(Network.Blocks))
            throw Invalid($"the graph's stages have [{string.Join(", ", layout)}] basic blocks; ML.NET's ResNet-18 has [{string.Join(", ", Network.Blocks)}]");

        var average = Only(x, "AveragePool");
        if (Window(average, "the average pool", side, 1, 0, side) != 1)
            throw Invalid($"the average pool does not pool the whole {side}×{side} map");
        if (graph.Output.Count != 1 || graph.Output[0].Name != average.Output[0])
            throw Invalid($"the graph's output is not the average pool {average.Output[0]}");
        return entries;
    }

    /// <summary>Checks a convolution or pool's kernel, stride and padding; returns its output side for an input of <paramref name="side"/>.</summary>
    static int Window(NodeProto node, string name, int kernel, int stride, int padding, int side)
    {
        var kernels = Ints(node, "kernel_shape", []);
        var strides = Ints(node, "strides", [1, 1]);
        var pads = Ints(node, "pads", [0, 0, 0, 0]);
        if (kernels is not [var kh, var kw] || kh != kernel || kw != kernel)
            throw Invalid($"{node.OpType} {node.Output[0]} has kernel [{string.Join(", ", kernels)}]; ResNet-18's {name} has {kernel}×{kernel}");
        if (strides is not [var sh, var sw] || sh != stride || sw != stride)
            throw Invalid($"{node.OpType} {node.Output[0]} has strides [{string.Join(", ", strides)}]; ResNet-18's {name} has {stride}");
        if (pads.Length != 4 || pads[0] != padding || pads[1] != padding || pads[2] > padding || pads[3] > padding)
            throw Invalid($"{node.OpType} {node.Output[0]} has pads [{string.Join(", ", pads)}]; ResNet-18's {name} pads {padding} at the start");
        // torchvision pads both ends by `padding`; the graph pads the end by pads[2]. The maps agree when both give the
        // same number of windows, for then no window reaches the extra end padding.
        int symmetric = (side + 2 * padding - kernel) / stride + 1;
        int graphSide = (int)((side + padding + pads[2] - kernel) / stride + 1);
        if (symmetric != graphSide)
            throw Invalid($"{node.OpType} {node.Output[0]}: its end padding {pads[2]} gives {graphSide} outputs on a {side}-pixel map, torchvision's symmetric padding {symmetric}");
        if (node.Attribute.FirstOrDefault(a => a.Name == "auto_pad") is { } auto && auto.S.ToStringUtf8() is not ("" or "NOTSET"))
            throw Invalid($"{node.OpType} {node.Output[0]} pads automatically ({auto.S.ToStringUtf8()})");
        return symmetric;
    }

    static long[] Ints(NodeProto node, string name, long[] fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } attribute ? [.. attribute.Ints] : fallback;

    static InvalidDataException Invalid(string message) => new($"ResNet18.onnx: {message}");

    /// <summary>The float values of <paramref name="tensor"/> (stored as float_data or raw little-endian bytes).</summary>
    internal static float[] Values(TensorProto tensor)
    {
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
            throw Invalid($"initializer {tensor.Name} is not float32");
        return tensor.FloatData.Count > 0
            ? [.. tensor.FloatData]
            : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();
    }

    /// <summary>
    /// Copies the weights of the ONNX model <paramref name="model"/> into <paramref name="network"/> (a
    /// <see cref="Network"/>); every float entry of its state must be mapped, each of its shape.
    /// </summary>
    public static void Load(ResNet network, ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(model);
        var entries = Map(model.Graph);
        var tensors = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var state = network.state_dict();
        CheckCovers(state, entries);
        using var noGrad = no_grad();
        foreach (var (name, initializer) in entries)
        {
            var target = state[name];
            var source = tensors[initializer];
            if (!source.Dims.SequenceEqual(target.shape))
                throw Invalid($"initializer {initializer} is [{string.Join(", ", source.Dims)}]; {name} is [{string.Join(", ", target.shape)}]");
            using var values = tensor(Values(source), target.shape);
            target.copy_(values);
        }
    }

    /// <summary>Loads the weights of the ONNX file <paramref name="path"/> into <paramref name="network"/> (<see cref="Load(ResNet, ModelProto)"/>).</summary>
    public static void Load(ResNet network, string path) => Load(network, Read(path));

    /// <summary>
    /// Writes <paramref name="network"/>'s weights as an ONNX file: the graph of <paramref name="template"/> (by
    /// default the package's <c>ResNet18.onnx</c>) unchanged, each mapped initializer's values replaced by the
    /// entry's. Written to a temporary name and renamed into place.
    /// </summary>
    public static void WriteOnnx(ResNet network, string path, string? template = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var model = Read(template ?? Images.PretrainedNetworks.Files(Images.PretrainedNetwork.ResNet18ImageNet).Network);
        var entries = Map(model.Graph);
        var tensors = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var state = network.state_dict();
        CheckCovers(state, entries);
        foreach (var (name, initializer) in entries)
        {
            var target = tensors[initializer];
            using var values = state[name].detach().cpu().contiguous();
            if (!target.Dims.SequenceEqual(values.shape))
                throw new ArgumentException($"{name} is [{string.Join(", ", values.shape)}]; the graph's {initializer} is [{string.Join(", ", target.Dims)}]", nameof(network));
            target.RawData = ByteString.Empty;
            target.FloatData.Clear();
            target.FloatData.Add(values.data<float>().ToArray());
        }
        AtomicFolder.WriteFile(path, stream => model.WriteTo(stream));
    }

    /// <summary>Throws unless <paramref name="entries"/> name every float entry of <paramref name="state"/> exactly once.</summary>
    static void CheckCovers(IDictionary<string, Tensor> state, IReadOnlyList<Entry> entries)
    {
        var mapped = entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        if (mapped.Count != entries.Count) throw Invalid("an entry is mapped twice");
        foreach (var name in mapped)
            if (!state.ContainsKey(name)) throw new ArgumentException($"the network has no entry {name}; it is not ResNet-18");
        var missing = state.Where(kv => kv.Value.dtype == ScalarType.Float32 && !mapped.Contains(kv.Key)).Select(kv => kv.Key).ToList();
        if (missing.Count > 0) throw new ArgumentException($"the graph gives no values for {string.Join(", ", missing)}; the network is not ResNet-18");
    }

    /// <summary>The mean image [3, 224, 224] (B, G, R planes, 0–255 units) the package's preprocessing graph subtracts.</summary>
    public static float[] MeanImage(string preprocessPath)
    {
        var model = Read(preprocessPath);
        var nodes = model.Graph.Node;
        // The graph splits R, G, B, concatenates them as B, G, R and subtracts the mean image from that.
        if (nodes.Count != 3 || nodes[0].OpType != "Split" || nodes[1].OpType != "Concat" || nodes[2].OpType != "Sub"
            || !nodes[1].Input.SequenceEqual([nodes[0].Output[2], nodes[0].Output[1], nodes[0].Output[0]]))
            throw new InvalidDataException($"{preprocessPath}: not the RGB-to-BGR and mean-image graph of ResNetPreprocess.onnx");
        var mean = model.Graph.Initializer.SingleOrDefault(t => t.Name == nodes[2].Input[1])
            ?? throw new InvalidDataException($"{preprocessPath}: the subtracted mean image is not an initializer");
        if (!mean.Dims.SequenceEqual([1L, 3, InputSide, InputSide]))
            throw new InvalidDataException($"{preprocessPath}: the mean image is [{string.Join(", ", mean.Dims)}], not [1, 3, {InputSide}, {InputSide}]");
        return Values(mean);
    }
}
