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
    private static readonly Dictionary<long, int> Compositions = BuildCompositions();

    /// <summary>
    /// NFC, the form the store keeps. The build runs with invariant globalization (no ICU), where
    /// <see cref="string.Normalize()"/> leaves non-ASCII text as it is, so canonical composition is
    /// done here from the UCD's composition pairs (<see cref="CompositionPairs"/>) and Hangul's
    /// arithmetic: each combining mark composes with what precedes it when a canonical composite
    /// exists. That is NFC for text whose marks are in canonical order (all text typed or pasted
    /// in practice); a mark that does not compose stops composition with later marks.
    /// </summary>
    public static string Normalize(string name)
    {
        if (System.Text.Ascii.IsValid(name)) return name;
        var output = new List<int>(name.Length);
        foreach (var rune in name.EnumerateRunes())
        {
            var c = rune.Value;
            if (output.Count > 0)
            {
                var last = output[^1];
                if (last is >= 0x1100 and <= 0x1112 && c is >= 0x1161 and <= 0x1175)
                {
                    output[^1] = 0xAC00 + ((last - 0x1100) * 21 + (c - 0x1161)) * 28;
                    continue;
                }
                if (last is >= 0xAC00 and <= 0xD7A3 && (last - 0xAC00) % 28 == 0 && c is >= 0x11A8 and <= 0x11C2)
                {
                    output[^1] = last + (c - 0x11A7);
                    continue;
                }
                if (Compositions.TryGetValue(((long)last << 21) | (uint)c, out var composite))
                {
                    output[^1] = composite;
                    continue;
                }
            }
            output.Add(c);
        }
        var sb = new StringBuilder(name.Length);
        foreach (var c in output) sb.Append(char.ConvertFromUtf32(c));
        return sb.ToString();
    }

    private static Dictionary<long, int> BuildCompositions()
    {
        var triples = CompositionPairs.Triples;
        var map = new Dictionary<long, int>(triples.Length / 3);
        for (var i = 0; i < triples.Length; i += 3) map[((long)triples[i] << 21) | (uint)triples[i + 1]] = triples[i + 2];
        return map;
    }

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
