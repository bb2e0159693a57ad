using System.Text.Json;
using System.Text.Json.Nodes;
using CssmSim.Engine.Seeding;
using CssmSim.Engine.Validation;

namespace CssmSim.Testing;

/// <summary>
/// A seed document (accounts, virtual accounts, licenses, tokens, product instances, API clients,
/// fault rules): what a simulator starts with and what a reset returns to. The format is the one
/// <c>POST /_sim/seed</c> and <c>cssmsim serve --seed</c> take.
/// </summary>
public sealed class Seed
{
    private Seed(SeedDocument document, string text)
    {
        Document = document;
        Text = text;
    }

    /// <summary>The default seed: Smart Account <c>example.com</c> with Virtual Accounts <c>DEFAULT</c> and <c>Lab</c>, four licenses, API client <c>cssmsim</c>.</summary>
    public static Seed Default { get; } = new(DefaultSeed.Document, DefaultSeed.Yaml);

    internal SeedDocument Document { get; }

    /// <summary>The source text; the simulator fingerprints it to tell a restart from a changed seed.</summary>
    internal string Text { get; }

    /// <summary>A seed from YAML text.</summary>
    /// <exception cref="ArgumentException">The text is not a valid seed document; the message names every field at fault.</exception>
    public static Seed FromYaml(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return Parse(yaml, () => SeedReader.Parse(yaml), nameof(yaml));
    }

    /// <summary>A seed from JSON text.</summary>
    /// <exception cref="ArgumentException">The text is not JSON, or not a valid seed document.</exception>
    public static Seed FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(json, () =>
        {
            JsonNode? root;
            try
            {
                root = JsonNode.Parse(json);
            }
            catch (JsonException e)
            {
                throw new ArgumentException("seed: not valid JSON: " + e.Message, nameof(json), e);
            }
            return SeedReader.Read(root);
        }, nameof(json));
    }

    /// <summary>A seed from a YAML or JSON file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ArgumentException">The file is not a valid seed document.</exception>
    public static Seed FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"seed file '{path}' does not exist", path);
        var text = File.ReadAllText(path);
        return Parse(text, () => SeedReader.Parse(text), nameof(path));
    }

    private static Seed Parse(string text, Func<SeedDocument> read, string parameter)
    {
        try
        {
            return new Seed(read(), text);
        }
        catch (EngineValidationException e)
        {
            throw new ArgumentException("seed: " + e.Message, parameter, e);
        }
    }
}
