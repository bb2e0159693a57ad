using System.Net;
using System.Net.Sockets;

namespace CssmSim.Cli.Commands;

/// <summary>
/// Checks each fixed listen port is free before the store is opened, so a start that cannot listen
/// fails before it has migrated, seeded or otherwise written anything.
/// </summary>
public static class ListenProbe
{
    /// <summary>The first URL whose port is taken, with the reason, or null when all are free.</summary>
    public static (string Url, string Reason)? FindTaken(IEnumerable<string> urls)
    {
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out var u) || u.Port == 0) continue;
            foreach (var address in Addresses(u.Host))
            {
                try
                {
                    // Kestrel sets SO_REUSEADDR on Unix too, so a port in TIME_WAIT is not taken.
                    using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                    if (!OperatingSystem.IsWindows()) socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    socket.Bind(new IPEndPoint(address, u.Port));
                    socket.Listen(1);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
                {
                    return (url, e.SocketErrorCode == SocketError.AccessDenied ? "permission denied" : "address already in use");
                }
                catch (SocketException)
                {
                    // An address this host lacks (e.g. no IPv6): Kestrel reports that itself.
                }
            }
        }
        return null;
    }

    private static IEnumerable<IPAddress> Addresses(string host)
    {
        host = host.Trim('[', ']');
        if (IPAddress.TryParse(host, out var ip)) return [ip];
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return [IPAddress.Loopback];
        return [IPAddress.Any];
    }
}
