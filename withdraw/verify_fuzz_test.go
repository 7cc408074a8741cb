package withdraw_test

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/withdraw"
)

// FuzzVerifyPayout checks caller-supplied raw transaction bytes (as
// PegService.VerifyPayout's raw_tx_hex brings them) against the evidence
// of a real sideblock with three withdrawals. Whatever the bytes,
// VerifyPayout returns nil or a *RuleError, never panics, and answers the
// same twice; whenever it says valid, the transaction pays exactly the
// withdrawals, checked here independently: 'W' naming the block in output
// 0, output i+1 paying withdrawal i's amount to its script, and at most
// one more output, to the pegbox.
func FuzzVerifyPayout(f *testing.F) {
	hdr, ev, ws := block(f)
	coins := []pegbox.Coin{{OutPoint: wire.OutPoint{Hash: chainhash.Hash{0x30}},
		Value: 900_000, PkScript: pegboxScript, Height: 10}}
	payout, err := pegbox.BuildPayout(hdr.BlockHash(), ws, coins, pegboxScript, sidechainID, 546, 0)
	if err != nil {
		f.Fatal(err)
	}
	seed := func(change func(tx *wire.MsgTx)) {
		tx := payout.Copy()
		change(tx)
		var buf bytes.Buffer
		if err := tx.Serialize(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	seed(func(*wire.MsgTx) {})                                              // valid
	seed(func(tx *wire.MsgTx) { tx.TxOut[2].Value++ })                      // wrong amount
	seed(func(tx *wire.MsgTx) { tx.TxOut[1].PkScript = dest(7) })           // wrong script
	seed(func(tx *wire.MsgTx) { tx.TxOut = tx.TxOut[:2] })                  // missing output
	seed(func(tx *wire.MsgTx) { tx.TxOut[4].PkScript = dest(1) })           // change elsewhere
	seed(func(tx *wire.MsgTx) { tx.TxOut = append(tx.TxOut, tx.TxOut[4]) }) // two changes
	seed(func(tx *wire.MsgTx) { tx.TxOut[0], tx.TxOut[1] = tx.TxOut[1], tx.TxOut[0] })
	seed(func(tx *wire.MsgTx) { tx.TxOut[3].Value = -1 })
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, raw []byte) {
		var tx wire.MsgTx
		if tx.Deserialize(bytes.NewReader(raw)) != nil {
			return
		}
		err := withdraw.VerifyPayout(&tx, sidechainID, &ev, isPegbox)
		again := withdraw.VerifyPayout(&tx, sidechainID, &ev, isPegbox)
		if (err == nil) != (again == nil) {
			t.Fatalf("two answers: %v, %v", err, again)
		}
		if err != nil {
			if _, ok := err.(*withdraw.RuleError); !ok {
				t.Fatalf("%T %v is not a rule error", err, err)
			}
			return
		}
		vout, payload, perr := opreturn.FindInTx(&tx, sidechainID)
		w, ok := payload.(*opreturn.Payout)
		if perr != nil || !ok || vout != 0 || w.SideBlock != hdr.BlockHash() {
			t.Fatalf("valid without 'W' for the block in output 0: %v", perr)
		}
		if len(tx.TxOut) != len(ws)+1 && len(tx.TxOut) != len(ws)+2 {
			t.Fatalf("valid with %d outputs for %d withdrawals", len(tx.TxOut), len(ws))
		}
		for i := range ws {
			out := tx.TxOut[i+1]
			if out.Value != ws[i].Amount() || !bytes.Equal(out.PkScript, ws[i].PkScript) {
				t.Fatalf("valid, but output %d does not pay withdrawal %d", i+1, i)
			}
		}
		if len(tx.TxOut) == len(ws)+2 && !isPegbox(tx.TxOut[len(ws)+1].PkScript) {
			t.Fatal("valid with change outside the pegbox")
		}
	})
}
