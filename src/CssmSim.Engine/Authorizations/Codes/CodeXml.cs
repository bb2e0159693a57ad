using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace CssmSim.Engine.Authorizations.Codes;

/// <summary>The small, strict XML toolkit of the code formats: escaping on write, DTD-free parsing on read.</summary>
internal static class CodeXml
{
    /// <summary>Codes are a few KiB; anything far larger is refused before parsing.</summary>
    internal const int MaxTextLength = 1 << 20;

    /// <summary>
    /// Appends <paramref name="value"/> as element text: <c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c> become
    /// entities and CR a character reference (so it survives XML line-end normalisation).
    /// </summary>
    /// <exception cref="ArgumentException">The value holds a character XML 1.0 cannot carry.</exception>
    internal static void AppendText(StringBuilder sb, string value, string what)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '\r': sb.Append("&#xD;"); break;
                default:
                    if (XmlConvert.IsXmlChar(c))
                    {
                        sb.Append(c);
                    }
                    else if (i + 1 < value.Length && XmlConvert.IsXmlSurrogatePair(value[i + 1], c))
                    {
                        sb.Append(c).Append(value[i + 1]);
                        i++;
                    }
                    else
                    {
                        throw new ArgumentException(
                            $"{what} contains U+{(int)c:X4}, which XML cannot carry.");
                    }

                    break;
            }
        }
    }

    internal static void AppendElement(StringBuilder sb, string name, string value, string what)
    {
        sb.Append('<').Append(name).Append('>');
        AppendText(sb, value, what);
        sb.Append("</").Append(name).Append('>');
    }

    /// <summary>Parses without DTDs (so no entity expansion), comments or processing instructions.</summary>
    internal static bool TryLoad(string text, [NotNullWhen(true)] out XDocument? document, [NotNullWhen(false)] out string? error)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            MaxCharactersInDocument = MaxTextLength,
        };
        try
        {
            using var reader = XmlReader.Create(new StringReader(text), settings);
            document = XDocument.Load(reader, LoadOptions.None);
            error = null;
            return true;
        }
        catch (XmlException ex)
        {
            document = null;
            error = "Not well-formed XML: " + ex.Message;
            return false;
        }
    }

    /// <summary>
    /// The one child element named <paramref name="name"/>; a missing one is an error when
    /// <paramref name="required"/>, a repeated one always.
    /// </summary>
    internal static bool TryChild(XElement parent, string name, bool required, out XElement? child, [NotNullWhen(false)] out string? error)
    {
        child = null;
        error = null;
        foreach (var e in parent.Elements(name))
        {
            if (child is not null)
            {
                error = $"<{parent.Name.LocalName}> has more than one <{name}>.";
                child = null;
                return false;
            }

            child = e;
        }

        if (child is null && required)
        {
            error = $"<{parent.Name.LocalName}> has no <{name}>.";
            return false;
        }

        return true;
    }

    /// <summary>
    /// The exact text of the single <c>&lt;name&gt;...&lt;/name&gt;</c> element in <paramref name="text"/>,
    /// found by plain string search; absent when the start or end tag is missing or repeated.
    /// </summary>
    internal static bool TryFindExactElement(string text, string name, out string element)
    {
        element = string.Empty;
        var open = "<" + name;
        var close = "</" + name;
        if (!TryFindSingleTag(text, open, out var start) || !TryFindSingleTag(text, close, out var closeStart) || closeStart < start)
        {
            return false;
        }

        var end = text.IndexOf('>', closeStart);
        if (end < 0)
        {
            return false;
        }

        element = text[start..(end + 1)];
        return true;
    }

    private static bool TryFindSingleTag(string text, string tagStart, out int index)
    {
        index = -1;
        for (var i = text.IndexOf(tagStart, StringComparison.Ordinal); i >= 0; i = text.IndexOf(tagStart, i + 1, StringComparison.Ordinal))
        {
            var after = i + tagStart.Length;
            if (after < text.Length && text[after] is '>' or '/' or ' ' or '\t' or '\r' or '\n')
            {
                if (index >= 0)
                {
                    return false;
                }

                index = i;
            }
        }

        return index >= 0;
    }
}
