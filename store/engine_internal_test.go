package store

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/dgraph-io/badger/v4"
)

// TestStoreFromBeforeEngines opens a store whose metadata and marker have
// no engine, as every store written before engines were recorded: it is a
// mainstake store, which opens under mainstake and is refused under pow.
func TestStoreFromBeforeEngines(t *testing.T) {
	dir := t.TempDir()
	old := Options{Genesis: chainhash.Hash{1}, Network: "regtest"}
	db, err := Open(dir, old)
	if err != nil {
		t.Fatal(err)
	}
	err = db.bdb.Update(func(txn *badger.Txn) error {
		if err := txn.Delete(metaEngineKey); err != nil {
			return err
		}
		return txn.Delete(metaDigestKey)
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	content := "This directory is a sidenode store; do not edit or " +
		"delete files in it.\nformat version: 1\nnetwork: regtest\n" +
		"genesis: " + chainhash.Hash{1}.String() + "\n"
	if err := os.WriteFile(filepath.Join(dir, markerFile), []byte(content), 0600); err != nil {
		t.Fatal(err)
	}

	mainstake := old
	mainstake.Engine, mainstake.EngineDigest = "mainstake", chainhash.Hash{0xd0}
	db, err = Open(dir, mainstake)
	if err != nil {
		t.Fatalf("a mainstake node cannot open its old store: %v", err)
	}
	db.Close()

	pow := old
	pow.Engine, pow.EngineDigest = "pow", chainhash.Hash{0xd1}
	if _, err := Open(dir, pow); !IsErrorCode(err, ErrWrongEngine) {
		t.Fatalf("a pow node opened an old mainstake store: %v", err)
	}
}
