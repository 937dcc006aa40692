namespace Fossil.Kv.Chaos.Tests;

/// <summary>
/// The shortened chaos run of the suite: the same program as scripts/chaos.sh for ~40 s with a few
/// faults (an etcd leader kill, a node kill mid-append, a member paused, a node kill after a window ends).
/// </summary>
public sealed class ChaosRunTests
{
    [Fact]
    public async Task a_short_run_with_faults_keeps_every_guarantee()
    {
        var result = await ChaosRun.RunAsync(new ChaosOptions
        {
            Duration = TimeSpan.FromSeconds(40),
            Appenders = 4,
            Readers = 1,
            FaultGap = TimeSpan.FromSeconds(3),
            EtcdDownTime = TimeSpan.FromSeconds(2),
            Seed = 7,
        });

        var summary = string.Join('\n', result.Faults) + "\n" + result.Report.Format();
        Assert.True(result.Report.Passed, summary);
        Assert.True(result.Report.Acknowledged > 0, summary);
        Assert.True(result.Report.EventsObserved > 0, summary);
        Assert.Contains(result.Faults, f => f.Contains("SIGKILL etcd leader", StringComparison.Ordinal));
        Assert.Contains(result.Faults, f => f.Contains("SIGKILL node", StringComparison.Ordinal));
        Directory.Delete(result.WorkDirectory, recursive: true);
    }
}
