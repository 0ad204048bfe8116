// Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;

using Goroutines.Diagnostics;
using Goroutines.Workloads.Support;
using Goroutines.Workloads.Workloads;

namespace Goroutines.Workloads;

/// <summary>
/// Runs the reference workloads of WORKLOADS.md on this runtime or on plain .NET and prints one
/// figure per line, <c>name value unit</c>, with the names of the Go reference programs.
/// </summary>
/// <example><c>dotnet run -c Release --project benchmarks/Goroutines.Workloads -- spawn --runtime dotnet -n 100000</c></example>
internal static class Program
{
    private static readonly (string Name, string Id, Action<WorkloadArguments> Run)[] s_workloads =
    [
        ("spawn", "w1", SpawnWorkload.Run),
        ("park", "w2", ParkWorkload.Run),
        ("pingpong", "w3", PingpongWorkload.Run),
        ("mpmc", "w4", MpmcWorkload.Run),
        ("select", "w5", SelectWorkload.Run),
        ("skynet", "w6", SkynetWorkload.Run),
        ("sieve", "w7", SieveWorkload.Run),
        ("mutex", "w8", MutexWorkload.Run),
        ("timers", "w9", TimersWorkload.Run),
        ("fairness", "w10", FairnessWorkload.Run),
        ("echo", "w11", EchoWorkload.Run),
        ("yield", "w12", YieldWorkload.Run),
        ("conns", "w13", ConnsWorkload.Run),
        ("coldstart", "w14", ColdstartWorkload.Run),
        ("dump", "dump", DumpWorkload.Run),
        ("blocking", "blocking", BlockingWorkload.Run),
        ("sleepers", "sleepers", SleepersWorkload.Run),
        ("explore", "explore", ExploreWorkload.Run),
    ];

    private static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            return Usage();
        }

        if (args[0] == "list")
        {
            foreach (var workload in s_workloads)
            {
                Console.WriteLine(workload.Name);
            }

            return 0;
        }

        string requested = args[0].ToLowerInvariant();
        var match = s_workloads.FirstOrDefault(w => w.Name == requested || w.Id == requested || w.Id == requested.Replace("w0", "w", StringComparison.Ordinal));
        if (match.Run is null)
        {
            Console.Error.WriteLine($"unknown workload '{args[0]}'");
            return Usage();
        }

        try
        {
            WorkloadArguments arguments = WorkloadArguments.Parse(args.Skip(1).ToList());
            if (arguments.FlightRecorder && arguments.Runtime != RuntimeKind.Goroutines)
            {
                throw new ArgumentException("--flight-recorder records this runtime's execution trace: it needs --runtime goroutines");
            }

            // On for the whole run, warm-up included, as a service would keep it: the rings wrap.
            using FlightRecorder? recorder = arguments.FlightRecorder ? FlightRecorder.Start() : null;
            match.Run(arguments);
            return 0;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 2;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: Goroutines.Workloads <workload> [--runtime goroutines|dotnet] [--flight-recorder] [flags of the Go reference program]");
        Console.Error.WriteLine("workloads: " + string.Join(' ', s_workloads.Select(w => $"{w.Name}({w.Id})")));
        return 2;
    }
}
