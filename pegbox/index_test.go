package pegbox

import (
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/store"
)

type testChain struct {
	t       *testing.T
	p       *chainparams.Params
	db      *store.DB
	x       *Index
	watch   *mainwatch.WatchList
	hashes  []chainhash.Hash
	stakers []Staker
}

func newTestChain(t *testing.T) *testChain {
	p := &chainparams.Regtest
	db, err := store.Open("", store.Options{InMemory: true,
		Genesis: *p.Main.GenesisHash, Network: p.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	watch := mainwatch.NewWatchList()
	x, err := NewIndex(db, p, watch)
	if err != nil {
		t.Fatal(err)
	}
	return &testChain{t: t, p: p, db: db, x: x, watch: watch}
}

func (c *testChain) connect(txs ...*wire.MsgTx) *BlockResult {
	c.t.Helper()
	height := int32(len(c.hashes))
	hdr := chaincfg.RegressionNetParams.GenesisBlock.Header
	if height > 0 {
		// Sibling blocks of different transactions have different
		// hashes, as on a real chain.
		var ids []byte
		for _, tx := range txs {
			id := tx.TxHash()
			ids = append(ids, id[:]...)
		}
		hdr = wire.BlockHeader{PrevBlock: c.hashes[height-1], Nonce: uint32(height),
			MerkleRoot: chainhash.DoubleHashH(ids)}
	}
	b := &mainwatch.Block{Height: height, Hash: hdr.BlockHash(), Header: hdr}
	for i, tx := range txs {
		b.Txs = append(b.Txs, mainwatch.Tx{Index: i + 1, MsgTx: tx})
	}
	var res *BlockResult
	err := c.db.ConnectBlock(store.BlockID{Height: height, Hash: b.Hash}, hdr.PrevBlock,
		func(w *store.Writer) error {
			var err error
			res, err = c.x.ConnectBlock(w, b, StakerList(c.stakers))
			return err
		})
	if err != nil {
		c.t.Fatal(err)
	}
	c.hashes = append(c.hashes, b.Hash)
	return res
}

func (c *testChain) to(height int32) {
	for int32(len(c.hashes)) <= height {
		c.connect()
	}
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

func (c *testChain) view(fn func(r store.Reader) error) {
	c.t.Helper()
	if err := c.db.View(fn); err != nil {
		c.t.Fatal(err)
	}
}

// balanced checks that the coins add up to the flows.
func (c *testChain) balanced() Flows {
	c.t.Helper()
	var f Flows
	c.view(func(r store.Reader) error {
		coins, err := Coins(r)
		if err != nil {
			return err
		}
		var sum int64
		for _, coin := range coins {
			sum += coin.Value
		}
		if f, err = FlowsAt(r); err != nil {
			return err
		}
		if sum != f.Accepted+f.Unbacked-f.Outflow {
			c.t.Fatalf("coins hold %d, flows %+v", sum, f)
		}
		return nil
	})
	return f
}

func (c *testChain) pkScript(epoch uint32) []byte {
	c.t.Helper()
	var s []byte
	c.view(func(r store.Reader) error {
		fed, ok, err := FederationAt(r, epoch)
		if err != nil || !ok {
			c.t.Fatalf("no federation for epoch %d: %v", epoch, err)
		}
		s, err = fed.PkScript(c.p.Main)
		return err
	})
	return s
}

func stakersOf(privs []*btcec.PrivateKey) []Staker {
	var out []Staker
	for i, p := range privs {
		out = append(out, Staker{PubKey: p.PubKey(), Weight: w(uint64(1000 - i))})
	}
	return out
}

func deposit(t *testing.T, value int64, to []byte, n byte) *wire.MsgTx {
	tx := depositTx(t, 0, sideScript, wire.NewTxOut(value, to))
	tx.TxIn[0].PreviousOutPoint.Index = uint32(n)
	return tx
}

func TestIndexFollowsThePegbox(t *testing.T) {
	c := newTestChain(t)
	p := c.p
	L := p.PegEpochLength
	privs := keys(t, 8)

	// No federation before the first boundary: nothing is a pegbox.
	c.stakers = stakersOf(privs[:5])
	c.to(L - 2)
	c.view(func(r store.Reader) error {
		boxes, err := c.x.PegboxesAt(r, L-1)
		if err != nil || len(boxes) != 0 {
			t.Fatalf("pegboxes before any election: %v %v", boxes, err)
		}
		return nil
	})
	res := c.connect() // block L-1 elects epoch 1
	if res.Elected == nil || res.Elected.Epoch != 1 || len(res.Elected.Keys) != p.FederationSize {
		t.Fatalf("election: %+v", res.Elected)
	}
	box1 := c.pkScript(1)
	if c.watch.Scripts() == nil {
		t.Fatal("the pegbox script is not watched")
	}

	// Block L: a deposit, a dust deposit, a deposit to a stranger, and a
	// payment to the pegbox without a payload.
	noPayload := wire.NewMsgTx(2)
	noPayload.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 99}, nil, nil))
	noPayload.AddTxOut(wire.NewTxOut(70_000, box1))
	good := deposit(t, 100_000, box1, 1)
	res = c.connect(good, deposit(t, 500, box1, 2), deposit(t, 100_000, otherScript, 3), noPayload)
	if len(res.Deposits) != 1 || res.Deposits[0].OutPoint.Hash != good.TxHash() || res.Deposits[0].Seq != 0 {
		t.Fatalf("deposits %+v", res.Deposits)
	}
	codes := []ErrorCode{ErrDepositDust, ErrNotPegbox, ErrNoDeposit}
	if len(res.Refused) != len(codes) {
		t.Fatalf("refused %+v", res.Refused)
	}
	for i, want := range codes {
		if res.Refused[i].Code != want {
			t.Errorf("refusal %d: %v, want %v", i, res.Refused[i].Err, want)
		}
	}
	// Three coins: the deposit, the dust and the payload-less payment.
	c.view(func(r store.Reader) error {
		coins, err := Coins(r)
		if err != nil || len(coins) != 3 {
			t.Fatalf("coins %+v %v", coins, err)
		}
		refused, err := RefusedDeposits(r)
		if err != nil || len(refused) != 3 || refused[1].Code != ErrNotPegbox {
			t.Fatalf("stored refusals %+v %v", refused, err)
		}
		acc, _, ok, err := DepositByTx(r, good.TxHash())
		if err != nil || !ok || acc == nil || acc.Seq != 0 {
			t.Fatalf("DepositByTx of the deposit: %+v %v %v", acc, ok, err)
		}
		_, ref, ok, err := DepositByTx(r, noPayload.TxHash())
		if err != nil || !ok || ref == nil || ref.Code != ErrNoDeposit {
			t.Fatalf("DepositByTx of a refusal: %+v %v %v", ref, ok, err)
		}
		if _, _, ok, _ := DepositByTx(r, chainhash.Hash{0xab}); ok {
			t.Fatal("DepositByTx found a stranger")
		}
		// Matured after DepositConfirmations blocks.
		for h, want := range map[int32]uint64{L: 0, L + p.DepositConfirmations - 2: 0,
			L + p.DepositConfirmations - 1: 1, L + 40: 1} {
			got, err := c.x.MaturedBy(r, h)
			if err != nil || got != want {
				t.Errorf("MaturedBy(%d) = %d, %v; want %d", h, got, err, want)
			}
		}
		return nil
	})

	if f := c.balanced(); f.Accepted != 100_000 || f.Unbacked != 70_500 || f.Outflow != 0 {
		t.Fatalf("flows %+v", f)
	}

	// A reorg takes the deposit back.
	c.disconnect()
	if f := c.balanced(); f != (Flows{}) {
		t.Fatalf("flows after the reorg %+v", f)
	}
	c.view(func(r store.Reader) error {
		n, _ := DepositCount(r)
		coins, _ := Coins(r)
		if n != 0 || len(coins) != 0 {
			t.Fatalf("after the reorg: %d deposits, %d coins", n, len(coins))
		}
		return nil
	})
	c.connect(good)

	// A payout spends the coin; only the first payout of a sideblock
	// counts.
	side := chainhash.Hash{0x51}
	payout := func(in wire.OutPoint) *wire.MsgTx {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(wire.NewTxIn(&in, nil, nil))
		tx.AddTxOut(wire.NewTxOut(0, nullData(t, &opreturn.Payout{SideBlock: side})))
		tx.AddTxOut(wire.NewTxOut(40_000, otherScript))
		tx.AddTxOut(wire.NewTxOut(59_000, box1))
		return tx
	}
	first := payout(wire.OutPoint{Hash: good.TxHash()})
	res = c.connect(first)
	if len(res.Spent) != 1 || len(res.Payouts) != 1 || res.Payouts[0].TxID != first.TxHash() {
		t.Fatalf("payout: %+v", res)
	}
	// 100,000 in; the payout keeps 59,000 as change: 41,000 went out.
	if f := c.balanced(); f.Outflow != 41_000 {
		t.Fatalf("flows after the payout %+v", f)
	}
	res = c.connect(payout(wire.OutPoint{Hash: first.TxHash(), Index: 2}))
	if len(res.Payouts) != 0 || len(res.Spent) != 1 {
		t.Fatalf("second payout of a sideblock: %+v", res)
	}
	c.balanced()
	c.view(func(r store.Reader) error {
		po, ok, err := PayoutOf(r, side)
		if err != nil || !ok || po.TxID != first.TxHash() || po.Tx == nil || po.Tx.TxHash() != first.TxHash() {
			t.Fatalf("PayoutOf: %+v %v %v", po, ok, err)
		}
		byTx, ok, err := PayoutByTx(r, first.TxHash())
		if err != nil || !ok || byTx.SideBlock != side {
			t.Fatalf("PayoutByTx: %+v %v %v", byTx, ok, err)
		}
		// Only the first payout counts toward the rate: 40,000 sat left
		// the pegbox (the change stays in).
		paid, err := PaidSince(r, po.Height-1, po.Height+1)
		if err != nil || paid != 40_000 {
			t.Fatalf("paid %d, %v", paid, err)
		}
		return nil
	})

	// The next epoch's federation differs; the old pegbox takes deposits
	// through the grace period only.
	c.stakers = stakersOf(privs[3:])
	c.to(2*L - 1)
	box2 := c.pkScript(2)
	if string(box2) == string(box1) {
		t.Fatal("a new federation kept the pegbox script")
	}
	res = c.connect(deposit(t, 100_000, box1, 4)) // height 2L, in grace
	if len(res.Deposits) != 1 {
		t.Fatalf("deposit to the old pegbox in the grace period: %+v", res.Refused)
	}
	c.to(2*L + p.PegGraceBlocks - 1)
	res = c.connect(deposit(t, 100_000, box1, 5))
	if len(res.Refused) != 1 || res.Refused[0].Code != ErrNotPegbox {
		t.Fatalf("deposit to the old pegbox after the grace period: %+v", res)
	}
	res = c.connect(deposit(t, 100_000, box2, 6))
	if len(res.Deposits) != 1 || res.Deposits[0].Seq != 2 {
		t.Fatalf("deposit to the new pegbox: %+v", res)
	}

	// A restarted index watches the pegboxes and coins again.
	watch := mainwatch.NewWatchList()
	if _, err := NewIndex(c.db, p, watch); err != nil {
		t.Fatal(err)
	}
	if len(watch.Scripts()) == 0 {
		t.Fatal("nothing watched after a restart")
	}

	// With no staker at a boundary, the federation carries over.
	c.stakers = nil
	c.to(3*L - 1)
	if string(c.pkScript(3)) != string(box2) {
		t.Fatal("the federation did not carry over")
	}
}
