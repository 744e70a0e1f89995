// Calling `labelsphere serve` from C#: dotnet run -- http://127.0.0.1:8080 [image.jpg]
using System.Net.Http.Headers;
using System.Net.Http.Json;

using var http = new HttpClient { BaseAddress = new Uri(args.Length > 0 ? args[0] : "http://127.0.0.1:8080") };
HttpResponseMessage response;
if (args.Length > 1)
{
    // A model of images: the image file's bytes are the body (several images: multipart/form-data, one per part).
    var image = new ByteArrayContent(File.ReadAllBytes(args[1]));
    image.Headers.ContentType = new MediaTypeHeaderValue(args[1].EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "image/jpeg");
    response = await http.PostAsync("/predict?top=5", image);
}
else
{
    // A model of feature vectors: sparse instances (0-based feature indices and their values), or dense "features".
    response = await http.PostAsJsonAsync("/predict", new
    {
        instances = new[] { new { indices = new[] { 3, 17, 250 }, values = new[] { 1f, 1f, 1f } } },
        top = 5,
    });
}
if (!response.IsSuccessStatusCode)
{
    // 400 or 413: one line naming the field at fault.
    Console.Error.WriteLine($"{(int)response.StatusCode}: {(await response.Content.ReadFromJsonAsync<Error>())?.Message}");
    return 1;
}
var answer = await response.Content.ReadFromJsonAsync<PredictResponse>();
foreach (var label in answer!.Predictions[0].Labels) Console.WriteLine($"{label.Label}\t{label.Score:F4}");
return 0;

record LabelScore(string Label, float Score);
record Prediction(LabelScore[] Labels);
record PredictResponse(Prediction[] Predictions);
record Error(string Message);
