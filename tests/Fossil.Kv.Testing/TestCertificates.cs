using System.Diagnostics;

namespace Fossil.Kv.Testing;

/// <summary>
/// A CA and certificates it signed, made by the <c>openssl</c> command for one test run: a server
/// certificate for 127.0.0.1 and localhost (SAN IP and DNS) and a client certificate. Made by a tool
/// outside .NET, so the TLS set-up under test never checks certificates it produced itself.
/// </summary>
public sealed class TestCertificates
{
    private TestCertificates(string directory) => Directory = directory;

    public string Directory { get; }

    public string CaFile => Path.Combine(Directory, "ca.pem");

    public string ServerCertificateFile => Path.Combine(Directory, "server.pem");

    public string ServerKeyFile => Path.Combine(Directory, "server-key.pem");

    public string ClientCertificateFile => Path.Combine(Directory, "client.pem");

    public string ClientKeyFile => Path.Combine(Directory, "client-key.pem");

    /// <summary>Writes the CA, server and client certificates (PEM, EC P-256 keys) into <paramref name="directory"/>.</summary>
    public static async Task<TestCertificates> CreateAsync(string directory, string clientName = "root")
    {
        System.IO.Directory.CreateDirectory(directory);
        var certificates = new TestCertificates(directory);
        await OpensslAsync(directory, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=fossil-test-ca",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign").ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, "leaf.cnf"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n").ConfigureAwait(false);
        await IssueAsync(directory, "server", "/CN=127.0.0.1", serial: "2").ConfigureAwait(false);
        await IssueAsync(directory, "client", $"/CN={clientName}", serial: "3").ConfigureAwait(false);
        return certificates;
    }

    private static async Task IssueAsync(string directory, string name, string subject, string serial)
    {
        await OpensslAsync(directory, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", $"{name}-key.pem", "-out", $"{name}.csr", "-subj", subject).ConfigureAwait(false);
        await OpensslAsync(directory, "x509", "-req", "-in", $"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
            "-set_serial", serial, "-days", "2", "-extfile", "leaf.cnf", "-out", $"{name}.pem").ConfigureAwait(false);
    }

    private static async Task OpensslAsync(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("openssl")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start openssl.");
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"openssl {string.Join(' ', args)} failed: {(await stderr.ConfigureAwait(false)).Trim()}");
    }
}
