using System.Runtime.InteropServices;
using SkiaSharp;

namespace LabelSphere.Training.Images;

/// <summary>An image at its working size: premultiplied RGBA, 8 bits a channel, rows top to bottom without padding.</summary>
internal sealed record DecodedImage(byte[] Pixels, int Width, int Height);

/// <summary>A file that exists but is not an image SkiaSharp can decode; the message says why.</summary>
internal sealed class ImageDecodeException(string message) : Exception(message);

/// <summary>Decodes image files with SkiaSharp and brings them to the working size a source crops from.</summary>
internal static class ImageDecoder
{
    /// <summary>
    /// The working size of a <paramref name="width"/>×<paramref name="height"/> image: its shorter side at
    /// <paramref name="size"/> (aspect kept) for <see cref="ImageResize.CenterCrop"/>, size×size for <see cref="ImageResize.Stretch"/>.
    /// </summary>
    public static (int Width, int Height) WorkingSize(int width, int height, int size, ImageResize resize)
    {
        if (resize == ImageResize.Stretch || width == height) return (size, size);
        return width < height
            ? (size, Math.Max(size, (int)Math.Round((double)height * size / width)))
            : (Math.Max(size, (int)Math.Round((double)width * size / height)), size);
    }

    /// <summary>
    /// Decodes <paramref name="path"/> (PNG, JPEG, WebP, GIF's first frame...; EXIF orientation is not applied, as
    /// with torchvision's loader) to premultiplied RGBA at its <see cref="WorkingSize"/>. JPEGs are decoded directly at
    /// the smallest eighth-scale that is still at least that size; the rest of the way is resampled.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ImageDecodeException">The file is not an image SkiaSharp can decode.</exception>
    public static DecodedImage Decode(string path, int size, ImageResize resize)
    {
        using var codec = Open(path);
        var original = codec.Info.Size;
        var (width, height) = WorkingSize(original.Width, original.Height, size, resize);

        var decoded = original;
        double scale = Math.Max((double)width / original.Width, (double)height / original.Height);
        // Only formats that decode at a smaller scale (JPEG, in eighths) answer with anything but the original size;
        // the nearest eighth may fall short of the working size, so the next ones up are tried too.
        for (double desired = scale; desired < 1; desired += 0.125)
        {
            var scaled = codec.GetScaledDimensions((float)desired);
            if (scaled.Width >= width && scaled.Height >= height)
            {
                decoded = scaled;
                break;
            }
        }

        var decodedInfo = new SKImageInfo(decoded.Width, decoded.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var pixels = new byte[decodedInfo.BytesSize64];
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            Read(codec, decodedInfo, handle.AddrOfPinnedObject());
        }
        finally
        {
            handle.Free();
        }
        if (decoded.Width == width && decoded.Height == height) return new DecodedImage(pixels, width, height);

        var resized = new byte[(long)width * height * 4];
        Scale(pixels, decoded.Width, decoded.Height, decoded.Width * 4, 0, resized, width, height);
        return new DecodedImage(resized, width, height);
    }

    /// <summary>A codec over <paramref name="path"/> that declares a non-empty image; the caller disposes it.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ImageDecodeException">The file is not an image SkiaSharp can decode.</exception>
    internal static SKCodec Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var codec = SKCodec.Create(path, out var created)
            ?? throw new ImageDecodeException($"SkiaSharp recognises no image format in it ({created})");
        var size = codec.Info.Size;
        if (size.Width > 0 && size.Height > 0) return codec;
        codec.Dispose();
        throw new ImageDecodeException($"it declares an empty image ({size.Width}×{size.Height})");
    }

    /// <summary>Decodes the image of <paramref name="codec"/> as <paramref name="info"/> into <paramref name="pixels"/>, or says why it cannot.</summary>
    /// <exception cref="ImageDecodeException">The file is truncated or otherwise undecodable.</exception>
    internal static void Read(SKCodec codec, SKImageInfo info, IntPtr pixels)
    {
        var result = codec.GetPixels(info, pixels);
        if (result != SKCodecResult.Success)
            throw new ImageDecodeException(result == SKCodecResult.IncompleteInput
                ? "the file ends before the image does (truncated?)"
                : $"decoding failed ({result})");
    }

    /// <summary>
    /// Resamples the <paramref name="sourceWidth"/>×<paramref name="sourceHeight"/> premultiplied RGBA region that
    /// starts <paramref name="sourceOffset"/> bytes into <paramref name="source"/> (rows <paramref name="sourceRowBytes"/>
    /// apart) onto all of <paramref name="target"/>: trilinear (mipmaps) when shrinking to less than half, so that
    /// fine detail averages instead of aliasing, and Mitchell's cubic otherwise.
    /// </summary>
    public static void Scale(byte[] source, int sourceWidth, int sourceHeight, int sourceRowBytes, long sourceOffset,
                             byte[] target, int targetWidth, int targetHeight)
    {
        var sourceHandle = GCHandle.Alloc(source, GCHandleType.Pinned);
        var targetHandle = GCHandle.Alloc(target, GCHandleType.Pinned);
        try
        {
            using var from = new SKPixmap(new SKImageInfo(sourceWidth, sourceHeight, SKColorType.Rgba8888, SKAlphaType.Premul),
                                          sourceHandle.AddrOfPinnedObject() + (nint)sourceOffset, sourceRowBytes);
            using var to = new SKPixmap(new SKImageInfo(targetWidth, targetHeight, SKColorType.Rgba8888, SKAlphaType.Premul),
                                        targetHandle.AddrOfPinnedObject(), targetWidth * 4);
            // Mipmaps cost about five times a cubic pass, and a cubic's support suffices down to half size.
            bool farShrink = 2 * targetWidth < sourceWidth || 2 * targetHeight < sourceHeight;
            var sampling = farShrink
                ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)
                : new SKSamplingOptions(SKCubicResampler.Mitchell);
            if (!from.ScalePixels(to, sampling))
                throw new ImageDecodeException($"SkiaSharp could not resample {sourceWidth}×{sourceHeight} to {targetWidth}×{targetHeight}");
        }
        finally
        {
            sourceHandle.Free();
            targetHandle.Free();
        }
    }
}
