using CssmSim.Engine.Authorizations.Codes;
using FsCheck;
using FsCheck.Fluent;
using static CssmSim.Engine.Tests.Properties.Generators;

namespace CssmSim.Engine.Tests.Properties;

/// <summary>
/// Request, return and confirmation codes and UDIs: what the simulator (or a simulated device)
/// generates reads back to the same values, and arbitrary text is refused with false, never an exception.
/// </summary>
public sealed class CodeParserProperties
{
    private static readonly string[] Fragments = ["P:", ",S:", "PID:", ",SN:", "-Z", "C", "-", ":", ",", "ZZ", "=", "0", "Zz9"];

    private static Gen<UdiRef> Udis =>
        from pid in Pid.Where(p => !p.Contains(','))
        from serial in Serial
        select new UdiRef(pid, serial);

    private static Gen<Guid> Guids => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 16).Select(b => new Guid(b));

    [Fact]
    public void A_udi_round_trips_through_its_short_and_long_text_forms()
    {
        Prop.ForAll(Arb.From(Udis), udi =>
        {
            UdiRef.TryParse(udi.ToString(), out var shortForm).ShouldBeTrue(udi.ToString());
            shortForm.ShouldBe(udi);
            UdiRef.TryParse($"PID:{udi.Pid},SN:{udi.Serial}", out var longForm).ShouldBeTrue();
            longForm.ShouldBe(udi);
        }).Check(Bounded());
    }

    [Fact]
    public void A_product_instance_udi_round_trips_through_its_store_key_and_devices_values_are_checked_cleanly()
    {
        var valid = from pid in Pid.Where(p => !p.Contains(',')) from serial in Serial select new Engine.ProductInstances.Udi(pid, serial);
        Prop.ForAll(Arb.From(valid), udi =>
        {
            Engine.ProductInstances.Udi.Problem(udi.Pid, udi.Serial).ShouldBeNull();
            Engine.ProductInstances.Udi.TryParse(udi.ToString(), out var parsed).ShouldBeTrue(udi.ToString());
            parsed.ShouldBe(udi);
        }).Check(Bounded());

        Prop.ForAll(Arb.From(HostileText(Fragments)), text =>
        {
            // What a device sends is checked, never thrown on; a key that parses names a non-empty pair.
            _ = Engine.ProductInstances.Udi.Problem(text, text);
            if (Engine.ProductInstances.Udi.TryParse(text, out var udi)) (udi.Pid.Length > 0 && udi.Serial.Length > 0).ShouldBeTrue(text);
        }).Check(Bounded(1000));
    }

    [Fact]
    public void A_generated_request_code_parses_back_to_its_udi()
    {
        var cases = from udi in Udis from seed in Gen.Choose(0, int.MaxValue) select (udi, seed);
        Prop.ForAll(Arb.From(cases), c =>
        {
            var code = RequestCode.Generate(c.udi, new Random(c.seed));

            RequestCode.TryParse(code, out var parsed, out var error).ShouldBeTrue(error);
            parsed!.Udi.ShouldBe(c.udi);
            RequestCode.TryParse("  " + code + "\n", out _, out _).ShouldBeTrue("codes are trimmed");
        }).Check(Bounded());
    }

    [Fact]
    public void A_generated_return_code_decodes_to_its_id_only_for_its_own_udi()
    {
        var cases = from id in Guids from udi in Udis select (id, udi);
        Prop.ForAll(Arb.From(cases), c =>
        {
            var code = ReturnCode.Generate(c.id, c.udi);

            code.Length.ShouldBe(ReturnCode.Length);
            ReturnCode.IsWellFormed(code).ShouldBeTrue(code);
            ReturnCode.TryDecode(code, c.udi, out var id).ShouldBeTrue(code);
            id.ShouldBe(c.id);
            ReturnCode.Matches(code, new UdiRef(c.udi.Pid, c.udi.Serial + "X")).ShouldBeFalse();
        }).Check(Bounded());
    }

    [Fact]
    public void A_confirmation_code_is_well_formed_and_matches_itself_in_any_case_and_spacing()
    {
        Prop.ForAll(Arb.From(AnyText), element =>
        {
            var code = ConfirmationCode.For(element);

            code.Length.ShouldBe(ConfirmationCode.Length);
            ConfirmationCode.IsWellFormed(code).ShouldBeTrue(code);
            ConfirmationCode.Matches(" " + code + " ", code).ShouldBeTrue();
        }).Check(Bounded());
    }

    [Fact]
    public void Arbitrary_text_is_refused_cleanly_by_every_code_parser()
    {
        Prop.ForAll(Arb.From(HostileText(Fragments)), text =>
        {
            if (RequestCode.TryParse(text, out var request, out var requestError)) request.Udi.Pid.ShouldNotBeEmpty();
            else requestError.ShouldNotBeNullOrWhiteSpace();
            // Parse's documented failure is FormatException, nothing else.
            try { RequestCode.Parse(text); } catch (FormatException) { }
            try { UdiRef.Parse(text); } catch (FormatException) { }
            if (UdiRef.TryParse(text, out var udi)) UdiRef.TryParse(udi.ToString(), out var again).ShouldBeTrue();
            if (ReturnCode.IsWellFormed(text)) ReturnCode.TryDecode(text, out _, out _);
            else ReturnCode.TryDecode(text, out _, out _).ShouldBeFalse();
            _ = ConfirmationCode.IsWellFormed(text);
            _ = ConfirmationCode.Matches(text, "d91600c5");
            _ = PlrCode.IsWellFormed(text);
            _ = SlrCode.TryParse(text, out _, out _);
            _ = SlacCode.TryParse(text, out _, out _);
            _ = PlrCode.TryParse(text, out _, out _);
        }).Check(Bounded(1000));
    }

    [Fact]
    public void A_request_code_with_one_character_changed_is_refused_or_parses_cleanly()
    {
        var mutants = from udi in Udis from at in Gen.Choose(0, 1000) from ch in Gen.Choose(0, 0xFFFF) select (udi, at, (char)ch);
        Prop.ForAll(Arb.From(mutants), m =>
        {
            var chars = RequestCode.Generate(m.udi, new Random(m.at)).ToCharArray();
            chars[m.at % chars.Length] = m.Item3;
            var text = new string(chars);

            if (RequestCode.TryParse(text, out var parsed, out _)) parsed.Code.ShouldNotBeNullOrEmpty();
            _ = ReturnCode.TryDecode(text, m.udi, out _);
        }).Check(Bounded(500));
    }
}
