using System.Runtime.CompilerServices;

namespace Fossil.Kv.Cli.Tests;

[Collection(EtcdCollection.Name)]
public abstract class CliTestBase(EtcdFixture etcd)
{
    protected EtcdFixture Etcd { get; } = etcd;

    /// <summary>A CLI bound to a store prefix of its own.</summary>
    protected Cli NewCli([CallerMemberName] string test = "") => new(Etcd.Endpoints, TestKeys.UniquePrefix(test));
}
