return await CssmSim.Cli.CliApp.Create().Parse(args).InvokeAsync();
