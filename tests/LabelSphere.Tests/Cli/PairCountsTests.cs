using System.Text.Json;
using LabelSphere.Embedding;

namespace LabelSphere.Tests.Cli;

/// <summary>
/// <c>embed</c> on a pair-counts file: co-occurrence counts made by a SQL engine (docs/sql/cooccurrence.sql). The
/// fixture's counts were made by SQLite running that query (docs/scripts/sql_counts.py), independently of
/// LabelSphere's counting.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class PairCountsTests : IDisposable
{
    readonly string dir = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(dir, true);

    static string Fixture(string file) => Path.Combine(AppContext.BaseDirectory, "TestData", "sql", file);

    [Fact]
    public void Embed_on_counts_a_SQL_engine_made_gives_the_embedding_of_the_annotations_it_counted()
    {
        // Given 400 instances over 30 labels as a long CSV, and their pair counts from SQLite running docs/sql/cooccurrence.sql
        var fromAnnotations = Path.Combine(dir, "a");
        var fromCounts = Path.Combine(dir, "c");

        // When embed reads each
        var a = CliRunner.Run("embed", Fixture("annotations.csv"), "--dim", "8", "--out", fromAnnotations, "--json");
        var c = CliRunner.Run("embed", Fixture("pair_counts.csv"), "--dim", "8", "--out", fromCounts, "--json");

        // Then both succeed, the counts file is named as such and does not claim to know the unlabelled instances
        Assert.True(a.ExitCode == 0, a.Err);
        Assert.True(c.ExitCode == 0, c.Err);
        using (var summary = JsonDocument.Parse(c.Out))
        {
            Assert.Equal("pair-counts", summary.RootElement.GetProperty("format").GetString());
            Assert.Equal(400, summary.RootElement.GetProperty("instances").GetInt64());
            Assert.Equal(30, summary.RootElement.GetProperty("labels").GetInt32());
            Assert.Equal(JsonValueKind.Null, summary.RootElement.GetProperty("emptyInstances").ValueKind);
        }

        // And the two embeddings are the same: eigenvalues, counts and every label's vector (up to each column's sign)
        var ea = LabelEmbedding.Load(fromAnnotations);
        var ec = LabelEmbedding.Load(fromCounts);
        Assert.Equal(ea.Instances, ec.Instances);
        for (int j = 0; j < 8; j++) Assert.Equal(ea.Eigenvalues[j], ec.Eigenvalues[j], 1e-9);
        var sign = new int[8];
        for (int i = 0; i < ea.LabelCount; i++)
        {
            var name = ea.Vocabulary[i];
            int other = ec.Vocabulary.IndexOf(name);
            Assert.True(other >= 0, name);
            Assert.Equal(ea.LabelCounts[i], ec.LabelCounts[other]);
            for (int j = 0; j < 8; j++)
            {
                float x = ea.Vector(i)[j], y = ec.Vector(other)[j];
                if (sign[j] == 0 && Math.Abs(x) > 1e-3) sign[j] = Math.Sign(x) == Math.Sign(y) ? 1 : -1;
                Assert.Equal(x, (sign[j] == 0 ? 1 : sign[j]) * y, 1e-4);
            }
        }
    }

    [Theory]
    [InlineData("label_a,label_b,count\na,a,3\nb,b,2\na,b,1\n", 4, "label_a", "no instance count")]
    [InlineData("label_a,label_b,count\n,,10\na,a,3\nb,b,2\na,b,x\n", 5, "count", "'x' is not a non-negative whole number")]
    [InlineData("label_a,label_b,count\n,,10\na,a,3\nb,b,2\na,b,3\n", 5, "count", "more than carry 'b' (2)")]
    [InlineData("label_a,label_b,count\n,,10\na,a,3\nb,b,2\na,c,1\n", 5, "label_b", "'c' has no own count")]
    [InlineData("label_a,label_b,count\n,,10\na,a,3\nb,b,2\na,b,1\nb,a,1\n", 6, "label_b", "also on line 5")]
    [InlineData("label_a,label_b,count\n,,10\na,a,3\na,a,2\n", 4, "label_a", "'a' has a second own count")]
    [InlineData("label_a,label_b,count\n,,2\na,a,3\n", 2, "count", "2 instances, but 'a' alone is on 3")]
    [InlineData("label_a,label_b,count\n,,10\na,,3\n", 3, "label_b", "empty")]
    [InlineData("label_a,label_b,count\n,,10\na,a,3,4\n", 3, "count", "3 fields")]
    public void Embed_names_the_line_and_field_of_a_bad_pair_counts_file_and_writes_nothing(string text, int line, string field, string problem)
    {
        // Given a pair-counts file with one defect
        var path = Path.Combine(dir, "pairs.csv");
        File.WriteAllText(path, text);
        var output = Path.Combine(dir, "emb");

        // When embed reads it
        var run = CliRunner.Run("embed", path, "--dim", "1", "--out", output);

        // Then it stops with exit code 1 and one line naming the file, the line, the field and the problem, and writes no folder
        Assert.Equal(1, run.ExitCode);
        var err = run.Err.Trim();
        Assert.DoesNotContain('\n', err);
        Assert.Contains($"{path}:{line}: {field}: ", err);
        Assert.Contains(problem, err);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void Train_refuses_a_pair_counts_file_as_annotations_in_one_line()
    {
        // Given the SQL engine's counts, which are not instances
        // When train is given them as data
        var run = CliRunner.Run("train", Fixture("pair_counts.csv"), "--head", "sigmoid", "--out", Path.Combine(dir, "model"));

        // Then one line says that only embed reads it
        Assert.Equal(1, run.ExitCode);
        Assert.DoesNotContain('\n', run.Err.Trim());
        Assert.Contains("pair-counts file", run.Err);
        Assert.Contains("embed reads it", run.Err);
    }
}
