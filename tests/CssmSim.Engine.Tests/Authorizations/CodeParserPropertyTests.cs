using System.Text;
using CssmSim.Engine.Authorizations.Codes;
using CssmSim.Engine.Signing;
using static CssmSim.Engine.Tests.Authorizations.CodeTestData;

namespace CssmSim.Engine.Tests.Authorizations;

/// <summary>
/// Property-style loops over seeded <see cref="Random"/>s (reproducible, one per test): the
/// parsers answer garbage with false and a reason, never an exception, and generators round-trip.
/// </summary>
public sealed class CodeParserPropertyTests
{
    private const string Noise =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz--::,,ZZPS<>/&;=\"' \t\r\n!#%.\u00e9\u0000\u0001\uFEFF\uFFFE\ud800";

    private static readonly string[] XmlPieces =
    [
        "<specificPLR>", "</specificPLR>", "<smartLicense>", "</smartLicense>", "<smartLicenseAuthorization>",
        "</smartLicenseAuthorization>", "<universalPLR>", "</universalPLR>", "<authorizationCode>", "</authorizationCode>",
        "<flag>A</flag>", "<flag>U</flag>", "<version>C</version>", "<pid>", "</pid>", "<piid>x</piid>", "<timestamp>1</timestamp>",
        "<timestamp>99999999999999999999</timestamp>", "<entitlements>", "</entitlements>", "<entitlement>", "</entitlement>",
        "<tag>regid.2019-03.com.cisco.DNA_HSEC.1.0_509c41ab-05a8-431f-95fe-ec28086e8844</tag>", "<count>1</count>",
        "<count>2147483648</count>", "<signature>AAAA</signature>", "<signature>====</signature>", "<udi>P:A,S:B</udi>",
        "<udi>P:,S:</udi>", "<!-- c -->", "<![CDATA[<authorizationCode>]]>", "&amp;", "&bogus;", "&#1;", "<?pi x?>",
        "<!DOCTYPE x [<!ENTITY e \"v\">]>", "<a b=\"</authorizationCode>\">", "\n", " ",
    ];

    [Fact]
    public void Parsers_never_throw_on_random_text()
    {
        // Arrange
        var random = new Random(20240601);

        for (var i = 0; i < 3000; i++)
        {
            var text = RandomText(random, Noise, random.Next(0, 80));

            // Act & Assert: any exception fails the test with this input in its message.
            ExerciseAll(text, i);
        }
    }

    [Fact]
    public void Parsers_never_throw_on_random_xml_shaped_text()
    {
        // Arrange
        var random = new Random(77);

        for (var i = 0; i < 1500; i++)
        {
            var sb = new StringBuilder();
            var n = random.Next(1, 24);
            for (var k = 0; k < n; k++)
            {
                sb.Append(XmlPieces[random.Next(XmlPieces.Length)]);
            }

            // Act & Assert
            ExerciseAll(sb.ToString(), i);
        }
    }

    [Fact]
    public void Mutated_signed_codes_never_throw_and_never_verify_with_changed_signed_bytes()
    {
        // Arrange
        var random = new Random(4242);
        var signer = Signer(SigningAlgorithm.Ecdsa);
        var original = SlacCode.Create(Piid, CsrUdi, TimestampMs, ReferenceEntitlements, signer);
        string[] renderings = [original.ToSlrXml(), original.ToSlacFileXml(), original.ToSlacAckElementXml()];
        int verifiedCount = 0, rejectedCount = 0;

        for (var i = 0; i < 600; i++)
        {
            var text = Mutate(random, renderings[i % renderings.Length]);

            // Act
            var parsed = SlrCode.TryParse(text, out var slr, out _) ? slr
                : SlacCode.TryParse(text, out var slac, out _) ? slac
                : null;

            // Assert
            if (parsed is null)
            {
                continue;
            }

            var verified = parsed.Verify(signer.SigningCertificatePem);
            var sameSignedBytes = parsed.AuthorizationCodeXml == original.AuthorizationCodeXml
                && parsed.SignatureBase64 == original.SignatureBase64;
            verified.ShouldBe(sameSignedBytes, $"iteration {i}: {text}");
            if (verified)
            {
                verifiedCount++;
            }
            else
            {
                rejectedCount++;
            }
        }

        // Not vacuous: some mutants parse and verify (outside the signed bytes), some parse and fail.
        verifiedCount.ShouldBeGreaterThan(0);
        rejectedCount.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Mutated_request_and_return_codes_never_throw()
    {
        // Arrange
        var random = new Random(99);
        var request = RequestCode.Generate(C9800Udi, new Random(1));
        var returnCode = ReturnCode.Generate(Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"), C9800Udi);

        for (var i = 0; i < 3000; i++)
        {
            // Act & Assert
            ExerciseAll(Mutate(random, request), i);
            ExerciseAll(Mutate(random, returnCode), i);
        }
    }

    [Fact]
    public void Generated_request_codes_parse_back_to_their_udi()
    {
        // Arrange
        var random = new Random(5);

        for (var i = 0; i < 2000; i++)
        {
            var udi = new UdiRef(
                RandomText(random, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/:._", random.Next(1, 20)),
                RandomText(random, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-", random.Next(1, 20)));

            // Act
            var code = RequestCode.Generate(udi, random);
            var ok = RequestCode.TryParse(code, out var parsed, out var error);

            // Assert
            ok.ShouldBeTrue($"{code}: {error}");
            parsed!.Udi.ShouldBe(udi, code);
        }
    }

    [Fact]
    public void Generated_return_codes_round_trip_and_bind_their_udi()
    {
        // Arrange
        var random = new Random(11);
        var idBytes = new byte[16];

        for (var i = 0; i < 1000; i++)
        {
            random.NextBytes(idBytes);
            var id = new Guid(idBytes);
            var udi = new UdiRef(
                RandomText(random, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/:", random.Next(1, 30)),
                RandomText(random, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", random.Next(1, 20)));
            var other = new UdiRef(udi.Pid, udi.Serial + "X");

            // Act
            var code = ReturnCode.Generate(id, udi);

            // Assert
            code.Length.ShouldBe(ReturnCode.Length);
            ReturnCode.IsWellFormed(code).ShouldBeTrue(code);
            ReturnCode.TryDecode(code, udi, out var decoded).ShouldBeTrue(code);
            decoded.ShouldBe(id);
            ReturnCode.Matches(code, other).ShouldBeFalse(code);
        }
    }

    [Fact]
    public void Udi_text_form_round_trips()
    {
        // Arrange
        var random = new Random(3);

        for (var i = 0; i < 2000; i++)
        {
            var udi = new UdiRef(
                RandomText(random, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/:.S", random.Next(1, 40)),
                RandomText(random, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-,:S", random.Next(1, 40)));

            // Act
            var ok = UdiRef.TryParse(udi.ToString(), out var parsed);

            // Assert
            ok.ShouldBeTrue(udi.ToString());
            parsed.ShouldBe(udi);
        }
    }

    private static void ExerciseAll(string text, int iteration)
    {
        try
        {
            _ = RequestCode.TryParse(text, out _, out _);
            _ = ReturnCode.IsWellFormed(text);
            _ = ReturnCode.TryDecode(text, out _, out _);
            _ = ReturnCode.Matches(text, C9800Udi);
            _ = ConfirmationCode.IsWellFormed(text);
            _ = ConfirmationCode.Matches(text, "d91600c5");
            _ = PlrCode.IsWellFormed(text);
            _ = UdiRef.TryParse(text, out _);
            _ = SlrCode.TryParse(text, out _, out _);
            _ = SlacCode.TryParse(text, out _, out _);
            _ = PlrCode.TryParse(text, out _, out _);
        }
        catch (Exception ex)
        {
            throw new Xunit.Sdk.XunitException($"Iteration {iteration} threw {ex.GetType().Name} on input {Escape(text)}: {ex}");
        }
    }

    private static string Mutate(Random random, string text)
    {
        var chars = new StringBuilder(text);
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits; e++)
        {
            var at = random.Next(chars.Length + 1);
            switch (random.Next(3))
            {
                case 0 when at < chars.Length:
                    chars.Remove(at, 1);
                    break;
                case 1 when at < chars.Length:
                    chars[at] = Noise[random.Next(Noise.Length)];
                    break;
                default:
                    chars.Insert(at, Noise[random.Next(Noise.Length)]);
                    break;
            }
        }

        return chars.ToString();
    }

    private static string RandomText(Random random, string alphabet, int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = alphabet[random.Next(alphabet.Length)];
        }

        return new string(chars);
    }

    private static string Escape(string text)
    {
        var sb = new StringBuilder();
        foreach (var c in text)
        {
            sb.Append(c is < ' ' or > '~' ? $"\\u{(int)c:X4}" : c.ToString());
        }

        return sb.ToString();
    }
}
