package nodeapi

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/sideblock"
)

// FuzzSendSideTransaction feeds arbitrary transaction bytes, as
// SidechainService.SendRawTransaction decodes them from raw_hex, to the
// backend over a real sidechain state with mature coins, each into a fresh
// mempool. Whatever the bytes, the answer is a txid with the transaction in
// the pool, or an API error the caller can act on (InvalidArgument, or
// FailedPrecondition for what may enter later), never a node error; a
// refused transaction leaves the pool empty.
func FuzzSendSideTransaction(f *testing.F) {
	s := newSideSim(f)
	s.produce() // lottery height 0
	s.produce() // lottery height 1
	for s.mainTip < 100 {
		s.next(nil)
	}
	to, toScript := otherAddress(f, s.b.params)
	ctx := context.Background()

	// Seeds: a real payment from the node's coins, and its forgeries.
	txid, err := s.b.SendSide(ctx, to, 10_000_000, 0)
	if err != nil {
		f.Fatal(err)
	}
	paid, ok := s.pool.Get(txid)
	if !ok {
		f.Fatal("the payment is not in the mempool")
	}
	seed := func(change func(tx *wire.MsgTx)) {
		tx := paid.Copy()
		change(tx)
		var buf bytes.Buffer
		if err := tx.Serialize(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	seed(func(*wire.MsgTx) {})
	seed(func(tx *wire.MsgTx) { tx.TxOut[0].Value++ })
	seed(func(tx *wire.MsgTx) { tx.TxOut[0].Value = 1<<63 - 1 })
	seed(func(tx *wire.MsgTx) { tx.TxOut[0].PkScript = toScript[:3] })
	seed(func(tx *wire.MsgTx) { tx.TxIn[0].Witness = nil })
	seed(func(tx *wire.MsgTx) { tx.TxIn = append(tx.TxIn, tx.TxIn[0]) })
	seed(func(tx *wire.MsgTx) { tx.TxIn[0].PreviousOutPoint.Index = 7 })
	seed(func(tx *wire.MsgTx) { tx.LockTime = 1 << 30 })
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, raw []byte) {
		var tx wire.MsgTx
		if tx.Deserialize(bytes.NewReader(raw)) != nil {
			return // parseRawTx answers InvalidArgument before the backend
		}
		pool := sideblock.NewMempool(s.chain, s.b.params, sideblock.MempoolConfig{})
		b := New(Env{Params: s.b.params, DB: s.db, Sidechain: s.chain, Mempool: pool})
		got, err := b.SendSideTransaction(ctx, &tx)
		if err != nil {
			var apiErr *api.Error
			if !errors.As(err, &apiErr) || !(api.IsErrorCode(err, api.ErrInvalidArgument) ||
				api.IsErrorCode(err, api.ErrFailedPrecondition)) {
				t.Fatalf("SendSideTransaction: %T %v, want InvalidArgument or FailedPrecondition", err, err)
			}
			if pool.Count() != 0 {
				t.Fatalf("a refused transaction left %d in the pool", pool.Count())
			}
			return
		}
		if got != tx.TxHash() || !pool.Have(got) || pool.Count() != 1 {
			t.Fatalf("accepted %v, pool holds %d", got, pool.Count())
		}
	})
}
