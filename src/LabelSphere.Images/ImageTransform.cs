using System.Buffers;

namespace LabelSphere.Training.Images;

/// <summary>
/// Where one output square comes from: the rectangle of the working image scaled to the output, whether it is
/// mirrored, and how far the result is shifted (padded crops).
/// </summary>
internal readonly record struct ImageView(int X, int Y, int Width, int Height, bool Flip, int ShiftX, int ShiftY);

/// <summary>
/// A small counter-based generator (SplitMix64): each image's draws depend only on the seed, its position in the
/// order and its index, never on which thread prepares it or when.
/// </summary>
internal struct SplitMix64(ulong state)
{
    ulong state = state;

    /// <summary>The generator for the image at <paramref name="position"/> of an order, drawn with <paramref name="seed"/>.</summary>
    public static SplitMix64 For(int seed, int position, int instance)
    {
        var mix = new SplitMix64((ulong)(uint)seed);
        mix = new SplitMix64(mix.Next() ^ (uint)position);
        return new SplitMix64(mix.Next() ^ (uint)instance);
    }

    public ulong Next()
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform over the integers in [<paramref name="low"/>, <paramref name="high"/>].</summary>
    public int NextInt(int low, int high) => low + (int)(NextDouble() * (high - low + 1));
}

/// <summary>Turns a working image into one normalised [3, size, size] input: crop, scale, mirror, composite, normalise.</summary>
internal sealed class ImageTransform
{
    readonly ImageSourceOptions options;
    readonly int size;
    // value = (premultiplied + (255 − alpha)·background/255)·scale + offset, per channel
    readonly float[] background = new float[3];
    readonly float[] scale = new float[3];
    readonly float[] offset = new float[3];

    public ImageTransform(ImageSourceOptions options)
    {
        this.options = options;
        size = options.Size;
        byte[] rgb = [options.Background.Red, options.Background.Green, options.Background.Blue];
        for (int c = 0; c < 3; c++)
        {
            background[c] = rgb[c] / 255f;
            scale[c] = 1f / (255f * options.Std[c]);
            offset[c] = -options.Mean[c] / options.Std[c];
        }
    }

    /// <summary>
    /// The view of a <paramref name="width"/>×<paramref name="height"/> working image: the centre square without
    /// <paramref name="augment"/>, otherwise a flip and a crop drawn from <paramref name="random"/> (flip first).
    /// </summary>
    public ImageView View(int width, int height, bool augment, ref SplitMix64 random)
    {
        var centre = new ImageView((width - size) / 2, (height - size) / 2, size, size, false, 0, 0);
        if (!augment) return centre;
        bool flip = options.HorizontalFlip && (random.Next() & 1) == 1;
        return options.Crop switch
        {
            ImageCrop.None => centre with { Flip = flip },
            ImageCrop.Padded => centre with
            {
                Flip = flip,
                ShiftX = random.NextInt(-options.CropPadding, options.CropPadding),
                ShiftY = random.NextInt(-options.CropPadding, options.CropPadding),
            },
            ImageCrop.RandomResized => RandomResized(width, height, ref random) with { Flip = flip },
            _ => throw new InvalidOperationException($"unknown crop {options.Crop}"),
        };
    }

    /// <summary>torchvision's RandomResizedCrop: ten tries at a random area and aspect ratio, then the centre.</summary>
    ImageView RandomResized(int width, int height, ref SplitMix64 random)
    {
        double area = (double)width * height;
        double logLow = Math.Log(3.0 / 4.0), logHigh = Math.Log(4.0 / 3.0);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (options.MinCropArea + (options.MaxCropArea - options.MinCropArea) * random.NextDouble());
            double ratio = Math.Exp(logLow + (logHigh - logLow) * random.NextDouble());
            int w = (int)Math.Round(Math.Sqrt(target * ratio));
            int h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height)
                return new ImageView(random.NextInt(0, width - w), random.NextInt(0, height - h), w, h, false, 0, 0);
        }
        double aspect = (double)width / height;
        var (cw, ch) = aspect < 3.0 / 4.0 ? (width, (int)Math.Round(width / (3.0 / 4.0)))
                     : aspect > 4.0 / 3.0 ? ((int)Math.Round(height * (4.0 / 3.0)), height)
                     : (width, height);
        cw = Math.Min(cw, width);
        ch = Math.Min(ch, height);
        return new ImageView((width - cw) / 2, (height - ch) / 2, cw, ch, false, 0, 0);
    }

    /// <summary>Writes the <paramref name="view"/> of <paramref name="image"/> to <paramref name="output"/>, [3, size, size] channel-major.</summary>
    public void Render(DecodedImage image, ImageView view, Span<float> output)
    {
        int plane = size * size;
        if (output.Length != 3 * plane) throw new ArgumentException($"the output must hold 3×{size}×{size} values, got {output.Length}", nameof(output));
        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> square;
            int rowBytes;
            if (view.Width == size && view.Height == size)
            {
                // The centre square (or a padded crop of it) is read in place: no resampling.
                square = image.Pixels.AsSpan((view.Y * image.Width + view.X) * 4);
                rowBytes = image.Width * 4;
            }
            else
            {
                rented = ArrayPool<byte>.Shared.Rent(plane * 4);
                ImageDecoder.Scale(image.Pixels, view.Width, view.Height, image.Width * 4, ((long)view.Y * image.Width + view.X) * 4,
                                   rented, size, size);
                square = rented.AsSpan(0, plane * 4);
                rowBytes = size * 4;
            }
            Composite(square, rowBytes, view, output);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    void Composite(ReadOnlySpan<byte> square, int rowBytes, ImageView view, Span<float> output)
    {
        int plane = size * size;
        var r = output[..plane];
        var g = output.Slice(plane, plane);
        var b = output.Slice(2 * plane, plane);
        float bgR = background[0], bgG = background[1], bgB = background[2];
        float sR = scale[0], sG = scale[1], sB = scale[2];
        float oR = offset[0], oG = offset[1], oB = offset[2];
        float fillR = 255f * bgR * sR + oR, fillG = 255f * bgG * sG + oG, fillB = 255f * bgB * sB + oB;
        for (int y = 0; y < size; y++)
        {
            int sy = y + view.ShiftY;
            int row = y * size;
            for (int x = 0; x < size; x++)
            {
                int sx = (view.Flip ? size - 1 - x : x) + view.ShiftX;
                if ((uint)sx >= (uint)size || (uint)sy >= (uint)size)
                {
                    r[row + x] = fillR;
                    g[row + x] = fillG;
                    b[row + x] = fillB;
                    continue;
                }
                int p = sy * rowBytes + sx * 4;
                float transparent = 255 - square[p + 3];
                r[row + x] = (square[p] + transparent * bgR) * sR + oR;
                g[row + x] = (square[p + 1] + transparent * bgG) * sG + oG;
                b[row + x] = (square[p + 2] + transparent * bgB) * sB + oB;
            }
        }
    }
}
