package nodeapi

import (
	"context"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/producer"
	"github.com/mainstake/sidenode/store"
)

// idleFollower is a follower that has applied nothing yet.
type idleFollower struct{}

func (idleFollower) Status() mainwatch.Status {
	return mainwatch.Status{Tip: mainwatch.Cursor{Height: -1}}
}
func (idleFollower) Broadcast(context.Context, *wire.MsgTx) error { return nil }

// fixedSlots reports the same counts every time.
type fixedSlots producer.Stats

func (s fixedSlots) Stats() producer.Stats { return producer.Stats(s) }
func (s fixedSlots) MissReason(int32) (producer.MissReason, bool) {
	return producer.MissNone, false
}

// TestInfoSlots checks that Info reports the producer's slot counts, with
// the miss reasons by their labels, and runs from an Env that lists only
// what it reads: no sidechain, mempool, pegbox, wallet or peers.
func TestInfoSlots(t *testing.T) {
	p := &chainparams.Regtest
	db, err := store.Open("", store.Options{InMemory: true,
		Genesis: *p.Main.GenesisHash, Network: p.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b := New(Env{Version: "test", Network: p.Name, Params: p, DB: db,
		Follower: idleFollower{}, Slots: fixedSlots{Won: 5, Published: 4, Included: 3,
			Missed: 2, MissReasons: map[producer.MissReason]uint64{
				producer.MissLate: 1, producer.MissNotMined: 1}}})
	info, err := b.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Wins != 5 || info.HeadersBroadcast != 4 || info.Publications != 3 ||
		info.Misses != 2 || info.MissReasons["late"] != 1 ||
		info.MissReasons["not mined"] != 1 || len(info.MissReasons) != 2 {
		t.Fatalf("info %+v", info)
	}
	if info.Version != "test" || info.Network != p.Name || info.SidechainPeers != 0 {
		t.Fatalf("info %+v", info)
	}
}

// laggingFollower reports a tip the store has already moved past.
type laggingFollower struct{ tip mainwatch.Cursor }

func (f laggingFollower) Status() mainwatch.Status {
	return mainwatch.Status{Tip: f.tip}
}
func (laggingFollower) Broadcast(context.Context, *wire.MsgTx) error { return nil }

// strayTip is a Sidechain whose cached tip disagrees with the store.
type strayTip struct{ Sidechain }

func (strayTip) Tip() (chainhash.Hash, int32, bool) { return chainhash.Hash{9}, 7, true }

// TestInfoOneSnapshot checks that Info reads the mainchain tip, the state
// hash and the sidechain tip from one store snapshot, whatever the
// follower's status and the sidechain's cache say: they all describe the
// store's tip block.
func TestInfoOneSnapshot(t *testing.T) {
	s := newPegSim(t)
	s.to(3)
	b := New(Env{Version: "test", Network: s.p.Name, Params: s.p, DB: s.db,
		Follower:  laggingFollower{tip: mainwatch.Cursor{Height: 2, Hash: s.hashes[2]}},
		Sidechain: strayTip{}})
	info, err := b.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Mainchain.TipHeight != 3 || info.Mainchain.TipHash != s.hashes[3] {
		t.Fatalf("mainchain tip %d %v, want the store's, 3 %v",
			info.Mainchain.TipHeight, info.Mainchain.TipHash, s.hashes[3])
	}
	_, want, err := s.db.StateHash(3)
	if err != nil {
		t.Fatal(err)
	}
	if info.StateHash != want {
		t.Fatalf("state hash %v, want the one after block 3, %v", info.StateHash, want)
	}
	if info.Sidechain.TipHash != nil || info.Sidechain.TipHeight != 0 {
		t.Fatalf("sidechain tip %v at %d, want the store's empty chain",
			info.Sidechain.TipHash, info.Sidechain.TipHeight)
	}
}
