using LabelSphere.Training.Images;
using SkiaSharp;

namespace LabelSphere.Tests.Training.Images;

public sealed class ImageColorTests
{
    [Theory]
    [InlineData("#f80")]
    [InlineData("#8f80")]
    [InlineData("#0a141e")]
    [InlineData("#800a141e")]
    [InlineData("FFFFFF")]
    public void A_hex_colour_reads_as_SkiaSharp_reads_it(string text)
    {
        // Given a colour in one of the hexadecimal forms SkiaSharp (the decoder's library) accepts
        Assert.True(SKColor.TryParse(text, out var expected));

        // When the core library, which does not depend on SkiaSharp, reads it
        Assert.True(ImageColor.TryParse(text, out var color));

        // Then both read the same channels
        Assert.Equal((expected.Red, expected.Green, expected.Blue, expected.Alpha), (color.Red, color.Green, color.Blue, color.Alpha));
    }

    [Theory]
    [InlineData("")]
    [InlineData("#12")]
    [InlineData("#12345")]
    [InlineData("#gg0000")]
    [InlineData("#-12345")]
    public void A_string_that_is_no_hex_colour_is_refused(string text)
    {
        Assert.False(SKColor.TryParse(text, out _));
        Assert.False(ImageColor.TryParse(text, out _));
    }

    [Fact]
    public void A_colour_written_out_reads_back_the_same()
    {
        var color = new ImageColor(10, 20, 30, 40);
        Assert.Equal("#280a141e", color.ToString());
        Assert.True(ImageColor.TryParse(color.ToString(), out var read));
        Assert.Equal(color, read);
    }
}
