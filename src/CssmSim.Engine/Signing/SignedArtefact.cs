using System.Security;
using System.Text;
using System.Xml;

namespace CssmSim.Engine.Signing;

/// <summary>A signed artefact element as read back: the JSON it carries and its signature.</summary>
public sealed record ParsedArtefact(string Element, byte[] Data, byte[] Signature, string Algorithm, string KeyId)
{
    public string Json => Encoding.UTF8.GetString(Data);

    /// <summary>Checks the signature with a published signing certificate (PEM).</summary>
    public bool VerifyWith(string certificatePem) => ArtefactSigner.VerifyWithCertificate(certificatePem, Data, Signature);
}

/// <summary>
/// The envelope of every JSON artefact (artefacts.md §Signing): <c>&lt;data&gt;</c> holds standard
/// base64 of UTF-8 JSON, <c>&lt;signature alg keyId&gt;</c> the base64 signature over the decoded
/// bytes. Standalone files wrap elements in <c>&lt;smartLicense&gt;</c>. Written on one line, no
/// whitespace between elements, so byte-exact comparisons and simple parsers both work.
/// </summary>
public static class SignedArtefact
{
    public const string Root = "smartLicense";

    /// <summary>
    /// <c>&lt;element&gt;&lt;data/&gt;&lt;signature/&gt;&lt;/element&gt;</c> over <paramref name="json"/> (UTF-8, no BOM).
    /// <paramref name="corruptSignature"/> flips one signature bit (the ACK fault effect).
    /// </summary>
    public static string Element(string element, ReadOnlySpan<byte> json, ArtefactSigner signer, bool corruptSignature = false)
    {
        var signature = signer.Sign(json);
        if (corruptSignature) signature[^1] ^= 0x01;
        return $"<{element}><data>{Convert.ToBase64String(json)}</data><signature alg=\"{signer.AlgorithmName}\" keyId=\"{signer.KeyId}\">{Convert.ToBase64String(signature)}</signature></{element}>";
    }

    /// <summary>A standalone file: the elements inside one <c>&lt;smartLicense&gt;</c> root.</summary>
    public static string File(params string[] elements) => $"<{Root}>{string.Concat(elements)}</{Root}>";

    /// <summary>Every <paramref name="element"/> in <paramref name="xml"/> (a file or a bare element), in document order.</summary>
    public static IReadOnlyList<ParsedArtefact> ReadAll(string xml, string element)
    {
        var result = new List<ParsedArtefact>();
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, ConformanceLevel = ConformanceLevel.Fragment };
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            while (reader.ReadToFollowing(element))
            {
                using var sub = reader.ReadSubtree();
                string? data = null, signature = null, alg = null, keyId = null;
                sub.Read();
                while (!sub.EOF)
                {
                    // ReadElementContentAsString moves past the element itself, so no Read() after it.
                    if (sub.NodeType == XmlNodeType.Element && sub.Depth == 1 && sub.LocalName == "data") data = sub.ReadElementContentAsString();
                    else if (sub.NodeType == XmlNodeType.Element && sub.Depth == 1 && sub.LocalName == "signature")
                    {
                        alg = sub.GetAttribute("alg");
                        keyId = sub.GetAttribute("keyId");
                        signature = sub.ReadElementContentAsString();
                    }
                    else sub.Read();
                }
                if (data is null || signature is null) throw new FormatException($"<{element}> lacks <data> or <signature>");
                result.Add(new ParsedArtefact(element, Convert.FromBase64String(data.Trim()), Convert.FromBase64String(signature.Trim()), alg ?? "", keyId ?? ""));
            }
        }
        catch (XmlException e)
        {
            throw new FormatException($"not a well-formed artefact: {e.Message}", e);
        }
        return result;
    }

    /// <summary>The single <paramref name="element"/> of <paramref name="xml"/>.</summary>
    public static ParsedArtefact Read(string xml, string element) => ReadAll(xml, element) switch
    {
        [var one] => one,
        [] => throw new FormatException($"no <{element}> found"),
        var many => throw new FormatException($"{many.Count} <{element}> elements found, expected one"),
    };

    /// <summary>Escapes text for XML content or attributes.</summary>
    public static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
