package sidepeer

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/sideblock"
)

// fakeChain knows no block; its store fails when broken is set.
type fakeChain struct{ broken bool }

func (fakeChain) Tip() (chainhash.Hash, int32, bool) { return chainhash.Hash{}, 0, false }
func (c fakeChain) Block(hash chainhash.Hash) (*sideblock.Block, *sideblock.BlockInfo, error) {
	if c.broken {
		return nil, nil, errors.New("disk on fire")
	}
	return nil, nil, nil
}
func (fakeChain) StageBody(*sideblock.Block) error         { return nil }
func (fakeChain) MissingBodies() ([]chainhash.Hash, error) { return nil, nil }

// fakePool takes every transaction.
type fakePool struct {
	txs map[chainhash.Hash]*wire.MsgTx
}

func (p *fakePool) Have(txid chainhash.Hash) bool { _, ok := p.txs[txid]; return ok }
func (p *fakePool) Get(txid chainhash.Hash) (*wire.MsgTx, bool) {
	tx, ok := p.txs[txid]
	return tx, ok
}
func (p *fakePool) Add(tx *wire.MsgTx) error { p.txs[tx.TxHash()] = tx; return nil }

// fakePeers counts announcements.
type fakePeers struct{ announced []p2p.InvItem }

func (f *fakePeers) Announce(items ...p2p.InvItem) { f.announced = append(f.announced, items...) }
func (*fakePeers) FetchBlock(context.Context, chainhash.Hash) ([]byte, []byte, error) {
	return nil, nil, errors.New("no peers")
}

// TestHandler checks what peers' data costs them: bytes that are no
// transaction or no block cost ban score, a transaction the pool takes is
// relayed and served, and a store error is no "have".
func TestHandler(t *testing.T) {
	pool := &fakePool{txs: make(map[chainhash.Hash]*wire.MsgTx)}
	peers := &fakePeers{}
	h := New(fakeChain{}, pool)
	h.SetPeers(peers)

	var mis *p2p.MisbehaviorError
	if err := h.ReceiveTx(1, []byte{1, 2, 3}); !errors.As(err, &mis) || mis.Score != badTxScore {
		t.Fatalf("garbage transaction: %v", err)
	}
	if err := h.ReceiveBlock(1, []byte{1, 2, 3}, nil); err == nil {
		t.Fatal("a block whose header does not parse was taken")
	}

	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 1}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(1000, []byte{0x51}))
	var raw bytes.Buffer
	if err := tx.Serialize(&raw); err != nil {
		t.Fatal(err)
	}
	if err := h.ReceiveTx(1, raw.Bytes()); err != nil {
		t.Fatal(err)
	}
	if len(peers.announced) != 1 || peers.announced[0] != p2p.TxItem(tx.TxHash()) {
		t.Fatalf("announced %v", peers.announced)
	}
	if got, ok := h.Tx(tx.TxHash()); !ok || !bytes.Equal(got, raw.Bytes()) || !h.HaveTx(tx.TxHash()) {
		t.Fatal("the transaction is not served")
	}

	if h.HaveBlock(chainhash.Hash{1}) {
		t.Fatal("an unknown block is had")
	}
	if New(fakeChain{broken: true}, pool).HaveBlock(chainhash.Hash{1}) {
		t.Fatal("a store error reads as a block the node has")
	}
	if hash, height := h.Best(); hash != (chainhash.Hash{}) || height != 0 {
		t.Fatal("best of an empty chain")
	}
}
