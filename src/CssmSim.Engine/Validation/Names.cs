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

    /// <summary>Why <paramref name="name"/> is refused, or null. Format characters (zero-width, soft hyphen, bidi controls) and control characters are invisible.</summary>
    public static string? Problem(string name)
    {
        foreach (var rune in name.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Format or UnicodeCategory.Control or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
                || (rune.Value is 0x115F or 0x1160 or 0x3164 or 0xFFA0)) // Hangul fillers render as nothing
                return $"contains an invisible or unassigned character U+{rune.Value:X4}";
        }
        return null;
    }
}
