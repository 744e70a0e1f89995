namespace LabelSphere.Serve;

public sealed partial class LabelService
{
    /// <summary>
    /// Loads the model again from its folder and serves it from now on (labels added there with <c>add-label</c> since
    /// start included); requests under way finish on the model they started with. Throws, and goes on serving the
    /// model it had, when the folder does not load, or for a model that was not loaded from a folder.
    /// </summary>
    public Task<Reloaded> ReloadAsync(CancellationToken cancellationToken = default) => reloader.ReloadAsync(cancellationToken);
}
