using Google.Protobuf;
using Onnx;

namespace LabelSphere.Onnx;

/// <summary>
/// Builds an ONNX graph node by node with OnnxSharp's generated schema classes: constants become initializers, every
/// node gets a fresh output name, and the finished graph becomes a <see cref="ModelProto"/>.
/// </summary>
internal sealed class OnnxGraph
{
    /// <summary>The ONNX operator set the graph is written against (ReduceSumSquare still takes its axes as an attribute).</summary>
    public const long Opset = 17;

    /// <summary>The IR version that goes with <see cref="Opset"/>.</summary>
    public const long IrVersion = 8;

    readonly GraphProto graph = new() { Name = "labelsphere" };
    int next;

    /// <summary>Declares a float input [batch, <paramref name="width"/>] with a symbolic batch dimension.</summary>
    public string Input(string name, long width)
    {
        graph.Input.Add(Value(name, TensorProto.Types.DataType.Float, width));
        return name;
    }

    /// <summary>
    /// Declares an input of <paramref name="type"/> [batch, <paramref name="dimensions"/>...] with a symbolic batch
    /// dimension.
    /// </summary>
    public string Input(string name, TensorProto.Types.DataType type, params long[] dimensions)
    {
        graph.Input.Add(Value(name, type, dimensions));
        return name;
    }

    /// <summary>Names <paramref name="value"/> as an output [batch, <paramref name="width"/>] of <paramref name="type"/>.</summary>
    public void Output(string value, string name, TensorProto.Types.DataType type, long width)
    {
        Node("Identity", [value], output: name);
        graph.Output.Add(Value(name, type, width));
    }

    static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params long[] dimensions)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        foreach (var dimension in dimensions) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = dimension });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    /// <summary>A float constant of <paramref name="shape"/> (row-major <paramref name="values"/>).</summary>
    public string Constant(string name, ReadOnlySpan<float> values, params long[] shape)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != values.Length) throw new ArgumentException($"{values.Length} values for the shape [{string.Join(", ", shape)}] of {name}");
        var tensor = new TensorProto { Name = Fresh(name), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(shape);
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A float scalar constant.</summary>
    public string Scalar(string name, float value) => Constant(name, [value]);

    /// <summary>An int64 constant [values.Length].</summary>
    public string Int64s(string name, params long[] values)
    {
        var tensor = new TensorProto { Name = Fresh(name), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A string constant [values.Count] (UTF-8).</summary>
    public string Strings(string name, IReadOnlyList<string> values)
    {
        var tensor = new TensorProto { Name = Fresh(name), DataType = (int)TensorProto.Types.DataType.String };
        tensor.Dims.Add(values.Count);
        foreach (var value in values) tensor.StringData.Add(ByteString.CopyFromUtf8(value));
        graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a node of <paramref name="op"/> on <paramref name="inputs"/>; returns its first output's name.</summary>
    public string Node(string op, string[] inputs, int outputs = 1, string? output = null, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = Fresh(op) };
        node.Input.AddRange(inputs);
        for (int i = 0; i < outputs; i++) node.Output.Add(i == 0 && output is not null ? output : Fresh(op.ToLowerInvariant()));
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return node.Output[0];
    }

    /// <summary>Adds a node with two outputs (TopK); returns both names.</summary>
    public (string, string) Node2(string op, string[] inputs, params AttributeProto[] attributes)
    {
        Node(op, inputs, 2, null, attributes);
        var node = graph.Node[^1];
        return (node.Output[0], node.Output[1]);
    }

    /// <summary>
    /// Adds the nodes and initializers of another graph, every name prefixed with <paramref name="prefix"/> but its
    /// inputs, which <paramref name="inputs"/> maps to values of this graph; returns the new name of each output in
    /// <paramref name="outputs"/>. Its shape annotations are left behind (they may fix the batch dimension).
    /// </summary>
    public string[] Import(GraphProto other, string prefix, IReadOnlyDictionary<string, string> inputs, params string[] outputs)
    {
        string Rename(string name) => name.Length == 0 ? name : inputs.TryGetValue(name, out var mapped) ? mapped : prefix + name;
        foreach (var initializer in other.Initializer)
        {
            var copy = initializer.Clone();
            copy.Name = Rename(initializer.Name);
            graph.Initializer.Add(copy);
        }
        foreach (var node in other.Node)
        {
            var copy = node.Clone();
            copy.Name = prefix + (node.Name.Length > 0 ? node.Name : Fresh(node.OpType));
            for (int i = 0; i < copy.Input.Count; i++) copy.Input[i] = Rename(copy.Input[i]);
            for (int i = 0; i < copy.Output.Count; i++) copy.Output[i] = Rename(copy.Output[i]);
            graph.Node.Add(copy);
        }
        return Array.ConvertAll(outputs, Rename);
    }

    /// <summary>An integer attribute.</summary>
    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>An attribute holding a list of integers.</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    string Fresh(string stem) => $"{stem}_{next++}";

    /// <summary>The model: this graph, the operator set, the producer and <paramref name="metadata"/>.</summary>
    public ModelProto Model(string producerVersion, IEnumerable<KeyValuePair<string, string>> metadata, string docString)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = OnnxExport.Producer,
            ProducerVersion = producerVersion,
            Domain = "org.labelsphere",
            DocString = docString,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }
}
