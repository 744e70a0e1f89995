// Decodes one PNG through the packed LabelSphere.Images package and checks the network input it gives.
using LabelSphere.Training.Images;
using SkiaSharp;

var folder = Directory.CreateTempSubdirectory("labelsphere-images-check-").FullName;
try
{
    using (var bitmap = new SKBitmap(8, 8))
    {
        bitmap.Erase(SKColors.Red);
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(Path.Combine(folder, "red.png"), png.ToArray());
    }
    File.WriteAllText(Path.Combine(folder, "labels.csv"), "image,label\nred.png,red\n");
    var source = ImageSource.FromLongCsv(Path.Combine(folder, "labels.csv"), folder, new ImageSourceOptions { Size = 8 });
    var batch = source.Batches([0], 1, augment: false, seed: 0).Single();
    // A red pixel's red channel, normalised with ImageNet's mean and deviation: (1 - 0.485) / 0.229.
    float expected = (1 - 0.485f) / 0.229f;
    if (batch.Shape is not [1, 3, 8, 8] || Math.Abs(batch.Inputs[0] - expected) > 1e-3)
        throw new InvalidOperationException($"the image decoded to shape [{string.Join(", ", batch.Shape)}], first value {batch.Inputs[0]}; expected [1, 3, 8, 8] and {expected}");
    Console.WriteLine($"images: a PNG decoded through LabelSphere.Images to [{string.Join(", ", batch.Shape)}] as expected");
}
finally
{
    Directory.Delete(folder, recursive: true);
}
