using System.Text;
using Fossil.Kv.Etcd;
using Google.Protobuf;

namespace Fossil.Kv.Cli.Tests;

public sealed class BenchTests(EtcdFixture etcd) : CliTestBase(etcd)
{
    private async Task<long> KeysUnderAsync(string prefix)
    {
        await using var client = new EtcdClient(new EtcdClientOptions { Endpoints = [.. Etcd.Endpoints.Select(e => e.AbsoluteUri.TrimEnd('/'))] });
        var from = Encoding.UTF8.GetBytes(prefix);
        return (await client.RangeAsync(new Etcdserverpb.RangeRequest { Key = ByteString.CopyFrom(from), RangeEnd = EtcdKeys.PrefixEnd(from), CountOnly = true })).Count;
    }

    [Fact]
    public async Task bench_measures_appends_and_reads_beside_raw_etcd_and_cleans_up()
    {
        var cli = NewCli();

        var json = (await cli.RunAsync("bench", "--seconds", "0.3", "--concurrency", "1,4", "--events", "2", "--vectors", "300", "--dimension", "8", "--json")).Json;

        var rows = json.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["raw_put", "append", "raw_put", "append", "raw_range", "read_all", "exact_scan", "search"], rows.Select(r => r.GetProperty("workload").GetString()));
        foreach (var row in rows) Assert.True(row.GetProperty("ops").GetInt64() > 0, row.ToString());
        var append = rows[3];
        Assert.Equal(4, append.GetProperty("concurrency").GetInt32());
        Assert.Equal(2 * append.GetProperty("ops").GetInt64(), append.GetProperty("events").GetInt64());
        Assert.Equal("raw_put", append.GetProperty("baseline").GetString());
        Assert.True(append.GetProperty("vs_baseline").GetDouble() > 0);
        // Every appended event is read back from the global log.
        var appended = rows.Where(r => r.GetProperty("workload").GetString() == "append").Sum(r => r.GetProperty("events").GetInt64());
        Assert.True(rows[5].GetProperty("events").GetInt64() >= appended, $"read {rows[5]} after appending {appended}");
        var search = rows[7];
        Assert.Equal("exact_scan", search.GetProperty("baseline").GetString());
        Assert.True(search.GetProperty("recall_at_10").GetDouble() >= 0.9, search.ToString());
        Assert.StartsWith(cli.Prefix + "/fossil-bench-", json.GetProperty("prefix").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await KeysUnderAsync(json.GetProperty("prefix").GetString()! + "/"));
        Assert.Equal(0, await KeysUnderAsync(cli.Prefix + "/meta/")); // the operated store was not touched
    }

    [Theory]
    [InlineData("--seconds", "0", "--seconds")]
    [InlineData("--concurrency", "1,x", "--concurrency")]
    [InlineData("--events", "1001", "--events")]
    [InlineData("--workloads", "append,nap", "nap")]
    [InlineData("--vectors", "5", "--vectors")]
    [InlineData("--dimension", "1", "--dimension")]
    public async Task bench_refuses_bad_arguments_and_writes_nothing(string option, string value, string named)
    {
        var cli = NewCli();

        var error = (await cli.RunAsync("bench", option, value)).AssertFails(ExitCodes.Failure);

        Assert.Contains(named, error, StringComparison.Ordinal);
        Assert.Equal(0, await KeysUnderAsync(cli.Prefix + "/"));
    }
}
