package pegbox

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/store"
)

// TestRefusedDepositKeepsItsOutputs refuses two deposits whose payload
// names no output of theirs (a vout past the outputs, and an OP_RETURN
// that does not parse) while they pay the pegbox, has a rotation spend
// the coins they made, and checks that each refusal still names the
// outputs that paid the pegbox, with value and script; then a reorg that
// undoes the refusals' block takes the records back, leaving the state
// hash it found.
func TestRefusedDepositKeepsItsOutputs(t *testing.T) {
	c := newTestChain(t)
	L := c.p.PegEpochLength
	privs := keys(t, 8)
	c.stakers = stakersOf(privs[:4])
	c.to(L - 1) // elects epoch 1
	box1 := c.pkScript(1)

	badVout := depositTx(t, 9, sideScript, wire.NewTxOut(30_000, otherScript),
		wire.NewTxOut(40_000, box1), wire.NewTxOut(50_000, box1))
	garbled := wire.NewMsgTx(2)
	garbled.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{7}}, nil, nil))
	garbled.AddTxOut(wire.NewTxOut(60_000, box1))
	garbled.AddTxOut(wire.NewTxOut(0, []byte{txscript.OP_RETURN, 3, 1, 2, 3}))
	_, before, err := c.db.StateHash(L - 1)
	if err != nil {
		t.Fatal(err)
	}

	res := c.connect(badVout, garbled)
	coin := func(tx *wire.MsgTx, vout uint32) Coin {
		return Coin{OutPoint: wire.OutPoint{Hash: tx.TxHash(), Index: vout},
			Value: tx.TxOut[vout].Value, PkScript: tx.TxOut[vout].PkScript, Height: L}
	}
	want := []struct {
		tx   *wire.MsgTx
		code ErrorCode
		outs []Coin
	}{
		{badVout, ErrBadDepositVout, []Coin{coin(badVout, 1), coin(badVout, 2)}},
		{garbled, ErrNoDeposit, []Coin{coin(garbled, 0)}},
	}
	same := func(what string, got *Refused, i int) {
		t.Helper()
		w := want[i]
		if got.OutPoint != (wire.OutPoint{Hash: w.tx.TxHash(), Index: wire.MaxPrevOutIndex}) ||
			got.Code != w.code || got.Height != L || got.TxIndex != uint32(i+1) ||
			len(got.PegboxOutputs) != len(w.outs) {
			t.Fatalf("%s: refusal %d %+v, want %v with %d outputs", what, i, got, w.code, len(w.outs))
		}
		for j, o := range got.PegboxOutputs {
			if o.OutPoint != w.outs[j].OutPoint || o.Value != w.outs[j].Value ||
				o.Height != w.outs[j].Height || !bytes.Equal(o.PkScript, w.outs[j].PkScript) {
				t.Errorf("%s: refusal %d output %d: %+v, want %+v", what, i, j, o, w.outs[j])
			}
		}
	}
	if len(res.Refused) != len(want) {
		t.Fatalf("refused %+v", res.Refused)
	}
	for i := range res.Refused {
		same("the block's result", &res.Refused[i], i)
	}
	stored := func(what string) {
		t.Helper()
		c.view(func(r store.Reader) error {
			list, err := RefusedDeposits(r)
			if err != nil || len(list) != len(want) {
				t.Fatalf("%s: refused deposits %+v %v", what, list, err)
			}
			for i := range list {
				same(what+", RefusedDeposits", &list[i], i)
				_, ref, ok, err := DepositByTx(r, want[i].tx.TxHash())
				if err != nil || !ok || ref == nil {
					t.Fatalf("%s: DepositByTx %d: %+v %v %v", what, i, ref, ok, err)
				}
				same(what+", DepositByTx", ref, i)
			}
			return nil
		})
	}
	stored("after the refusals")

	// Epoch 2 has other keys; a rotation moves every coin to its pegbox.
	c.stakers = stakersOf(privs[4:])
	c.to(2*L - 1)
	var from, to *Federation
	var coins []Coin
	c.view(func(r store.Reader) error {
		from, _, _ = FederationAt(r, 1)
		to, _, _ = FederationAt(r, 2)
		coins, err = Coins(r)
		return err
	})
	if len(coins) != 3 {
		t.Fatalf("coins before the rotation %+v", coins)
	}
	rot, err := BuildRotation(c.p, coins, from, to, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res := c.connect(rot.Tx); len(res.Rotations) != 1 || len(res.Spent) != 3 {
		t.Fatalf("rotation %+v", res)
	}
	c.view(func(r store.Reader) error {
		for _, w := range want {
			for _, o := range w.outs {
				if _, ok, err := CoinAt(r, o.OutPoint); ok || err != nil {
					t.Fatalf("coin %v after the rotation: %v %v", o.OutPoint, ok, err)
				}
			}
		}
		return nil
	})
	stored("after the rotation")

	// A reorg back to before the refusals' block.
	for len(c.hashes) > int(L) {
		c.disconnect()
	}
	_, after, err := c.db.StateHash(L - 1)
	if err != nil || after != before {
		t.Fatalf("state hash after the reorg %v %v, before the refusals %v", after, err, before)
	}
	c.view(func(r store.Reader) error {
		list, err := RefusedDeposits(r)
		if err != nil || len(list) != 0 {
			t.Fatalf("refused deposits after the reorg %+v %v", list, err)
		}
		n := 0
		err = r.Iterate(keyRefusedOutPrefix, func(k, v []byte) error { n++; return nil })
		if err != nil || n != 0 {
			t.Fatalf("%d outputs records after the reorg, %v", n, err)
		}
		for _, w := range want {
			if _, _, ok, err := DepositByTx(r, w.tx.TxHash()); ok || err != nil {
				t.Fatalf("DepositByTx %v after the reorg: %v %v", w.tx.TxHash(), ok, err)
			}
		}
		return nil
	})
}

// TestDecodeOutputs round-trips a refusal's outputs record and refuses
// every truncation of it with an error.
func TestDecodeOutputs(t *testing.T) {
	txid := chainhash.Hash{9}
	in := []Coin{
		{OutPoint: wire.OutPoint{Hash: txid, Index: 0}, Value: 1, PkScript: pegboxScript, Height: 5},
		{OutPoint: wire.OutPoint{Hash: txid, Index: 300}, Value: 2_100_000_000_000_000, PkScript: otherScript, Height: 5},
	}
	v := encodeOutputs(in)
	out, err := decodeOutputs(txid, 5, v)
	if err != nil || len(out) != 2 {
		t.Fatalf("decoded %+v %v", out, err)
	}
	for i := range in {
		if out[i].OutPoint != in[i].OutPoint || out[i].Value != in[i].Value ||
			out[i].Height != 5 || !bytes.Equal(out[i].PkScript, in[i].PkScript) {
			t.Errorf("output %d: %+v, want %+v", i, out[i], in[i])
		}
	}
	for n := 1; n < len(v); n++ {
		if n == len(v)/2 {
			continue // the first output alone is a whole record
		}
		if _, err := decodeOutputs(txid, 5, v[:n]); err == nil {
			t.Errorf("a record cut to %d of %d bytes decoded", n, len(v))
		}
	}
}
