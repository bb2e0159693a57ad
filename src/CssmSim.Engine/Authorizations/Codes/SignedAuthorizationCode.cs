using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Xml.Linq;
using CssmSim.Engine.Signing;

namespace CssmSim.Engine.Authorizations.Codes;

/// <summary>
/// An <c>&lt;authorizationCode&gt;</c> element, the signature over its exact UTF-8 bytes, and the
/// UDI it is locked to: the common core of SLR codes (<see cref="ToSlrXml"/>), SLACs
/// (<see cref="ToSlacFileXml"/>, <see cref="ToSlacAckElementXml"/>) and PLR authorizations
/// (<see cref="ToUniversalPlrXml"/>). Made by <see cref="Sign"/> or by the parsers of
/// <see cref="SlrCode"/>, <see cref="SlacCode"/> and <see cref="PlrCode"/>; immutable.
/// </summary>
public sealed class SignedAuthorizationCode
{
    private readonly byte[] signedBytes;
    private readonly byte[] signature;

    private SignedAuthorizationCode(AuthorizationCodeContent content, string element, byte[] signature, UdiRef udi)
    {
        Content = content;
        AuthorizationCodeXml = element;
        signedBytes = Encoding.UTF8.GetBytes(element);
        this.signature = signature;
        SignatureBase64 = Convert.ToBase64String(signature);
        Udi = udi;
        ExpectedConfirmationCode = ConfirmationCode.For(signedBytes);
    }

    public AuthorizationCodeContent Content { get; }

    /// <summary>The <c>&lt;authorizationCode&gt;...&lt;/authorizationCode&gt;</c> text exactly as signed (and as it appeared in a parsed file).</summary>
    public string AuthorizationCodeXml { get; }

    /// <summary>UTF-8 of <see cref="AuthorizationCodeXml"/>: the bytes the signature covers.</summary>
    public ReadOnlyMemory<byte> SignedBytes => signedBytes;

    public ReadOnlyMemory<byte> Signature => signature;

    /// <summary>Standard base64 with padding, as in <c>&lt;signature&gt;</c>.</summary>
    public string SignatureBase64 { get; }

    public UdiRef Udi { get; }

    /// <summary>The confirmation code a device reports after installing this code (<see cref="ConfirmationCode.For(ReadOnlySpan{byte})"/>).</summary>
    public string ExpectedConfirmationCode { get; }

    /// <summary>Renders <paramref name="content"/> and signs the exact UTF-8 bytes of the element.</summary>
    /// <exception cref="ArgumentException">A value XML cannot carry, or a default <paramref name="udi"/>.</exception>
    public static SignedAuthorizationCode Sign(AuthorizationCodeContent content, UdiRef udi, ArtefactSigner signer)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(signer);
        if (udi.Pid.Length == 0)
        {
            throw new ArgumentException("The UDI is empty.", nameof(udi));
        }

        var element = content.ToXml();
        var bytes = Encoding.UTF8.GetBytes(element);
        return new SignedAuthorizationCode(content, element, signer.Sign(bytes), udi);
    }

    /// <summary>Whether the signature verifies against the first certificate in <paramref name="certificatePem"/>.</summary>
    /// <exception cref="ArgumentException">The PEM holds no usable certificate.</exception>
    public bool Verify(string certificatePem) =>
        ArtefactSigner.VerifyWithCertificate(certificatePem, signedBytes, signature);

    /// <summary>Whether <paramref name="signer"/>'s key made the signature.</summary>
    public bool Verify(ArtefactSigner signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return signer.Verify(signedBytes, signature);
    }

    /// <summary>The one-line SLR code: <c>&lt;specificPLR&gt;&lt;authorizationCode&gt;…&lt;/authorizationCode&gt;&lt;signature&gt;…&lt;/signature&gt;&lt;udi&gt;P:PID,S:SN&lt;/udi&gt;&lt;/specificPLR&gt;</c>.</summary>
    public string ToSlrXml() => Wrap(SlrCode.RootName);

    /// <summary>The SLAC file: <c>&lt;smartLicense&gt;</c> around <see cref="ToSlacAckElementXml"/>.</summary>
    public string ToSlacFileXml() => "<smartLicense>" + Wrap(SlacCode.ElementName) + "</smartLicense>";

    /// <summary>The <c>&lt;smartLicenseAuthorization&gt;</c> element alone, as an ACK carries it.</summary>
    public string ToSlacAckElementXml() => Wrap(SlacCode.ElementName);

    /// <summary>The simulator's stored PLR authorization (<see cref="PlrCode"/>): <c>&lt;universalPLR&gt;</c> around the same three parts.</summary>
    public string ToUniversalPlrXml() => Wrap(PlrCode.RootName);

    private string Wrap(string name)
    {
        var sb = new StringBuilder(AuthorizationCodeXml.Length + SignatureBase64.Length + 128);
        sb.Append('<').Append(name).Append('>').Append(AuthorizationCodeXml);
        sb.Append("<signature>").Append(SignatureBase64).Append("</signature>");
        CodeXml.AppendElement(sb, "udi", Udi.ToString(), "The UDI");
        sb.Append("</").Append(name).Append('>');
        return sb.ToString();
    }

    /// <summary>
    /// Reads a whole code. <paramref name="findContainer"/> picks the element holding
    /// <c>authorizationCode</c>, <c>signature</c> and <c>udi</c> from the document root. The
    /// signed bytes are the single <c>&lt;authorizationCode&gt;</c> element found by plain string
    /// search, and the content is read from those bytes alone, so what is reported is what is signed.
    /// </summary>
    internal static bool TryParse(
        string? text,
        Func<XElement, (XElement? Container, string? Error)> findContainer,
        [NotNullWhen(true)] out SignedAuthorizationCode? code,
        [NotNullWhen(false)] out string? error)
    {
        code = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "The code is empty.";
            return false;
        }

        if (text.Length > CodeXml.MaxTextLength)
        {
            error = $"The code is longer than {CodeXml.MaxTextLength} characters.";
            return false;
        }

        var t = text.Trim();
        if (t.StartsWith('\uFEFF'))
        {
            t = t[1..].TrimStart();
        }

        if (!CodeXml.TryLoad(t, out var document, out error))
        {
            return false;
        }

        var (container, containerError) = findContainer(document!.Root!);
        if (container is null)
        {
            error = containerError ?? "Unexpected root element.";
            return false;
        }

        if (!CodeXml.TryChild(container, AuthorizationCodeContent.ElementName, true, out _, out error)
            || !CodeXml.TryChild(container, "signature", true, out var signatureElement, out error)
            || !CodeXml.TryChild(container, "udi", true, out var udiElement, out error))
        {
            return false;
        }

        if (!CodeXml.TryFindExactElement(t, AuthorizationCodeContent.ElementName, out var element))
        {
            error = "The code must hold exactly one <authorizationCode>...</authorizationCode> element.";
            return false;
        }

        if (!CodeXml.TryLoad(element, out var signedDocument, out error))
        {
            error = "The <authorizationCode> element does not stand alone: " + error;
            return false;
        }

        if (!AuthorizationCodeContent.TryRead(signedDocument!.Root!, out var content, out error))
        {
            return false;
        }

        var signatureText = signatureElement!.Value.Trim();
        var buffer = new byte[(signatureText.Length * 3 / 4) + 3];
        if (signatureText.Length == 0 || !Convert.TryFromBase64String(signatureText, buffer, out var written) || written == 0)
        {
            error = "<signature> is not base64.";
            return false;
        }

        if (!UdiRef.TryParse(udiElement!.Value, out var udi))
        {
            error = "<udi> is not a UDI (P:PID,S:SERIAL).";
            return false;
        }

        code = new SignedAuthorizationCode(content!, element, buffer[..written], udi);
        error = null;
        return true;
    }
}
