using System.Globalization;
using System.Xml.Linq;
using CssmSim.Scenarios.Running;

namespace CssmSim.Scenarios.Reports;

/// <summary>
/// JUnit XML for CI servers: one testsuite per scenario file, one testcase per expectation (and
/// one for a run that stopped early), failures carrying the actual value.
/// </summary>
public static class JUnitWriter
{
    public static XDocument Build(IEnumerable<ScenarioResult> results)
    {
        var suites = new XElement("testsuites", new XAttribute("name", "cssmsim scenarios"));
        int tests = 0, failures = 0;
        var total = TimeSpan.Zero;
        foreach (var r in results)
        {
            var suite = new XElement("testsuite",
                new XAttribute("name", r.Scenario.Name),
                new XAttribute("file", r.Scenario.Path),
                new XAttribute("time", Seconds(r.Elapsed)));
            var cases = 0;
            var failed = 0;
            foreach (var e in r.Expectations)
            {
                var testcase = new XElement("testcase",
                    new XAttribute("name", $"line {e.Line}: {e.Description}"),
                    new XAttribute("classname", Path.GetFileNameWithoutExtension(r.Scenario.Path)),
                    new XAttribute("file", r.Scenario.Path),
                    new XAttribute("line", e.Line),
                    new XElement("system-out", e.Actual));
                if (!e.Passed)
                {
                    testcase.AddFirst(new XElement("failure", new XAttribute("message", e.Actual), $"expected {e.Description}; actual: {e.Actual}"));
                    failed++;
                }
                suite.Add(testcase);
                cases++;
            }
            if (r.Error is not null)
            {
                suite.Add(new XElement("testcase",
                    new XAttribute("name", "run"),
                    new XAttribute("classname", Path.GetFileNameWithoutExtension(r.Scenario.Path)),
                    new XAttribute("file", r.Scenario.Path),
                    new XElement("error", new XAttribute("message", r.Error), r.Error)));
                cases++;
                failed++;
            }
            suite.Add(new XAttribute("tests", cases), new XAttribute("failures", failed));
            suites.Add(suite);
            tests += cases;
            failures += failed;
            total += r.Elapsed;
        }
        suites.Add(new XAttribute("tests", tests), new XAttribute("failures", failures), new XAttribute("time", Seconds(total)));
        return new XDocument(new XDeclaration("1.0", "utf-8", null), suites);
    }

    public static void Write(string path, IEnumerable<ScenarioResult> results)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        Build(results).Save(path);
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
}
