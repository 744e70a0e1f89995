using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LabelSphere.Training.Images;

/// <summary>How an image of any shape becomes a square of <see cref="ImageSourceOptions.Size"/> pixels.</summary>
public enum ImageResize
{
    /// <summary>Scale the shorter side to the size, keeping the aspect ratio, then take the centre square.</summary>
    CenterCrop,

    /// <summary>Scale both sides to the size, distorting the aspect ratio, so that nothing is cut off.</summary>
    Stretch,
}

/// <summary>The random crop applied to training batches (those asked for with <c>augment</c>).</summary>
public enum ImageCrop
{
    /// <summary>No crop: the image as <see cref="ImageSourceOptions.Resize"/> makes it (flips still apply).</summary>
    None,

    /// <summary>
    /// Inception's crop (torchvision's RandomResizedCrop): a rectangle of random area (a fraction between
    /// <see cref="ImageSourceOptions.MinCropArea"/> and <see cref="ImageSourceOptions.MaxCropArea"/> of the image) and
    /// random aspect ratio (between 3:4 and 4:3), scaled to the output size.
    /// </summary>
    RandomResized,

    /// <summary>
    /// The CIFAR crop: the output square shifted by up to <see cref="ImageSourceOptions.CropPadding"/> pixels each way,
    /// the uncovered border filled with the background colour.
    /// </summary>
    Padded,
}

/// <summary>
/// How an image source (<c>ImageSource</c> of the LabelSphere.Images package) decodes, resizes, normalises and augments images, and how much work it does ahead.
/// Immutable; checked when a source is made. As JSON (an image model's <see cref="TrainingOptions.Image"/>) it holds
/// what decides the input values; the thread, prefetch, cache and skip settings are left out.
/// </summary>
public sealed record ImageSourceOptions
{
    /// <summary>Side of the square network input in pixels: 299 for Inception v3 (the default), 64 for the emoji set.</summary>
    public int Size { get; init; } = 299;

    /// <summary>How non-square images are made square; <see cref="ImageResize.CenterCrop"/> by default.</summary>
    public ImageResize Resize { get; init; } = ImageResize.CenterCrop;

    /// <summary>The colour transparent pixels are composited over (and padded crops are filled with): white.</summary>
    public ImageColor Background { get; init; } = ImageColor.White;

    /// <summary>
    /// Per-channel (R, G, B) mean subtracted from values in [0, 1]: ImageNet's 0.485, 0.456, 0.406 (torchvision's).
    /// An input value is <c>(v / 255 − Mean[c]) / Std[c]</c> for the 0–255 value v after compositing.
    /// </summary>
    public float[] Mean { get; init; } = [0.485f, 0.456f, 0.406f];

    /// <summary>Per-channel (R, G, B) standard deviation divided by: ImageNet's 0.229, 0.224, 0.225.</summary>
    public float[] Std { get; init; } = [0.229f, 0.224f, 0.225f];

    /// <summary>Mirror each training image left to right with probability ½. On by default.</summary>
    public bool HorizontalFlip { get; init; } = true;

    /// <summary>The random crop of training images; <see cref="ImageCrop.RandomResized"/> by default.</summary>
    public ImageCrop Crop { get; init; } = ImageCrop.RandomResized;

    /// <summary>Smallest fraction of the image's area a random resized crop keeps: 0.08, as in Inception and torchvision.</summary>
    public double MinCropArea { get; init; } = 0.08;

    /// <summary>Largest fraction of the image's area a random resized crop keeps: 1.</summary>
    public double MaxCropArea { get; init; } = 1.0;

    /// <summary>Largest shift of a padded crop, in output pixels: 4 (CIFAR's, for 32-pixel images).</summary>
    public int CropPadding { get; init; } = 4;

    /// <summary>
    /// A pretrained network whose features stand for each image (<c>ImageSource.ExtractFeatures</c>): inputs are
    /// then [features], extracted once from the whole image (never augmented) and divided by their L2 norm; null (the
    /// default) for the pixels themselves.
    /// </summary>
    public PretrainedNetwork? Pretrained { get; init; }

    /// <summary>
    /// Where features of a <see cref="Pretrained"/> network are stored for later runs (<c>FeatureStore</c>):
    /// <see cref="PretrainedNetworks.DefaultFeatureStore"/> by default, null to extract every time.
    /// </summary>
    [JsonIgnore]
    public string? FeatureStore { get; init; } = PretrainedNetworks.DefaultFeatureStore;

    /// <summary>
    /// Where a <see cref="Pretrained"/> network extracts features: the CPU by default; with <see cref="DeviceKind.Cuda"/>
    /// the first CUDA device where ONNX Runtime has its CUDA provider and finds one, else the CPU (and the extraction's
    /// report says why). Training runs where <see cref="TrainingOptions.Device"/> says.
    /// </summary>
    [JsonIgnore]
    public DeviceKind Device { get; init; } = DeviceKind.Cpu;

    /// <summary>Threads that decode the images of a batch: all processors by default.</summary>
    [JsonIgnore]
    public int DecodeThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>Batches prepared ahead of the one being consumed: 2.</summary>
    [JsonIgnore]
    public int PrefetchBatches { get; init; } = 2;

    /// <summary>
    /// Bytes of decoded, resized images kept in memory so that later epochs skip decoding: 1 GiB by default, 0 to
    /// decode every time. An image takes 4 bytes a pixel at its resized size (16 KiB for a 64-pixel emoji, about
    /// 470 KiB for a 4:3 photograph at 299); once the budget is spent further images are decoded every time.
    /// </summary>
    [JsonIgnore]
    public long CacheBytes { get; init; } = 1L << 30;

    /// <summary>
    /// Skip and count instances whose image is missing or cannot be decoded instead of stopping at the first; a
    /// batch then lists only the instances it holds (<see cref="InstanceBatch.Indices"/>).
    /// </summary>
    [JsonIgnore]
    public bool SkipInvalid { get; init; }

    /// <summary>One instance's input: [3, <see cref="Size"/>, <see cref="Size"/>], or [features] of a <see cref="Pretrained"/> network.</summary>
    internal long[] InputShape() => Pretrained is { } network ? [PretrainedNetworks.FeatureSize(network)] : [3, Size, Size];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range and the rule it breaks.</summary>
    public void Validate()
    {
        if (Size < 1) throw new ArgumentOutOfRangeException(nameof(Size), Size, $"the image size must be at least 1 pixel, got {Size}");
        if (!Enum.IsDefined(Resize)) throw new ArgumentOutOfRangeException(nameof(Resize), Resize, "unknown resize mode");
        if (Pretrained is { } pretrained && !Enum.IsDefined(pretrained)) throw new ArgumentOutOfRangeException(nameof(Pretrained), pretrained, "unknown pretrained network");
        if (!Enum.IsDefined(Crop)) throw new ArgumentOutOfRangeException(nameof(Crop), Crop, "unknown crop");
        if (Mean is not { Length: 3 }) throw new ArgumentException($"Mean must have 3 values (R, G, B), got {Mean?.Length ?? 0}", nameof(Mean));
        if (Std is not { Length: 3 }) throw new ArgumentException($"Std must have 3 values (R, G, B), got {Std?.Length ?? 0}", nameof(Std));
        foreach (var s in Std)
            if (!(s > 0) || float.IsInfinity(s)) throw new ArgumentOutOfRangeException(nameof(Std), s, $"every standard deviation must be positive and finite, got {s}");
        foreach (var m in Mean)
            if (!float.IsFinite(m)) throw new ArgumentOutOfRangeException(nameof(Mean), m, $"every mean must be finite, got {m}");
        if (!(MinCropArea > 0 && MinCropArea <= MaxCropArea && MaxCropArea <= 1))
            throw new ArgumentOutOfRangeException(nameof(MinCropArea), $"crop areas must satisfy 0 < MinCropArea ≤ MaxCropArea ≤ 1, got {MinCropArea} and {MaxCropArea}");
        if (CropPadding < 0) throw new ArgumentOutOfRangeException(nameof(CropPadding), CropPadding, $"the crop padding must be 0 or more pixels, got {CropPadding}");
        if (!Enum.IsDefined(Device)) throw new ArgumentOutOfRangeException(nameof(Device), Device, "unknown device");
        if (DecodeThreads < 1) throw new ArgumentOutOfRangeException(nameof(DecodeThreads), DecodeThreads, $"at least one decode thread is needed, got {DecodeThreads}");
        if (PrefetchBatches < 1) throw new ArgumentOutOfRangeException(nameof(PrefetchBatches), PrefetchBatches, $"at least one batch must be prepared ahead, got {PrefetchBatches}");
        if (CacheBytes < 0) throw new ArgumentOutOfRangeException(nameof(CacheBytes), CacheBytes, $"the cache budget must be 0 or more bytes, got {CacheBytes}");
    }
}

/// <summary>An 8-bit sRGB colour with straight (not premultiplied) alpha, written as <c>#aarrggbb</c>.</summary>
/// <param name="Red">Red, 0–255.</param>
/// <param name="Green">Green, 0–255.</param>
/// <param name="Blue">Blue, 0–255.</param>
/// <param name="Alpha">Opacity, 0 (transparent) to 255 (opaque, the default).</param>
[JsonConverter(typeof(HexColorJsonConverter))]
public readonly record struct ImageColor(byte Red, byte Green, byte Blue, byte Alpha = 255)
{
    /// <summary>Opaque white.</summary>
    public static ImageColor White { get; } = new(255, 255, 255);

    /// <summary>Opaque black.</summary>
    public static ImageColor Black { get; } = new(0, 0, 0);

    /// <summary>
    /// Reads <c>#rgb</c>, <c>#argb</c>, <c>#rrggbb</c> or <c>#aarrggbb</c> (hexadecimal digits, the <c>#</c> optional);
    /// a colour without alpha is opaque.
    /// </summary>
    public static bool TryParse(string? text, out ImageColor color)
    {
        color = default;
        var digits = text.AsSpan().Trim();
        if (digits.StartsWith("#")) digits = digits[1..];
        if (digits.Length is not (3 or 4 or 6 or 8)) return false;
        if (!uint.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint value)) return false;
        if (digits.Length <= 4)
        {
            // One digit a channel: each stands for itself repeated (#f80 is #ff8800).
            uint wide = 0;
            for (int shift = 4 * (digits.Length - 1); shift >= 0; shift -= 4)
                wide = (wide << 8) | ((value >> shift) & 0xF) * 0x11;
            value = wide;
        }
        if (digits.Length is 3 or 6) value |= 0xFF000000;
        color = new ImageColor((byte)(value >> 16), (byte)(value >> 8), (byte)value, (byte)(value >> 24));
        return true;
    }

    /// <summary><c>#aarrggbb</c> in lower-case hexadecimal.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"#{Alpha:x2}{Red:x2}{Green:x2}{Blue:x2}");
}

/// <summary>An <see cref="ImageColor"/> as the JSON string <c>#aarrggbb</c>.</summary>
internal sealed class HexColorJsonConverter : JsonConverter<ImageColor>
{
    public override ImageColor Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetString() is { } text && ImageColor.TryParse(text, out var color)
            ? color
            : throw new JsonException($"'{reader.GetString()}' is not a colour written as #aarrggbb or #rrggbb");

    public override void Write(Utf8JsonWriter writer, ImageColor value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
