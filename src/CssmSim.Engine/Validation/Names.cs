using System.Globalization;
using System.Text;

namespace CssmSim.Engine.Validation;

/// <summary>
/// Names people read and compare (Smart Account domains, account and virtual account names): one
/// Unicode form, nothing invisible. Without this, <c>café.test</c> written precomposed and
/// decomposed, or with a zero-width space or soft hyphen inside, were distinct accounts that look
/// the same.
/// </summary>
public static class Names
{
    /// <summary>NFC, the form the store keeps.</summary>
    public static string Normalize(string name) => name.IsNormalized(NormalizationForm.FormC) ? name : name.Normalize(NormalizationForm.FormC);

    /// <summary>
    /// Why a Smart Account domain is refused, or null: a domain is an identifier, so every format
    /// character (zero-width, soft hyphen, bidi controls), control character or unassigned code point is.
    /// </summary>
    public static string? DomainProblem(string domain)
    {
        foreach (var rune in domain.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Format or UnicodeCategory.Control or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
                || IsInvisible(rune.Value))
                return $"contains an invisible or unassigned character U+{rune.Value:X4}";
        }
        return null;
    }

    /// <summary>
    /// Why a virtual account name is refused, or null: characters that render as nothing
    /// (zero-width, soft hyphen, fillers, variation selectors). Bidi controls, control characters and
    /// other odd text stay valid (they are stored and returned verbatim).
    /// </summary>
    public static string? NameProblem(string name)
    {
        foreach (var rune in name.EnumerateRunes())
            if (IsInvisible(rune.Value)) return $"contains an invisible character U+{rune.Value:X4}";
        return null;
    }

    // Default-ignorable code points that render as nothing on their own. The bidi controls, the
    // zero-width joiner and variation selectors are left out: emoji sequences and RTL text use them.
    private static bool IsInvisible(int c) =>
        c is 0x00AD or 0x034F or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or 0x3164 or 0xFFA0 or 0xFEFF or 0x200B or 0x200C
        || c is >= 0x180B and <= 0x180F
        || c is >= 0x2060 and <= 0x2064;
}
