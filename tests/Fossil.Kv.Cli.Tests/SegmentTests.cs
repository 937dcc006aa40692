namespace Fossil.Kv.Cli.Tests;

public sealed class SegmentTests(EtcdFixture etcd) : CliTestBase(etcd)
{
    [Fact]
    public async Task segments_list_shows_the_catalog_with_seed_field_names()
    {
        var cli = NewCli();
        var appended = await cli.AppendAsync("order-1");

        var segments = (await cli.RunAsync("segments", "list", "--json")).Json.GetProperty("segments").EnumerateArray().ToList();

        Assert.Equal(new Fossil.Kv.Configuration.StoreSettings().SegmentPartitions, segments.Count);
        var holding = Assert.Single(segments, s => s.GetProperty("segment_id").GetString() == appended.GetProperty("segment").GetString());
        Assert.Equal(1, holding.GetProperty("document_count").GetInt64());
        Assert.True(holding.GetProperty("size_bytes").GetInt64() > 0);
        foreach (var field in new[] { "partition", "time_range", "status", "entity_count", "vector_count", "created_at", "sealed_at" })
            Assert.True(holding.TryGetProperty(field, out _), field);
        Assert.Equal(segments.Select(s => s.GetProperty("segment_id").GetString()).Order(StringComparer.Ordinal),
            segments.Select(s => s.GetProperty("segment_id").GetString()));
    }

    [Fact]
    public async Task segments_list_filters_by_status()
    {
        var cli = NewCli();
        await cli.AppendAsync("order-1");

        var active = (await cli.RunAsync("segments", "list", "--status", "active", "--json")).Json.GetProperty("segments");
        var sealedOnes = (await cli.RunAsync("segments", "list", "--status", "sealed", "--json")).Json.GetProperty("segments");

        Assert.Equal(new Fossil.Kv.Configuration.StoreSettings().SegmentPartitions, active.GetArrayLength());
        Assert.Equal(0, sealedOnes.GetArrayLength());
    }

    [Fact]
    public async Task segments_show_returns_one_record()
    {
        var cli = NewCli();
        var sid = (await cli.AppendAsync("order-1")).GetProperty("segment").GetString()!;

        var json = (await cli.RunAsync("segments", "show", sid, "--json")).Json;
        var table = await cli.RunAsync("segments", "show", sid);

        Assert.Equal(sid, json.GetProperty("segment_id").GetString());
        Assert.Equal("active", json.GetProperty("status").GetString());
        Assert.Equal(1, json.GetProperty("document_count").GetInt64());
        Assert.Contains(sid, table.Stdout, StringComparison.Ordinal);
    }

    // A malformed id is invalid input (exit 1): see BadInputTests.
    [Theory]
    [InlineData("20991231T000000Z-p03-g000")]
    public async Task segments_show_of_an_unknown_segment_is_not_found(string sid)
    {
        var cli = NewCli();
        await cli.AppendAsync("order-1");

        var error = (await cli.RunAsync("segments", "show", sid, "--json")).AssertFails(ExitCodes.NotFound);

        Assert.Contains(sid, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task segments_seal_materialize_verify_and_evict_walk_a_segment_through_its_lifecycle()
    {
        var cli = NewCli();
        var directory = Directory.CreateTempSubdirectory("fossil-cli-segments-").FullName;
        try
        {
            var sid = (await cli.AppendAsync("order-1")).GetProperty("segment").GetString()!;

            var sealedRecord = (await cli.RunAsync("segments", "seal", sid, "--json")).Json;
            var built = (await cli.RunAsync("segments", "materialize", sid, "--dir", directory, "--json")).Json;
            var verified = (await cli.RunAsync("segments", "verify", sid, "--dir", directory, "--json")).Json;
            var documents = Path.Combine(directory, sid, "documents.dat");
            var bytes = await File.ReadAllBytesAsync(documents);
            bytes[^3] ^= 0x01;
            await File.WriteAllBytesAsync(documents, bytes);
            var damaged = await cli.RunAsync("segments", "verify", sid, "--dir", directory);
            var refused = await cli.RunAsync("segments", "evict", sid);
            var evicted = (await cli.RunAsync("segments", "evict", sid, "--yes", "--json")).Json;
            var again = await cli.RunAsync("segments", "evict", sid, "--yes");
            var gone = await cli.RunAsync("segments", "show", sid);

            Assert.Equal("sealed", sealedRecord.GetProperty("status").GetString());
            Assert.True(built.GetProperty("built").GetBoolean());
            Assert.True(verified.GetProperty("ok").GetBoolean());
            Assert.Contains("failed verification", damaged.AssertFails(1), StringComparison.Ordinal);
            Assert.Contains("--yes", refused.AssertFails(1), StringComparison.Ordinal);
            Assert.Equal("dropped", evicted.GetProperty("status").GetString());
            // A segment that is gone is an unknown segment now: named, exit 3 (SPEC §6).
            Assert.Contains("does not exist", again.AssertFails(3), StringComparison.Ordinal);
            gone.AssertFails(3);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task segments_materialize_into_a_dir_that_is_a_file_names_the_option_and_leaves_the_file_alone()
    {
        var cli = NewCli();
        var file = Path.GetTempFileName();
        try
        {
            var sid = (await cli.AppendAsync("order-1")).GetProperty("segment").GetString()!;
            (await cli.RunAsync("segments", "seal", sid, "--json")).AssertSucceeded();

            var error = (await cli.RunAsync("segments", "materialize", sid, "--dir", file)).AssertFails(ExitCodes.Failure);

            Assert.Contains($"--dir '{file}' cannot be used as the segment directory", error, StringComparison.Ordinal);
            Assert.True(File.Exists(file) && new FileInfo(file).Length == 0, "the file given as --dir was changed");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task segments_evict_removes_the_files_materialized_under_dir()
    {
        var cli = NewCli();
        var directory = Directory.CreateTempSubdirectory("fossil-cli-evict-").FullName;
        try
        {
            var sid = (await cli.AppendAsync("order-1")).GetProperty("segment").GetString()!;
            (await cli.RunAsync("segments", "seal", sid, "--json")).AssertSucceeded();
            (await cli.RunAsync("segments", "materialize", sid, "--dir", directory, "--json")).AssertSucceeded();
            Assert.True(Directory.Exists(Path.Combine(directory, sid)));

            var evicted = (await cli.RunAsync("segments", "evict", sid, "--yes", "--dir", directory, "--json")).Json;

            Assert.Equal("dropped", evicted.GetProperty("status").GetString());
            Assert.False(Directory.Exists(Path.Combine(directory, sid)), "the evicted segment's files are still under --dir");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task segments_list_says_which_segments_are_materialized_under_dir()
    {
        var cli = NewCli();
        var directory = Directory.CreateTempSubdirectory("fossil-cli-list-").FullName;
        try
        {
            var sid = (await cli.AppendAsync("order-1")).GetProperty("segment").GetString()!;
            (await cli.RunAsync("segments", "seal", sid)).AssertSucceeded();
            var before = (await cli.RunAsync("segments", "list", "--status", "sealed", "--dir", directory, "--json")).Json;
            (await cli.RunAsync("segments", "materialize", sid, "--dir", directory)).AssertSucceeded();

            var after = (await cli.RunAsync("segments", "list", "--dir", directory, "--json")).Json.GetProperty("segments").EnumerateArray().ToList();
            var table = await cli.RunAsync("segments", "list", "--status", "sealed", "--dir", directory);

            Assert.False(Assert.Single(before.GetProperty("segments").EnumerateArray()).GetProperty("materialized").GetBoolean());
            var materialized = Assert.Single(after, s => s.GetProperty("materialized").GetBoolean());
            Assert.Equal(sid, materialized.GetProperty("segment_id").GetString());
            Assert.All(after.Where(s => s.GetProperty("status").GetString() == "active"), s => Assert.False(s.GetProperty("materialized").GetBoolean()));
            table.AssertSucceeded();
            Assert.Contains("materialized", table.Stdout, StringComparison.Ordinal);
            var row = Assert.Single(table.Stdout.Split('\n'), line => line.Contains(sid, StringComparison.Ordinal));
            Assert.Contains("yes", row, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task segments_seal_of_an_unknown_segment_is_not_found()
    {
        var cli = NewCli();
        await cli.AppendAsync("order-1");

        (await cli.RunAsync("segments", "seal", "20000101T000000Z-p00-g000")).AssertFails(3);
    }
}
