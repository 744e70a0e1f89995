using System.Text.Json;
using LabelSphere.Data;
using LabelSphere.Serve;
using LabelSphere.Tests.Training;
using LabelSphere.Training;

namespace LabelSphere.Tests.Serve;

/// <summary>Small models of the synthetic world for the service's tests, and its test rows.</summary>
internal static class ServeFixtures
{
    public static readonly TrainingFixtures.FeatureData World = TrainingFixtures.Synthetic(300);

    public static LabelData AsData(TrainingFixtures.FeatureData data) =>
        new(new AnnotationSet(data.Vocabulary, data.Labels, new ReadReport("synthetic", AnnotationFormat.ExtremeText, data.Count, 0, 0, []), data.Features));

    /// <summary>A model of <see cref="World"/> with <paramref name="head"/> (with a 6-dimensional embedding unless sigmoid).</summary>
    public static LabelClassifier Train(HeadKind head, CancellationToken cancellationToken) =>
        LabelClassifier.Fit(AsData(World), new LabelClassifierOptions
        {
            Training = new TrainingOptions { Head = head, Hidden = [16], BatchSize = 32, Steps = 30, LearningRate = 3e-3, EvalEvery = 0 },
            Embedding = head == HeadKind.Sigmoid ? null : World.Embed(6),
            ValidationFraction = 0,
        }, cancellationToken: cancellationToken);

    /// <summary>24 dense test rows of the world, not trained on.</summary>
    public static float[][] TestRows()
    {
        var test = TrainingFixtures.Synthetic(24, seed: 42);
        var rows = new float[test.Count][];
        for (int r = 0; r < test.Count; r++)
        {
            rows[r] = new float[test.Features.Columns];
            test.Features.CopyRowTo(r, rows[r]);
        }
        return rows;
    }

    /// <summary>The answer of a request that must succeed, read as <typeparamref name="T"/>; the body is the failure message otherwise.</summary>
    public static async Task<T> Ok<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<T>(text, JsonSerializerOptions.Web)!;
    }

    /// <summary>Asserts the status and the one-line message of a refused request; returns the message.</summary>
    public static async Task<string> Refused(HttpResponseMessage response, System.Net.HttpStatusCode status, string fragment, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        var error = JsonSerializer.Deserialize<Error>(text, JsonSerializerOptions.Web)!;
        Assert.Contains(fragment, error.Message);
        Assert.DoesNotContain('\n', error.Message);
        return error.Message;
    }
}
