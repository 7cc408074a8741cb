package node

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/mainwatch/btcdwatch"
)

// btcdArgs are the options of a regtest node that follows h with pass and
// the certificate in certPath, with nothing listening.
func btcdArgs(h *btctest.Harness, dataDir, pass, certPath string) []string {
	return []string{"--network=regtest", "--datadir=" + dataDir,
		"--btcd.rpchost=" + h.RPCAddr, "--btcd.rpcuser=" + h.RPCUser,
		"--btcd.rpcpass=" + pass, "--btcd.rpccert=" + certPath,
		"--api.disable", "--p2p.listen=127.0.0.1:0"}
}

// TestRunStopsOnWrongBtcdPassword: a password btcd refuses ends Run with an
// error naming the flag, instead of retrying forever.
func TestRunStopsOnWrongBtcdPassword(t *testing.T) {
	withHome(t)
	h := btctest.NewForTest(t, btctest.Options{})
	err := runWith(t, 2*time.Minute,
		btcdArgs(h, t.TempDir(), "wrong", h.CertPath)...)
	if !errors.Is(err, btcdwatch.ErrAuth) {
		t.Fatalf("Run returned %v, want btcdwatch.ErrAuth", err)
	}
	if !strings.Contains(err.Error(), "--btcd.rpcpass") {
		t.Fatalf("the error does not name --btcd.rpcpass: %v", err)
	}
}

// TestRunStopsOnWrongBtcdCert: a certificate that is not btcd's ends Run
// with an error naming --btcd.rpccert.
func TestRunStopsOnWrongBtcdCert(t *testing.T) {
	withHome(t)
	h := btctest.NewForTest(t, btctest.Options{})
	cert, _, err := btcutil.NewTLSCertPair("other", time.Now().Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	certPath := filepath.Join(t.TempDir(), "other.cert")
	if err := os.WriteFile(certPath, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	err = runWith(t, 2*time.Minute,
		btcdArgs(h, t.TempDir(), h.RPCPass, certPath)...)
	if !errors.Is(err, btcdwatch.ErrCert) {
		t.Fatalf("Run returned %v, want btcdwatch.ErrCert", err)
	}
	if !strings.Contains(err.Error(), "--btcd.rpccert") {
		t.Fatalf("the error does not name --btcd.rpccert: %v", err)
	}

	// A file that is no certificate at all is refused before any
	// connection.
	if err := os.WriteFile(certPath, []byte("not a cert"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = runWith(t, 2*time.Minute,
		btcdArgs(h, t.TempDir(), h.RPCPass, certPath)...)
	if err == nil || !strings.Contains(err.Error(), "--btcd.rpccert") {
		t.Fatalf("Run returned %v, want an error naming --btcd.rpccert", err)
	}
}
