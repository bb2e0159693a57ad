using System.Text;
using CssmSim.Engine.Usage;

namespace CssmSim.Engine.Tests.Usage;

public sealed class RumSignatureTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private const string Payload = "{\"version\":\"2.0\"}";

    [Fact]
    public void Sign_matches_an_hmac_sha256_vector_computed_elsewhere()
    {
        // python3: base64(hmac.new(bytes(range(32)), b'{"version":"2.0"}', sha256).digest())
        RumSignature.Sign(Payload, Key).ShouldBe("uUS7dHH0kJGVLIO4izOryruv201B54cxgk5Mdbaxbs8=");
    }

    [Fact]
    public void Sign_hashes_the_exact_utf8_bytes_of_the_payload()
    {
        // python3: base64(hmac.new(b'\xa5'*32, '{"a":"é"}'.encode(), sha256).digest())
        RumSignature.Sign("{\"a\":\"é\"}", Enumerable.Repeat((byte)0xA5, 32).ToArray()).ShouldBe("hi7MetoqGOSc6k7E6029/3+K9KV+w9crsR87uGyPHeI=");
    }

    [Fact]
    public void A_signature_is_44_base64_characters_like_real_reports()
    {
        RumSignature.Sign(RumSample.Xml, Key).Length.ShouldBe(44);
    }

    [Fact]
    public void Verify_accepts_the_signature_it_made()
    {
        RumSignature.Verify(Payload, RumSignature.Sign(Payload, Key), Key).ShouldBeTrue();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not base64!")]
    [InlineData("AAECAwQFBgcICQoLDA0ODw==")] // 16 bytes, not 32
    public void A_missing_or_malformed_stored_key_verifies_nothing_and_never_throws(string? storedKey)
    {
        RumSignature.VerifyWithStoredKey(Payload, RumSignature.Sign(Payload, Key), storedKey).ShouldBeFalse();
    }

    [Fact]
    public void The_stored_base64_key_verifies_like_the_raw_key()
    {
        RumSignature.VerifyWithStoredKey(Payload, RumSignature.Sign(Payload, Key), Convert.ToBase64String(Key)).ShouldBeTrue();
    }

    [Fact]
    public void Verify_fails_when_any_payload_byte_is_flipped()
    {
        var signature = RumSignature.Sign(Payload, Key);
        var bytes = Encoding.UTF8.GetBytes(Payload);

        for (var i = 0; i < bytes.Length; i++)
        {
            var flipped = (byte[])bytes.Clone();
            flipped[i] ^= 0x01;

            RumSignature.Verify(Encoding.UTF8.GetString(flipped), signature, Key).ShouldBeFalse($"byte {i}");
        }
    }

    [Fact]
    public void Verify_fails_when_a_signature_byte_is_flipped()
    {
        var raw = Convert.FromBase64String(RumSignature.Sign(Payload, Key));
        raw[31] ^= 0x80;

        RumSignature.Verify(Payload, Convert.ToBase64String(raw), Key).ShouldBeFalse();
    }

    [Fact]
    public void Verify_fails_with_another_key()
    {
        var other = (byte[])Key.Clone();
        other[0] ^= 1;

        RumSignature.Verify(Payload, RumSignature.Sign(Payload, Key), other).ShouldBeFalse();
    }

    [Fact]
    public void Verify_fails_for_a_whitespace_change_in_the_payload()
    {
        RumSignature.Verify("{\"version\": \"2.0\"}", RumSignature.Sign(Payload, Key), Key).ShouldBeFalse();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    [InlineData("EfQw4ng6N90vukN6Gd7GHad8MZClqheuuYlkLO3x334=EfQw4ng6N90vukN6Gd7GHad8MZClqheuuYlkLO3x334=")]
    public void Verify_fails_for_a_value_that_is_not_base64_of_32_bytes(string? value)
    {
        RumSignature.Verify(Payload, value, Key).ShouldBeFalse();
    }

    [Fact]
    public void A_key_that_is_not_32_bytes_is_refused()
    {
        Should.Throw<ArgumentException>(() => RumSignature.Sign(Payload, new byte[16]));
        Should.Throw<ArgumentException>(() => RumSignature.Verify(Payload, "x", new byte[33]));
    }

    [Fact]
    public void The_real_sample_signature_does_not_verify_under_an_arbitrary_key()
    {
        var report = RumFileReader.Read(RumSample.Xml).Reports.Single();

        RumSignature.Verify(report.PayloadJson, report.Signature!.Value, Key).ShouldBeFalse();
    }
}
