using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace CssmSim.Engine.Authorizations.Codes;

/// <summary>
/// Return codes, which a device prints when it gives an authorization back: eight groups of six
/// alphanumerics and a final group of three, joined by <c>-</c> (59 characters), e.g.
/// <c>CqaUPW-WSPYiq-ZNU2ci-SnWydS-hBCXHP-MuyPqy-PJ1GiG-tPTGQj-S2h</c>.
/// </summary>
/// <remarks>
/// The simulator's devices make them decodable: 51 base62 digits (<c>0-9A-Za-z</c>, big-endian,
/// left-padded with <c>0</c>) of the 37-byte value <c>id ‖ SHA-256(id ‖ "P:PID,S:SN")[0..21]</c>,
/// where <c>id</c> is the authorization id's 16 bytes in RFC 9562 (big-endian) order and the UDI
/// is UTF-8. Real devices' codes are well-formed but not decodable (most overflow 37 bytes); when
/// the UDI is known from the context, any well-formed code will do (artefacts.md).
/// </remarks>
public static class ReturnCode
{
    public const int Length = 59;

    private const int IdBytes = 16;
    private const int HashBytes = 21;
    private const int ValueBytes = IdBytes + HashBytes;
    private const int Digits = 51;

    private static ReadOnlySpan<int> GroupSizes => [6, 6, 6, 6, 6, 6, 6, 6, 3];

    /// <summary>The decodable code of authorization <paramref name="authorizationId"/> held by <paramref name="udi"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="udi"/> is the default value.</exception>
    public static string Generate(Guid authorizationId, UdiRef udi)
    {
        if (udi.Pid.Length == 0)
        {
            throw new ArgumentException("The UDI is empty.", nameof(udi));
        }

        var value = new byte[ValueBytes];
        authorizationId.TryWriteBytes(value.AsSpan(0, IdBytes), bigEndian: true, out _);
        UdiHash(authorizationId, udi).CopyTo(value.AsSpan(IdBytes));
        var digits = Base62.Encode(new BigInteger(value, isUnsigned: true, isBigEndian: true), Digits);
        return Base62.Group(digits, 6);
    }

    /// <summary>The 21 bytes a decodable code carries after the id: the start of SHA-256(id ‖ UDI).</summary>
    public static byte[] UdiHash(Guid authorizationId, UdiRef udi)
    {
        var udiBytes = Encoding.UTF8.GetBytes(udi.ToString());
        var input = new byte[IdBytes + udiBytes.Length];
        authorizationId.TryWriteBytes(input.AsSpan(0, IdBytes), bigEndian: true, out _);
        udiBytes.CopyTo(input, IdBytes);
        return SHA256.HashData(input)[..HashBytes];
    }

    /// <summary>Eight groups of six and one of three <c>0-9A-Za-z</c>, joined by single <c>-</c>, after trimming.</summary>
    public static bool IsWellFormed(string? code) => Base62.TryUngroup(code, GroupSizes, out _);

    /// <summary>
    /// Reads the id and UDI hash out of a well-formed code whose value fits 37 bytes. This alone
    /// does not prove the code is ours: check it with <see cref="Matches"/> against the UDI of the
    /// authorization the id names.
    /// </summary>
    public static bool TryDecode(string? code, out Guid authorizationId, out byte[] udiHash21)
    {
        authorizationId = Guid.Empty;
        udiHash21 = [];
        if (!Base62.TryUngroup(code, GroupSizes, out var digits) || !Base62.TryDecode(digits, out var value))
        {
            return false;
        }

        if (value.GetByteCount(isUnsigned: true) > ValueBytes)
        {
            return false;
        }

        var bytes = new byte[ValueBytes];
        var count = value.GetByteCount(isUnsigned: true);
        if (!value.TryWriteBytes(bytes.AsSpan(ValueBytes - count), out _, isUnsigned: true, isBigEndian: true))
        {
            return false;
        }

        authorizationId = new Guid(bytes.AsSpan(0, IdBytes), bigEndian: true);
        udiHash21 = bytes[IdBytes..];
        return true;
    }

    /// <summary>Whether <paramref name="code"/> decodes and its hash part is that of its id and <paramref name="udi"/>.</summary>
    public static bool Matches(string? code, UdiRef udi) => TryDecode(code, udi, out _);

    /// <summary>
    /// Decodes <paramref name="code"/> as one issued to <paramref name="udi"/>: false when it does
    /// not decode or its hash part does not match the id and UDI.
    /// </summary>
    public static bool TryDecode(string? code, UdiRef udi, out Guid authorizationId)
    {
        if (TryDecode(code, out authorizationId, out var hash) && CryptographicOperations.FixedTimeEquals(hash, UdiHash(authorizationId, udi)))
        {
            return true;
        }

        authorizationId = Guid.Empty;
        return false;
    }
}
