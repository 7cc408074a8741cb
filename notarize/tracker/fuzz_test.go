package tracker

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/notarize"
)

// FuzzDecodeRecords feeds the store record decoders (last, pending,
// notary output) arbitrary bytes: they return a record or an error, never
// panic, and what decodes re-encodes to the same bytes (or, for pending,
// encodes). Seeded with real records.
func FuzzDecodeRecords(f *testing.F) {
	r := &Record{Notarization: notarize.Notarization{Height: 10,
		Block: sideHash(0, 10), Season: 1, TxID: sideHash(9, 9),
		Signers: []int{0, 2, 4}}, MainHeight: 7}
	f.Add(encodeRecord(r))
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 3}, nil, [][]byte{{1, 2}, {3}}))
	tx.AddTxOut(wire.NewTxOut(5, []byte{0x6a, 1, 1}))
	for _, prev := range [][]*wire.TxOut{nil, {wire.NewTxOut(10_000, []byte{0, 20})}} {
		v, err := encodePending(&pending{mainHeight: 3, mainTime: 1_780_000_000, index: 1, tx: tx, prevouts: prev})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v)
	}
	f.Add(encodeOutput(wire.NewTxOut(10_000, []byte{0, 20, 1})))
	key := pendingKey(3, 1)
	f.Fuzz(func(t *testing.T, b []byte) {
		if rec, err := decodeRecord(b); err == nil {
			if !bytes.Equal(encodeRecord(rec), b) {
				t.Fatalf("record %x re-encodes to %x", b, encodeRecord(rec))
			}
		}
		if o, err := decodeOutput(b); err == nil {
			if !bytes.Equal(encodeOutput(o), b) {
				t.Fatalf("output %x re-encodes to %x", b, encodeOutput(o))
			}
		}
		if p, err := decodePending(key, b); err == nil {
			if _, err := encodePending(p); err != nil {
				t.Fatalf("a decoded pending record does not encode: %v", err)
			}
		}
	})
}
