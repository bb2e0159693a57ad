using System.Security.Cryptography;
using CssmSim.Engine.Authorizations.Codes;

namespace CssmSim.Engine.Authorizations;

/// <summary>
/// An authorization's id is the first 16 bytes of SHA-256 over its signed
/// <c>&lt;authorizationCode&gt;</c> element: the simulator and the device holding the code both
/// derive it, so a simulated device's return code (which encodes the id) can be decoded.
/// </summary>
public static class AuthorizationId
{
    public static Guid Of(SignedAuthorizationCode code) => Of(code.SignedBytes.Span);

    public static Guid Of(ReadOnlySpan<byte> authorizationCodeElement)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(authorizationCodeElement, hash);
        return new Guid(hash[..16], bigEndian: true);
    }
}
