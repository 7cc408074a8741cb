package producer

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// bodyCheckFollower checks, when the header transaction goes out, that
// the body of the sideblock it publishes is staged, as another reader of
// the store sees it.
type bodyCheckFollower struct {
	chain *sideblock.Chain
	hash  chainhash.Hash
	held  chan bool
}

func (f *bodyCheckFollower) Status() mainwatch.Status { return mainwatch.Status{} }
func (f *bodyCheckFollower) Forget(chainhash.Hash)    {}

func (f *bodyCheckFollower) Broadcast(context.Context, *wire.MsgTx) error {
	blk, _, err := f.chain.Block(f.hash)
	f.held <- err == nil && blk != nil
	return nil
}

// TestOwnBodyStagedBeforeHeader (soak finding 2 of issue 11): the body of
// the sideblock this node built is on disk before its header transaction
// is broadcast, from inside the batch of the draw's block. A node killed
// after the broadcast, before the batch commits, holds the body when it
// restarts and the header is mined: the block connects, nothing is
// missing, and the slot is not lost.
func TestOwnBodyStagedBeforeHeader(t *testing.T) {
	s := newLateSim(t)
	// b1's body arrives: the tip is b1, nothing is missing ahead.
	if err := s.chain.StageBody(s.b1); err != nil {
		t.Fatal(err)
	}
	s.next(nil) // main 3: b1 connects
	if h, _, _ := s.chain.Tip(); h != s.b1.BlockHash() {
		t.Fatalf("tip %v, want b1", h)
	}
	own := block(t, s.b1.BlockHash(), 4) // the draw after block 4
	f := &bodyCheckFollower{chain: s.chain, hash: own.BlockHash(), held: make(chan bool, 1)}
	s.p.env.Follower = f

	// The batch of block 4, whose draw this node won: the header goes
	// out, and the node is killed before the commit.
	killed := errors.New("kill -9")
	made := &Production{height: 4, ticket: 1, done: make(chan struct{}),
		start: time.Now(), block: own, tx: wire.NewMsgTx(2)}
	h := int32(len(s.hashes))
	hash := chainhash.DoubleHashH([]byte("late main 4"))
	err := s.db.ConnectBlock(store.BlockID{Height: h, Hash: hash}, s.hashes[h-1],
		func(w *store.Writer) error {
			if _, err := s.chain.ConnectMainBlock(w, h, nil); err != nil {
				return err
			}
			s.p.send(made)
			<-made.done
			return killed
		})
	if !errors.Is(err, killed) {
		t.Fatalf("batch: %v", err)
	}
	if made.err != nil {
		t.Fatal(made.err)
	}
	if !<-f.held {
		t.Fatal("the header transaction went out before the body was stored")
	}

	// The restart: a new chain on the same store; block 4 again, and
	// block 5 mines the header.
	chain, err := sideblock.NewChain(s.db, s.p.env.Params)
	if err != nil {
		t.Fatal(err)
	}
	s.chain = chain
	s.next(nil)
	s.next(own)
	if tip, _, _ := chain.Tip(); tip != own.BlockHash() {
		t.Fatalf("tip %v after the restart, want the own block %v", tip, own.BlockHash())
	}
	if missing, err := chain.MissingBodies(); err != nil || len(missing) != 0 {
		t.Fatalf("missing bodies %v, %v", missing, err)
	}
}
