using System.CommandLine;
using CssmSim.Engine.Signing;

namespace CssmSim.Cli.Commands;

/// <summary><c>cssmsim certs init</c>: a new development CA, signing keys for both algorithms, and a TLS certificate.</summary>
public static class CertsCommand
{
    private static readonly string[] Files = ["ca.crt", "ca.key", "tls.crt", "tls.key", "signing.crt", "signing.key", "signing-rsa.crt", "signing-rsa.key"];

    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder for the certificates and keys (default certs).", DefaultValueFactory = _ => "certs" };
        var sans = new Option<string[]>("--san") { Description = "Extra host name or IP for the TLS certificate; repeat for more.", AllowMultipleArgumentsPerToken = false };
        var force = new Option<bool>("--force") { Description = "Replace existing keys in the folder." };
        var init = new Command("init", "Generate a new CA, signing keys (ECDSA P-256 and RSA-2048) and a TLS certificate.") { output, sans, force };
        init.SetAction(parse =>
        {
            var dir = parse.GetValue(output)!;
            var existing = Files.Where(f => File.Exists(Path.Combine(dir, f))).ToList();
            if (existing.Count > 0 && !parse.GetValue(force))
            {
                Console.Error.WriteLine($"cssmsim: {dir} already holds {string.Join(", ", existing)}; pass --force to replace them");
                return 2;
            }
            Directory.CreateDirectory(dir);
            CertificateBundle.Generate(parse.GetValue(sans) ?? [], DateTimeOffset.UtcNow).WriteToDirectory(dir);
            Console.WriteLine($"Wrote {string.Join(", ", Files)} to {Path.GetFullPath(dir)}");
            Console.WriteLine("These keys are for testing only. Trust ca.crt in the clients that talk to the simulator (see certs/README.md).");
            return 0;
        });
        var certs = new Command("certs", "Development certificates.");
        certs.Subcommands.Add(init);
        return certs;
    }
}
