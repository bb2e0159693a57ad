using System.Reflection;
using System.Text.RegularExpressions;
using CssmSim.Server.Slp;
using CssmSim.Server.SmartTransport;

namespace CssmSim.Server.Tests.Architecture;

/// <summary>
/// Keeps the shape of docs/architecture.md: device surfaces parse, call an engine operation and
/// render; the rules and the store stay in the engine; time comes from the simulator clock.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly string[] DeviceSurfaces = [typeof(SmartTransportApi).Namespace!, typeof(SlpApi).Namespace!];

    [Fact]
    public void No_type_in_the_device_surfaces_references_the_store()
    {
        var offenders = typeof(SmartTransportApi).Assembly.GetTypes()
            .Where(t => DeviceSurfaces.Any(ns => t.Namespace == ns))
            .SelectMany(t => ReferencedTypes(t).Where(IsStorage).Select(r => $"{t.FullName} uses {r.FullName}"))
            .Distinct()
            .ToList();

        offenders.ShouldBeEmpty();
    }

    [Fact]
    public void No_source_file_of_the_device_surfaces_names_the_store()
    {
        var offenders = SourceFiles("src/CssmSim.Server/SmartTransport", "src/CssmSim.Server/Slp")
            .Where(f => Regex.IsMatch(File.ReadAllText(f), @"Engine\.Storage|ISimulatorStore|Stored[A-Z]\w+"))
            .Select(Relative)
            .ToList();

        offenders.ShouldBeEmpty();
    }

    [Fact]
    public void Engine_and_server_never_read_wall_time_directly()
    {
        var offenders = SourceFiles("src/CssmSim.Engine", "src/CssmSim.Server")
            .Where(f => Regex.IsMatch(File.ReadAllText(f), @"\bDateTime(Offset)?\.UtcNow\b"))
            .Select(Relative)
            .ToList();

        offenders.ShouldBeEmpty("the simulator clock (TimeProvider) is the only source of time");
    }

    [Fact]
    public void The_server_error_message_is_written_once()
    {
        var places = SourceFiles("src")
            .SelectMany(f => Regex.Matches(File.ReadAllText(f), "Server error occurred").Select(_ => Relative(f)))
            .ToList();

        places.ShouldBe(["src/CssmSim.Engine/Devices/CssmError.cs"]);
    }

    private static bool IsStorage(Type t) => t.Namespace?.StartsWith("CssmSim.Engine.Storage", StringComparison.Ordinal) == true;

    /// <summary>Every type a type's members name: fields, properties, method signatures and locals, nested (compiler-made) types included.</summary>
    private static IEnumerable<Type> ReferencedTypes(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var named = new List<Type>();
        named.AddRange(type.GetFields(all).Select(f => f.FieldType));
        named.AddRange(type.GetProperties(all).Select(p => p.PropertyType));
        foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            if (method is MethodInfo m) named.Add(m.ReturnType);
            named.AddRange(method.GetParameters().Select(p => p.ParameterType));
            named.AddRange(method.GetMethodBody()?.LocalVariables.Select(l => l.LocalType) ?? []);
        }
        foreach (var nested in type.GetNestedTypes(all)) named.AddRange(ReferencedTypes(nested));
        return named.SelectMany(Expand);
    }

    private static IEnumerable<Type> Expand(Type t)
    {
        yield return t;
        if (t.HasElementType)
        {
            foreach (var e in Expand(t.GetElementType()!)) yield return e;
        }
        if (t.IsGenericType)
        {
            foreach (var e in t.GetGenericArguments().SelectMany(Expand)) yield return e;
        }
    }

    private static IEnumerable<string> SourceFiles(params string[] folders) =>
        folders.SelectMany(f => Directory.EnumerateFiles(Path.Combine(Root, f), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    private static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CssmSim.sln"))) return dir.FullName;
        throw new InvalidOperationException("CssmSim.sln not found above " + AppContext.BaseDirectory);
    }
}
