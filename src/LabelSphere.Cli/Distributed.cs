using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text;
using LabelSphere.Native;
using LabelSphere.Training;

namespace LabelSphere.Cli;

/// <summary>How a training verb spreads over processes.</summary>
internal enum Distribution
{
    /// <summary>Open MPI: the processes <c>mpirun</c> started, one rank each.</summary>
    Mpi,
}

/// <summary>
/// This process's place in a data-parallel job started by <c>mpirun</c>: its rank, the ranks' process ids and hosts
/// (exchanged at the start), the agreement on whether every rank could set up, and the one line said when the job is
/// ended because a rank stopped (mpirun then sends SIGTERM to the others).
/// </summary>
internal sealed class Distributed : IDisposable
{
    const int HostBytes = 64;

    readonly Mpi world;
    readonly (int Pid, string Host)[] peers;
    readonly PosixSignalRegistration terminated;
    string? checkpoint;
    int globalBatch;

    /// <summary>The data-parallel side of training that the library runs.</summary>
    public DataParallel Parallel { get; }

    /// <summary>Whether this is rank 0, the one that prints and writes.</summary>
    public bool IsRoot => world.Rank == 0;

    public static readonly Option<Distribution?> Option = NamedOptions.Optional<Distribution>("--distributed",
        "Data-parallel training over the processes started by mpirun (mpirun -np N [-H hosts] labelsphere train ... --distributed mpi): --batch-size rows per process, gradients summed every step, rank 0 writes");

    /// <summary>Joins the job when <paramref name="parse"/> asks for one; null otherwise.</summary>
    public static Distributed? Join(ParseResult parse)
    {
        if (parse.GetValue(Option) is not Distribution.Mpi) return null;
        if (!Mpi.Launched)
            throw new UsageException("--distributed mpi: this process was not started by mpirun; run mpirun -np N [-H hosts] labelsphere train ... --distributed mpi");
        return new Distributed(Mpi.Initialize());
    }

    Distributed(Mpi world)
    {
        this.world = world;
        Parallel = new DataParallel(world);
        peers = new (int, string)[world.Size];
        for (int r = 0; r < world.Size; r++)
        {
            var record = new byte[4 + HostBytes];
            if (r == world.Rank)
            {
                BitConverter.TryWriteBytes(record, Environment.ProcessId);
                Encoding.UTF8.GetBytes(Truncated(Environment.MachineName), record.AsSpan(4));
            }
            world.Broadcast(record, r);
            peers[r] = (BitConverter.ToInt32(record), Encoding.UTF8.GetString(record, 4, HostBytes).TrimEnd('\0'));
        }
        terminated = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Ended);
    }

    static string Truncated(string host) => Encoding.UTF8.GetByteCount(host) <= HostBytes ? host : host[..(HostBytes / 4)];

    /// <summary>
    /// Runs <paramref name="setup"/> on every rank and agrees on its outcome: when it failed anywhere, the lowest rank
    /// that failed rethrows its error (one line, as any error) and the others return false so that they exit quietly.
    /// </summary>
    public bool Agree(Action setup)
    {
        Exception? failure = null;
        try
        {
            setup();
        }
        catch (Exception e)
        {
            failure = e;
        }
        var failed = new float[world.Size];
        failed[world.Rank] = failure is null ? 0 : 1;
        world.AllReduceSum(failed);
        int first = Array.FindIndex(failed, f => f > 0);
        if (first < 0) return true;
        if (first == world.Rank) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure!).Throw();
        return false;
    }

    /// <summary>The run's checkpoint folder and its global batch size (ranks × --batch-size), named in the line said when the job is ended.</summary>
    public void Checkpoints(string folder, int batchSize) => (checkpoint, globalBatch) = (folder, batchSize * world.Size);

    // mpirun ends the others with SIGTERM when a rank exits or is killed: the lowest rank still alive says which one
    // stopped and where the run can resume, and every rank leaves at once (a collective would wait forever).
    void Ended(PosixSignalContext context)
    {
        context.Cancel = true;
        var gone = new List<int>();
        for (int r = 0; r < peers.Length; r++)
            if (r != world.Rank && peers[r].Host == peers[world.Rank].Host && !Alive(peers[r].Pid)) gone.Add(r);
        int speaker = Enumerable.Range(0, peers.Length).First(r => !gone.Contains(r));
        if (speaker == world.Rank)
        {
            var who = gone.Count > 0
                ? string.Join(", ", gone.Select(r => $"rank {r} (pid {peers[r].Pid} on {peers[r].Host})")) + " stopped"
                : "mpirun ended the job (a rank on another host stopped, or the job was interrupted)";
            var resume = checkpoint is not null && Checkpoint.Exists(checkpoint)
                ? $"resume from its last checkpoint, {checkpoint}, with --resume (under mpirun with the same options, or in one process with --batch-size {globalBatch})"
                : "no checkpoint had been written yet (--checkpoint-every)";
            Console.Error.WriteLine($"error: the MPI job of {world.Size} ranks stopped: {who}; {resume}");
        }
        Environment.Exit(1);
    }

    static bool Alive(int pid)
    {
        try
        {
            // A dead rank is gone once mpirun's daemon has reaped it, a zombie until then.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close < 0 || close + 2 >= stat.Length || stat[close + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        terminated.Dispose();
        world.Dispose();
    }
}
