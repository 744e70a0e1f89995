using System.Text.Json;
using LabelSphere.Training;
using LabelSphere.Training.Images;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LabelSphere.Serve;

/// <summary>How the service listens and what it accepts.</summary>
public sealed record ServeOptions
{
    /// <summary>The address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The TCP port (0: any free port, see <see cref="LabelService.Address"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Instances one request may hold; more is refused with 413.</summary>
    public int MaxInstances { get; init; } = 256;

    /// <summary>Bytes a request body may hold; more is refused with 413.</summary>
    public long MaxRequestBytes { get; init; } = 4 << 20;

    /// <summary>Rows the network ranks in one batch (requests are never split, so at least <see cref="MaxInstances"/>).</summary>
    public int MaxBatch { get; init; } = 512;

    /// <summary>How long the first waiting request waits for others to share its batch.</summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Throws when a value is out of range, with a message that states the rule.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port), Port, $"the port must be between 0 and 65535, got {Port}");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxInstances);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRequestBytes);
        if (MaxBatch < MaxInstances)
            throw new ArgumentOutOfRangeException(nameof(MaxBatch), MaxBatch, $"a batch must hold a whole request of up to {MaxInstances} instances, got {MaxBatch}");
        if (BatchWindow < TimeSpan.Zero || BatchWindow > TimeSpan.FromSeconds(1))
            throw new ArgumentOutOfRangeException(nameof(BatchWindow), BatchWindow, "the batching window must be between 0 and 1 s");
    }
}

/// <summary>
/// A LabelSphere model behind HTTP on Kestrel: <c>POST /predict</c> (a JSON body of dense or sparse instances, or for
/// a model of images the images' bytes; the top labels of each with scores), <c>GET /labels</c>, <c>GET /health</c> and the OpenAPI description at <c>/openapi</c>.
/// The model is loaded once and shared; concurrent requests are ranked together by one batching loop
/// (<see cref="PredictionBatcher{TInput}"/>).
/// </summary>
public sealed class LabelService : IAsyncDisposable
{
    readonly WebApplication app;
    readonly IPredictionBatcher batcher;

    LabelService(WebApplication app, IPredictionBatcher batcher)
    {
        this.app = app;
        this.batcher = batcher;
    }

    /// <summary>
    /// Builds the service for <paramref name="classifier"/> (a model of feature vectors, of text or of images), which it
    /// uses but does not dispose; <see cref="StartAsync"/> starts listening.
    /// </summary>
    public static LabelService Create(LabelClassifier classifier, ServeOptions options, ILoggerProvider? logging = null)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        // A model of images takes image bytes (ImageRequests); its feature count is 0.
        bool images = classifier.Manifest.Options.Image is not null;
        int features = classifier.FeatureCount ?? (images ? 0
            : throw new NotSupportedException($"the model takes input of shape [{string.Join(", ", classifier.Manifest.Backbone.InputShape)}]; serve takes models of feature vectors, text or images"));
        // A model of text takes text: each instance's words become its term counts, as its training text's did.
        Func<string, float[]>? vectorize = classifier.Transform?.Text is { } text ? t =>
        {
            var row = new float[features];
            text.Transform([t]).CopyRowTo(0, row);
            return row;
        } : null;

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logging is not null) builder.Logging.AddProvider(logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            kestrel.Listen(System.Net.IPAddress.Parse(options.Host), options.Port);
        });
        builder.Services.AddOpenApi(openApi => openApi.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "LabelSphere";
            document.Info.Version = typeof(LabelClassifier).Assembly.GetName().Version?.ToString(3);
            document.Info.Description = $"Ranks the {classifier.Vocabulary.Count} labels of a {classifier.Manifest.Head.Name()} model for feature vectors of {features} features.";
            return Task.CompletedTask;
        }));
        var app = builder.Build();
        var rowBatcher = images ? null : new PredictionBatcher<float[]>(classifier.PredictBatch, options);
        var imageBatcher = images ? new PredictionBatcher<byte[]>(classifier.PredictImages, options) : null;
        var labels = classifier.Vocabulary.Names;
        int labelCount = labels.Count;

        app.MapOpenApi("/openapi");
        app.MapGet("/health", () => Results.Json(new Health("ok", classifier.Manifest.Head.Name(), features, labelCount)))
            .WithSummary("Whether the model is loaded: its head, input width and label count");
        app.MapGet("/labels", () => Results.Json(new LabelList(labels.ToArray(), classifier.TrainedVocabulary.Count)))
            .WithSummary("The labels the model ranks, in id order; the first 'trained' were trained, the rest added zero-shot");
        app.MapPost("/predict", async (HttpContext context) =>
        {
            try
            {
                if (context.Request.ContentLength > options.MaxRequestBytes)
                    throw new RequestException(StatusCodes.Status413PayloadTooLarge, $"the body has {context.Request.ContentLength:N0} bytes; a request takes at most {options.MaxRequestBytes:N0}");
                if (imageBatcher is not null || ImageRequests.IsImageBody(context.Request))
                    return Results.Json(await ImageRequests.PredictAsync(context, imageBatcher, options, labelCount));
                JsonDocument document;
                try
                {
                    document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
                }
                catch (JsonException e)
                {
                    throw new RequestException(StatusCodes.Status400BadRequest, $"the body is not valid JSON: {e.Message}");
                }
                catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    throw new RequestException(StatusCodes.Status413PayloadTooLarge, $"the body is larger than the {options.MaxRequestBytes:N0} bytes a request takes");
                }
                float[][] rows;
                int top;
                using (document) (rows, top) = PredictRequestReader.Read(document.RootElement, features, labelCount, options.MaxInstances, vectorize);
                var ranked = await rowBatcher!.PredictAsync(rows, top, context.RequestAborted);
                var predictions = new Prediction[ranked.Length];
                for (int i = 0; i < ranked.Length; i++)
                    predictions[i] = new Prediction(Array.ConvertAll(ranked[i], l => new LabelScore(l.Name, l.Score)));
                return Results.Json(new PredictResponse(predictions));
            }
            catch (RequestException e)
            {
                // A body left unread is not drained: the connection closes, and the client must not reuse it.
                if (e.Status == StatusCodes.Status413PayloadTooLarge) context.Response.Headers.Connection = "close";
                return Results.Json(new Error(e.Message), statusCode: e.Status);
            }
        })
        // Image bytes are accepted too (a model of images takes them; any other model answers them with one 400 line).
        .Accepts<PredictRequest>("application/json", "image/*", "multipart/form-data")
        .Produces<PredictResponse>()
        .Produces<Error>(StatusCodes.Status400BadRequest)
        .Produces<Error>(StatusCodes.Status413PayloadTooLarge)
        .WithSummary("The top labels of each instance (dense 'features' or sparse 'indices' and 'values'; 'text' for a model of text), best first; a model of images takes an image's bytes (Content-Type image/*) or multipart/form-data with one image per part, and ?top=");
        return new LabelService(app, (IPredictionBatcher?)rowBatcher ?? imageBatcher!);
    }

    /// <summary>Starts listening; returns once the port is open.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => app.StartAsync(cancellationToken);

    /// <summary>Waits until the service is stopped (Ctrl+C, SIGTERM or <paramref name="cancellationToken"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => app.WaitForShutdownAsync(cancellationToken);

    /// <summary>The address it listens on (with the port chosen when <see cref="ServeOptions.Port"/> is 0), once started.</summary>
    public Uri Address => new(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());

    /// <summary>Batches ranked so far and the instances they held.</summary>
    public (long Batches, long Instances) Batches => batcher.Counts;

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await batcher.DisposeAsync();
        await app.DisposeAsync();
    }
}

/// <summary>The answer of <c>GET /health</c>.</summary>
public sealed record Health(string Status, string Head, int Features, int Labels);

/// <summary>The answer of <c>GET /labels</c>.</summary>
public sealed record LabelList(string[] Labels, int Trained);

/// <summary>A refused request: one line naming the field at fault.</summary>
public sealed record Error(string Message);
