package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// ClientConfig says how a client reaches the API server.
type ClientConfig struct {
	// Address is the server's host:port.
	Address string

	// TLSCertPath is the server's certificate (its tls.cert), which the
	// client trusts alone: the connection fails with any other.
	TLSCertPath string

	// DisableTLS connects in the clear, to a server started with
	// DisableTLS. It is refused unless Address is a loopback address.
	DisableTLS bool

	// Credential is the credential the client sends with every call, as
	// ReadCredential returns it.
	Credential []byte
}

// Dial returns a client connection to the API server that sends the
// credential with every call. It connects lazily: an unreachable server
// shows in the first call's error (gRPC Unavailable).
func Dial(cfg ClientConfig, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	host, _, err := net.SplitHostPort(cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("server address %q: %w", cfg.Address, err)
	}
	if len(cfg.Credential) != CredentialSize {
		return nil, fmt.Errorf("credential of %d bytes, want %d",
			len(cfg.Credential), CredentialSize)
	}
	var transport credentials.TransportCredentials
	if cfg.DisableTLS {
		if !isLoopback(host) {
			return nil, fmt.Errorf("refusing to send the credential "+
				"without TLS to %s, which is not a loopback address",
				cfg.Address)
		}
		transport = insecure.NewCredentials()
	} else {
		pem, err := os.ReadFile(cfg.TLSCertPath)
		if err != nil {
			return nil, fmt.Errorf("read TLS certificate: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS certificate %s holds no PEM "+
				"certificate", cfg.TLSCertPath)
		}
		transport = credentials.NewTLS(&tls.Config{
			RootCAs:    pool,
			MinVersion: tls.VersionTLS12,
		})
	}
	opts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(transport),
		grpc.WithPerRPCCredentials(bearer{
			value:      bearerPrefix + hex.EncodeToString(cfg.Credential),
			requireTLS: !cfg.DisableTLS,
		}),
	}, opts...)
	return grpc.NewClient(cfg.Address, opts...)
}

// bearer sends a credential as "authorization: Bearer <hex>" metadata.
type bearer struct {
	value      string
	requireTLS bool
}

// GetRequestMetadata returns the authorization metadata.
func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{AuthorizationKey: b.value}, nil
}

// RequireTransportSecurity reports whether the credential may only travel
// over TLS: always, unless the client disabled TLS for a loopback server.
func (b bearer) RequireTransportSecurity() bool { return b.requireTLS }
