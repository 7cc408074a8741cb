package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/mainstake/sidenode/store"
)

var (
	powGenesis = chainhash.Hash{0x70, 0x6f, 0x77}
	powDigest  = chainhash.Hash{0xd1}
)

func powOpts() store.Options {
	o := diskOpts(0)
	o.Network, o.Genesis = "powregtest", powGenesis
	o.Engine, o.EngineDigest = "pow", powDigest
	return o
}

// TestEngineMismatch creates a store under each engine and opens it under
// the other, with and without the marker file (which is checked before
// badger opens; the metadata inside badger is checked after): every open
// is refused with ErrWrongEngine and changes nothing.
func TestEngineMismatch(t *testing.T) {
	mainstake := diskOpts(0)
	otherDigest := powOpts()
	otherDigest.EngineDigest = chainhash.Hash{0xd2}
	for _, tc := range []struct {
		name          string
		create, other store.Options
	}{
		{"mainstake store, pow node", mainstake, powOpts()},
		{"pow store, mainstake node", powOpts(), mainstake},
		{"pow store, other pow params", powOpts(), otherDigest},
	} {
		for _, marker := range []bool{true, false} {
			dir := t.TempDir()
			db, err := store.Open(dir, tc.create)
			if err != nil {
				t.Fatal(err)
			}
			ids := chain(tc.name, 2)
			ids[0].Hash = tc.create.Genesis
			connectAll(t, db, ids)
			db.Close()
			if !marker {
				if err := os.Remove(filepath.Join(dir, "SIDENODE-STORE")); err != nil {
					t.Fatal(err)
				}
			}
			_, err = store.Open(dir, tc.other)
			requireCode(t, err, store.ErrWrongEngine)

			db, err = store.Open(dir, tc.create)
			if err != nil {
				t.Fatalf("%s: reopen: %v", tc.name, err)
			}
			if tip, _ := db.Tip(); tip.Height != 1 {
				t.Fatalf("%s: tip %v", tc.name, tip)
			}
			db.Close()
		}
	}
}
