package sidepeer

import (
	"context"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/sideblock"
)

// stagingChain records what it is asked to stage.
type stagingChain struct {
	fakeChain
	staged []chainhash.Hash
}

func (c *stagingChain) StageBody(b *sideblock.Block) error {
	c.staged = append(c.staged, b.BlockHash())
	return nil
}

// servingPeers serves the blocks they hold and counts the requests.
type servingPeers struct {
	blocks map[chainhash.Hash]*sideblock.Block
	asked  []chainhash.Hash
}

func (*servingPeers) Announce(...p2p.InvItem) {}
func (p *servingPeers) FetchBlock(_ context.Context, h chainhash.Hash) ([]byte, []byte, error) {
	p.asked = append(p.asked, h)
	b, ok := p.blocks[h]
	if !ok {
		return nil, nil, errors.New("nobody has it")
	}
	hdr := b.Header.Bytes()
	body, err := b.BodyBytes()
	return hdr[:], body, err
}

// TestFetchBodies: each body asked for is fetched and staged when a peer
// serves it, one nobody serves is skipped, and a done context stops the
// fetch before the next request.
func TestFetchBodies(t *testing.T) {
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: wire.MaxPrevOutIndex}, []byte{1, 2}, nil))
	cb.AddTxOut(wire.NewTxOut(1, []byte{0x51}))
	served := sideblock.NewBlock(chainhash.Hash{}, []*wire.MsgTx{cb})
	missing := chainhash.Hash{7}

	chain := &stagingChain{}
	peers := &servingPeers{blocks: map[chainhash.Hash]*sideblock.Block{
		served.BlockHash(): served}}
	h := New(chain, &fakePool{})
	h.SetPeers(peers)
	h.FetchBodies(context.Background(), []chainhash.Hash{missing, served.BlockHash()})
	if len(peers.asked) != 2 {
		t.Fatalf("asked for %d bodies, want 2", len(peers.asked))
	}
	if len(chain.staged) != 1 || chain.staged[0] != served.BlockHash() {
		t.Fatalf("staged %v, want only %v", chain.staged, served.BlockHash())
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	peers.asked = nil
	h.FetchBodies(ctx, []chainhash.Hash{served.BlockHash()})
	if len(peers.asked) != 0 {
		t.Fatalf("a done context still asked for %v", peers.asked)
	}
}
