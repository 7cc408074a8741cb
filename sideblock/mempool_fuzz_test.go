package sideblock_test

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/sideblock"
)

// FuzzMempoolAdd feeds arbitrary transaction bytes, as a peer's tx message
// or SendRawTransaction delivers them, to a fresh mempool on a real chain
// state (the fixture: mature coins at lottery height 101). Whatever the
// bytes, Add returns nil or a RuleError and never panics; a refused
// transaction leaves the pool empty; an accepted one is held once (a
// second Add is ErrMempoolDuplicate), is selected, and makes a block
// template the block rules keep it in.
func FuzzMempoolAdd(f *testing.F) {
	ms := newMainSim(f)
	fix := newFixture(f)
	fix.run(ms)
	k := fix.k

	seed := func(tx *wire.MsgTx) {
		var buf bytes.Buffer
		if err := tx.Serialize(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	ok := k.spend(fix.fan[:1], 1000, 1)
	seed(ok)                             // accepted
	seed(k.spend(fix.fan[1:3], 2000, 3)) // accepted, two inputs
	seed(k.spend(fix.fan[3:4], 0, 1))    // low fee
	seed(fix.f1.Transactions[0])         // coinbase
	seed(fix.f1.Transactions[1])         // already confirmed
	seed(k.spend([]spendable{{wire.OutPoint{Hash: chainhash.Hash{9}}, fix.fan[4].out}}, 1000, 1))
	bad := ok.Copy()
	bad.TxIn[0].Witness[0][8] ^= 1 // signature does not verify
	seed(bad)
	over := ok.Copy()
	over.TxOut[0].Value = 1<<63 - 1 // pays more than it spends
	seed(over)
	var noWit bytes.Buffer
	_ = ok.SerializeNoWitness(&noWit)
	f.Add(noWit.Bytes())
	f.Add([]byte{})

	lh := ms.height()
	f.Fuzz(func(t *testing.T, raw []byte) {
		var tx wire.MsgTx
		if tx.Deserialize(bytes.NewReader(raw)) != nil {
			return
		}
		mp := sideblock.NewMempool(ms.chain, ms.params, sideblock.MempoolConfig{})
		if err := mp.Add(&tx); err != nil {
			if _, isRule := sideblock.ErrorCodeOf(err); !isRule {
				t.Fatalf("Add: %v is not a rule error", err)
			}
			if mp.Count() != 0 || mp.Bytes() != 0 {
				t.Fatalf("a refused transaction left %d in the pool", mp.Count())
			}
			return
		}
		txid := tx.TxHash()
		if !mp.Have(txid) || mp.Count() != 1 {
			t.Fatalf("accepted %v, pool holds %d", txid, mp.Count())
		}
		requireCode(t, mp.Add(&tx), sideblock.ErrMempoolDuplicate)
		sel := mp.Select(1_000_000)
		if len(sel) != 1 || sel[0].TxHash() != txid {
			t.Fatalf("Select: %d transactions", len(sel))
		}
		err := ms.db.View(func(r storeReader) error {
			b, err := ms.chain.NewBlockTemplate(r, lh, k.script, sel)
			if err == nil && len(b.Transactions) != 2 {
				t.Fatalf("the block rules drop accepted transaction %v", txid)
			}
			return err
		})
		if err != nil {
			t.Fatalf("template: %v", err)
		}
	})
}
