package node

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
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

// TestRunWaitsForBtcd: a btcd that is down when the node starts is retried,
// and the node follows it once it is up.
func TestRunWaitsForBtcd(t *testing.T) {
	withHome(t)
	h := btctest.NewForTest(t, btctest.Options{})
	if err := h.Stop(); err != nil {
		t.Fatal(err)
	}
	port, err := btctest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	promAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cfg := mustLoad(t, append(btcdArgs(h, t.TempDir(), h.RPCPass, h.CertPath),
		"--prometheus.listen="+promAddr)...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	defer func() {
		cancel()
		<-done
	}()

	// gauge polls the metrics until name reaches want; Run returning
	// meanwhile fails the test.
	gauge := func(name string, want float64) {
		t.Helper()
		guard := time.After(3 * time.Minute)
		for {
			if v, ok := readGauge(promAddr, name); ok && v >= want {
				return
			}
			select {
			case err := <-done:
				t.Fatalf("Run returned %v while waiting for btcd", err)
			case <-guard:
				t.Fatalf("%s never reached %v", name, want)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	// The node is up, without btcd.
	gauge("sidenode_mainchain_backend_connected", 0)
	if v, _ := readGauge(promAddr, "sidenode_mainchain_backend_connected"); v != 0 {
		t.Fatalf("connected to a btcd that is down")
	}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Generate(5); err != nil {
		t.Fatal(err)
	}
	gauge("sidenode_mainchain_tip_height", 5)
}

// readGauge reads one unlabelled gauge from the metrics server at addr.
func readGauge(addr, name string) (float64, bool) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}
