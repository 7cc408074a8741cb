package mainwatch

import (
	"slices"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// setOf is a WatchSet of fixed scripts and outpoints.
type setOf struct {
	scripts   map[string]bool
	outpoints map[wire.OutPoint]bool
}

func (s setOf) WatchesScript(pk []byte) (bool, error)          { return s.scripts[string(pk)], nil }
func (s setOf) WatchesOutPoint(op wire.OutPoint) (bool, error) { return s.outpoints[op], nil }

// p2wpkh returns a distinct witness v0 key hash script per b.
func p2wpkh(b byte) []byte {
	s := make([]byte, 22)
	s[0], s[1], s[2] = 0x00, 0x14, b
	return s
}

// mkTx returns a transaction spending ins and paying one output to each
// of outs; tag makes its id unique.
func mkTx(tag uint32, ins []wire.OutPoint, outs ...[]byte) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	tx.LockTime = tag
	for i := range ins {
		tx.AddTxIn(wire.NewTxIn(&ins[i], nil, nil))
	}
	for _, o := range outs {
		tx.AddTxOut(wire.NewTxOut(1000, o))
	}
	return tx
}

func out(tx *wire.MsgTx, i uint32) wire.OutPoint { return wire.OutPoint{Hash: tx.TxHash(), Index: i} }

// TestDeliver checks the delivery rule on named blocks: direct matches by
// script and by outpoint, spends of any output of a delivered transaction
// in the same block (also in chains, and of outputs paying unwatched
// scripts), and that nothing else is delivered, whatever the list held.
func TestDeliver(t *testing.T) {
	watched, other, nullData := p2wpkh(1), p2wpkh(2), []byte{0x6a, 0x01, 0x00}
	coin := wire.OutPoint{Hash: chainhash.Hash{7}, Index: 1}
	stale := wire.OutPoint{Hash: chainhash.Hash{8}, Index: 0}
	set := setOf{
		scripts:   map[string]bool{string(watched): true},
		outpoints: map[wire.OutPoint]bool{coin: true},
	}
	unrelated := wire.OutPoint{Hash: chainhash.Hash{9}}

	reg := mkTx(1, []wire.OutPoint{unrelated}, nullData, watched, other) // pays a watched script
	pub := mkTx(2, []wire.OutPoint{out(reg, 2)}, nullData, other)        // spends its unwatched output
	pub2 := mkTx(3, []wire.OutPoint{out(pub, 1)}, other)                 // and that spend's
	spendCoin := mkTx(4, []wire.OutPoint{coin}, other)                   // spends a watched outpoint
	payOther := mkTx(5, []wire.OutPoint{{Hash: chainhash.Hash{10}}}, other)
	spendStale := mkTx(6, []wire.OutPoint{stale}, other) // the list holds it, the set does not
	early := mkTx(7, []wire.OutPoint{out(payOther, 0)}, other)
	// A spend placed before the transaction it spends cannot be in a
	// valid block; the rule looks backwards only.
	backwards := mkTx(8, []wire.OutPoint{out(spendCoin, 0)}, other)

	cases := []struct {
		name string
		txs  []*wire.MsgTx
		want []*wire.MsgTx
	}{
		{"empty", nil, nil},
		{"payment to a watched script", []*wire.MsgTx{payOther, reg}, []*wire.MsgTx{reg}},
		{"same-block chain of unwatched outputs", []*wire.MsgTx{reg, payOther, pub, pub2}, []*wire.MsgTx{reg, pub, pub2}},
		{"watched outpoint", []*wire.MsgTx{spendCoin}, []*wire.MsgTx{spendCoin}},
		{"outpoint only the list holds", []*wire.MsgTx{spendStale}, nil},
		{"spend of an undelivered transaction", []*wire.MsgTx{payOther, early}, nil},
		{"looks backwards only", []*wire.MsgTx{backwards, spendCoin}, []*wire.MsgTx{spendCoin}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var txs []Tx
			for i, tx := range c.txs {
				txs = append(txs, Tx{Index: i, MsgTx: tx})
			}
			got, err := Deliver(txs, set)
			if err != nil {
				t.Fatal(err)
			}
			var ids, want []chainhash.Hash
			for _, tx := range got {
				ids = append(ids, tx.MsgTx.TxHash())
				if c.txs[tx.Index] != tx.MsgTx {
					t.Fatalf("tx %v lost its index %d", tx.MsgTx.TxHash(), tx.Index)
				}
			}
			for _, tx := range c.want {
				want = append(want, tx.TxHash())
			}
			if !slices.Equal(ids, want) {
				t.Fatalf("delivered %v, want %v", ids, want)
			}

			// A list that holds the set (and more) has every delivered
			// transaction among its candidates, and delivering from
			// the candidates gives the same answer.
			list := NewWatchList()
			list.AddScript(watched)
			list.AddOutPoint(coin, other)
			list.AddOutPoint(stale, other)
			cands, _, _ := list.MatchTxs(c.txs)
			fromCands, err := Deliver(cands, set)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(fromCands, got, func(a, b Tx) bool {
				return a.Index == b.Index && a.MsgTx == b.MsgTx
			}) {
				t.Fatalf("from the candidates: %v, from the block: %v", fromCands, got)
			}
		})
	}
}

// TestMatchTxsClosed checks when candidates are closed: every spendable
// output of every candidate pays a listed script.
func TestMatchTxsClosed(t *testing.T) {
	watched, other, nullData := p2wpkh(1), p2wpkh(2), []byte{0x6a, 0x01, 0x00}
	list := NewWatchList()
	list.AddScript(watched)
	header := mkTx(1, []wire.OutPoint{{Hash: chainhash.Hash{1}}}, nullData, watched)
	change := mkTx(2, []wire.OutPoint{{Hash: chainhash.Hash{2}}}, watched, other)
	unrelated := mkTx(3, []wire.OutPoint{{Hash: chainhash.Hash{3}}}, other)
	for _, c := range []struct {
		name   string
		txs    []*wire.MsgTx
		closed bool
	}{
		{"nothing", nil, true},
		{"OP_RETURN and a watched script", []*wire.MsgTx{header, unrelated}, true},
		{"an output elsewhere", []*wire.MsgTx{header, change}, false},
	} {
		_, _, closed := list.MatchTxs(c.txs)
		if closed != c.closed {
			t.Errorf("%s: closed %v, want %v", c.name, closed, c.closed)
		}
	}
}
