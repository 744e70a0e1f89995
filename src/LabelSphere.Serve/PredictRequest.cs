using System.Text.Json;

namespace LabelSphere.Serve;

/// <summary>A request the service refuses: its HTTP status (400, 413) and one line naming the field at fault.</summary>
internal sealed class RequestException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// One instance of a <c>POST /predict</c> body: a dense vector (<see cref="Features"/>) or a sparse one
/// (<see cref="Indices"/>, <see cref="Values"/>) for a model of feature vectors, raw <see cref="Text"/> for a model of text.
/// </summary>
/// <param name="Features">[features] every feature's value, unscaled.</param>
/// <param name="Indices">0-based indices of the non-zero features, distinct.</param>
/// <param name="Values">The values at <paramref name="Indices"/>.</param>
/// <param name="Text">The instance's text, vectorised as the model's training text was.</param>
public sealed record Instance(float[]? Features = null, int[]? Indices = null, float[]? Values = null, string? Text = null);

/// <summary>The body of <c>POST /predict</c>.</summary>
/// <param name="Instances">The instances to rank labels for.</param>
/// <param name="Top">How many labels to return per instance (default 5).</param>
public sealed record PredictRequest(Instance[] Instances, int? Top = null);

/// <summary>A label and its score.</summary>
public sealed record LabelScore(string Label, float Score);

/// <summary>The top labels of one instance, best first.</summary>
public sealed record Prediction(LabelScore[] Labels);

/// <summary>The answer of <c>POST /predict</c>: one prediction per instance, in request order.</summary>
public sealed record PredictResponse(Prediction[] Predictions);

/// <summary>Reads a <c>POST /predict</c> body into dense rows, checking every field against the model.</summary>
internal static class PredictRequestReader
{
    public const int DefaultTop = 5;

    /// <summary>
    /// The dense rows [instances][features] and the top p of <paramref name="json"/>; for a model of text,
    /// <paramref name="vectorize"/> turns each instance's <c>text</c> into its row.
    /// </summary>
    public static (float[][] Rows, int Top) Read(JsonElement json, int features, int labels, int maxInstances, Func<string, float[]>? vectorize = null)
    {
        if (json.ValueKind != JsonValueKind.Object) throw Bad("the body must be a JSON object with an 'instances' array");
        int top = DefaultTop;
        if (json.TryGetProperty("top", out var topElement))
        {
            if (topElement.ValueKind != JsonValueKind.Number || !topElement.TryGetInt32(out top) || top < 1 || top > labels)
                throw Bad($"top: must be a whole number between 1 and the number of labels ({labels}), got {topElement.GetRawText()}");
        }
        else top = Math.Min(top, labels);
        if (!json.TryGetProperty("instances", out var instances) || instances.ValueKind != JsonValueKind.Array)
            throw Bad("instances: missing; the body must hold an 'instances' array of {\"features\": [...]} or {\"indices\": [...], \"values\": [...]} objects");
        int count = instances.GetArrayLength();
        if (count == 0) throw Bad("instances: empty; give at least one instance");
        if (count > maxInstances) throw new RequestException(StatusCodes413, $"instances: {count:N0} instances; a request takes at most {maxInstances:N0}");
        var rows = new float[count][];
        int i = 0;
        foreach (var instance in instances.EnumerateArray())
        {
            rows[i] = vectorize is null ? Row(instance, $"instances[{i}]", features) : TextRow(instance, $"instances[{i}]", vectorize);
            i++;
        }
        return (rows, top);
    }

    const int StatusCodes413 = 413;

    static float[] Row(JsonElement instance, string where, int features)
    {
        if (instance.ValueKind != JsonValueKind.Object) throw Bad($"{where}: must be an object with 'features', or 'indices' and 'values'");
        bool dense = instance.TryGetProperty("features", out var values);
        bool sparse = instance.TryGetProperty("indices", out var indices);
        if (dense == sparse)
            throw Bad(dense ? $"{where}: give either 'features' or 'indices' and 'values', not both" : $"{where}: needs 'features' (a dense vector) or 'indices' and 'values' (a sparse one)");
        var row = new float[features];
        if (dense)
        {
            var dense_ = Numbers(values, $"{where}.features");
            if (dense_.Length != features) throw Bad($"{where}.features: {dense_.Length:N0} values; the model takes {features:N0} features");
            return dense_;
        }
        if (!instance.TryGetProperty("values", out var sparseValues)) throw Bad($"{where}.values: missing; 'indices' needs its 'values'");
        var v = Numbers(sparseValues, $"{where}.values");
        if (indices.ValueKind != JsonValueKind.Array) throw Bad($"{where}.indices: must be an array of feature indices");
        if (indices.GetArrayLength() != v.Length) throw Bad($"{where}.indices: {indices.GetArrayLength():N0} indices for {v.Length:N0} values");
        var seen = new HashSet<int>();
        int k = 0;
        foreach (var index in indices.EnumerateArray())
        {
            if (index.ValueKind != JsonValueKind.Number || !index.TryGetInt32(out var c) || c < 0 || c >= features)
                throw Bad($"{where}.indices[{k}]: {index.GetRawText()} is not a feature index between 0 and {features - 1}");
            if (!seen.Add(c)) throw Bad($"{where}.indices[{k}]: feature {c} is given twice");
            row[c] = v[k++];
        }
        return row;
    }

    static float[] TextRow(JsonElement instance, string where, Func<string, float[]> vectorize)
    {
        if (instance.ValueKind != JsonValueKind.Object || !instance.TryGetProperty("text", out var text))
            throw Bad($"{where}: needs 'text': the model was trained on text and takes text");
        if (text.ValueKind != JsonValueKind.String) throw Bad($"{where}.text: must be a string");
        if (instance.TryGetProperty("features", out _) || instance.TryGetProperty("indices", out _))
            throw Bad($"{where}: give 'text' only; the model was trained on text and takes no feature vectors");
        return vectorize(text.GetString()!);
    }

    static float[] Numbers(JsonElement array, string where)
    {
        if (array.ValueKind != JsonValueKind.Array) throw Bad($"{where}: must be an array of numbers");
        var result = new float[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetSingle(out var value) || !float.IsFinite(value))
                throw Bad($"{where}[{i}]: {item.GetRawText()} is not a finite number");
            result[i++] = value;
        }
        return result;
    }

    static RequestException Bad(string message) => new(400, message);
}
