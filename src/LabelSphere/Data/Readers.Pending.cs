// Placeholder until the readers land; deleted by the readers branch.
namespace LabelSphere.Data;

internal static class FormatDetector { public static AnnotationFormat Detect(string path) => throw new NotImplementedException(path); }
internal sealed class ExtremeTextReader(string p, ReaderOptions o) : PendingReader(p, AnnotationFormat.ExtremeText, o);
internal sealed class MulanArffReader(string p, ReaderOptions o) : PendingReader(p, AnnotationFormat.MulanArff, o);
internal sealed class WideCsvReader(string p, ReaderOptions o) : PendingReader(p, AnnotationFormat.WideCsv, o);
internal sealed class LongCsvReader(string p, ReaderOptions o) : PendingReader(p, AnnotationFormat.LongCsv, o);
internal sealed class CocoInstancesReader(string p, ReaderOptions o) : PendingReader(p, AnnotationFormat.CocoInstances, o);
internal sealed class CocoCaptionsReader(string p, ReaderOptions o) : PendingReader(p, AnnotationFormat.CocoCaptions, o);
internal abstract class PendingReader(string p, AnnotationFormat f, ReaderOptions o) : AnnotationStream(p, f, o)
{
    public override LabelVocabulary Vocabulary => throw new NotImplementedException();
    public override IEnumerable<AnnotationChunk> ReadChunks(int chunkSize = 65536) => throw new NotImplementedException();
}
