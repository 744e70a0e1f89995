using System.Globalization;
using System.Text;
using LabelSphere.IO;

namespace LabelSphere.Training.Images;

/// <summary>
/// The pretrained features of an image set written as an Extreme Classification text data set, which every verb
/// reads as feature data: <c>features_data.txt</c> (<c>N F L</c>, then per image its label ids and its non-zero
/// features as <c>f:v</c>, the values the model sees: L2-normalised), <c>features_labels.txt</c> and
/// <c>features_features.txt</c> (names beside it, so the reader finds them), and <c>images.txt</c> (the image of each
/// line, in order).
/// </summary>
internal static class FeatureFile
{
    /// <summary>The data file's name in the folder.</summary>
    public const string DataFile = "features_data.txt";

    /// <summary>The kind of folder it writes: recognised by its data and image list.</summary>
    public static readonly OutputKind Kind = new("extracted image features",
        folder => File.Exists(Path.Combine(folder, DataFile)) && File.Exists(Path.Combine(folder, "images.txt")),
        [DataFile, "features_labels.txt", "features_features.txt", "images.txt"]);

    /// <summary>
    /// Writes the features of <paramref name="source"/> (a source with a pretrained network; extracted or read back
    /// first) to <paramref name="output"/>, opened by the caller with <see cref="Kind"/>. Images left out as invalid
    /// are left out of the file and of images.txt. Returns the number of images written.
    /// </summary>
    public static int Write(ImageSource source, OutputFolder output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(output);
        if (source.Options.Pretrained is not { } network)
            throw new ArgumentException("the source gives pixels; features are written for a source with a pretrained network", nameof(source));
        int width = PretrainedNetworks.FeatureSize(network);
        var order = Enumerable.Range(0, source.Count).ToArray();
        var batches = source.Batches(order, 256, augment: false, seed: 0, cancellationToken).ToList();
        int written = batches.Sum(b => b.Indices.Length);
        output.Write(temp =>
        {
            using (var data = new StreamWriter(Path.Combine(temp, DataFile), false, new UTF8Encoding(false), 1 << 20) { NewLine = "\n" })
            using (var images = new StreamWriter(Path.Combine(temp, "images.txt"), false, new UTF8Encoding(false)) { NewLine = "\n" })
            {
                data.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{written} {width} {Math.Max(1, source.Vocabulary.Count)}"));
                var line = new StringBuilder();
                foreach (var batch in batches)
                    for (int j = 0; j < batch.Indices.Length; j++)
                    {
                        int instance = batch.Indices[j];
                        line.Clear();
                        var labels = source.Labels.Row(instance);
                        for (int k = 0; k < labels.Length; k++)
                        {
                            if (k > 0) line.Append(',');
                            line.Append(labels[k].ToString(CultureInfo.InvariantCulture));
                        }
                        var row = batch.Inputs.AsSpan(j * width, width);
                        for (int f = 0; f < width; f++)
                            if (row[f] != 0)
                                line.Append(' ').Append(f.ToString(CultureInfo.InvariantCulture)).Append(':').Append(row[f].ToString("R", CultureInfo.InvariantCulture));
                        data.WriteLine(line.ToString());
                        images.WriteLine(source.ImageIds[instance]);
                    }
            }
            File.WriteAllLines(Path.Combine(temp, "features_labels.txt"), source.Vocabulary.Count > 0 ? source.Vocabulary.Names : ["(none)"]);
            File.WriteAllLines(Path.Combine(temp, "features_features.txt"),
                Enumerable.Range(0, width).Select(f => string.Create(CultureInfo.InvariantCulture, $"{PretrainedNetworks.Name(network)}:{f}")));
        });
        return written;
    }
}
