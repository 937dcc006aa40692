namespace Fossil.Kv.Cli.Tests;

/// <summary>
/// The CLI against an etcd that demands credentials: https with a client certificate, https with a user
/// and password (from options or the environment), and the one-line errors when they are missing or wrong.
/// Certificates are made by openssl for the test.
/// </summary>
public sealed class SecureEtcdTests(SecuredEtcdFixture etcd) : IClassFixture<SecuredEtcdFixture>
{
    private static readonly CliEnvironment NoVariables = new() { GetVariable = _ => null };

    private string[] MutualTls => ["--etcd", etcd.MutualTls.Endpoint, "--etcd-cacert", etcd.MutualTls.Certificates.CaFile,
        "--etcd-cert", etcd.MutualTls.Certificates.ClientCertificateFile, "--etcd-key", etcd.MutualTls.Certificates.ClientKeyFile];

    [Fact]
    public async Task commands_reach_etcd_over_mutual_tls_with_the_certificate_options()
    {
        var prefix = TestKeys.UniquePrefix();

        var append = await Cli.RunRawAsync(NoVariables, [.. MutualTls, "--prefix", prefix, "streams", "append", "orders", "--type", "Placed", "--data", "{\"n\":1}", "--json"]);
        var read = await Cli.RunRawAsync(NoVariables, [.. MutualTls, "--prefix", prefix, "streams", "read", "orders", "--json"]);
        var status = await Cli.RunRawAsync(NoVariables, [.. MutualTls, "etcd", "status", "--json"]);

        Assert.Equal(0, append.Json.GetProperty("lastVersion").GetInt64());
        Assert.Equal("Placed", read.Json.GetProperty("events")[0].GetProperty("type").GetString());
        Assert.Equal(1, status.Json.GetProperty("members").GetArrayLength());
        var keys = await etcd.MutualTls.EtcdctlAsync("get", "--prefix", prefix + "/s/", "--keys-only");
        Assert.Contains(prefix + "/s/", keys, StringComparison.Ordinal);
    }

    [Fact]
    public async Task commands_authenticate_with_a_user_and_password_from_options_or_the_environment()
    {
        var prefix = TestKeys.UniquePrefix();
        var variables = new Dictionary<string, string>
        {
            [CliApp.EndpointsVariable] = etcd.PasswordAuth.Endpoint,
            [CliApp.CaCertVariable] = etcd.PasswordAuth.Certificates.CaFile,
            [CliApp.UserVariable] = SecuredEtcdFixture.User,
            [CliApp.PasswordVariable] = SecuredEtcdFixture.Password,
        };
        var fromEnvironment = new CliEnvironment { GetVariable = variables.GetValueOrDefault };

        var append = await Cli.RunRawAsync(NoVariables, "--etcd", etcd.PasswordAuth.Endpoint, "--etcd-cacert", etcd.PasswordAuth.Certificates.CaFile,
            "--etcd-user", $"{SecuredEtcdFixture.User}:{SecuredEtcdFixture.Password}", "--prefix", prefix, "streams", "append", "orders", "--type", "Placed", "--json");
        var read = await Cli.RunRawAsync(fromEnvironment, "--prefix", prefix, "streams", "read", "orders", "--json");

        Assert.Equal(0, append.Json.GetProperty("lastVersion").GetInt64());
        Assert.Equal(1, read.Json.GetProperty("events").GetArrayLength());
        var keys = await etcd.PasswordAuthEtcdctlAsync("get", "--prefix", prefix + "/s/", "--keys-only");
        Assert.Contains(prefix + "/s/", keys, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("config", "get")]
    [InlineData("etcd", "status")]
    public async Task a_wrong_password_is_refused_credentials_not_an_outage(params string[] command)
    {
        var result = await Cli.RunRawAsync(NoVariables, ["--etcd", etcd.PasswordAuth.Endpoint, "--etcd-cacert", etcd.PasswordAuth.Certificates.CaFile,
            "--etcd-user", $"{SecuredEtcdFixture.User}:wrong", .. command]);

        var error = result.AssertFails(ExitCodes.Failure);
        Assert.Contains("authentication failed", error, StringComparison.Ordinal);
        Assert.Contains(etcd.PasswordAuth.Endpoint, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task without_the_ca_a_command_fails_fast_naming_the_certificate()
    {
        var result = await Cli.RunRawAsync(NoVariables, "--etcd", etcd.MutualTls.Endpoint, "config", "get");

        var error = result.AssertFails(ExitCodes.Unavailable);
        Assert.Contains("etcd is unavailable", error, StringComparison.Ordinal);
        Assert.Contains("remote certificate is invalid", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task without_the_client_certificate_mutual_tls_refuses_the_command()
    {
        var result = await Cli.RunRawAsync(NoVariables, "--etcd", etcd.MutualTls.Endpoint, "--etcd-cacert", etcd.MutualTls.Certificates.CaFile, "etcd", "status");

        Assert.Contains("etcd is unavailable", result.AssertFails(ExitCodes.Unavailable), StringComparison.Ordinal);
    }
}
