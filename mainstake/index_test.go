package mainstake

import (
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/store"
)

// testChain connects synthetic mainchain blocks to an index on an
// in-memory store.
type testChain struct {
	t      *testing.T
	p      *chainparams.Params
	db     *store.DB
	x      *Index
	hashes []chainhash.Hash
	salt   uint32
}

func newTestChain(t *testing.T) *testChain {
	p := &chainparams.Regtest
	db, err := store.Open("", store.Options{InMemory: true,
		Genesis: *p.Main.GenesisHash, Network: p.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	x, err := NewIndex(db, p, mainwatch.NewWatchList())
	if err != nil {
		t.Fatal(err)
	}
	return &testChain{t: t, p: p, db: db, x: x}
}

// connect connects a block holding txs and returns what it did.
func (c *testChain) connect(txs ...*wire.MsgTx) *BlockResult {
	c.t.Helper()
	height := int32(len(c.hashes))
	var hdr wire.BlockHeader
	if height == 0 {
		hdr = chaincfg.RegressionNetParams.GenesisBlock.Header
	} else {
		c.salt++
		hdr = wire.BlockHeader{PrevBlock: c.hashes[height-1], Nonce: c.salt}
	}
	b := &mainwatch.Block{Height: height, Hash: hdr.BlockHash(), Header: hdr}
	for i, tx := range txs {
		b.Txs = append(b.Txs, mainwatch.Tx{Index: i + 1, MsgTx: tx})
	}
	var res *BlockResult
	err := c.db.ConnectBlock(store.BlockID{Height: height, Hash: b.Hash}, hdr.PrevBlock,
		func(w *store.Writer) error {
			var err error
			res, err = c.x.ConnectBlock(w, b)
			return err
		})
	if err != nil {
		c.t.Fatal(err)
	}
	c.hashes = append(c.hashes, b.Hash)
	return res
}

func (c *testChain) disconnect() {
	c.t.Helper()
	tip, _ := c.db.Tip()
	if _, err := c.db.DisconnectBlock(tip); err != nil {
		c.t.Fatal(err)
	}
	if err := c.x.DisconnectBlock(tip.Height); err != nil {
		c.t.Fatal(err)
	}
	c.hashes = c.hashes[:len(c.hashes)-1]
}

var dummyIn uint32

func register(t *testing.T, p *chainparams.Params, key *btcec.PrivateKey, value int64, lock uint32) *wire.MsgTx {
	tx, err := BuildRegistration(p, value, lock, key.PubKey(), p.DustLimit)
	if err != nil {
		t.Fatal(err)
	}
	dummyIn++
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: dummyIn}, nil, nil))
	return tx
}

func ticketHeaderTx(t *testing.T, p *chainparams.Params, tk *Ticket, prev chainhash.Hash) *wire.MsgTx {
	script, err := opreturn.Encode(p.SidechainID, &opreturn.Header{PrevBlock: prev})
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := PublisherScript(tk.PubKey)
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&tk.Current, nil, nil))
	tx.AddTxOut(wire.NewTxOut(0, script))
	tx.AddTxOut(wire.NewTxOut(p.DustLimit, pub))
	return tx
}

func (c *testChain) ticket(id lottery.TicketID) *Ticket {
	var tk *Ticket
	err := c.db.View(func(r store.Reader) error {
		var err error
		tk, err = TicketByID(r, id)
		return err
	})
	if err != nil {
		c.t.Fatal(err)
	}
	return tk
}

// naiveWinner draws with the lottery's reference implementation over the
// stored tickets.
func (c *testChain) naiveWinner(height int32) (lottery.TicketID, bool) {
	var tickets []lottery.Ticket
	ends := make(map[lottery.TicketID]int32)
	err := c.db.View(func(r store.Reader) error {
		all, err := Tickets(r)
		for _, tk := range all {
			tickets = append(tickets, lotteryTicket(tk))
			if !tk.Live() {
				ends[tk.ID] = tk.End
			}
		}
		return err
	})
	if err != nil {
		c.t.Fatal(err)
	}
	proof, ok := lottery.NaiveDraw(c.p, tickets, ends, height, c.hashes[height])
	return proof.Winner, ok
}

func TestIndexDrawsPublishesAndRollsBack(t *testing.T) {
	c := newTestChain(t)
	keys := make([]*btcec.PrivateKey, 3)
	for i := range keys {
		keys[i], _ = btcec.NewPrivateKey()
	}
	if res := c.connect(); res.Winner != nil {
		t.Fatal("a winner without tickets")
	}
	res := c.connect(
		register(t, c.p, keys[0], 100_000, 400),
		register(t, c.p, keys[1], 300_000, 400),
		register(t, c.p, keys[2], 50_000, 2000),
	)
	if len(res.NewTickets) != 3 {
		t.Fatalf("%d new tickets, want 3", len(res.NewTickets))
	}
	// A registration with a lock out of bounds is reported, not indexed.
	res = c.connect(register(t, c.p, keys[0], 100_000, 3))
	if len(res.NewTickets) != 0 || len(res.Rejected) != 1 ||
		!IsErrorCode(res.Rejected[0].Err, ErrLockTooSoon) {
		t.Fatalf("bad registration: %+v", res)
	}

	for i := 0; i < 20; i++ {
		winner := res.Winner
		if winner == nil {
			t.Fatalf("block %d: no winner", res.Height)
		}
		want, ok := c.naiveWinner(res.Height)
		if !ok || want != winner.Ticket {
			t.Fatalf("block %d: winner %d, reference %d", res.Height, winner.Ticket, want)
		}
		// The winner publishes; another ticket's header is ignored
		// but moves its chain on; the winner's second header too.
		w := c.ticket(winner.Ticket)
		other := c.ticket((winner.Ticket + 1) % 3)
		first := ticketHeaderTx(t, c.p, w, chainhash.Hash{1})
		w2 := *w
		w2.Current = wire.OutPoint{Hash: first.TxHash(), Index: 1}
		second := ticketHeaderTx(t, c.p, &w2, chainhash.Hash{2})
		res = c.connect(ticketHeaderTx(t, c.p, other, chainhash.Hash{3}), first, second)
		if res.Publication == nil || res.Publication.Ticket != winner.Ticket ||
			res.Publication.TxID != first.TxHash() {
			t.Fatalf("block %d: publication %+v, want the winner's first header", res.Height, res.Publication)
		}
		if len(res.Ignored) != 2 || res.Ignored[0].Reason != NotWinner || res.Ignored[1].Reason != LaterHeader {
			t.Fatalf("block %d: ignored %+v", res.Height, res.Ignored)
		}
		if got := c.ticket(winner.Ticket).Current; got != (wire.OutPoint{Hash: second.TxHash(), Index: 1}) {
			t.Fatalf("winner's chain at %v, want after its second header", got)
		}
	}

	// A spend of a publisher outpoint that is not a header ends the chain.
	victim := c.ticket(1)
	spend := wire.NewMsgTx(2)
	spend.AddTxIn(wire.NewTxIn(&victim.Current, nil, nil))
	spend.AddTxOut(wire.NewTxOut(1000, []byte{0x51}))
	res = c.connect(spend)
	if len(res.Ended) != 1 || res.Ended[0] != 1 || c.x.Weight(1) != (lottery.Uint128{}) {
		t.Fatalf("ended %v, weight %v", res.Ended, c.x.Weight(1))
	}
	if total, live := c.x.TicketCounts(); total != 3 || live != 2 {
		t.Fatalf("TicketCounts() = %d, %d; want 3, 2", total, live)
	}

	// Undo the last five blocks: the index and the lottery go back.
	before := c.x.TotalWeight()
	for i := 0; i < 5; i++ {
		c.disconnect()
	}
	if c.ticket(1).Live() != true {
		t.Fatal("the ended chain was not restored")
	}
	if total, live := c.x.TicketCounts(); total != 3 || live != 3 {
		t.Fatalf("after the rollback TicketCounts() = %d, %d; want 3, 3", total, live)
	}
	if c.x.TotalWeight() == before {
		t.Fatal("the lottery did not rewind")
	}
	// A fresh index rebuilt from the store agrees with the rewound one.
	fresh, err := NewIndex(c.db, c.p, mainwatch.NewWatchList())
	if err != nil {
		t.Fatal(err)
	}
	if fresh.TotalWeight() != c.x.TotalWeight() {
		t.Fatalf("rebuilt total weight %v, rewound %v", fresh.TotalWeight(), c.x.TotalWeight())
	}
	res = c.connect()
	want, _ := c.naiveWinner(res.Height)
	if res.Winner == nil || res.Winner.Ticket != want {
		t.Fatalf("after the rollback: winner %+v, reference %d", res.Winner, want)
	}
}
