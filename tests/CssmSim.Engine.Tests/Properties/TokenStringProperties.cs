using System.Text;
using CssmSim.Engine.Tokens;
using FsCheck;
using FsCheck.Fluent;
using static CssmSim.Engine.Tests.Properties.Generators;

namespace CssmSim.Engine.Tests.Properties;

/// <summary>
/// Registration token strings: every token the simulator issues identifies back to its id and expiry
/// in any of the forms a user pastes it, and no input makes <see cref="TokenString.Identify"/> throw.
/// </summary>
public sealed class TokenStringProperties
{
    private static readonly Guid Ns = Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff");

    public sealed record Issued(Guid Id, DateTimeOffset Expires, byte[] Secret);

    private static Gen<Issued> Tokens =>
        from id in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 16).Select(b => new Guid(b))
        // Any millisecond from 1970 to 9999-12-31: absurd expiry dates included.
        from hi in Gen.Choose(0, 58_993)
        from lo in Gen.Choose(0, 999_999_999)
        from secret in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), TokenString.SecretLength)
        select new Issued(id, DateTimeOffset.FromUnixTimeMilliseconds(Math.Min(hi * 4_294_967_296L + lo, 253_402_300_799_999)), secret);

    [Fact]
    public void An_issued_token_identifies_to_its_id_and_expiry_as_emitted_decoded_or_reflowed()
    {
        Prop.ForAll(Arb.From(Tokens), t =>
        {
            var emitted = TokenString.Create(t.Id, t.Expires, t.Secret);
            var decoded = Uri.UnescapeDataString(emitted);
            var oneLine = decoded.Replace("\n", "");

            foreach (var form in new[] { emitted, decoded, oneLine, "  " + oneLine + "\r\n", Uri.EscapeDataString(emitted) })
            {
                var key = TokenString.Identify(form, Ns);
                key.Kind.ShouldBe(TokenKind.Cssm, form);
                key.TokenId.ShouldBe(t.Id);
                key.Expires.ShouldBe(t.Expires);
            }
            TokenString.Identify(t.Id.ToString("D"), Ns).Kind.ShouldBe(TokenKind.BareId);
        }).Check(Bounded());
    }

    [Fact]
    public void Arbitrary_text_never_throws_and_is_invalid_only_when_blank_or_too_long()
    {
        var inputs = Gen.OneOf(
            HostileText("%", "%0A", "%3D", "%25", "%FF", "%C3", "=", "+", "/", "|", "-", "\n", " ", "00000000-0000-0000-0000-000000000000"),
            Bytes(400).Select(b => Convert.ToBase64String(b)),
            Bytes(400).Select(b => Encoding.UTF8.GetString(b)),
            Gen.Choose(TokenString.MaxInputLength - 2, TokenString.MaxInputLength + 2).Select(n => new string('A', n)));
        Prop.ForAll(Arb.From(inputs), input =>
        {
            var key = TokenString.Identify(input, Ns);

            var blankOrTooLong = input.Length > TokenString.MaxInputLength || input.Trim().Length == 0;
            (key.Kind == TokenKind.Invalid).ShouldBe(blankOrTooLong);
            if (key.Kind == TokenKind.Invalid) key.Error.ShouldNotBeNullOrWhiteSpace();
            if (key.Kind == TokenKind.Verbatim) key.Canonical.ShouldBe(input.Trim());
        }).Check(Bounded(1000));
    }

    [Fact]
    public void Identification_is_deterministic_for_verbatim_tokens()
    {
        Prop.ForAll(Arb.From(AnyText.Where(s => s.Trim().Length > 0)), input =>
        {
            TokenString.Identify(input, Ns).ShouldBe(TokenString.Identify(input, Ns));
        }).Check(Bounded());
    }
}
