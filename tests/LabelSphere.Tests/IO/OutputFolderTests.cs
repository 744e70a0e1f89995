using LabelSphere.IO;

namespace LabelSphere.Tests.IO;

public sealed class OutputFolderTests : IDisposable
{
    readonly string root = Path.Combine(Path.GetTempPath(), "labelsphere-out-" + Guid.NewGuid().ToString("N"));

    // A kind recognised by its "marker" file, which may also hold "data.bin".
    static readonly OutputKind Kind = new("a test output", folder => File.Exists(Path.Combine(folder, "marker")), ["marker", "data.bin"]);

    public OutputFolderTests() => Directory.CreateDirectory(root);

    public void Dispose() => Directory.Delete(root, true);

    string Target => Path.Combine(root, "out");

    static void WriteOutput(string folder, string content)
    {
        File.WriteAllText(Path.Combine(folder, "marker"), "x");
        File.WriteAllText(Path.Combine(folder, "data.bin"), content);
    }

    static void Write(string target, string content, OutputOptions? options = null)
    {
        using var output = OutputFolder.Open(target, Kind, options);
        output.Write(temp => WriteOutput(temp, content));
    }

    // Everything in the parent folder but the target and the files the test put there: what a run left behind.
    string[] Leftovers(params string[] expected) =>
        Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName).Where(n => n != "out" && !expected.Contains(n)).Order().ToArray()!;

    [Fact]
    public void A_new_folder_appears_complete_with_nothing_left_beside_it()
    {
        Write(Target, "one");

        Assert.Equal("one", File.ReadAllText(Path.Combine(Target, "data.bin")));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void An_empty_folder_may_be_written()
    {
        Directory.CreateDirectory(Target);

        Write(Target, "one");

        Assert.Equal("one", File.ReadAllText(Path.Combine(Target, "data.bin")));
    }

    [Fact]
    public void The_kinds_own_output_is_refused_without_overwrite_and_left_untouched()
    {
        // Given an output of the kind
        Write(Target, "one");

        // When it is written again without overwriting
        var e = Assert.Throws<OutputFolderException>(() => Write(Target, "two"));

        // Then the refusal says so and the folder is as it was
        Assert.Equal(OutputRefusal.Exists, e.Reason);
        Assert.Contains("already holds a test output", e.Message);
        Assert.Equal("one", File.ReadAllText(Path.Combine(Target, "data.bin")));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void The_kinds_own_output_is_replaced_with_overwrite_and_nothing_is_left_beside_it()
    {
        Write(Target, "one");

        Write(Target, "two", new OutputOptions { Overwrite = true });

        Assert.Equal("two", File.ReadAllText(Path.Combine(Target, "data.bin")));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void A_folder_of_unrelated_files_is_refused_even_with_overwrite_and_left_untouched()
    {
        // Given a folder of the user's files
        Directory.CreateDirectory(Target);
        File.WriteAllText(Path.Combine(Target, "thesis.tex"), "years of work");

        // When an output is written there with overwrite
        var e = Assert.Throws<OutputFolderException>(() => Write(Target, "one", new OutputOptions { Overwrite = true }));

        // Then it is refused, naming what is there, and nothing changed
        Assert.Equal(OutputRefusal.NotOurs, e.Reason);
        Assert.Contains("thesis.tex", e.Message);
        Assert.Equal(["thesis.tex"], Directory.EnumerateFileSystemEntries(Target).Select(Path.GetFileName));
        Assert.Equal("years of work", File.ReadAllText(Path.Combine(Target, "thesis.tex")));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void The_kinds_own_output_holding_an_unrelated_file_is_refused_even_with_overwrite()
    {
        Write(Target, "one");
        File.WriteAllText(Path.Combine(Target, "notes.txt"), "mine");

        var e = Assert.Throws<OutputFolderException>(() => Write(Target, "two", new OutputOptions { Overwrite = true }));

        Assert.Equal(OutputRefusal.NotOurs, e.Reason);
        Assert.Contains("notes.txt", e.Message);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(Target, "notes.txt")));
        Assert.Equal("one", File.ReadAllText(Path.Combine(Target, "data.bin")));
    }

    [Fact]
    public void Working_files_a_killed_run_left_inside_count_as_its_own_but_a_users_hidden_file_does_not()
    {
        // Given an output holding what a run killed while writing one of its entries leaves: the entry's lock and temporary copy
        Write(Target, "one");
        File.WriteAllText(Path.Combine(Target, ".data.bin.lock"), "123 x");
        Directory.CreateDirectory(Path.Combine(Target, $".data.bin.tmp-{Guid.NewGuid():N}"));

        // When it is overwritten, it is replaced
        Write(Target, "two", new OutputOptions { Overwrite = true });
        Assert.Equal(["data.bin", "marker"], Directory.EnumerateFileSystemEntries(Target).Select(Path.GetFileName).Order());

        // But a hidden file of the user's that merely ends in .lock is not the run's to delete
        File.WriteAllText(Path.Combine(Target, ".notes.lock"), "mine");
        var e = Assert.Throws<OutputFolderException>(() => Write(Target, "three", new OutputOptions { Overwrite = true }));
        Assert.Equal(OutputRefusal.NotOurs, e.Reason);
        Assert.Contains(".notes.lock", e.Message);
    }

    [Fact]
    public void A_folder_that_contains_an_input_is_refused()
    {
        // Given an input file in the folder named as output (the input's own folder)
        Directory.CreateDirectory(Target);
        var input = Path.Combine(Target, "data.txt");
        File.WriteAllText(input, "annotations");

        // When it is opened with that input, even with overwrite
        var e = Assert.Throws<OutputFolderException>(() => Write(Target, "one", new OutputOptions { Overwrite = true, Inputs = [input] }));

        // Then it is refused and the input is untouched
        Assert.Equal(OutputRefusal.ContainsInput, e.Reason);
        Assert.Contains(input, e.Message);
        Assert.Equal("annotations", File.ReadAllText(input));
    }

    [Fact]
    public void An_output_of_the_kind_that_holds_an_input_file_is_refused()
    {
        Write(Target, "one");
        var input = Path.Combine(Target, "data.bin");

        var e = Assert.Throws<OutputFolderException>(() => Write(Target, "two", new OutputOptions { Overwrite = true, Inputs = [input] }));

        Assert.Equal(OutputRefusal.ContainsInput, e.Reason);
        Assert.Equal("one", File.ReadAllText(input));
    }

    [Fact]
    public void An_input_file_named_as_output_is_refused()
    {
        var input = Path.Combine(root, "data.txt");
        File.WriteAllText(input, "annotations");

        var e = Assert.Throws<OutputFolderException>(() => OutputFolder.Open(input, Kind, new OutputOptions { Inputs = [input] }));

        Assert.Equal(OutputRefusal.ContainsInput, e.Reason);
        Assert.Equal("annotations", File.ReadAllText(input));
    }

    [Fact]
    public void The_working_directory_and_its_parents_are_refused()
    {
        var cwd = Environment.CurrentDirectory;
        foreach (var path in new[] { ".", cwd, Path.GetDirectoryName(cwd)! })
        {
            var e = Assert.Throws<OutputFolderException>(() => OutputFolder.Open(path, Kind, new OutputOptions { Overwrite = true }));
            Assert.Equal(OutputRefusal.WorkingDirectory, e.Reason);
        }
        Assert.True(Directory.Exists(cwd));
    }

    [Fact]
    public void A_second_writer_fails_at_once_naming_the_first_ones_pid()
    {
        // Given a folder open for writing
        using var first = OutputFolder.Open(Target, Kind);

        // When another writer opens it
        var e = Assert.Throws<OutputFolderException>(() => OutputFolder.Open(Target, Kind, new OutputOptions { Overwrite = true }));

        // Then it is refused as locked, with the holder's pid
        Assert.Equal(OutputRefusal.Locked, e.Reason);
        Assert.Contains($"being written by another LabelSphere process (pid {Environment.ProcessId})", e.Message);
    }

    [Fact]
    public void The_lock_is_released_and_its_file_removed_when_the_writer_is_done()
    {
        Write(Target, "one");
        Assert.Empty(Leftovers());

        // A second writer gets the folder
        Write(Target, "two", new OutputOptions { Overwrite = true });
        Assert.Equal("two", File.ReadAllText(Path.Combine(Target, "data.bin")));
    }

    [Fact]
    public void A_lock_file_left_by_a_killed_process_does_not_block_the_next_run()
    {
        // Given the lock file of a process killed with SIGKILL (its OS lock died with it)
        File.WriteAllText(Path.Combine(root, ".out.lock"), "999999 0123456789abcdef0123456789abcdef\n");

        // When a run writes the folder
        Write(Target, "one");

        // Then it succeeds and removes the stale file
        Assert.Equal("one", File.ReadAllText(Path.Combine(Target, "data.bin")));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void A_kill_between_the_two_renames_is_recovered_from_the_old_folder()
    {
        // Given the state a kill between "target -> .old" and ".tmp -> target" leaves: no target, the old output
        // renamed aside and the new one (perhaps incomplete) in its temporary folder
        var old = Path.Combine(root, $".out.old-{Guid.NewGuid():N}");
        var temp = Path.Combine(root, $".out.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(old);
        WriteOutput(old, "one");
        Directory.CreateDirectory(temp);
        File.WriteAllText(Path.Combine(temp, "data.bin"), "tw");

        // When the next run opens the folder, without overwriting
        var e = Assert.Throws<OutputFolderException>(() => Write(Target, "three"));

        // Then the old output is back in place, recognised as the kind's own, and nothing is left beside it
        Assert.Equal(OutputRefusal.Exists, e.Reason);
        Assert.Equal("one", File.ReadAllText(Path.Combine(Target, "data.bin")));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void Recover_restores_the_old_folder_only_when_the_target_is_missing()
    {
        // Given a complete target, and an old folder a kill after the second rename left
        Write(Target, "new");
        var old = Path.Combine(root, $".out.old-{Guid.NewGuid():N}");
        Directory.CreateDirectory(old);
        WriteOutput(old, "old");

        // When recovered
        Assert.False(AtomicFolder.Recover(Target));

        // Then the target stays and the old folder is gone
        Assert.Equal("new", File.ReadAllText(Path.Combine(Target, "data.bin")));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void Only_our_own_working_names_for_the_target_are_cleaned_up()
    {
        // Given temporary folders of this target, and look-alikes that are not ours to delete
        var ours = new[] { $".out.tmp-{Guid.NewGuid():N}", $".out.old-{Guid.NewGuid():N}" };
        var theirs = new[] { $".other.tmp-{Guid.NewGuid():N}", ".out.tmp-notours", "out.old", ".out.backup" };
        foreach (var name in ours.Concat(theirs)) Directory.CreateDirectory(Path.Combine(root, name));
        Write(Target, "one");
        var stray = Path.Combine(root, $"out.tmp-{Guid.NewGuid():N}");
        File.WriteAllText(stray, "half a file");
        Directory.Delete(Target, true);

        // When the next run writes the target
        Write(Target, "two");

        // Then ours are gone and theirs remain
        Assert.Equal(theirs.Order(), Leftovers());
    }

    [Fact]
    public void A_failed_write_leaves_the_old_output_and_no_temporary_folder()
    {
        Write(Target, "one");

        Assert.Throws<InvalidOperationException>(() =>
        {
            using var output = OutputFolder.Open(Target, Kind, new OutputOptions { Overwrite = true });
            output.Write(temp =>
            {
                File.WriteAllText(Path.Combine(temp, "data.bin"), "tw");
                throw new InvalidOperationException("disk full");
            });
        });

        Assert.Equal("one", File.ReadAllText(Path.Combine(Target, "data.bin")));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void A_staged_folder_that_is_not_committed_is_discarded()
    {
        using (var output = OutputFolder.Open(Target, Kind))
        {
            var stage = output.Stage();
            WriteOutput(stage, "one");
        }

        Assert.False(Directory.Exists(Target));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void In_place_the_old_output_is_replaced_with_overwrite_and_kept_when_continuing()
    {
        Write(Target, "one");

        using (var output = OutputFolder.Open(Target, Kind, continuing: true))
        {
            Assert.True(output.Existing);
            output.OpenInPlace();
            Assert.Equal("one", File.ReadAllText(Path.Combine(Target, "data.bin")));
        }
        using (var output = OutputFolder.Open(Target, Kind, new OutputOptions { Overwrite = true }))
        {
            output.OpenInPlace();
            Assert.Empty(Directory.EnumerateFileSystemEntries(Target));
            WriteOutput(Target, "two");
        }

        Assert.Equal("two", File.ReadAllText(Path.Combine(Target, "data.bin")));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public void Continuing_refuses_a_folder_of_unrelated_files()
    {
        Directory.CreateDirectory(Target);
        File.WriteAllText(Path.Combine(Target, "notes.txt"), "mine");

        var e = Assert.Throws<OutputFolderException>(() => OutputFolder.Open(Target, Kind, continuing: true));

        Assert.Equal(OutputRefusal.NotOurs, e.Reason);
    }
}
