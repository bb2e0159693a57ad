using CssmSim.Engine.Signing;
using Shouldly;
using Xunit;

namespace CssmSim.Engine.Tests.Signing;

public sealed class SigningAlgorithmNamesTests
{
    [Theory]
    [InlineData("ECDSA", SigningAlgorithm.Ecdsa)]
    [InlineData("ecdsa", SigningAlgorithm.Ecdsa)]
    [InlineData("Ecdsa", SigningAlgorithm.Ecdsa)]
    [InlineData("RSA", SigningAlgorithm.Rsa)]
    [InlineData("rsa", SigningAlgorithm.Rsa)]
    [InlineData(" Rsa ", SigningAlgorithm.Rsa)]
    public void Parse_accepts_config_names_in_any_case(string value, SigningAlgorithm expected)
    {
        // Act
        var algorithm = SigningAlgorithmNames.Parse(value);

        // Assert
        algorithm.ShouldBe(expected);
    }

    [Theory]
    [InlineData("")]
    [InlineData("DSA")]
    [InlineData("EC")]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("Ecdsa,Rsa")]
    [InlineData("SHA256withECDSA")]
    public void Parse_rejects_anything_else_and_names_the_choices(string value)
    {
        // Act
        var ex = Should.Throw<ArgumentException>(() => SigningAlgorithmNames.Parse(value));

        // Assert
        ex.Message.ShouldContain("ECDSA");
        ex.Message.ShouldContain("RSA");
        ex.Message.ShouldContain($"'{value}'");
    }

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa, "SHA256withECDSA")]
    [InlineData(SigningAlgorithm.Rsa, "SHA256withRSA")]
    public void Jca_name_is_the_one_written_into_alg_attributes(SigningAlgorithm algorithm, string expected)
    {
        // Act
        var name = algorithm.ToJcaName();

        // Assert
        name.ShouldBe(expected);
    }

    [Theory]
    [InlineData(SigningAlgorithm.Ecdsa)]
    [InlineData(SigningAlgorithm.Rsa)]
    public void Config_name_parses_back_to_the_same_algorithm(SigningAlgorithm algorithm)
    {
        // Act
        var parsed = SigningAlgorithmNames.Parse(algorithm.ToConfigName());

        // Assert
        parsed.ShouldBe(algorithm);
    }
}
