// Usage: mlnet-featurizer <image-folder> <out-folder> <file>...   |   mlnet-featurizer --small <photo> <out.png>
// Runs ML.NET's own DnnImageFeaturizer ResNet-18 pipeline (LoadImages -> ResizeImages 224x224 (IsoCrop, centre) ->
// ExtractPixels -> DnnFeaturizeImage ResNet18) on the photos named on the command line and writes, per photo, the
// 512 features (one line: name then values, "R" round-trip format) to features.txt and the 3x224x224 input ML.NET
// fed the network (R, G, B, whole numbers from 0 to 255) to <name>.input.png.
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;

if (args.Length == 3 && args[0] == "--small")
{
    // An opaque 96x72 PNG made from a photo, so that the pipeline's resize enlarges it.
    using var photo = SkiaSharp.SKBitmap.Decode(args[1]);
    using var small = photo.Resize(new SkiaSharp.SKImageInfo(96, 72, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Opaque), SkiaSharp.SKFilterQuality.Medium);
    using var encoded = small.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
    File.WriteAllBytes(args[2], encoded.ToArray());
    return 0;
}
if (args.Length < 3) { Console.Error.WriteLine("usage: mlnet-featurizer <image-folder> <out-folder> <file>..."); return 2; }
var folder = args[0];
var outFolder = args[1];
Directory.CreateDirectory(outFolder);
var ml = new MLContext(seed: 0);
var rows = args.Skip(2).Select(f => new Row { ImagePath = f }).ToArray();
var data = ml.Data.LoadFromEnumerable(rows);
var pipeline = ml.Transforms.LoadImages("ImageObject", folder, nameof(Row.ImagePath))
    .Append(ml.Transforms.ResizeImages("ImageObject", 224, 224))
    .Append(ml.Transforms.ExtractPixels("Pixels", "ImageObject"))
    .Append(ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"));
var transformed = pipeline.Fit(data).Transform(data);
var names = transformed.GetColumn<string>(nameof(Row.ImagePath)).ToArray();
var features = transformed.GetColumn<float[]>("Features").ToArray();
var pixels = transformed.GetColumn<float[]>("Pixels").ToArray();
using var writer = new StreamWriter(Path.Combine(outFolder, "features.txt"));
for (int i = 0; i < names.Length; i++)
{
    writer.WriteLine(names[i] + " " + string.Join(" ", features[i].Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
    // The network's input as an RGB PNG (the values are whole numbers from 0 to 255, so nothing is lost).
    using (var input = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(224, 224, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Opaque)))
    {
        for (int y = 0; y < 224; y++)
            for (int x = 0; x < 224; x++)
            {
                int p = y * 224 + x;
                input.SetPixel(x, y, new SkiaSharp.SKColor((byte)pixels[i][p], (byte)pixels[i][224 * 224 + p], (byte)pixels[i][2 * 224 * 224 + p]));
            }
        using var png = input.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(Path.Combine(outFolder, names[i] + ".input.png"), png.ToArray());
    }
    Console.WriteLine($"{names[i]}: {features[i].Length} features, {pixels[i].Length} pixel values, first {features[i][0]}");
}
// The two ONNX graphs' inputs and outputs, for the record.
foreach (var model in new[] { "DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx", "DnnImageModels/ResNet18Onnx/ResNet18.onnx" })
{
    using var session = new InferenceSession(Path.Combine(AppContext.BaseDirectory, model));
    foreach (var (name, meta) in session.InputMetadata) Console.WriteLine($"{model} input {name} [{string.Join(",", meta.Dimensions)}]");
    foreach (var (name, meta) in session.OutputMetadata) Console.WriteLine($"{model} output {name} [{string.Join(",", meta.Dimensions)}]");
}
return 0;

sealed class Row { public string ImagePath { get; set; } = ""; }
