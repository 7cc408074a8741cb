package api_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"google.golang.org/grpc/credentials"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
)

func tlsCreds(certPath string) (credentials.TransportCredentials, error) {
	pem, err := os.ReadFile(certPath)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return credentials.NewTLS(&tls.Config{RootCAs: pool}), nil
}

// files reads the server's four files.
func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := make(map[string][]byte)
	for _, name := range []string{api.TLSCertFilename, api.TLSKeyFilename,
		api.AdminCredFilename, api.ReadOnlyCredFilename} {

		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

// restart starts a new server on cfg (its files in dir) and stops it.
func restart(t *testing.T, cfg api.Config) {
	t.Helper()
	srv, err := api.New(cfg, apitest.NewBackend(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
}

func TestFilesCreatedOnceAndReused(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(0), nil)
	srv.Stop()
	first := files(t, srv.Dir)

	for name, mode := range map[string]os.FileMode{
		api.TLSCertFilename:      0o644,
		api.TLSKeyFilename:       0o600,
		api.AdminCredFilename:    0o600,
		api.ReadOnlyCredFilename: 0o600,
	} {
		fi, err := os.Stat(filepath.Join(srv.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}
	if bytes.Equal(first[api.AdminCredFilename], first[api.ReadOnlyCredFilename]) {
		t.Error("admin and read-only credentials are equal")
	}

	// A restart reuses every file.
	restart(t, srv.Config)
	for name, b := range files(t, srv.Dir) {
		if !bytes.Equal(b, first[name]) {
			t.Errorf("%s changed on restart", name)
		}
	}

	// A missing certificate is regenerated, with its key; the
	// credentials stay.
	if err := os.Remove(filepath.Join(srv.Dir, api.TLSCertFilename)); err != nil {
		t.Fatal(err)
	}
	restart(t, srv.Config)
	second := files(t, srv.Dir)
	for name, changed := range map[string]bool{
		api.TLSCertFilename:      true,
		api.TLSKeyFilename:       true,
		api.AdminCredFilename:    false,
		api.ReadOnlyCredFilename: false,
	} {
		if got := !bytes.Equal(second[name], first[name]); got != changed {
			t.Errorf("%s: changed %v after the certificate was removed, want %v",
				name, got, changed)
		}
	}
	if _, err := tls.X509KeyPair(second[api.TLSCertFilename], second[api.TLSKeyFilename]); err != nil {
		t.Errorf("regenerated pair does not match: %v", err)
	}

	// So is a missing key.
	if err := os.Remove(filepath.Join(srv.Dir, api.TLSKeyFilename)); err != nil {
		t.Fatal(err)
	}
	restart(t, srv.Config)
	third := files(t, srv.Dir)
	if bytes.Equal(third[api.TLSCertFilename], second[api.TLSCertFilename]) {
		t.Error("certificate kept after its key was removed")
	}

	// A missing credential is regenerated alone.
	if err := os.Remove(filepath.Join(srv.Dir, api.ReadOnlyCredFilename)); err != nil {
		t.Fatal(err)
	}
	restart(t, srv.Config)
	fourth := files(t, srv.Dir)
	if bytes.Equal(fourth[api.ReadOnlyCredFilename], third[api.ReadOnlyCredFilename]) ||
		!bytes.Equal(fourth[api.AdminCredFilename], third[api.AdminCredFilename]) ||
		!bytes.Equal(fourth[api.TLSCertFilename], third[api.TLSCertFilename]) {
		t.Error("removing the read-only credential changed the wrong files")
	}
}

func TestCertificateHosts(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(0), func(cfg *api.Config) {
		cfg.Listeners = []string{"127.0.0.1:0", "localhost:0"}
	})
	pair, err := tls.LoadX509KeyPair(filepath.Join(srv.Dir, api.TLSCertFilename),
		filepath.Join(srv.Dir, api.TLSKeyFilename))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("key algorithm %v, want ECDSA", leaf.PublicKeyAlgorithm)
	}
	// P-256: web browsers, which the dashboard serves, refuse P-521.
	if pub, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("certificate key %T on %v, want ECDSA on P-256", leaf.PublicKey, curveName(leaf.PublicKey))
	}
	if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		t.Errorf("certificate usages %v lack server authentication", leaf.ExtKeyUsage)
	}
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := leaf.VerifyHostname(host); err != nil {
			t.Errorf("certificate not valid for %s: %v", host, err)
		}
	}
}

// curveName names the curve of an ECDSA key, for messages.
func curveName(key any) string {
	if pub, ok := key.(*ecdsa.PublicKey); ok {
		return pub.Curve.Params().Name
	}
	return "none"
}
