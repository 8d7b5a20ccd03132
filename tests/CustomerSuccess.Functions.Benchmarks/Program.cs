using BenchmarkDotNet.Running;

// Measured runs for docs/benchmarks.md. `dotnet run -c Release -- <command>`: a load command by name
// (each area adds its own in LoadCommands), or anything else goes to BenchmarkDotNet's switcher.
if (args.Length > 0 && CustomerSuccess.Functions.Benchmarks.LoadCommands.TryGet(args[0], out var command))
{
    return await command(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(CustomerSuccess.Functions.Benchmarks.LoadCommands).Assembly).Run(args);
return 0;
