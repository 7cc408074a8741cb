package node

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// treeDigest lists every path under dir with its mode, size and content
// hash, to show that a refused dir was left as it was.
func treeDigest(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %v %d", path, info.Mode(), info.Size())
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %x", sha256.Sum256(data))
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestRunRefusesUnusableDataDir: a --datadir that is a file, a network dir
// given instead of its parent, or a dir another program wrote is refused
// with an error naming --datadir, and left as it was.
func TestRunRefusesUnusableDataDir(t *testing.T) {
	withHome(t)
	tests := []struct {
		name  string
		setup func(t *testing.T, parent string) string // returns --datadir
	}{{
		name: "file",
		setup: func(t *testing.T, parent string) string {
			path := filepath.Join(parent, "datafile")
			if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		},
	}, {
		name: "network dir given as datadir",
		setup: func(t *testing.T, parent string) string {
			dir := filepath.Join(parent, "data", "regtest")
			if err := os.MkdirAll(filepath.Join(dir, "state"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "bans.json"), []byte("{}"), 0o600); err != nil {
				t.Fatal(err)
			}
			return dir
		},
	}, {
		name: "btcd's data dir",
		setup: func(t *testing.T, parent string) string {
			dir := filepath.Join(parent, "btcddata")
			ffldb := filepath.Join(dir, "regtest", "blocks_ffldb")
			if err := os.MkdirAll(ffldb, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "regtest", "peers.json"), []byte("{}"), 0o600); err != nil {
				t.Fatal(err)
			}
			return dir
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dataDir := tc.setup(t, parent)
			before := treeDigest(t, parent)
			err := runWith(t, 20*time.Second, "--network=regtest",
				"--datadir="+dataDir, "--btcd.rpcuser=u",
				"--btcd.rpcpass=p", "--api.disable")
			if !errors.Is(err, errDataDir) {
				t.Fatalf("Run returned %v, want errDataDir", err)
			}
			if !strings.Contains(err.Error(), "--datadir") {
				t.Fatalf("the error does not name --datadir: %v", err)
			}
			if after := treeDigest(t, parent); after != before {
				t.Fatalf("the refused dir changed:\nbefore\n%s\nafter\n%s",
					before, after)
			}
		})
	}
}

// TestRunCreatesMissingDataDir: a --datadir that does not exist is made, as
// btcd does.
func TestRunCreatesMissingDataDir(t *testing.T) {
	withHome(t)
	dataDir := filepath.Join(t.TempDir(), "new", "data")
	cfg := mustLoad(t, "--network=regtest", "--datadir="+dataDir,
		"--btcd.rpcuser=u", "--btcd.rpcpass=p")
	if err := checkDataDir(cfg); err != nil {
		t.Fatalf("checkDataDir: %v", err)
	}
	db, err := OpenStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := checkDataDir(cfg); err != nil {
		t.Fatalf("checkDataDir of the dir the node made: %v", err)
	}
}
