using System.Runtime.InteropServices;
using SkiaSharp;

namespace LabelSphere.Training.Images;

/// <summary>
/// Turns an image file into the input of ML.NET's pretrained image networks exactly as ML.NET's own pipeline does
/// (<c>LoadImages</c>, <c>ResizeImages(224, 224)</c> with its default isotropic crop at the centre, <c>ExtractPixels</c>):
/// the whole image decoded, scaled so that it covers the square (its shorter side to the square's side) with the
/// overflow cut evenly from both ends, and written as R, G and B planes of values from 0 to 255.
/// </summary>
/// <remarks>
/// ML.NET draws with SkiaSharp's "high" filter quality, which its Skia (SkiaSharp 2.88) carries out as bilinear
/// filtering in the nearest mipmap level when shrinking and as Mitchell's cubic when enlarging; the same sampling is
/// asked for here. SkiaSharp 3's rasteriser rounds differently: on COCO photos a pixel differs from ML.NET's by at
/// most 2 (out of 255), about 0.05 on average, and a feature by at most about 0.05 (features reach 15). Transparent pixels
/// are composited over <c>background</c> (ML.NET draws onto an uninitialised opaque bitmap instead).
/// </remarks>
internal static class PretrainedPreprocessing
{
    /// <summary>
    /// Writes the [3, <paramref name="side"/>, <paramref name="side"/>] R, G, B planes (0–255) of the image in
    /// <paramref name="path"/> to <paramref name="output"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ImageDecodeException">The file is not an image SkiaSharp can decode.</exception>
    public static void Render(string path, int side, ImageColor background, Span<float> output)
    {
        int plane = side * side;
        if (output.Length != 3 * plane) throw new ArgumentException($"the output must hold 3×{side}×{side} values, got {output.Length}", nameof(output));
        using var decoded = DecodeWhole(path, background);
        using var image = SKImage.FromBitmap(decoded);
        var squareInfo = new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(squareInfo)
            ?? throw new ImageDecodeException($"SkiaSharp could not make a {side}×{side} surface");
        var canvas = surface.Canvas;
        canvas.Clear(new SKColor(background.Red, background.Green, background.Blue));
        var (destination, upscale) = CoverRect(decoded.Width, decoded.Height, side);
        var sampling = upscale
            ? new SKSamplingOptions(SKCubicResampler.Mitchell)
            : new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Nearest);
        canvas.DrawImage(image, new SKRect(0, 0, decoded.Width, decoded.Height), destination, sampling);
        canvas.Flush();

        var pixels = new byte[plane * 4];
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            if (!surface.ReadPixels(squareInfo, handle.AddrOfPinnedObject(), side * 4, 0, 0))
                throw new ImageDecodeException($"SkiaSharp could not read back the {side}×{side} square");
        }
        finally
        {
            handle.Free();
        }
        // Over an opaque background every pixel is opaque, so premultiplied values are the colours themselves.
        var r = output[..plane];
        var g = output.Slice(plane, plane);
        var b = output.Slice(2 * plane, plane);
        for (int i = 0, p = 0; i < plane; i++, p += 4)
        {
            r[i] = pixels[p];
            g[i] = pixels[p + 1];
            b[i] = pixels[p + 2];
        }
    }

    /// <summary>
    /// Where a <paramref name="width"/>×<paramref name="height"/> image is drawn to cover a square of
    /// <paramref name="side"/>: ML.NET's arithmetic (single precision, truncated to whole pixels), and whether that enlarges.
    /// </summary>
    internal static (SKRect Destination, bool Upscale) CoverRect(int width, int height, int side)
    {
        float widthAspect = (float)side / width;
        float heightAspect = (float)side / height;
        float aspect;
        int x = 0, y = 0;
        if (heightAspect < widthAspect)
        {
            aspect = widthAspect;
            y = (int)((side - height * aspect) / 2);
        }
        else
        {
            aspect = heightAspect;
            x = (int)((side - width * aspect) / 2);
        }
        int drawnWidth = (int)(width * aspect);
        int drawnHeight = (int)(height * aspect);
        return (new SKRect(x, y, x + drawnWidth, y + drawnHeight), aspect > 1);
    }

    /// <summary>
    /// The whole image in <paramref name="path"/>, decoded to RGBA at its own size; an image with transparency is
    /// composited over <paramref name="background"/> there, before any resampling, so that it gives exactly what the
    /// same picture drawn on that background gives.
    /// </summary>
    static SKBitmap DecodeWhole(string path, ImageColor background)
    {
        using var codec = ImageDecoder.Open(path);
        var size = codec.Info.Size;
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var bitmap = new SKBitmap(info);
        try
        {
            ImageDecoder.Read(codec, info, bitmap.GetPixels());
            if (codec.Info.AlphaType == SKAlphaType.Opaque) return bitmap;
            var opaque = new SKBitmap(info);
            using (var canvas = new SKCanvas(opaque))
            {
                canvas.Clear(new SKColor(background.Red, background.Green, background.Blue));
                canvas.DrawBitmap(bitmap, 0, 0);
            }
            bitmap.Dispose();
            return opaque;
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }
}
