using CssmSim.Engine.Ids;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Ids;

public sealed class UuidTests
{
    private static readonly Guid DnsNamespace = Guid.Parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8");

    [Fact]
    public void V5_matches_the_RFC_9562_test_vector()
    {
        // RFC 9562 Appendix A.4: UUIDv5 of "www.example.com" in the DNS namespace.
        Uuid.V5(DnsNamespace, "www.example.com").ShouldBe(Guid.Parse("2ed6657d-e927-568b-95e1-2665a8aea6a2"));
    }

    [Fact]
    public void V5_sets_version_5_and_the_RFC_variant()
    {
        var text = Uuid.V5(DnsNamespace, "anything at all").ToString();

        text[14].ShouldBe('5');
        "89ab".ShouldContain(text[19]);
    }

    [Fact]
    public void V5_hashes_the_name_as_UTF8()
    {
        Uuid.V5(DnsNamespace, "caf\u00e9").ShouldNotBe(Uuid.V5(DnsNamespace, "cafe"));
        Uuid.V5(DnsNamespace, "caf\u00e9").ShouldBe(Uuid.V5(DnsNamespace, "caf\u00e9"));
    }

    [Fact]
    public void V5_differs_by_namespace_and_by_name()
    {
        var other = Guid.Parse("6ba7b811-9dad-11d1-80b4-00c04fd430c8");

        Uuid.V5(other, "www.example.com").ShouldNotBe(Uuid.V5(DnsNamespace, "www.example.com"));
        Uuid.V5(DnsNamespace, "www.example.org").ShouldNotBe(Uuid.V5(DnsNamespace, "www.example.com"));
    }
}
