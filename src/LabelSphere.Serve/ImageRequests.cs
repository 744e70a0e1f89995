using System.Globalization;
using LabelSphere.Embedding;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace LabelSphere.Serve;

/// <summary>
/// <c>POST /predict</c> with image bytes, for a model of images: the body is one encoded image (Content-Type
/// <c>image/*</c>) or a <c>multipart/form-data</c> body of one or more image parts, each decoded as in training and
/// answered in order; <c>?top=</c> sets how many labels each gets.
/// </summary>
internal static class ImageRequests
{
    /// <summary>Whether the body is image bytes: Content-Type <c>image/*</c> or <c>multipart/form-data</c>.</summary>
    public static bool IsImageBody(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var media)
        && (media.MediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The answer to a request for <paramref name="model"/>, the snapshot the request holds: ranked through
    /// <paramref name="batcher"/> for a model of images, refused for image bytes sent to any other model; throws
    /// <see cref="RequestException"/> for a request it refuses.
    /// </summary>
    public static async Task<PredictResponse> PredictAsync(HttpContext context, ServedModel model, PredictionBatcher<byte[]> batcher, ServeOptions options)
    {
        var request = context.Request;
        if (model.Input != ServedInput.Images)
            throw Bad($"the body is {request.ContentType}; the model takes {(model.Input == ServedInput.Text ? "text" : "feature vectors")}, not images: send a JSON body of instances");
        if (!IsImageBody(request))
            throw Bad($"the model takes images: send an image's bytes with Content-Type image/* (e.g. image/jpeg), or multipart/form-data with one image per part, not {(string.IsNullOrEmpty(request.ContentType) ? "a body without Content-Type" : request.ContentType)}");
        int labels = model.Labels.Length;
        int top = Top(request.Query, labels);
        var (images, names) = await ReadAsync(request, options, context.RequestAborted);
        var ranked = await batcher.PredictAsync(model, images, top, context.RequestAborted);
        var predictions = new Prediction[ranked.Length];
        for (int i = 0; i < ranked.Length; i++)
        {
            // The ranking leaves out an image it could not decode.
            if (ranked[i].Length == 0) throw Bad($"{names[i]}: cannot be decoded as an image (PNG, JPEG, WebP, GIF, BMP...)");
            predictions[i] = new Prediction(Array.ConvertAll(ranked[i], l => new LabelScore(l.Name, l.Score)));
        }
        return new PredictResponse(predictions);
    }

    static int Top(IQueryCollection query, int labels)
    {
        if (!query.TryGetValue("top", out var values)) return Math.Min(PredictRequestReader.DefaultTop, labels);
        if (values.Count != 1 || !int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out int top) || top < 1 || top > labels)
            throw Bad($"top: must be a whole number between 1 and the number of labels ({labels}), got {values}");
        return top;
    }

    /// <summary>The images of the body and the name of each in messages ("the body", or "parts[i] ('name')").</summary>
    static async Task<(byte[][] Images, string[] Names)> ReadAsync(HttpRequest request, ServeOptions options, CancellationToken cancellationToken)
    {
        var media = MediaTypeHeaderValue.Parse(request.ContentType);
        try
        {
            if (!media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            {
                var body = await ReadAllAsync(request.Body, cancellationToken);
                if (body.Length == 0) throw Bad("the body: empty; send the image's bytes");
                return ([body], ["the body"]);
            }
            var boundary = HeaderUtilities.RemoveQuotes(media.Boundary).Value;
            if (string.IsNullOrEmpty(boundary)) throw Bad("Content-Type: multipart/form-data needs its boundary parameter");
            var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = options.MaxRequestBytes };
            var images = new List<byte[]>();
            var names = new List<string>();
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                int i = images.Count;
                var disposition = section.GetContentDispositionHeader();
                var label = disposition?.FileName.Value is { Length: > 0 } file ? file : disposition?.Name.Value;
                var name = label is { Length: > 0 } ? $"parts[{i}] ('{label}')" : $"parts[{i}]";
                if (images.Count == options.MaxInstances)
                    throw new RequestException(StatusCodes.Status413PayloadTooLarge, $"parts: more than {options.MaxInstances:N0} images; a request takes at most {options.MaxInstances:N0}");
                if (section.ContentType is { } type && MediaTypeHeaderValue.TryParse(type, out var partType)
                    && !partType.MediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase) && !partType.MediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase))
                    throw Bad($"{name}: Content-Type {type} is not an image; each part holds one image (image/*)");
                var bytes = await ReadAllAsync(section.Body, cancellationToken);
                if (bytes.Length == 0) throw Bad($"{name}: empty; each part holds one image's bytes");
                images.Add(bytes);
                names.Add(name);
            }
            if (images.Count == 0) throw Bad("parts: none; a multipart/form-data body holds one image per part");
            return ([.. images], [.. names]);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new RequestException(StatusCodes.Status413PayloadTooLarge, $"the body is larger than the {options.MaxRequestBytes:N0} bytes a request takes");
        }
        catch (InvalidDataException e) when (e.Message.Contains("length limit", StringComparison.OrdinalIgnoreCase))
        {
            throw new RequestException(StatusCodes.Status413PayloadTooLarge, $"the body is larger than the {options.MaxRequestBytes:N0} bytes a request takes");
        }
        catch (Exception e) when (e is InvalidDataException or IOException && e is not BadHttpRequestException)
        {
            throw Bad($"the body is not valid multipart/form-data: {e.Message}");
        }
    }

    static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    static RequestException Bad(string message) => new(StatusCodes.Status400BadRequest, message);
}
