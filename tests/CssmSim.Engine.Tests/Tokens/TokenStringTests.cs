using System.Text;
using CssmSim.Engine.Ids;
using CssmSim.Engine.Tokens;

namespace CssmSim.Engine.Tests.Tokens;

public sealed class TokenStringTests
{
    private static readonly Guid Ns = new DerivedIds(42).Namespace;

    // reference/seed-002.md §3.4: a real token as printed (L3659-L3661), with the source's OCR slip
    // "cnljbDIL" (decodes to a 0x0B byte) and the document's own line breaks.
    private const string RealTokenAsPrinted =
        "OWJhMTk3ZGMtYjdhMy00MDA0LTg3ZDYtNTIwN2M0NzMyMjM3LTE\n" +
        "2MTMyNjQ1%0ANjk0Mjh8cnljbDILVTdjT2xqMmhJUzFBOVJ5czcwQ2\n" +
        "s2RW9paitCTmlyV09t%0AanVBZz0%3D%0A";

    // The same token with the slip corrected ("cnljbDJL"): base64 of
    // 9ba197dc-b7a3-4004-87d6-5207c4732237-1613264569428|rycl2KU7cOlj2hIS1A9Rys70Ck6Eoij+BNirWOmjuAg=
    private const string RealTokenCorrected =
        "OWJhMTk3ZGMtYjdhMy00MDA0LTg3ZDYtNTIwN2M0NzMyMjM3LTE2MTMyNjQ1%0A" +
        "Njk0Mjh8cnljbDJLVTdjT2xqMmhJUzFBOVJ5czcwQ2s2RW9paitCTmlyV09t%0A" +
        "anVBZz0%3D%0A";

    private static readonly Guid RealTokenId = Guid.Parse("9ba197dc-b7a3-4004-87d6-5207c4732237");
    private static readonly DateTimeOffset RealTokenExpiry = new(2021, 2, 14, 1, 2, 49, 428, TimeSpan.Zero);
    private const string RealTokenSecret = "rycl2KU7cOlj2hIS1A9Rys70Ck6Eoij+BNirWOmjuAg=";

    private static byte[] Secret(int seed)
    {
        var bytes = new byte[32];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void Create_reproduces_the_real_token_from_the_reference_byte_for_byte()
    {
        var token = TokenString.Create(RealTokenId, RealTokenExpiry, Convert.FromBase64String(RealTokenSecret));

        token.ShouldBe(RealTokenCorrected);
    }

    [Fact]
    public void The_real_token_decodes_to_its_uuid_and_expiry()
    {
        var key = TokenString.Identify(RealTokenCorrected, Ns);

        key.Kind.ShouldBe(TokenKind.Cssm);
        key.IsCssmFormat.ShouldBeTrue();
        key.TokenId.ShouldBe(RealTokenId);
        key.Expires.ShouldBe(RealTokenExpiry);
        key.Canonical.ShouldBe("9ba197dc-b7a3-4004-87d6-5207c4732237-1613264569428|" + RealTokenSecret);
    }

    [Fact]
    public void The_real_token_as_printed_with_line_breaks_and_its_ocr_slip_still_yields_its_uuid_and_expiry()
    {
        var key = TokenString.Identify(RealTokenAsPrinted, Ns);

        key.Kind.ShouldBe(TokenKind.Cssm);
        key.TokenId.ShouldBe(RealTokenId);
        key.Expires.ShouldBe(RealTokenExpiry);
        key.Canonical.ShouldBe("9ba197dc-b7a3-4004-87d6-5207c4732237-1613264569428|rycl2\vU7cOlj2hIS1A9Rys70Ck6Eoij+BNirWOmjuAg=");
    }

    [Fact]
    public void Create_then_Identify_gives_the_same_id_expiry_and_secret()
    {
        var id = Guid.Parse("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9");
        var expires = new DateTimeOffset(2030, 6, 1, 12, 30, 45, 123, TimeSpan.Zero);
        var secret = Secret(1);

        var key = TokenString.Identify(TokenString.Create(id, expires, secret), Ns);

        key.Kind.ShouldBe(TokenKind.Cssm);
        key.TokenId.ShouldBe(id);
        key.Expires.ShouldBe(expires);
        key.Canonical.ShouldBe($"{id:D}-{expires.ToUnixTimeMilliseconds()}|{Convert.ToBase64String(secret)}");
    }

    [Fact]
    public void Create_drops_sub_millisecond_precision_and_keeps_the_instant_in_utc()
    {
        var expires = new DateTimeOffset(2030, 1, 1, 10, 0, 0, TimeSpan.FromHours(2)).AddTicks(5_555);

        var key = TokenString.Identify(TokenString.Create(Guid.NewGuid(), expires, Secret(2)), Ns);

        key.Expires.ShouldBe(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        key.Expires!.Value.Offset.ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void The_emitted_form_is_url_safe_and_ends_every_line_with_an_encoded_newline()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var token = TokenString.Create(Guid.NewGuid(), DateTimeOffset.UnixEpoch.AddDays(seed * 97), Secret(seed));

            token.ShouldNotContain('\n');
            token.ShouldNotContain('\r');
            token.ShouldNotContain('=');
            token.ShouldNotContain('+');
            token.ShouldNotContain('/');
            token.ShouldEndWith("%0A", caseSensitivity: Case.Sensitive);
            var lines = Uri.UnescapeDataString(token).Split('\n');
            lines[^1].ShouldBe("");
            lines[..^2].ShouldAllBe(l => l.Length == 60);
            lines[^2].Length.ShouldBeInRange(1, 60);
        }
    }

    public static TheoryData<string> PastedVariants()
    {
        var t = RealTokenCorrected;
        var raw = Uri.UnescapeDataString(t);
        return new TheoryData<string>
        {
            t,
            raw,                                             // real newlines
            raw.Replace("\n", "\r\n"),                       // CRLF
            raw.Replace("\n", ""),                           // one line, padding kept
            raw.Replace("\n", "").TrimEnd('='),              // padding lost
            t.Replace("%", "%25"),                           // double-encoded (%250A)
            t.Replace("%", "%25").Replace("%", "%25"),       // triple-encoded
            t.Replace("%0A", "%0a").Replace("%3D", "%3d"), // lowercase hex
            "  \t" + t + " \n",                              // surrounding whitespace
            t.Replace("%0A", "%0A "),                        // spaces after each line
            t.Replace("%0A", "\n"),                          // newlines decoded, '=' still encoded
        };
    }

    [Theory]
    [MemberData(nameof(PastedVariants))]
    public void A_token_pasted_in_any_usual_form_identifies_the_same_token(string pasted)
    {
        var key = TokenString.Identify(pasted, Ns);

        key.Kind.ShouldBe(TokenKind.Cssm);
        key.TokenId.ShouldBe(RealTokenId);
        key.Expires.ShouldBe(RealTokenExpiry);
        key.Canonical.ShouldBe(TokenString.Identify(RealTokenCorrected, Ns).Canonical);
    }

    [Theory]
    [InlineData("9ba197dc-b7a3-4004-87d6-5207c4732237")]
    [InlineData("9BA197DC-B7A3-4004-87D6-5207C4732237")]
    [InlineData(" 9ba197dc-b7a3-4004-87d6-5207c4732237 ")]
    [InlineData("9ba197dc%2Db7a3-4004-87d6-5207c4732237")]
    public void A_bare_uuid_is_a_token_id_to_look_up(string input)
    {
        var key = TokenString.Identify(input, Ns);

        key.Kind.ShouldBe(TokenKind.BareId);
        key.IsCssmFormat.ShouldBeFalse();
        key.IsValid.ShouldBeTrue();
        key.TokenId.ShouldBe(RealTokenId);
        key.Canonical.ShouldBeNull();
        key.Expires.ShouldBeNull();
    }

    [Theory]
    [InlineData("NGMwMjk5mYtNZaxMS00NzMZmtgWm")]            // seed-000 example token (L2695)
    [InlineData("T2xqMmhJUzFBOVJ5czcwQ2s2RW9paitCTmlyV09t%0AanVBZz0%3D%0A")] // truncated token from a trust command
    [InlineData("!!!")]
    [InlineData("abc=def")]                                 // not valid base64
    [InlineData("my seed token")]
    [InlineData("9ba197dc-b7a3-4004-87d6-5207c473223")]     // one digit short of a UUID
    public void Any_other_string_is_a_verbatim_seed_token_with_a_v5_id(string input)
    {
        var key = TokenString.Identify(input, Ns);

        key.Kind.ShouldBe(TokenKind.Verbatim);
        key.IsValid.ShouldBeTrue();
        key.Canonical.ShouldBe(input);
        key.TokenId.ShouldBe(Uuid.V5(Ns, input));
        key.Expires.ShouldBeNull();
    }

    [Fact]
    public void A_verbatim_token_is_trimmed_before_it_is_compared_or_hashed()
    {
        var key = TokenString.Identify("  seed-token-1\n", Ns);

        key.Canonical.ShouldBe("seed-token-1");
        key.TokenId.ShouldBe(Uuid.V5(Ns, "seed-token-1"));
    }

    [Fact]
    public void A_verbatim_token_id_depends_on_the_seed_namespace()
    {
        var a = TokenString.Identify("seed-token-1", new DerivedIds(1).Namespace);
        var b = TokenString.Identify("seed-token-1", new DerivedIds(2).Namespace);

        a.TokenId.ShouldNotBe(b.TokenId);
    }

    [Fact]
    public void Valid_base64_of_random_bytes_is_a_verbatim_token()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var input = Convert.ToBase64String(Secret(seed).AsSpan(0, 1 + seed % 32));

            TokenString.Identify(input, Ns).Kind.ShouldBe(TokenKind.Verbatim);
        }
    }

    [Fact]
    public void Base64_of_the_right_shape_with_an_expiry_beyond_year_9999_is_a_verbatim_token()
    {
        var text = "9ba197dc-b7a3-4004-87d6-5207c4732237-999999999999999|" + RealTokenSecret;
        var input = Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

        TokenString.Identify(input, Ns).Kind.ShouldBe(TokenKind.Verbatim);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\r\n\t")]
    public void An_empty_input_is_invalid_with_a_clear_message(string? input)
    {
        var key = TokenString.Identify(input, Ns);

        key.Kind.ShouldBe(TokenKind.Invalid);
        key.IsValid.ShouldBeFalse();
        key.Error.ShouldBe("the token is empty");
        key.Canonical.ShouldBeNull();
    }

    [Fact]
    public void An_input_longer_than_4096_characters_is_invalid()
    {
        var key = TokenString.Identify(new string('A', TokenString.MaxInputLength + 1), Ns);

        key.Kind.ShouldBe(TokenKind.Invalid);
        key.Error.ShouldBe("the token is longer than 4096 characters");
    }

    [Fact]
    public void Ten_kilobytes_of_junk_is_invalid_and_does_not_throw()
    {
        var junk = string.Concat(Enumerable.Repeat("%%zz!!\n", 1500));

        TokenString.Identify(junk, Ns).Kind.ShouldBe(TokenKind.Invalid);
    }

    [Fact]
    public void An_input_of_exactly_4096_characters_is_accepted()
    {
        TokenString.Identify(new string('A', TokenString.MaxInputLength), Ns).Kind.ShouldBe(TokenKind.Verbatim);
    }

    [Fact]
    public void Create_refuses_a_secret_that_is_not_32_bytes()
    {
        Should.Throw<ArgumentException>(() => TokenString.Create(Guid.NewGuid(), DateTimeOffset.UnixEpoch, new byte[31]));
    }

    [Fact]
    public void Create_refuses_an_expiry_before_1970()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => TokenString.Create(Guid.NewGuid(), DateTimeOffset.UnixEpoch.AddMilliseconds(-1), new byte[32]));
    }

    [Fact]
    public void A_token_expiring_at_the_epoch_round_trips()
    {
        var id = Guid.NewGuid();

        var key = TokenString.Identify(TokenString.Create(id, DateTimeOffset.UnixEpoch, new byte[32]), Ns);

        key.TokenId.ShouldBe(id);
        key.Expires.ShouldBe(DateTimeOffset.UnixEpoch);
    }
}
