package wallet

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/wire"
)

// FuzzDecodeWalletTx: a transaction record that does not decode is an
// error, never a panic, and one that decodes encodes back to the same
// bytes.
func FuzzDecodeWalletTx(f *testing.F) {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 1}, nil, [][]byte{{1, 2}}))
	tx.AddTxOut(wire.NewTxOut(1000, foreignScript))
	rec, err := encodeWalletTx(&WalletTx{Tx: tx, Received: 5, Sent: 1000, Fee: -1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rec)
	f.Add(rec[:24])
	f.Add(rec[:30])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, v []byte) {
		got, err := decodeWalletTx(7, v)
		if err != nil {
			return
		}
		back, err := encodeWalletTx(got)
		if err != nil {
			t.Fatal(err)
		}
		// The transaction may decode from a longer record (trailing
		// bytes) or a non-canonical encoding: compare what it decodes to.
		again, err := decodeWalletTx(7, back)
		if err != nil || again.Received != got.Received || again.Sent != got.Sent ||
			again.Fee != got.Fee || again.Tx.TxHash() != got.Tx.TxHash() {
			t.Fatalf("round trip: %+v %v", again, err)
		}
		var a, b bytes.Buffer
		_ = got.Tx.Serialize(&a)
		_ = again.Tx.Serialize(&b)
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatal("the transaction changed in the round trip")
		}
	})
}
