package node

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/store"
)

// TestCheckRules checks that a data dir records the rules version with its
// genesis block, and that one derived without it, by a release before the
// delivery rule of docs/protocol.md §1.3, is refused.
func TestCheckRules(t *testing.T) {
	genesis := chainparams.Regtest.Main.GenesisBlock
	open := func() *store.DB {
		db, err := store.Open(t.TempDir(), StoreOptions("regtest", genesis.BlockHash()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	block := &mainwatch.Block{Height: 0, Hash: genesis.BlockHash(), Header: genesis.Header}

	db := open()
	if err := checkRules(db, "new"); err != nil {
		t.Fatalf("an empty data dir: %v", err)
	}
	chain := &storeChain{db: db, proto: bareProtocol{}, watchSet: noWatchSet}
	if err := chain.ConnectBlock(context.Background(), block); err != nil {
		t.Fatal(err)
	}
	if err := checkRules(db, "current"); err != nil {
		t.Fatalf("a data dir of this release: %v", err)
	}

	old := open()
	id := store.BlockID{Height: 0, Hash: block.Hash}
	err := old.ConnectBlock(id, chainhash.Hash{}, func(w *store.Writer) error {
		return w.Set(blockKey(0), blockRecord(block))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkRules(old, "old"); err == nil {
		t.Fatal("a data dir derived without a rules version was accepted")
	}

	// Version 1 did not record the pegbox's spends nor refuse deposits
	// funded by pegbox coins; version 3 did not keep a refused deposit's
	// pegbox outputs.
	for _, v := range []uint32{1, 3} {
		db := open()
		err = db.ConnectBlock(id, chainhash.Hash{}, func(w *store.Writer) error {
			return w.Set(keyRules, binary.BigEndian.AppendUint32(nil, v))
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := checkRules(db, "old"); err == nil {
			t.Fatalf("a data dir derived under rules version %d was accepted", v)
		}
	}
}
