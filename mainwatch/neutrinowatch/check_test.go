package neutrinowatch

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
)

// initDir creates neutrino's state for regtest in a fresh directory.
func initDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src, err := New(Config{DataDir: dir, Params: &chaincfg.RegressionNetParams})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Stop(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func garbage(t *testing.T, path string, n int) {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestNewRefusesBadDataDir checks that New turns a corrupt or foreign data
// directory into an error naming the bad file, instead of a panic.
func TestNewRefusesBadDataDir(t *testing.T) {
	cases := []struct {
		name   string
		params *chaincfg.Params
		spoil  func(t *testing.T, dir string) string // returns the file to be named
	}{{
		name:   "GarbageDB",
		params: &chaincfg.RegressionNetParams,
		// A fresh directory holding nothing but a garbage database.
		spoil: func(t *testing.T, _ string) string {
			dir := t.TempDir()
			garbage(t, filepath.Join(dir, DBName), 64<<10)
			return filepath.Join(dir, DBName)
		},
	}, {
		name:   "ShortDB",
		params: &chaincfg.RegressionNetParams,
		spoil: func(t *testing.T, dir string) string {
			garbage(t, filepath.Join(dir, DBName), 100)
			return filepath.Join(dir, DBName)
		},
	}, {
		name:   "OtherNetwork",
		params: &chaincfg.SimNetParams,
		spoil: func(t *testing.T, dir string) string {
			return filepath.Join(dir, blockHeadersFile)
		},
	}, {
		name:   "GarbageBlockHeaders",
		params: &chaincfg.RegressionNetParams,
		spoil: func(t *testing.T, dir string) string {
			garbage(t, filepath.Join(dir, blockHeadersFile), 80*5)
			return filepath.Join(dir, blockHeadersFile)
		},
	}, {
		name:   "TruncatedBlockHeaders",
		params: &chaincfg.RegressionNetParams,
		spoil: func(t *testing.T, dir string) string {
			garbage(t, filepath.Join(dir, blockHeadersFile), 10)
			return filepath.Join(dir, blockHeadersFile)
		},
	}, {
		name:   "GarbageFilterHeaders",
		params: &chaincfg.RegressionNetParams,
		spoil: func(t *testing.T, dir string) string {
			garbage(t, filepath.Join(dir, filterHeadersFile), 32*3)
			return filepath.Join(dir, filterHeadersFile)
		},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := initDir(t)
			bad := c.spoil(t, dir)
			dataDir := filepath.Dir(bad)
			src, err := New(Config{DataDir: dataDir, Params: c.params})
			if err == nil {
				_ = src.Stop()
				t.Fatal("New accepted a bad data directory")
			}
			if !strings.Contains(err.Error(), bad) {
				t.Fatalf("error %q does not name %s", err, bad)
			}
			t.Logf("%v", err)
		})
	}

	// A good directory opens again.
	dir := initDir(t)
	src, err := New(Config{DataDir: dir, Params: &chaincfg.RegressionNetParams})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := src.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}
