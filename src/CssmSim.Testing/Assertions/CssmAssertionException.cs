namespace CssmSim.Testing;

/// <summary>
/// A failed CssmSim assertion. xunit reports it as an assertion failure rather than an error:
/// it recognises any exception that implements an interface named <c>IAssertionException</c>.
/// </summary>
public sealed class CssmAssertionException(string message) : Exception(message), IAssertionException;

/// <summary>The marker xunit (and other runners) look for by name, so no runner assembly is needed for it.</summary>
internal interface IAssertionException;
