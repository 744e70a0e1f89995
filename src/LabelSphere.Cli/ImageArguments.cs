using System.CommandLine;
using LabelSphere.Training;
using LabelSphere.Training.Images;

namespace LabelSphere.Cli;

/// <summary>
/// The options with which <c>train</c> and <c>compare</c> learn from images: where they are, their size, resizing,
/// augmentation and the width of the small CNN.
/// </summary>
internal sealed class ImageArguments
{
    /// <summary>Image side for the backbones made for small images (the emoji set's 64 pixels).</summary>
    public const int SmallImageSize = 64;

    /// <summary>Image side for Inception v3: the size it was designed for.</summary>
    public const int InceptionImageSize = 299;

    // Images up to this side get the CIFAR crop (shifts of an eighth of the side) and larger ones Inception's
    // random resized crop, which would cut most of a small icon away; the same bound picks the small ResNet.
    const int LargestSmallImage = 96;

    public readonly Option<string?> Images = new("--images")
    {
        Description = "Image folder: the data (and --test) is an annotation file whose instances are image files in it (long or wide CSV image,label; COCO instances JSON)",
    };

    public readonly Option<string?> TestImages = new("--test-images") { Description = "Image folder of the --test annotations (default: --images)" };

    public readonly Option<int?> Size = new Option<int?>("--image-size")
    {
        Description = $"Side of the square network input in pixels (default {SmallImageSize} for cnn and resnet, {InceptionImageSize} for inception-v3)",
    }.AtLeast(1);

    public readonly Option<ImageResize> Resize = NamedOptions.Create("--resize", "How non-square images are made square", ImageResize.CenterCrop);

    public readonly Option<bool> Augment = new("--augment")
    {
        Description = $"Random flips and crops of training images: shifts of up to an eighth of the side for images of up to {LargestSmallImage} pixels, Inception's random resized crop above (--augment false: the images as they are); validation and test images are never augmented",
        DefaultValueFactory = _ => true,
    };

    public readonly Option<int> CnnWidth = new Option<int>("--cnn-width")
    {
        Description = "CNN: channels of the first convolution",
        DefaultValueFactory = _ => new TrainingOptions().CnnWidth,
    }.AtLeast(1);

    public readonly Option<FineTuneKind> FineTune = NamedOptions.Create("--fine-tune",
        $"--model resnet18-imagenet: which layers of the pretrained network learn: none (frozen: each image's features extracted once and stored), last-block (its last stage, layer4) or all; fine-tuned, it learns from the images' pixels, augmented as --augment says, in batches of {FineTuneBatchSize} unless --batch-size is given, and is saved with the model",
        FineTuneKind.None);

    /// <summary>Batch size of a fine-tuned network unless --batch-size says otherwise: what a 224-pixel ResNet-18 trains with on a CPU in a few GB.</summary>
    public const int FineTuneBatchSize = 32;

    public void AddTo(Command command)
    {
        command.Options.Add(Images);
        command.Options.Add(TestImages);
        command.Options.Add(Size);
        command.Options.Add(Resize);
        command.Options.Add(Augment);
        command.Options.Add(CnnWidth);
        command.Options.Add(FineTune);
    }

    /// <summary>
    /// The backbone and image options a command line asks for: null image options without --images, where giving any
    /// of the other options here is an error. With --images the backbone defaults to cnn, and the image size to the
    /// backbone's and must be at least its minimum.
    /// </summary>
    public (BackboneKind Backbone, ImageSourceOptions? Image, FineTuneKind FineTune) Resolve(ParseResult parse, Option<BackboneKind> model, bool skipInvalid)
    {
        var backbone = parse.GetValue(model);
        if (parse.GetValue(Images) is null)
        {
            foreach (var option in new Option[] { TestImages, Size, Resize, Augment, CnnWidth, FineTune })
                if (Given(parse, option)) throw new UsageException($"{option.Name} applies to image data; give the image folder with --images");
            return (backbone, null, FineTuneKind.None);
        }

        if (!Given(parse, model)) backbone = BackboneKind.Cnn;
        var fineTune = parse.GetValue(FineTune);
        if (fineTune != FineTuneKind.None && Backbones.Pretrained(backbone) is null)
            throw new UsageException($"--fine-tune applies to a pretrained network (--model {Backbones.Name(BackboneKind.ResNet18ImageNet)}); the {Backbones.Name(backbone)} backbone learns every layer from scratch");
        if (Backbones.Pretrained(backbone) is { } tuned && fineTune != FineTuneKind.None)
        {
            foreach (var option in new Option[] { Size, CnnWidth })
                if (Given(parse, option))
                    throw new UsageException($"{option.Name} does not apply to --model {Backbones.Name(backbone)}: its network takes {PretrainedNetworks.InputSide(tuned)}×{PretrainedNetworks.InputSide(tuned)} images");
            bool augmented = parse.GetValue(Augment);
            // The network's own input: R, G, B from 0 to 255 (its preprocessing, BGR and the mean image, is part of the model).
            var pixels = new ImageSourceOptions
            {
                Size = PretrainedNetworks.InputSide(tuned),
                Resize = parse.GetValue(Resize),
                Mean = [0f, 0f, 0f],
                Std = [1f / 255, 1f / 255, 1f / 255],
                HorizontalFlip = augmented,
                Crop = augmented ? ImageCrop.RandomResized : ImageCrop.None,
                // A quarter of the image at least: a few hundred steps adapt the network, they do not teach it ImageNet's invariances.
                MinCropArea = 0.25,
                SkipInvalid = skipInvalid,
            };
            pixels.Validate();
            return (backbone, pixels, fineTune);
        }
        if (Backbones.Pretrained(backbone) is { } network)
        {
            foreach (var option in new Option[] { Size, Resize, Augment, CnnWidth })
                if (Given(parse, option))
                    throw new UsageException($"{option.Name} does not apply to --model {Backbones.Name(backbone)} without --fine-tune: its frozen network sees each whole image once, scaled and cropped at the centre to {PretrainedNetworks.InputSide(network)}×{PretrainedNetworks.InputSide(network)} as in its training, never augmented");
            var pretrained = new ImageSourceOptions
            {
                Size = PretrainedNetworks.InputSide(network),
                Pretrained = network,
                HorizontalFlip = false,
                Crop = ImageCrop.None,
                SkipInvalid = skipInvalid,
            };
            pretrained.Validate();
            return (backbone, pretrained, FineTuneKind.None);
        }
        if (Backbones.MinimumImageSide(backbone) is not { } minimum)
            throw new UsageException($"the {Backbones.Name(backbone)} backbone takes feature vectors; images need --model cnn, resnet, inception-v3 or resnet18-imagenet");
        int size = parse.GetValue(Size) ?? (backbone == BackboneKind.InceptionV3 ? InceptionImageSize : SmallImageSize);
        if (size < minimum)
            throw new UsageException($"--image-size {size} is below the {Backbones.Name(backbone)} backbone's minimum: it takes images of at least {minimum}×{minimum} pixels");
        bool augment = parse.GetValue(Augment);
        var image = new ImageSourceOptions
        {
            Size = size,
            Resize = parse.GetValue(Resize),
            HorizontalFlip = augment,
            Crop = !augment ? ImageCrop.None : size <= LargestSmallImage ? ImageCrop.Padded : ImageCrop.RandomResized,
            CropPadding = Math.Max(1, size / 8),
            SkipInvalid = skipInvalid,
        };
        image.Validate();
        return (backbone, image, FineTuneKind.None);
    }

    /// <summary>How images are made square and whether training images are augmented, for the setup line and reports.</summary>
    public static string Describe(ImageSourceOptions image) =>
        $"{Cli.Kebab(image.Resize.ToString())}, " +
        (image.Crop == ImageCrop.None && !image.HorizontalFlip ? "not augmented" : $"augmented with flips and {Cli.Kebab(image.Crop.ToString())} crops");

    static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>Throws unless image data comes with an image model and feature data with a feature model.</summary>
    /// <param name="imageFolder">The --images folder given, or null.</param>
    public static void CheckModelInput(LabelClassifier predictor, string modelPath, string dataPath, string? imageFolder)
    {
        if (predictor.Manifest.Options.Image is { } image && imageFolder is null)
            throw new ArgumentException($"{modelPath}: is an image model ({image.Size}×{image.Size} images); give the folder of the images {dataPath} names with --images");
        if (predictor.Manifest.Options.Image is null && imageFolder is not null)
            throw new ArgumentException($"--images: {modelPath} is a model of feature vectors, not of images");
    }
}
