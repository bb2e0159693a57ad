using System.CommandLine;
using CssmSim.Cli.Commands;

namespace CssmSim.Cli;

/// <summary>The <c>cssmsim</c> command tree (kept apart from Program so tests can invoke it in-process).</summary>
public static class CliApp
{
    public static RootCommand Create()
    {
        var root = new RootCommand("cssmsim: a simulator of Cisco Smart Software Manager (CSSM) for testing Smart Licensing Using Policy clients.");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(CertsCommand.Create());
        root.Subcommands.Add(ScenarioCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(HealthcheckCommand.Create());
        return root;
    }
}
