using static TorchSharp.torch;

namespace LabelSphere.Training;

/// <summary>Memory layouts of image batches that TorchSharp 0.107 does not offer itself.</summary>
internal static class MemoryFormat
{
    /// <summary>
    /// The same values laid out channels-last (NHWC strides; the shape stays [batch, channels, height, width]), the
    /// layout oneDNN's CPU convolutions and libtorch's pooling and batch norm work in without reordering. Later
    /// layers keep the layout. TorchSharp 0.107 has no <c>contiguous(memory_format)</c>: the tensor is made with
    /// channels-last strides and copied into, which autograd differentiates like any copy.
    /// </summary>
    /// <param name="images">[batch, channels, height, width]</param>
    public static Tensor ChannelsLast(Tensor images)
    {
        if (images.dim() != 4) throw new ArgumentException($"channels-last needs [batch, channels, height, width], got {images.dim()} dimensions", nameof(images));
        long n = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        return empty_strided([n, c, h, w], [c * h * w, 1, w * c, c], images.dtype, images.device).copy_(images);
    }
}
