using System.Globalization;
using LabelSphere.Embedding;
using LabelSphere.Training;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LabelSphere.Serve;

/// <summary>The answer of <c>GET /embedding/neighbours</c>: the labels closest to <paramref name="Label"/>, best first.</summary>
public sealed record NeighbourList(string Label, LabelScore[] Neighbours);

/// <summary>One term of a concept-arithmetic expression: its sign (<c>+</c> or <c>-</c>) and label.</summary>
public sealed record ArithmeticTerm(string Sign, string Label);

/// <summary>The answer of <c>GET /embedding/arithmetic</c>: the terms read and the labels closest to their signed sum.</summary>
public sealed record ArithmeticAnswer(string Expression, ArithmeticTerm[] Terms, LabelScore[] Nearest);

/// <summary>A label on the embedding's 2-D map.</summary>
/// <param name="Count">Training instances carrying it (for a label added zero-shot, the count it was placed with).</param>
public sealed record MapPoint(string Label, float X, float Y, bool ZeroShot, long Count);

/// <summary>The answer of <c>GET /embedding/map</c>: every label's point, and the share of variance each axis holds.</summary>
public sealed record EmbeddingMap(MapPoint[] Labels, double[] Explained);

/// <summary>
/// The label embedding's queries: a label's neighbours and concept arithmetic (<see cref="LabelEmbedding.Nearest(string, int)"/>
/// and <see cref="LabelEmbedding.Arithmetic"/>, as the <c>neighbors</c> and <c>arithmetic</c> verbs ask them) and the 2-D map
/// of the labels (<see cref="LabelEmbedding.Map"/>, computed once per model). An unknown label is a 404 naming it with
/// close names; a model without an embedding answers 404 saying so.
/// </summary>
internal static class EmbeddingEndpoints
{
    public const int DefaultCount = 10;

    public static void Map(WebApplication app, ServedModels models)
    {
        var group = app.MapGroup("/embedding");
        group.MapGet("/neighbours", (string? label, string? k) => models.Use(m => Answer(() =>
            {
                var embedding = Require(m);
                if (string.IsNullOrWhiteSpace(label)) throw new RequestException(StatusCodes.Status400BadRequest, "label: missing; give the label whose neighbours to list (?label=...)");
                int count = Count(k, embedding.LabelCount - 1);
                return new NeighbourList(label, Scores(Nearest(() => embedding.Nearest(label, count))));
            })))
            .Produces<NeighbourList>()
            .Produces<Error>(StatusCodes.Status400BadRequest)
            .Produces<Error>(StatusCodes.Status404NotFound)
            .WithSummary("The k labels closest to a label by cosine proximity in the label embedding (k: default 10)");
        group.MapGet("/arithmetic", (string? expression, string? k) => models.Use(m => Answer(() =>
            {
                var embedding = Require(m);
                if (string.IsNullOrWhiteSpace(expression))
                    throw new RequestException(StatusCodes.Status400BadRequest, "expression: missing; give labels joined by ' + ' or ' - ', e.g. ?expression=man + horse");
                int count = Count(k, embedding.LabelCount);
                var result = Nearest(() => embedding.Arithmetic(expression, count));
                return new ArithmeticAnswer(expression.Trim(), [.. result.Terms.Select(t => new ArithmeticTerm(t.Sign > 0 ? "+" : "-", t.Label))], Scores(result.Nearest));
            })))
            .Produces<ArithmeticAnswer>()
            .Produces<Error>(StatusCodes.Status400BadRequest)
            .Produces<Error>(StatusCodes.Status404NotFound)
            .WithSummary("Concept arithmetic: the k labels closest to the signed sum of the terms' unit vectors (\"king - man + woman\"), the terms excluded");
        group.MapGet("/map", () => models.Use(m => Answer(() =>
            {
                var embedding = Require(m);
                var map = m.Map!;
                var points = new MapPoint[embedding.LabelCount];
                for (int i = 0; i < points.Length; i++)
                    points[i] = new MapPoint(embedding.Vocabulary[i], map.X[i], map.Y[i], embedding.IsZeroShot(i), embedding.LabelCounts[i]);
                return new EmbeddingMap(points, map.Explained);
            })))
            .Produces<EmbeddingMap>()
            .Produces<Error>(StatusCodes.Status404NotFound)
            .WithSummary("A 2-D map of the labels: their unit vectors projected on the first two principal components (PCA)");
    }

    static IResult Answer<T>(Func<T> query)
    {
        try
        {
            return Results.Json(query());
        }
        catch (RequestException e)
        {
            return Results.Json(new Error(e.Message), statusCode: e.Status);
        }
    }

    static LabelEmbedding Require(ServedModel model) => model.Embedding
        ?? throw new RequestException(StatusCodes.Status404NotFound,
            $"the model ({model.Classifier.Manifest.Head.Name()} head) was saved without a label embedding, so it has no neighbours, arithmetic or map");

    static int Count(string? k, int most)
    {
        if (k is null) return Math.Min(DefaultCount, most);
        if (!int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1 || count > most)
            throw new RequestException(StatusCodes.Status400BadRequest, $"k: must be a whole number between 1 and {most}, got '{IO.Printable.Shorten(k)}'");
        return count;
    }

    // The library's refusals of a query become one line: an unknown label is not found, an unreadable expression is bad.
    static T Nearest<T>(Func<T> query)
    {
        try
        {
            return query();
        }
        catch (UnknownLabelException e)
        {
            throw new RequestException(StatusCodes.Status404NotFound, e.Message);
        }
        catch (FormatException e)
        {
            throw new RequestException(StatusCodes.Status400BadRequest, "expression: " + e.Message);
        }
        catch (ArgumentException e)
        {
            throw new RequestException(StatusCodes.Status400BadRequest, "expression: " + e.Message);
        }
    }

    static LabelScore[] Scores(IReadOnlyList<ScoredLabel> labels) => [.. labels.Select(l => new LabelScore(l.Name, l.Score))];
}
