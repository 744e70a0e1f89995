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

    /// <summary>
    /// The token <c>POST /labels</c> requires (<c>Authorization: Bearer</c>); null disables the endpoint. Never printed:
    /// this record's text form leaves it out.
    /// </summary>
    public string? AdminToken { get; init; }

    bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Host = {Host}, Port = {Port}, MaxInstances = {MaxInstances}, MaxRequestBytes = {MaxRequestBytes}, MaxBatch = {MaxBatch}, BatchWindow = {BatchWindow}, AdminToken = {(AdminToken is null ? "none" : "(set)")}");
        return true;
    }

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
        if (AdminToken is { } token && (token.Length < 16 || token.Any(char.IsWhiteSpace)))
            throw new ArgumentException("the admin token must be at least 16 characters long, without spaces", nameof(AdminToken));
    }
}

/// <summary>
/// A LabelSphere model behind HTTP on Kestrel: <c>POST /predict</c> (a JSON body of dense or sparse instances, or for
/// a model of images the images' bytes; the top labels of each with scores), <c>GET /labels</c>, <c>GET /health</c>,
/// the embedding's queries under <c>/embedding/</c>, a web page at <c>/</c> and the OpenAPI description at
/// <c>/openapi</c>. The model is loaded once and shared; concurrent requests are ranked together by one batching loop
/// per kind of input (<see cref="PredictionBatcher{TInput}"/>), each batch by the model snapshot its requests hold.
/// <see cref="ReloadAsync"/> and <c>POST /labels</c> (with <see cref="ServeOptions.AdminToken"/>) swap in the model's
/// folder as it is now, whole, while requests under way finish on the model they started with.
/// </summary>
public sealed partial class LabelService : IAsyncDisposable
{
    readonly WebApplication app;
    readonly PredictionBatcher<float[]> rowBatcher;
    readonly PredictionBatcher<byte[]> imageBatcher;
    readonly ServedModels models;
    readonly ModelReloader reloader;

    LabelService(WebApplication app, PredictionBatcher<float[]> rowBatcher, PredictionBatcher<byte[]> imageBatcher, ServedModels models, ModelReloader reloader)
    {
        this.app = app;
        this.rowBatcher = rowBatcher;
        this.imageBatcher = imageBatcher;
        this.models = models;
        this.reloader = reloader;
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
        if (classifier.FeatureCount is null && classifier.Manifest.Options.Image is null)
            throw new NotSupportedException($"the model takes input of shape [{string.Join(", ", classifier.Manifest.Backbone.InputShape)}]; serve takes models of feature vectors, text or images");

        // A model of text takes text: each instance's words become its term counts, as its training text's did (ServedModel.Vectorize).
        var models = new ServedModels(new ServedModel(classifier, owned: false));
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
            // The model served now: a reload may have added labels since start.
            document.Info.Description = models.Use(m => $"Ranks the {m.Labels.Length} labels of a {m.Classifier.Manifest.Head.Name()} model for {m.Input switch
            {
                ServedInput.Images => "images",
                ServedInput.Text => "text",
                _ => $"feature vectors of {m.Features} features",
            }}.");
            return Task.CompletedTask;
        }));
        var app = builder.Build();
        // One loop per kind of input; each batch is ranked by the snapshot its requests hold (a reload may swap it).
        var rowBatcher = new PredictionBatcher<float[]>((model, rows, top, ct) => model.Classifier.PredictBatch(rows, top, ct), options);
        var imageBatcher = new PredictionBatcher<byte[]>((model, images, top, ct) => model.PredictImages(images, top, ct), options);
        var reloader = new ModelReloader(models, options.AdminToken);

        app.MapOpenApi("/openapi");
        WebPage.Map(app);
        app.MapGet("/health", () => models.Use(m => Results.Json(new Health("ok", m.Classifier.Manifest.Head.Name(), m.Features, m.Labels.Length, m.Input, m.Embedding is not null))))
            .WithSummary("Whether the model is loaded: its head, input (features, text or images), input width, label count and whether it has a label embedding");
        app.MapGet("/labels", () => models.Use(m => Results.Json(new LabelList(m.Labels, m.Trained))))
            .WithSummary("The labels the model ranks, in id order; the first 'trained' were trained, the rest added zero-shot");
        EmbeddingEndpoints.Map(app, models);
        reloader.Map(app);
        app.MapPost("/predict", async (HttpContext context) =>
        {
            var model = models.Acquire();
            try
            {
                int width = model.Features, labelCount = model.Labels.Length;
                if (context.Request.ContentLength > options.MaxRequestBytes)
                    throw new RequestException(StatusCodes.Status413PayloadTooLarge, $"the body has {context.Request.ContentLength:N0} bytes; a request takes at most {options.MaxRequestBytes:N0}");
                if (model.Input == ServedInput.Images || ImageRequests.IsImageBody(context.Request))
                    return Results.Json(await ImageRequests.PredictAsync(context, model, imageBatcher, options));
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
                using (document) (rows, top) = PredictRequestReader.Read(document.RootElement, width, labelCount, options.MaxInstances, model.Vectorize);
                var ranked = await rowBatcher.PredictAsync(model, rows, top, context.RequestAborted);
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
            finally
            {
                model.Release();
            }
        })
        // Image bytes are accepted too (a model of images takes them; any other model answers them with one 400 line).
        .Accepts<PredictRequest>("application/json", "image/*", "multipart/form-data")
        .Produces<PredictResponse>()
        .Produces<Error>(StatusCodes.Status400BadRequest)
        .Produces<Error>(StatusCodes.Status413PayloadTooLarge)
        .WithSummary("The top labels of each instance (dense 'features' or sparse 'indices' and 'values'; 'text' for a model of text), best first; a model of images takes an image's bytes (Content-Type image/*) or multipart/form-data with one image per part, and ?top=");
        return new LabelService(app, rowBatcher, imageBatcher, models, reloader);
    }

    /// <summary>Starts listening; returns once the port is open.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => app.StartAsync(cancellationToken);

    /// <summary>Waits until the service is stopped (Ctrl+C, SIGTERM or <paramref name="cancellationToken"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => app.WaitForShutdownAsync(cancellationToken);

    /// <summary>The address it listens on (with the port chosen when <see cref="ServeOptions.Port"/> is 0), once started.</summary>
    public Uri Address => new(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());

    /// <summary>Batches ranked so far and the instances they held.</summary>
    public (long Batches, long Instances) Batches
    {
        get
        {
            var (rowBatches, rows) = rowBatcher.Counts;
            var (imageBatches, images) = imageBatcher.Counts;
            return (rowBatches + imageBatches, rows + images);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await rowBatcher.DisposeAsync();
        await imageBatcher.DisposeAsync();
        await app.DisposeAsync();
        models.Dispose();
    }
}

/// <summary>The answer of <c>GET /health</c>.</summary>
/// <param name="Input">What <c>POST /predict</c> takes: feature vectors, text or images.</param>
/// <param name="Features">The width of the feature vectors the model takes.</param>
/// <param name="Embedding">Whether the model has a label embedding (the <c>/embedding/</c> queries answer).</param>
public sealed record Health(string Status, string Head, int Features, int Labels, ServedInput Input, bool Embedding);

/// <summary>The answer of <c>GET /labels</c>.</summary>
public sealed record LabelList(string[] Labels, int Trained);

/// <summary>A refused request: one line naming the field at fault.</summary>
public sealed record Error(string Message);
