using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.FileProviders;

namespace LabelSphere.Serve;

/// <summary>
/// The page at <c>/</c> (<c>wwwroot/</c>: plain HTML, JavaScript and CSS, no build step), embedded in this assembly so
/// that it is served wherever the service runs: a build, a published tool or a packed one.
/// </summary>
internal static class WebPage
{
    public static void Map(WebApplication app)
    {
        var files = new EmbeddedFileProvider(typeof(WebPage).Assembly, "LabelSphere.Serve.wwwroot");
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
    }
}
