using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LabelSphere.Embedding;
using LabelSphere.IO;
using LabelSphere.Training;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LabelSphere.Serve;

/// <summary>What a reload swapped in: the model folder and the labels the service now ranks.</summary>
/// <param name="Trained">How many of the <paramref name="Labels"/> were trained; the rest were added zero-shot.</param>
public sealed record Reloaded(string Folder, int Labels, int Trained);

/// <summary>
/// The body of <c>POST /labels</c>: a new label and its counts, as the counts file of <c>add-label</c> gives them
/// (docs/formats.md): <c>counts[label]</c> is how many instances carry the new label, every other entry how many carry
/// it together with that known label; known labels not listed count 0.
/// </summary>
public sealed record NewLabelRequest(string Label, Dictionary<string, long> Counts);

/// <summary>The answer of <c>POST /labels</c>: the label placed, the labels now ranked and its closest labels.</summary>
public sealed record AddedLabel(string Label, long Count, int Labels, LabelScore[] Neighbours);

/// <summary>
/// Swaps in the model's folder as it is on disk (<see cref="ReloadAsync"/>: after <c>add-label</c> wrote to it), and
/// <c>POST /labels</c>: places a new label zero-shot from its counts as <c>add-label</c> does, writes the model folder
/// with it by the output rule (beside it, then renamed into place; the folder's lock held meanwhile) and swaps the
/// result in. One change at a time; requests under way finish on the snapshot they started with.
/// </summary>
internal sealed class ModelReloader(ServedModels models, string? adminToken)
{
    readonly SemaphoreSlim gate = new(1, 1);
    readonly byte[]? token = adminToken is null ? null : Encoding.UTF8.GetBytes(adminToken);

    public async Task<Reloaded> ReloadAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            return Reload(Folder());
        }
        finally
        {
            gate.Release();
        }
    }

    string Folder() => models.Use(m => m.Classifier.Folder)
        ?? throw new InvalidOperationException("the model lives in memory only (it was not loaded from a folder), so there is no folder to reload it from");

    Reloaded Reload(string folder)
    {
        var next = new ServedModel(LabelClassifier.Load(folder), owned: true);
        models.Swap(next);
        return new Reloaded(folder, next.Labels.Length, next.Trained);
    }

    public void Map(WebApplication app)
    {
        app.MapPost("/labels", async (HttpContext context) =>
        {
            try
            {
                Authorize(context);
                NewLabelRequest request;
                try
                {
                    request = await JsonSerializer.DeserializeAsync<NewLabelRequest>(context.Request.Body, JsonSerializerOptions.Web, context.RequestAborted)
                        ?? throw Bad("the body must be a JSON object {\"label\": ..., \"counts\": {...}}");
                }
                catch (JsonException e)
                {
                    throw Bad($"the body is not a JSON object {{\"label\": \"name\", \"counts\": {{\"name\": n, \"known label\": n, ...}}}}: {e.Message}");
                }
                catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    throw new RequestException(StatusCodes.Status413PayloadTooLarge, "the body is larger than a request may be");
                }
                var label = request.Label?.Trim();
                if (string.IsNullOrEmpty(label)) throw Bad("label: missing or empty; give the new label's name");
                if (request.Counts is null || request.Counts.Count == 0) throw Bad($"counts: missing; give at least the new label's own count, {{\"{label}\": n}}");
                await gate.WaitAsync(context.RequestAborted);
                try
                {
                    var added = Add(label, request.Counts);
                    return Results.Json(added, statusCode: StatusCodes.Status201Created);
                }
                finally
                {
                    gate.Release();
                }
            }
            catch (RequestException e)
            {
                if (e.Status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer";
                return Results.Json(new Error(e.Message), statusCode: e.Status);
            }
        })
        .Accepts<NewLabelRequest>("application/json")
        .Produces<AddedLabel>(StatusCodes.Status201Created)
        .Produces<Error>(StatusCodes.Status400BadRequest)
        .Produces<Error>(StatusCodes.Status401Unauthorized)
        .Produces<Error>(StatusCodes.Status403Forbidden)
        .Produces<Error>(StatusCodes.Status404NotFound)
        .Produces<Error>(StatusCodes.Status409Conflict)
        .WithSummary("Adds a label zero-shot from its counts, as add-label does, writes it into the model folder and serves it (needs the admin token: Authorization: Bearer ...)");
    }

    void Authorize(HttpContext context)
    {
        if (token is null)
            throw new RequestException(StatusCodes.Status404NotFound, "adding labels is disabled: the service was started without an admin token");
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
            throw new RequestException(StatusCodes.Status401Unauthorized, "adding labels needs the admin token: send it as 'Authorization: Bearer <token>'");
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()), token))
            throw new RequestException(StatusCodes.Status403Forbidden, "the admin token is wrong");
    }

    AddedLabel Add(string label, Dictionary<string, long> counts)
    {
        var folder = models.Use(m => m.Classifier.Folder)
            ?? throw new RequestException(StatusCodes.Status409Conflict, "the model lives in memory only (it was not loaded from a folder), so a label cannot be written into it");
        // The folder as it is now, not the snapshot served: a label added by add-label since is kept.
        var manifest = ModelFolder.ReadManifest(folder);
        if (!manifest.Head.UsesEmbedding())
            throw new RequestException(StatusCodes.Status409Conflict, $"the {manifest.Head.Name()} model has one output per training label and cannot rank a label added after training; zero-shot labels need a head that uses the label embedding (embedding, cosine-logit or joint)");
        var embedding = ModelFolder.ReadEmbedding(folder, manifest)!;
        if (embedding.Vocabulary.Contains(label)) throw new RequestException(StatusCodes.Status409Conflict, $"label: '{label}' is already in the model");
        var tally = new CooccurrenceTally(label, embedding);
        foreach (var (name, count) in counts)
            tally.Add(name, count, (_, problem) => Bad($"counts.{name}: {problem}"));
        var (own, cooccurrences) = tally.Finish((_, problem) => Bad($"counts: {problem}"));
        var extended = embedding.AddLabel(label, own, cooccurrences);
        try
        {
            ModelFolder.ReplaceEmbedding(folder, extended, folder, new OutputOptions { Overwrite = true, Inputs = [folder] });
        }
        catch (OutputFolderException e)
        {
            throw new RequestException(StatusCodes.Status409Conflict, e.Message);
        }
        var reloaded = Reload(folder);
        var neighbours = extended.Nearest(label, Math.Min(5, extended.LabelCount - 1));
        return new AddedLabel(label, own, reloaded.Labels, [.. neighbours.Select(l => new LabelScore(l.Name, l.Score))]);
    }

    static RequestException Bad(string message) => new(StatusCodes.Status400BadRequest, message);
}
