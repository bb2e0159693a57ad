using FsCheck;
using FsCheck.Fluent;

namespace CssmSim.Engine.Tests.Properties;

/// <summary>
/// FsCheck generators shared by the parser properties. Hostile text mixes arbitrary strings with
/// fragments of the formats under test, so generated inputs get past the first checks of each parser.
/// </summary>
internal static class Generators
{
    /// <summary>Bounded runs: each property stays well under a second.</summary>
    public static Config Bounded(int maxTest = 300) => Config.QuickThrowOnFailure.WithMaxTest(maxTest);

    private const string UpperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    public static Gen<string> Word(string alphabet, int min, int max) =>
        Gen.Choose(min, max).SelectMany(n => Gen.ArrayOf(Gen.Elements(alphabet.ToCharArray()), n)).Select(cs => new string(cs));

    /// <summary>A PID as devices print them: capitals, digits and <c>-/.</c>.</summary>
    public static Gen<string> Pid => Word(UpperDigits + "-/.", 1, 24).Where(s => s.Trim().Length == s.Length && s.Length > 0);

    public static Gen<string> Serial => Word(UpperDigits + "abcdefghijklmnopqrstuvwxyz-", 1, 20);

    /// <summary>Any character, lone surrogates, NULs and BOMs included.</summary>
    public static Gen<string> AnyText => Gen.Choose(0, 120)
        .SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 0xFFFF).Select(c => (char)c), n))
        .Select(cs => new string(cs));

    /// <summary>Arbitrary text glued from <paramref name="fragments"/> and random characters.</summary>
    public static Gen<string> Shaped(params string[] fragments) =>
        Gen.Choose(0, 30).SelectMany(n => Gen.ArrayOf(
                Gen.OneOf(Gen.Elements(fragments), Gen.Choose(0, 0xFFFF).Select(c => ((char)c).ToString()), Gen.Elements("0", "-1", ":", ",", " ")), n))
            .Select(parts => string.Concat(parts));

    public static Gen<string> HostileText(params string[] fragments) => Gen.OneOf(AnyText, Shaped(fragments), ArbMap.Default.GeneratorFor<string>().Select(s => s ?? ""));

    public static Gen<byte[]> Bytes(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n));
}
