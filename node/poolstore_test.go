package node

import (
	"math/big"
	"testing"
	"time"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/pool"
	"github.com/mainstake/sidenode/store"
)

// TestPoolStoreApart: the pool's books live in a store of their own in
// PoolDir, not in the node's state: a share the pool accepts leaves the
// state store as it was; pool records an older version left in the state
// store are not read (node.StoreOptions keeps their key byte local, out of
// the state hash: TestPoolRecordsLocal); the pool's store reopens with the
// share.
func TestPoolStoreApart(t *testing.T) {
	withHome(t)
	cfg := mustLoad(t, append(btcdCreds, "--network=powregtest",
		"--datadir="+t.TempDir(), "--poolsyncinterval=1h")...)
	state, err := OpenStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer state.Close()
	// An old pool record in the state store: last share number 7.
	old := []byte{pool.KeyByte, 'n'}
	err = state.UpdateLocal(func(w *store.PlainWriter) error {
		return w.Set(old, []byte{0, 0, 0, 0, 0, 0, 0, 7})
	})
	if err != nil {
		t.Fatal(err)
	}
	keys := func(db *store.DB, prefix ...byte) int {
		n := 0
		if err := db.View(func(r store.Reader) error {
			return r.Iterate(prefix, func(k, v []byte) error {
				n++
				return nil
			})
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}

	all := keys(state)
	for round := range 2 {
		pdb, err := openPoolStore(cfg, &chainparams.PowRegtest, state)
		if err != nil {
			t.Fatal(err)
		}
		books, err := pool.Open(pdb, pool.Config{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := books.Snapshot().Accepted; got != uint64(round) {
			t.Fatalf("round %d: the pool starts with %d shares, want %d", round, got, round)
		}
		err = books.AddShare(pool.Share{Worker: "w", Payout: []byte{0x51},
			Work: big.NewInt(1), NetWork: big.NewInt(2), Reward: 100,
			Height: 1, Time: time.Unix(1_700_000_000, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if err := books.Close(); err != nil {
			t.Fatal(err)
		}
		if n := keys(pdb, pool.KeyByte); n == 0 {
			t.Fatal("no pool record in the pool's store")
		}
		if err := pdb.Close(); err != nil {
			t.Fatal(err)
		}
		if n := keys(state, pool.KeyByte); n != 1 {
			t.Fatalf("round %d: %d pool keys in the state store, want the old one", round, n)
		}
		if n := keys(state); n != all {
			t.Fatalf("round %d: %d keys in the state store, %d before the pool", round, n, all)
		}
	}
}
