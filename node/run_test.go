package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/store"
)

// runWith starts Run with args and returns its error, failing the test if
// it has not returned within timeout (a node that should refuse to start).
func runWith(t *testing.T, timeout time.Duration, args ...string) error {
	t.Helper()
	cfg := mustLoad(t, args...)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := Run(ctx, cfg)
	if ctx.Err() != nil {
		t.Fatalf("Run kept running instead of refusing to start (err %v)", err)
	}
	return err
}

// TestRunRefusesCorruptDataDir puts garbage where the state should be: the
// node must refuse to start, say where, and leave the files alone.
func TestRunRefusesCorruptDataDir(t *testing.T) {
	withHome(t)
	dataDir := t.TempDir()
	stateDir := filepath.Join(dataDir, "regtest", "state")
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(stateDir, "000001.sst")
	if err := os.WriteFile(garbage, []byte("not a table"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := runWith(t, 20*time.Second, "--network=regtest", "--datadir="+dataDir,
		"--btcd.rpcuser=u", "--btcd.rpcpass=p")
	if !store.IsErrorCode(err, store.ErrCorrupt) {
		t.Fatalf("Run returned %v, want a store ErrCorrupt", err)
	}
	if b, err := os.ReadFile(garbage); err != nil || string(b) != "not a table" {
		t.Fatalf("the corrupt data dir was changed")
	}
}

// TestRunRefusesOtherNetworkState gives a simnet node a state dir written
// by a regtest node: it must refuse rather than resync over it.
func TestRunRefusesOtherNetworkState(t *testing.T) {
	withHome(t)
	dataDir := t.TempDir()
	db, err := store.Open(filepath.Join(dataDir, "simnet", "state"), store.Options{
		Genesis: *chaincfg.RegressionNetParams.GenesisHash,
		Network: "regtest",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before := treeDigest(t, dataDir)
	err = runWith(t, 20*time.Second, "--network=simnet", "--datadir="+dataDir,
		"--btcd.rpcuser=u", "--btcd.rpcpass=p", "--api.disable")
	if !store.IsErrorCode(err, store.ErrWrongNetwork) {
		t.Fatalf("Run returned %v, want a store ErrWrongNetwork", err)
	}
	for _, flag := range []string{"--network", "--datadir"} {
		if !strings.Contains(err.Error(), flag) {
			t.Errorf("the error does not name %s: %v", flag, err)
		}
	}
	if after := treeDigest(t, dataDir); after != before {
		t.Fatalf("the refused dir changed:\nbefore\n%s\nafter\n%s", before, after)
	}
}

// TestRunRefusesOtherEngineState gives a regtest (mainstake) node a state
// dir written under the pow engine: it refuses with ErrWrongEngine, names
// --network, and changes nothing.
func TestRunRefusesOtherEngineState(t *testing.T) {
	withHome(t)
	dataDir := t.TempDir()
	db, err := store.Open(filepath.Join(dataDir, "regtest", "state"),
		StoreOptions("powregtest", *chainparams.PowRegtest.Main.GenesisHash))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before := treeDigest(t, dataDir)
	err = runWith(t, 20*time.Second, "--network=regtest", "--datadir="+dataDir,
		"--btcd.rpcuser=u", "--btcd.rpcpass=p", "--api.disable")
	if !store.IsErrorCode(err, store.ErrWrongEngine) {
		t.Fatalf("Run returned %v, want a store ErrWrongEngine", err)
	}
	if !strings.Contains(err.Error(), "--network") {
		t.Errorf("the error does not name --network: %v", err)
	}
	if after := treeDigest(t, dataDir); after != before {
		t.Fatalf("the refused dir changed:\nbefore\n%s\nafter\n%s", before, after)
	}
}
