using System.Runtime.InteropServices;
using System.Text;

namespace LabelSphere.IO;

/// <summary>How a run may treat its output folder.</summary>
public sealed record OutputOptions
{
    /// <summary>Replace an existing folder of the same kind (never one that holds anything else).</summary>
    public bool Overwrite { get; init; }

    /// <summary>The files and folders the run reads: the output folder must not contain them, nor be one of its input files.</summary>
    public IReadOnlyList<string> Inputs { get; init; } = [];
}

/// <summary>Why an output folder was refused.</summary>
public enum OutputRefusal
{
    /// <summary>It already holds this kind's output, and overwriting was not asked for.</summary>
    Exists,
    /// <summary>It holds files this kind does not write (or is another kind's output).</summary>
    NotOurs,
    /// <summary>It is, or contains, one of the run's inputs.</summary>
    ContainsInput,
    /// <summary>It is, or contains, the working directory.</summary>
    WorkingDirectory,
    /// <summary>A file is there.</summary>
    IsAFile,
    /// <summary>Another process is writing it.</summary>
    Locked,
}

/// <summary>An output folder that may not be written: which, and why, in one line.</summary>
public sealed class OutputFolderException : IOException
{
    internal OutputFolderException(string folder, OutputKind kind, OutputRefusal reason, string message) : base(message)
    {
        Kind = kind;
        Folder = folder;
        Reason = reason;
    }

    /// <summary>What was to be written there.</summary>
    internal OutputKind Kind { get; }

    /// <summary>The folder's full path.</summary>
    public string Folder { get; }

    /// <summary>Why it was refused.</summary>
    public OutputRefusal Reason { get; }
}

/// <summary>
/// The one rule for every folder LabelSphere writes. A folder may be written when it is absent or empty; an existing
/// folder is replaced only when it is the same kind's own output (<see cref="OutputKind"/>), holds nothing else and
/// overwriting was asked for; a folder that is or contains an input or the working directory never is. While open,
/// the folder is locked against other processes (a hidden <c>.name.lock</c> beside it, held with an OS lock that dies
/// with the process, so a killed run's file blocks nobody), and what a killed run left beside it is cleaned up or
/// restored (<see cref="AtomicFolder.Recover"/>). Write it whole with <see cref="Write"/>, in steps through
/// <see cref="Stage"/> and <see cref="Commit"/>, or in place with <see cref="OpenInPlace"/> (a training run that
/// checkpoints and resumes).
/// </summary>
internal sealed class OutputFolder : IDisposable
{
    readonly FileStream lockStream;
    readonly string lockPath;
    readonly bool replace;
    string? staging;
    bool inPlace, createdInPlace;
    bool disposed;

    OutputFolder(string path, OutputKind kind, FileStream lockStream, string lockPath, bool existing, bool replace)
    {
        Path = path;
        Kind = kind;
        this.lockStream = lockStream;
        this.lockPath = lockPath;
        Existing = existing;
        this.replace = replace;
    }

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>What it holds.</summary>
    public OutputKind Kind { get; }

    /// <summary>Whether it already held this kind's output when opened (replaced by the writes, or continued in place).</summary>
    public bool Existing { get; }

    /// <summary>
    /// Checks <paramref name="path"/> against the rule, locks it and recovers what a killed run left beside it.
    /// <paramref name="continuing"/> accepts the kind's own output without overwriting it (a run resumed in place).
    /// Throws <see cref="OutputFolderException"/> when the folder may not be written.
    /// </summary>
    public static OutputFolder Open(string path, OutputKind kind, OutputOptions? options = null, bool continuing = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(kind);
        options ??= new OutputOptions();
        if (continuing && options.Overwrite) throw new ArgumentException("an output folder is either continued or overwritten, not both");
        var full = Full(path);
        var parent = System.IO.Path.GetDirectoryName(full)
            ?? throw new OutputFolderException(full, kind, OutputRefusal.WorkingDirectory, $"{full} is the root of the file system; choose a new or empty folder");
        foreach (var input in options.Inputs)
        {
            if (string.IsNullOrWhiteSpace(input)) continue;
            var inputPath = Full(input);
            if (inputPath == full && File.Exists(inputPath))
                throw new OutputFolderException(full, kind, OutputRefusal.ContainsInput, $"{full} is an input file; choose a new or empty folder for the output");
            // A folder may be rewritten by the verb that reads it (a label added to an embedding in place), never one that holds an input.
            if (inputPath != full && IsSameOrInside(inputPath, full))
                throw new OutputFolderException(full, kind, OutputRefusal.ContainsInput, $"{full} contains the input {inputPath}; choose a new or empty folder for the output");
        }
        if (File.Exists(full)) throw new OutputFolderException(full, kind, OutputRefusal.IsAFile, $"{full} is a file; an output folder was expected there");
        if (IsSameOrInside(Full(Environment.CurrentDirectory), full))
            throw new OutputFolderException(full, kind, OutputRefusal.WorkingDirectory, $"{full} is the working directory{(Full(Environment.CurrentDirectory) == full ? "" : " or contains it")}; choose a new or empty folder for the output");
        Directory.CreateDirectory(parent);
        var lockPath = System.IO.Path.Combine(parent, $".{System.IO.Path.GetFileName(full)}.lock");
        var lockStream = Lock(lockPath, full, kind);
        try
        {
            AtomicFolder.Recover(full);
            bool existing = false, replace = false;
            if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            {
                if (!kind.Recognises(full))
                    throw new OutputFolderException(full, kind, OutputRefusal.NotOurs,
                        $"{full} is not empty and is not {kind.Name} written by LabelSphere (it holds {Listing(Directory.EnumerateFileSystemEntries(full).Select(System.IO.Path.GetFileName).ToList()!)}); nothing was changed: choose a new or empty folder");
                var foreign = kind.Foreign(full);
                if (foreign.Count > 0)
                    throw new OutputFolderException(full, kind, OutputRefusal.NotOurs,
                        $"{full} holds {kind.Name} but also {Listing(foreign)}, which LabelSphere did not write; nothing was changed: choose a new or empty folder");
                existing = true;
                if (options.Overwrite) replace = true;
                else if (!continuing)
                    throw new OutputFolderException(full, kind, OutputRefusal.Exists, $"{full} already holds {kind.Name}; it is replaced only when overwriting is asked for");
            }
            return new OutputFolder(full, kind, lockStream, lockPath, existing, replace);
        }
        catch
        {
            Unlock(lockStream, lockPath);
            throw;
        }
    }

    /// <summary>Writes the whole folder: <paramref name="write"/> fills a temporary sibling, which then replaces the folder in one step.</summary>
    public void Write(Action<string> write)
    {
        var temp = Stage();
        try
        {
            write(temp);
        }
        catch
        {
            Discard();
            throw;
        }
        Commit();
    }

    /// <summary>A new, empty temporary sibling to write the folder's content into; <see cref="Commit"/> moves it into place.</summary>
    public string Stage()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (staging is not null) throw new InvalidOperationException("the folder is already being staged");
        staging = AtomicFolder.NewSibling(Path, "tmp");
        Directory.CreateDirectory(staging);
        return staging;
    }

    /// <summary>Replaces the folder with the staged one (see <see cref="Stage"/>).</summary>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var source = staging ?? throw new InvalidOperationException("nothing was staged");
        AtomicFolder.Replace(Path, source);
        staging = null;
    }

    /// <summary>
    /// Makes the folder ready to be written in place and returns its path: created when absent, emptied of the old
    /// output when overwriting (renamed aside in one step, then deleted), left as it is when continuing.
    /// </summary>
    public string OpenInPlace()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (inPlace) return Path;
        inPlace = true;
        if (replace && Directory.Exists(Path))
        {
            var old = AtomicFolder.NewSibling(Path, "old");
            Directory.Move(Path, old);
            Directory.CreateDirectory(Path);
            Directory.Delete(old, recursive: true);
            createdInPlace = true;
        }
        else if (!Directory.Exists(Path))
        {
            Directory.CreateDirectory(Path);
            createdInPlace = true;
        }
        return Path;
    }

    /// <summary>Releases the lock; a staged folder that was not committed is deleted, and so is a folder created in place that stayed empty.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Discard();
        if (createdInPlace && Directory.Exists(Path) && !Directory.EnumerateFileSystemEntries(Path).Any()) Directory.Delete(Path);
        Unlock(lockStream, lockPath);
    }

    void Discard()
    {
        if (staging is null) return;
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        staging = null;
    }

    static string Full(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var root = System.IO.Path.GetPathRoot(full);
        return full.Length > (root?.Length ?? 0) ? full.TrimEnd(System.IO.Path.DirectorySeparatorChar, System.IO.Path.AltDirectorySeparatorChar) : full;
    }

    // Whether inner is folder or lies under it.
    static bool IsSameOrInside(string inner, string folder)
    {
        if (inner == folder) return true;
        var prefix = folder.EndsWith(System.IO.Path.DirectorySeparatorChar) ? folder : folder + System.IO.Path.DirectorySeparatorChar;
        return inner.StartsWith(prefix, StringComparison.Ordinal);
    }

    static string Listing(IReadOnlyList<string> names) =>
        names.Count <= 3 ? string.Join(", ", names) : $"{string.Join(", ", names.Take(3))} and {names.Count - 3} more";

    // The lock: the file opened with FileShare.None, which .NET turns into flock(LOCK_EX | LOCK_NB) on Unix (a lock
    // the kernel drops when the process dies, however it dies) and a sharing lock on Windows. The file holds the
    // owner's pid for the message of the process that finds it locked.
    static FileStream Lock(string lockPath, string folder, OutputKind kind)
    {
        for (int attempt = 0; ; attempt++)
        {
            FileStream stream;
            try
            {
                stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (IsLockConflict(e))
            {
                var who = OwnerPid(lockPath) is { } pid ? $" (pid {pid})" : "";
                throw new OutputFolderException(folder, kind, OutputRefusal.Locked,
                    $"{folder} is being written by another LabelSphere process{who}; wait for it to finish or choose another folder");
            }
            var token = $"{Environment.ProcessId} {Guid.NewGuid():N}\n";
            stream.SetLength(0);
            stream.Write(Encoding.ASCII.GetBytes(token));
            stream.Flush();
            // A process that held the lock deletes its file before letting go; one that opened the file just before
            // that holds a lock on a file no longer there. It sees that the path no longer shows its token, and retries.
            var seen = ReadUnlocked(lockPath);
            if (!OperatingSystem.IsWindows() && seen != token && attempt < 8)
            {
                stream.Dispose();
                continue;
            }
            return stream;
        }
    }

    // The lock owner's pid. The owner writes it just after taking the lock, so a process that finds the lock taken
    // an instant after can read an empty file: it waits up to half a second for the pid to appear.
    static int? OwnerPid(string lockPath)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            if (int.TryParse(ReadUnlocked(lockPath)?.Split(' ', 2)[0], out var pid)) return pid;
            Thread.Sleep(10);
        }
        return null;
    }

    static void Unlock(FileStream stream, string lockPath)
    {
        try
        {
            // Deleted while still held, so no other process can take a lock on a file that is about to vanish unseen.
            if (!OperatingSystem.IsWindows()) File.Delete(lockPath);
        }
        finally
        {
            stream.Dispose();
        }
        if (OperatingSystem.IsWindows())
        {
            try
            {
                File.Delete(lockPath);
            }
            catch (IOException)
            {
                // Another process took it in between.
            }
        }
    }

    static bool IsLockConflict(IOException e) =>
        e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException)
        && (OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 32 or 33 : e.HResult is 11 or 35);

    // The lock file's content, read past the lock (flock is advisory; .NET's own readers would honour it); null when unreadable.
    static string? ReadUnlocked(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        try
        {
            int fd = LibcOpen(path, 0);
            if (fd < 0) return null;
            try
            {
                var buffer = new byte[128];
                var n = LibcRead(fd, buffer, buffer.Length);
                return n < 0 ? null : Encoding.ASCII.GetString(buffer, 0, (int)n);
            }
            finally
            {
                _ = LibcClose(fd);
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    static extern int LibcOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    static extern nint LibcRead(int fd, byte[] buffer, nint count);

    [DllImport("libc", EntryPoint = "close")]
    static extern int LibcClose(int fd);
}
