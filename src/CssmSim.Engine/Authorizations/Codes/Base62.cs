using System.Numerics;

namespace CssmSim.Engine.Authorizations.Codes;

/// <summary>Fixed-width base62 (<c>0-9A-Za-z</c>, big-endian, left-padded with <c>0</c>) and code grouping.</summary>
internal static class Base62
{
    internal const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static readonly BigInteger Radix = 62;

    /// <summary>Exactly <paramref name="width"/> digits; the value must fit.</summary>
    internal static string Encode(BigInteger value, int width)
    {
        if (value.Sign < 0 || value >= BigInteger.Pow(Radix, width))
        {
            throw new ArgumentOutOfRangeException(nameof(value), "The value does not fit the base62 width.");
        }

        var digits = new char[width];
        for (var i = width - 1; i >= 0; i--)
        {
            value = BigInteger.DivRem(value, Radix, out var digit);
            digits[i] = Alphabet[(int)digit];
        }

        return new string(digits);
    }

    internal static bool TryDecode(ReadOnlySpan<char> digits, out BigInteger value)
    {
        value = BigInteger.Zero;
        foreach (var c in digits)
        {
            var d = DigitOf(c);
            if (d < 0)
            {
                value = BigInteger.Zero;
                return false;
            }

            value = (value * Radix) + d;
        }

        return true;
    }

    internal static bool IsDigit(char c) => DigitOf(c) >= 0;

    private static int DigitOf(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'A' and <= 'Z' => c - 'A' + 10,
        >= 'a' and <= 'z' => c - 'a' + 36,
        _ => -1,
    };

    /// <summary>Splits <paramref name="digits"/> into groups of <paramref name="groupSize"/> (the last may be shorter) joined by <c>-</c>.</summary>
    internal static string Group(string digits, int groupSize)
    {
        var parts = new List<string>();
        for (var i = 0; i < digits.Length; i += groupSize)
        {
            parts.Add(digits.Substring(i, Math.Min(groupSize, digits.Length - i)));
        }

        return string.Join('-', parts);
    }

    /// <summary>
    /// Whether the trimmed <paramref name="code"/> is groups of base62 digits of exactly the given
    /// sizes joined by single <c>-</c>; on success <paramref name="digits"/> holds the digits alone.
    /// </summary>
    internal static bool TryUngroup(string? code, ReadOnlySpan<int> groupSizes, out string digits)
    {
        digits = string.Empty;
        if (code is null)
        {
            return false;
        }

        var t = code.AsSpan().Trim();
        var expectedLength = groupSizes.Length - 1;
        foreach (var size in groupSizes)
        {
            expectedLength += size;
        }

        if (t.Length != expectedLength)
        {
            return false;
        }

        var buffer = new char[expectedLength - (groupSizes.Length - 1)];
        int pos = 0, n = 0;
        for (var g = 0; g < groupSizes.Length; g++)
        {
            if (g > 0)
            {
                if (t[pos] != '-')
                {
                    return false;
                }

                pos++;
            }

            for (var k = 0; k < groupSizes[g]; k++, pos++)
            {
                if (!IsDigit(t[pos]))
                {
                    return false;
                }

                buffer[n++] = t[pos];
            }
        }

        digits = new string(buffer);
        return true;
    }
}
