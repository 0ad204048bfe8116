// Licensed under the MIT License.

using System;
using System.IO;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;

using Goroutines.Net;
using Goroutines.Tests.TestSupport;

using Xunit;

namespace Goroutines.Tests.Net;

/// <summary>
/// TLS (Go's <c>crypto/tls</c>) over a loopback TCP connection: <see cref="SslStream"/> on each
/// end's <see cref="Conn.AsStream"/>, a handshake with a self-signed certificate made for the
/// test, and a line each way, with every goroutine parked in the netpoller while it waits.
/// </summary>
public sealed class TlsTests : RuntimeTest
{
    [Fact]
    public async Task SslStream_OverConnStreams_HandshakesAndExchangesLinesBothWays()
    {
        using X509Certificate2 certificate = CreateSelfSignedCertificate();
        byte[] expectedHash = certificate.GetCertHash(HashAlgorithmName.SHA256);
        using Listener listener = Network.Listen("tcp", "127.0.0.1:0");

        Task<string?> server = GoTest.Start(async () =>
        {
            await using Conn conn = await listener.AcceptAsync();
            await using var tls = new SslStream(conn.AsStream(), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
            Assert.True(tls.IsAuthenticated);
            Assert.True(tls.IsEncrypted);
            Assert.True(tls.IsServer);

            using var reader = new StreamReader(tls, leaveOpen: true);
            await using var writer = new StreamWriter(tls, leaveOpen: true) { AutoFlush = true };
            string? line = await reader.ReadLineAsync();
            await writer.WriteLineAsync($"server got: {line}");
            return line;
        });

        Task<string?> client = GoTest.Start(async () =>
        {
            await using Conn conn = await Network.DialAsync("tcp", listener.Addr.ToString()!);
            await using var tls = new SslStream(
                conn.AsStream(),
                leaveInnerStreamOpen: false,
                (_, presented, _, _) => presented is not null && presented.GetCertHash(HashAlgorithmName.SHA256).AsSpan().SequenceEqual(expectedHash));
            await tls.AuthenticateAsClientAsync("localhost");
            Assert.True(tls.IsAuthenticated);
            Assert.True(tls.IsEncrypted);
            Assert.False(tls.IsServer);
            Assert.NotNull(tls.RemoteCertificate);
            Assert.Equal(expectedHash, tls.RemoteCertificate.GetCertHash(HashAlgorithmName.SHA256));

            using var reader = new StreamReader(tls, leaveOpen: true);
            await using var writer = new StreamWriter(tls, leaveOpen: true) { AutoFlush = true };
            await writer.WriteLineAsync("hello over TLS");
            return await reader.ReadLineAsync();
        });

        Assert.Equal("hello over TLS", await server.Within(what: "the TLS server"));
        Assert.Equal("server got: hello over TLS", await client.Within(what: "the TLS client"));
    }

    [Fact]
    public async Task SslStream_ClientRejectsTheCertificate_ClientFailsAndServerGetsNoData()
    {
        using X509Certificate2 certificate = CreateSelfSignedCertificate();
        using Listener listener = Network.Listen("tcp", "127.0.0.1:0");

        // Under TLS 1.3 the server may finish its side of the handshake before the client checks
        // the certificate; either way the client's refusal ends the connection before any data.
        Task<string?> server = GoTest.Start(async () =>
        {
            await using Conn conn = await listener.AcceptAsync();
            await using var tls = new SslStream(conn.AsStream(), leaveInnerStreamOpen: false);
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
                using var reader = new StreamReader(tls, leaveOpen: true);
                return await reader.ReadLineAsync();
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
                return null;
            }
        });

        Task client = GoTest.Start(async () =>
        {
            await using Conn conn = await Network.DialAsync("tcp", listener.Addr.ToString()!);
            await using var tls = new SslStream(conn.AsStream(), leaveInnerStreamOpen: false, (_, _, _, _) => false);
            await tls.AuthenticateAsClientAsync("localhost");
            await using var writer = new StreamWriter(tls, leaveOpen: true) { AutoFlush = true };
            await writer.WriteLineAsync("must not arrive");
        });

        await Assert.ThrowsAsync<AuthenticationException>(() => client.Within(what: "the TLS client"));
        Assert.Null(await server.Within(what: "the TLS server"));
    }

    /// <summary>
    /// A self-signed certificate for <c>localhost</c> with its private key, re-imported from PFX so
    /// that SslStream on Linux (OpenSSL) can use the key.
    /// </summary>
    private static X509Certificate2 CreateSelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], critical: false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());

        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 created = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), password: null);
    }
}
