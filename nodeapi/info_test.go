package nodeapi

import (
	"context"
	"testing"

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
