package producer

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/sideblock/blocktests"
	"github.com/mainstake/sidenode/store"
)

// lateSim is a real chain state on which this node won the draw after
// mainchain block 2, whose publication b1 came without its body; b0,
// published in block 1, is the tip.
type lateSim struct {
	t      *testing.T
	db     *store.DB
	chain  *sideblock.Chain
	hashes []chainhash.Hash
	b0, b1 *sideblock.Block
	p      *Producer

	asked    chan []chainhash.Hash // what the producer fetched
	onFetch  func()                // what the peers do when asked
	waits    chan struct{}         // the producer starts to wait
	deadline chan time.Time        // the wait's timer
	built    chan chainhash.Hash   // the parent each build saw
}

type nopFollower struct{}

func (nopFollower) Status() mainwatch.Status                         { return mainwatch.Status{} }
func (nopFollower) Broadcast(context.Context, *wire.MsgTx) error     { return nil }
func (nopFollower) Forget(chainhash.Hash)                            {}
func (f *lateSim) FetchBodies(_ context.Context, h []chainhash.Hash) { f.asked <- h; f.onFetch() }

type noTxs struct{}

func (noTxs) Select(int) []*wire.MsgTx { return nil }

func block(t *testing.T, prev chainhash.Hash, lh int32) *sideblock.Block {
	t.Helper()
	cb, err := sideblock.NewCoinbaseTx(lh, []byte("late"), wire.NewTxOut(
		blocktests.Params().SideSubsidy, []byte{0x51}))
	if err != nil {
		t.Fatal(err)
	}
	return sideblock.NewBlock(prev, []*wire.MsgTx{cb})
}

func newLateSim(t *testing.T) *lateSim {
	db, err := store.Open("", store.Options{InMemory: true, Network: "regtest",
		Genesis:       *chaincfg.RegressionNetParams.GenesisHash,
		LocalPrefixes: [][]byte{{sideblock.StagingKeyByte}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	chain, err := sideblock.NewChain(db, blocktests.Params())
	if err != nil {
		t.Fatal(err)
	}
	s := &lateSim{t: t, db: db, chain: chain,
		asked: make(chan []chainhash.Hash, 1), onFetch: func() {},
		waits: make(chan struct{}, 8), deadline: make(chan time.Time),
		built: make(chan chainhash.Hash, 1)}
	s.b0 = block(t, chainhash.Hash{}, 0)
	s.b1 = block(t, s.b0.BlockHash(), 1)
	s.next(nil)
	if err := chain.StageBody(s.b0); err != nil {
		t.Fatal(err)
	}
	s.next(s.b0)
	s.next(s.b1)
	if h, _, _ := chain.Tip(); h != s.b0.BlockHash() {
		t.Fatalf("tip %v, want b0", h)
	}

	s.p = New(Env{Params: blocktests.Params(), Chain: chain, Mempool: noTxs{},
		Follower: nopFollower{}, DB: db, Bodies: s,
		After: func(time.Duration) <-chan time.Time { return s.deadline }})
	s.p.waiting = func() { s.waits <- struct{}{} }
	s.p.build = func(r store.Reader, made *Production) (MissReason, error) {
		blk, err := chain.NewBlockTemplate(r, made.height, []byte{0x51}, nil)
		if err != nil {
			return MissTemplate, err
		}
		made.block, made.tx = blk, wire.NewMsgTx(2)
		s.built <- blk.Header.PrevBlock
		return MissNone, nil
	}
	return s
}

// next connects the next mainchain block, publishing pub if not nil.
func (s *lateSim) next(pub *sideblock.Block) {
	s.t.Helper()
	h := int32(len(s.hashes))
	hash := *chaincfg.RegressionNetParams.GenesisHash
	var prev chainhash.Hash
	if h > 0 {
		hash = chainhash.DoubleHashH([]byte(fmt.Sprint("late main ", h)))
		prev = s.hashes[h-1]
	}
	var p *mainstake.Publication
	if pub != nil {
		p = &mainstake.Publication{Height: h, TxID: chainhash.Hash{byte(h)},
			Header: opreturn.Header{PrevBlock: pub.Header.PrevBlock,
				MerkleRoot: pub.Header.MerkleRoot}}
	}
	err := s.db.ConnectBlock(store.BlockID{Height: h, Hash: hash}, prev,
		func(w *store.Writer) error {
			_, err := s.chain.ConnectMainBlock(w, h, p)
			return err
		})
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.chain.Committed(); err != nil {
		s.t.Fatal(err)
	}
	s.hashes = append(s.hashes, hash)
}

// won hands the producer the draw after block 2 as its batch would, and
// checks that it defers the build for b1's body.
func (s *lateSim) won() *Production {
	s.t.Helper()
	made := &Production{height: 2, mainHash: s.hashes[2], ticket: 1,
		done: make(chan struct{}), start: time.Now()}
	err := s.db.View(func(r store.Reader) error {
		ok, err := s.p.deferForBodies(r, made)
		if err == nil && !ok {
			err = fmt.Errorf("the production did not wait for b1's body")
		}
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	s.p.Committed(&mainwatch.Block{Height: 2, Hash: s.hashes[2]}, false, made)
	if got := <-s.asked; len(got) != 1 || got[0] != s.b1.BlockHash() {
		s.t.Fatalf("fetched %v, want b1 %v", got, s.b1.BlockHash())
	}
	return made
}

// TestProducerWaitsForParentBody: a producer whose tip lacks a published
// body asks its peers for it, and builds on the new tip once the body
// connects (without another mainchain block), not on the stale parent.
func TestProducerWaitsForParentBody(t *testing.T) {
	s := newLateSim(t)
	s.onFetch = func() {
		if err := s.chain.StageBody(s.b1); err != nil {
			t.Error(err)
		}
		if _, err := s.chain.ConnectArrived(); err != nil {
			t.Error(err)
		}
		s.p.TipMoved()
	}
	made := s.won()
	if parent := <-s.built; parent != s.b1.BlockHash() {
		t.Fatalf("built on %v, want b1 %v", parent, s.b1.BlockHash())
	}
	<-made.done
	if made.err != nil {
		t.Fatal(made.err)
	}
}

// TestProducerBodyWaitRunsOut: while the body stays missing the producer
// waits, whatever wakes it; when the wait runs out it builds on the tip it
// has and counts the slot as built on a stale parent.
func TestProducerBodyWaitRunsOut(t *testing.T) {
	s := newLateSim(t)
	made := s.won()
	<-s.waits
	s.p.TipMoved() // nothing arrived: it looks again and waits again
	<-s.waits
	select {
	case parent := <-s.built:
		t.Fatalf("built on %v before the wait ran out", parent)
	default:
	}
	s.deadline <- time.Time{}
	if parent := <-s.built; parent != s.b0.BlockHash() {
		t.Fatalf("built on %v, want b0 %v", parent, s.b0.BlockHash())
	}
	<-made.done
	if st := s.p.Stats(); st.StaleParent != 1 {
		t.Fatalf("stats %+v, want one stale parent", st)
	}
}

// TestProducerGivesUpWhenMainchainMoves: when the mainchain moves past the
// draw's block while the body is missing, the slot is given up with the
// reason MissParentBody, and nothing is built.
func TestProducerGivesUpWhenMainchainMoves(t *testing.T) {
	s := newLateSim(t)
	made := s.won()
	<-s.waits
	s.next(nil)
	s.p.TipMoved()
	<-made.done
	if made.failed != MissParentBody {
		t.Fatalf("failed %v (%v), want %v", made.failed, made.err, MissParentBody)
	}
	select {
	case parent := <-s.built:
		t.Fatalf("built on %v", parent)
	default:
	}
}
