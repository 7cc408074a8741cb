package producer

import (
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/feeest"
	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/store"
)

// ticketChain is a real ticket index: block 1 registers one ticket, which
// wins the draw after it; block 2 is connected by the test.
type ticketChain struct {
	t      *testing.T
	db     *store.DB
	x      *mainstake.Index
	hashes []chainhash.Hash
	id     lottery.TicketID
	ticket *mainstake.Ticket
}

func newTicketChain(t *testing.T) *ticketChain {
	p := &chainparams.Regtest
	db, err := store.Open("", store.Options{InMemory: true,
		Genesis: *p.Main.GenesisHash, Network: p.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	x, err := mainstake.NewIndex(db, p, mainwatch.NewWatchList())
	if err != nil {
		t.Fatal(err)
	}
	c := &ticketChain{t: t, db: db, x: x}
	key, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := mainstake.BuildRegistration(p, 100_000_000, 1000, key.PubKey(), p.DustLimit)
	if err != nil {
		t.Fatal(err)
	}
	reg.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 7}, nil, nil))
	c.connect()
	c.connect(reg)
	err = db.View(func(r store.Reader) error {
		ts, err := mainstake.Tickets(r)
		if err != nil || len(ts) != 1 {
			t.Fatalf("tickets %v, %v", ts, err)
		}
		c.ticket, c.id = ts[0], ts[0].ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// connect connects the next block with txs and returns it as the
// follower delivers it, with its transaction ids.
func (c *ticketChain) connect(txs ...*wire.MsgTx) *mainwatch.Block {
	c.t.Helper()
	height := int32(len(c.hashes))
	hdr := chaincfg.RegressionNetParams.GenesisBlock.Header
	if height > 0 {
		hdr = wire.BlockHeader{PrevBlock: c.hashes[height-1], Nonce: uint32(height)}
	}
	b := &mainwatch.Block{Height: height, Hash: hdr.BlockHash(), Header: hdr,
		TxIDs: []chainhash.Hash{{0xcb}}}
	for i, tx := range txs {
		b.Txs = append(b.Txs, mainwatch.Tx{Index: i + 1, MsgTx: tx})
		b.TxIDs = append(b.TxIDs, tx.TxHash())
	}
	err := c.db.ConnectBlock(store.BlockID{Height: height, Hash: b.Hash}, hdr.PrevBlock,
		func(w *store.Writer) error {
			_, err := c.x.ConnectBlock(w, b)
			return err
		})
	if err != nil {
		c.t.Fatal(err)
	}
	c.hashes = append(c.hashes, b.Hash)
	return b
}

// spend returns a transaction spending outpoint op.
func spend(op wire.OutPoint) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
	tx.AddTxOut(wire.NewTxOut(1000, []byte{0x51}))
	return tx
}

// wonAndSent records in p's ledger that the ticket won the draw after
// block 1 and that a header paying 3 sat/vB went out.
func (c *ticketChain) wonAndSent(p *Producer, sent time.Time) {
	p.slots.Won(1, c.id)
	p.slots.Produced(1, true, MissNone)
	p.slots.Sent(1, chainhash.Hash{0xee}, feeest.FromSatPerVB(3), sent)
}

// TestCommittedChainEnded: block 2 spends the ticket's publisher output
// with a transaction that is no header, which ends its chain: the
// producer reads the ended ticket from the store and gives the miss
// MissChainEnded, even though the block's fee rates would call it "fee
// too low".
func TestCommittedChainEnded(t *testing.T) {
	c := newTicketChain(t)
	other := spend(c.ticket.Current)
	var seen feeest.Seen
	seen.Add([]feeest.SeenTx{{TxID: other.TxHash(),
		MempoolTx: feeest.MempoolTx{Fee: 100_000, VSize: 100}}})
	p := New(Env{DB: c.db, Seen: &seen})
	c.wonAndSent(p, time.Now())
	b := c.connect(other)
	p.Committed(b, false, nil)
	if r, ok := p.MissReason(1); !ok || r != MissChainEnded {
		t.Fatalf("reason %v (%v), want %v", r, ok, MissChainEnded)
	}
}

// TestCommittedFeeFloor: block 2 takes a transaction from btcd's mempool
// that paid more than the header; the producer reads its rate from
// Env.Seen by the block's transaction ids: MissFeeTooLow, and the
// comparison is what the censorship alarm reads (LastLeftOut).
func TestCommittedFeeFloor(t *testing.T) {
	c := newTicketChain(t)
	other := spend(wire.OutPoint{Index: 99})
	var seen feeest.Seen
	seen.Add([]feeest.SeenTx{{TxID: other.TxHash(),
		MempoolTx: feeest.MempoolTx{Fee: 2000, VSize: 100}}}) // 20 sat/vB
	p := New(Env{DB: c.db, Seen: &seen})
	c.wonAndSent(p, time.Now())
	b := c.connect(other)
	p.Committed(b, false, nil)
	if r, ok := p.MissReason(1); !ok || r != MissFeeTooLow {
		t.Fatalf("reason %v (%v), want %v", r, ok, MissFeeTooLow)
	}
	rate, floor, known, ok := p.LastLeftOut()
	if !ok || !known || rate != feeest.FromSatPerVB(3) || floor != feeest.FromSatPerVB(20) {
		t.Fatalf("last left out: %v %v %v %v", rate, floor, known, ok)
	}
}
