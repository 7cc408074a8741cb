package node

import (
	"context"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/nodeapi"
	"github.com/mainstake/sidenode/pow/pool"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// TestStateHashLeavesWalletOut: two stores that hold the same derived
// state but different wallet coins have the same state hash, and the API
// answers heights it does not hold with ErrNotFound.
func TestStateHashLeavesWalletOut(t *testing.T) {
	p := &chainparams.Regtest
	open := func() *store.DB {
		opts := StoreOptions(p.Name, *p.Main.GenesisHash)
		opts.InMemory = true
		opts.UndoDepth = 2
		db, err := store.Open("", opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	prev := chainhash.Hash{}
	for h := int32(0); h < 5; h++ {
		id := store.BlockID{Height: h, Hash: chainhash.HashH([]byte{byte(h)})}
		if h == 0 {
			id.Hash = *p.Main.GenesisHash
		}
		for i, db := range []*store.DB{a, b} {
			err := db.ConnectBlock(id, prev, func(w *store.Writer) error {
				if err := w.Set(blockKey(h), id.Hash[:]); err != nil {
					return err
				}
				// Only a has wallet coins.
				if i == 0 {
					return w.Set([]byte{wallet.KeyByte, 'c', byte(h)}, []byte("coin"))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		prev = id.Hash
	}
	_, ha, err := StateHash(a)
	if err != nil {
		t.Fatal(err)
	}
	_, hb, err := StateHash(b)
	if err != nil {
		t.Fatal(err)
	}
	if ha != hb {
		t.Fatalf("wallet coins changed the state hash: %v vs %v", ha, hb)
	}
	if err := a.VerifyStateHash(); err != nil {
		t.Fatal(err)
	}

	be := nodeapi.New(nodeapi.Env{DB: a})
	block, sum, err := be.StateHash(context.Background(), 4)
	if err != nil || sum != ha || block != prev {
		t.Fatalf("StateHash(4) = %v, %v, %v", block, sum, err)
	}
	for _, h := range []int32{1, 5} {
		_, _, err := be.StateHash(context.Background(), h)
		if !api.IsErrorCode(err, api.ErrNotFound) {
			t.Errorf("StateHash(%d): %v, want api.ErrNotFound", h, err)
		}
	}
}

// TestPoolRecordsLocal: a pow network's store takes the pool's records
// (pow/pool) as local state, so UpdateLocal may write them and the state
// hash leaves them out.
func TestPoolRecordsLocal(t *testing.T) {
	p := &chainparams.PowRegtest
	gen, err := p.GenesisID()
	if err != nil {
		t.Fatal(err)
	}
	opts := StoreOptions(p.Name, gen)
	opts.InMemory = true
	db, err := store.Open("", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.UpdateLocal(func(w *store.PlainWriter) error {
		return w.Set([]byte{pool.KeyByte, 's', 1}, []byte("share"))
	})
	if err != nil {
		t.Fatalf("the pool's records are not local: %v", err)
	}
}
