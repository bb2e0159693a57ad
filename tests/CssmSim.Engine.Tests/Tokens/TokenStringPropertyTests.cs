using System.Text;
using CssmSim.Engine.Tokens;

namespace CssmSim.Engine.Tests.Tokens;

/// <summary>Property-style checks over seeded random inputs (deterministic, no FsCheck).</summary>
public sealed class TokenStringPropertyTests
{
    private static readonly Guid Ns = Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff");

    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=%-|_ \n\r\t.";

    private static string RandomString(Random rng, int maxLength)
    {
        var length = rng.Next(0, maxLength + 1);
        var sb = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            sb.Append(rng.Next(4) switch
            {
                0 => (char)rng.Next(0, 0x10000),               // anything, lone surrogates included
                1 => "%" + rng.Next(0, 256).ToString("X2"),     // escapes, some decoding to invalid UTF-8
                _ => Alphabet[rng.Next(Alphabet.Length)],
            });
        }
        return sb.ToString();
    }

    [Fact]
    public void Identify_never_throws_on_random_strings()
    {
        var rng = new Random(20240601);
        for (var i = 0; i < 3000; i++)
        {
            var input = RandomString(rng, i % 10 == 0 ? 5000 : 200);

            var key = TokenString.Identify(input, Ns);

            key.ShouldNotBeNull();
            var expectInvalid = input.Length > TokenString.MaxInputLength || input.Trim().Length == 0;
            (key.Kind == TokenKind.Invalid).ShouldBe(expectInvalid, $"input #{i}");
            if (key.Kind == TokenKind.Verbatim) key.Canonical.ShouldBe(input.Trim());
        }
    }

    [Fact]
    public void Identify_never_throws_on_random_bytes_read_as_text()
    {
        var rng = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[rng.Next(0, 300)];
            rng.NextBytes(bytes);

            Should.NotThrow(() => TokenString.Identify(Encoding.UTF8.GetString(bytes), Ns));
            Should.NotThrow(() => TokenString.Identify(Encoding.Latin1.GetString(bytes), Ns));
            Should.NotThrow(() => TokenString.Identify(Convert.ToBase64String(bytes), Ns));
        }
    }

    [Fact]
    public void Mutating_one_character_of_a_token_never_throws_and_never_yields_another_cssm_token_with_the_same_canonical()
    {
        var rng = new Random(99);
        var secret = new byte[32];
        rng.NextBytes(secret);
        var original = TokenString.Create(Guid.NewGuid(), DateTimeOffset.UnixEpoch.AddYears(55), secret);
        var originalKey = TokenString.Identify(original, Ns);

        for (var i = 0; i < 2000; i++)
        {
            var chars = original.ToCharArray();
            var at = rng.Next(chars.Length);
            var replacement = Alphabet[rng.Next(Alphabet.Length)];
            if (chars[at] == replacement) continue;
            chars[at] = replacement;
            var mutated = new string(chars);

            var key = TokenString.Identify(mutated, Ns);

            if (key.Kind == TokenKind.Cssm && key.Canonical == originalKey.Canonical)
            {
                // Only changes that normalisation removes (whitespace, equivalent escapes) may keep the value.
                // Padding may go too: unpadded base64 is accepted.
                static string Strip(string s) => string.Concat(Uri.UnescapeDataString(s).Where(c => !char.IsWhiteSpace(c))).TrimEnd('=');
                Strip(mutated).ShouldBe(Strip(original));
            }
        }
    }

    [Fact]
    public void Every_created_token_round_trips()
    {
        var rng = new Random(3);
        for (var i = 0; i < 1000; i++)
        {
            var idBytes = new byte[16];
            rng.NextBytes(idBytes);
            var id = new Guid(idBytes);
            var secret = new byte[32];
            rng.NextBytes(secret);
            var expires = DateTimeOffset.FromUnixTimeMilliseconds(rng.NextInt64(0, 253_402_300_799_999));

            var key = TokenString.Identify(TokenString.Create(id, expires, secret), Ns);

            key.Kind.ShouldBe(TokenKind.Cssm);
            key.TokenId.ShouldBe(id);
            key.Expires.ShouldBe(expires);
        }
    }
}
