using CssmSim.Engine.Signing;

namespace CssmSim.Engine.Tests.Signing;

/// <summary>One generated chain per test class: RSA key generation takes around a second.</summary>
public sealed class GeneratedBundleFixture
{
    public static readonly DateTimeOffset Now = new(2030, 6, 15, 12, 0, 0, TimeSpan.Zero);

    public static readonly string[] ExtraSans = ["sim.lab.test", "10.1.2.3"];

    public GeneratedBundleFixture() => Bundle = CertificateBundle.Generate(ExtraSans, Now);

    public CertificateBundle Bundle { get; }
}
