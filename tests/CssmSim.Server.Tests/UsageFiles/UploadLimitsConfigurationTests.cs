using CssmSim.Engine.UsageFiles;
using CssmSim.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace CssmSim.Server.Tests.UsageFiles;

/// <summary><c>Uploads:*</c> (control.md §Configuration): defaults, values, and refused values.</summary>
public sealed class UploadLimitsConfigurationTests
{
    private static SimulatorOptions Read(params (string Key, string Value)[] values) =>
        SimulatorOptions.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());

    [Fact]
    public void The_defaults_are_64_MiB_512_MiB_and_100000_entries()
    {
        Read().UploadLimits.ShouldBe(new UploadLimits(64L * 1024 * 1024, 512L * 1024 * 1024, 100_000));
        new SimulatorOptions().UploadLimits.ShouldBe(UploadLimits.Default);
    }

    [Fact]
    public void Configured_values_are_read()
    {
        Read(("Uploads:MaxCompressedBytes", "1000"), ("Uploads:MaxExpandedBytes", "5000000000"), ("Uploads:MaxEntries", "7")).UploadLimits
            .ShouldBe(new UploadLimits(1000, 5_000_000_000, 7));
    }

    [Theory]
    [InlineData("Uploads:MaxCompressedBytes", "0")]
    [InlineData("Uploads:MaxCompressedBytes", "4294967296")]
    [InlineData("Uploads:MaxExpandedBytes", "-1")]
    [InlineData("Uploads:MaxEntries", "many")]
    public void Unusable_values_name_their_key(string key, string value)
    {
        Should.Throw<SimulatorConfigurationException>(() => Read((key, value))).Message.ShouldStartWith(key);
    }
}
