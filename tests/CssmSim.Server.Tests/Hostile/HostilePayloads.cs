using System.Text;

namespace CssmSim.Server.Tests.Hostile;

/// <summary>A hostile body: its bytes and the content type it is sent with.</summary>
public sealed record HostilePayload(string Name, string ContentType, Func<byte[]> Bytes)
{
    public HttpContent Content()
    {
        var content = new ByteArrayContent(Bytes());
        content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
        return content;
    }
}

/// <summary>The kinds of broken body every body-taking route is sent (the list, one entry each).</summary>
public static class HostilePayloads
{
    private const int Deep = 10_000;
    private const string Json = "application/json";
    private const string Yaml = "application/yaml";

    /// <summary>Above every route's own limit but the upload and snapshot routes' (16 MiB is the largest JSON limit).</summary>
    public const int OversizedBytes = 17 * 1024 * 1024;

    public static readonly string BillionLaughs = """
        <?xml version="1.0"?>
        <!DOCTYPE lolz [
          <!ENTITY lol "lol">
          <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
          <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
          <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
          <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
          <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
          <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
          <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
          <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
          <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
        ]>
        <smartLicense><RUMReport>&lol9;</RUMReport></smartLicense>
        """;

    public static readonly string ExternalEntity = """
        <?xml version="1.0"?>
        <!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
        <smartLicense><RUMReport>&xxe;</RUMReport></smartLicense>
        """;

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static IReadOnlyList<HostilePayload> All { get; } =
    [
        new("malformed-json", Json, () => Utf8("""{"data": {"timestamp": 1, "nonce": "x", "reports": [{""")),
        new("json-deep-arrays", Json, () => Utf8(new string('[', Deep) + new string(']', Deep))),
        new("json-deep-objects", Json, () => Utf8(string.Concat(Enumerable.Repeat("{\"a\":", Deep)) + "1" + new string('}', Deep))),
        new("json-top-level-array", Json, () => Utf8("""[{"data":{}}]""")),
        new("json-top-level-string", Json, () => Utf8("\"data\"")),
        new("json-top-level-number", Json, () => Utf8("-1e999")),
        new("json-null", Json, () => Utf8("null")),
        new("json-duplicate-keys", Json, () => Utf8("""{"data":{},"data":{}}""")),
        new("empty-body", Json, () => []),
        new("invalid-utf8", Json, () => Concat(Utf8("""{"description":" """), [0xFF, 0xFE, 0xC0, 0xAF, 0xED, 0xA0, 0x80], Utf8("\"}"))),
        new("raw-nul-bytes", Json, () => Concat(Utf8("{\"description\":\"a"), [0x00], Utf8("b\"}"), [0x00])),
        new("xml-billion-laughs", "application/xml", () => Utf8(BillionLaughs)),
        new("xml-external-entity", "application/xml", () => Utf8(ExternalEntity)),
        new("xml-external-entity-as-json", Json, () => Utf8(ExternalEntity)),
        new("xml-deep", "text/xml", () => Utf8(string.Concat(Enumerable.Repeat("<a>", Deep)) + string.Concat(Enumerable.Repeat("</a>", Deep)))),
        new("form-garbage", "application/x-www-form-urlencoded", () => Concat(Utf8("grant_type=%%%ZZ&&=&client_id="), [0xFF, 0x00])),
        // YAML nested 32,000 deep in 64 KB overflowed the stack (the process died); an unclosed flow
        // collection threw InvalidOperationException out of YamlDotNet (a 500).
        new("yaml-deep-flow", Yaml, () => Utf8("a: " + new string('[', 32_000))),
        new("yaml-deep-block", Yaml, () => Utf8(string.Concat(Enumerable.Repeat("- ", 32_000)) + "x")),
        new("yaml-unclosed-brace", Yaml, () => Utf8("accounts:\n  - {domain: a.test, virtualAccounts: [DEFAULT]\n")),
        new("yaml-deep-as-text", "text/plain", () => Utf8("a: " + new string('[', 32_000))),
        // A lone surrogate escape parses, then throws wherever the string is read (a 500 on 14 of 15 routes).
        new("json-lone-surrogate", Json, () => Utf8("""{"description":"\ud800","data":{"x":"\udfff"},"header":{"type":"\ud800"},"grant_type":"\ud800"}""")),
        new("oversized", Json, () => Concat(Utf8("{\"description\":\""), Enumerable.Repeat((byte)'a', OversizedBytes).ToArray(), Utf8("\"}"))),
    ];

    public static HostilePayload Named(string name) => All.Single(p => p.Name == name);
}
