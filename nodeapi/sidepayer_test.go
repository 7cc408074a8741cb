package nodeapi

import (
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/sideblock"
)

// TestSidePayer: a payout of several outputs is built from the node's
// mature coins without entering the mempool, its fee is what the coins
// tell, Send adds it once (a second Send is no error), Known follows it
// into a block.
func TestSidePayer(t *testing.T) {
	s := newSideSim(t)
	s.produce()
	for s.mainTip < 100 {
		s.next(nil)
	}
	p := &SidePayer{b: s.b}
	var outs []*wire.TxOut
	for i := 0; i < 3; i++ {
		priv, _ := btcec.PrivKeyFromBytes(chainhash.DoubleHashB([]byte{byte(i)}))
		addr, err := sideblock.SideP2WPKHAddress(priv.PubKey(), s.b.params)
		if err != nil {
			t.Fatal(err)
		}
		script, _ := txscript.PayToAddrScript(addr)
		outs = append(outs, wire.NewTxOut(int64(1_000_000*(i+1)), script))
	}
	tx, err := p.BuildPayout(outs)
	if err != nil {
		t.Fatal(err)
	}
	if len(tx.TxOut) != 4 || string(tx.TxOut[3].PkScript) != string(s.own) {
		t.Fatalf("payout outputs %d (the change last to the node)", len(tx.TxOut))
	}
	for i, o := range outs {
		if tx.TxOut[i].Value != o.Value || string(tx.TxOut[i].PkScript) != string(o.PkScript) {
			t.Fatalf("output %d: %d, want %d", i, tx.TxOut[i].Value, o.Value)
		}
	}
	fee, ok := p.Fee(tx)
	if !ok || fee <= 0 || fee != simSubsidy-6_000_000-tx.TxOut[3].Value {
		t.Fatalf("fee %d %v", fee, ok)
	}
	txid := tx.TxHash()
	if known, err := p.Known(txid); err != nil || known || s.pool.Count() != 0 {
		t.Fatalf("built, not sent: known %v %v, mempool %d", known, err, s.pool.Count())
	}
	if err := p.Send(tx); err != nil {
		t.Fatal(err)
	}
	if err := p.Send(tx); err != nil {
		t.Fatalf("sent again: %v", err)
	}
	if known, err := p.Known(txid); err != nil || !known || s.pool.Count() != 1 {
		t.Fatalf("sent: known %v %v, mempool %d", known, err, s.pool.Count())
	}
	s.produce()
	if known, err := p.Known(txid); err != nil || !known || s.pool.Count() != 0 {
		t.Fatalf("mined: known %v %v, mempool %d", known, err, s.pool.Count())
	}

	// Outputs the node cannot pay, and malformed ones, are refused.
	if _, err := p.BuildPayout([]*wire.TxOut{wire.NewTxOut(10*simSubsidy, outs[0].PkScript)}); !api.IsErrorCode(err, api.ErrFailedPrecondition) {
		t.Errorf("too much: %v", err)
	}
	if _, err := p.BuildPayout([]*wire.TxOut{wire.NewTxOut(0, outs[0].PkScript)}); !api.IsErrorCode(err, api.ErrInvalidArgument) {
		t.Errorf("zero output: %v", err)
	}
	if _, err := p.BuildPayout([]*wire.TxOut{wire.NewTxOut(5, nil)}); !api.IsErrorCode(err, api.ErrInvalidArgument) {
		t.Errorf("no script: %v", err)
	}
}
