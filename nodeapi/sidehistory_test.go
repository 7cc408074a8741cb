package nodeapi

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/api"
)

// TestSideTransactions: the node's sidechain history holds its coinbases
// and its payment, with what each received and spent, within the window
// of blocks asked for.
func TestSideTransactions(t *testing.T) {
	s := newSideSim(t)
	ctx := context.Background()
	to, _ := otherAddress(t, s.b.params)
	s.produce()
	s.produce()
	for s.mainTip < 100 {
		s.next(nil)
	}
	txid, err := s.b.SendSide(ctx, to, 10_000_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.produce() // mines the payment

	h, err := s.b.SideTransactions(ctx, 1000, api.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if h.Total != 4 || len(h.Txs) != 4 || h.FromHeight != 0 {
		t.Fatalf("history %+v", h)
	}
	for i, tx := range h.Txs[:3] {
		if !tx.Coinbase || tx.Received != simSubsidy && i < 2 || tx.Sent != 0 {
			t.Errorf("coinbase %d %+v", i, tx)
		}
	}
	pay := h.Txs[3]
	if pay.TxID != txid || pay.Coinbase || pay.Sent != simSubsidy ||
		pay.Received <= simSubsidy-10_000_000-1000 || pay.Confirmations != 1 {
		t.Errorf("payment %+v", pay)
	}
	// The newest first, and a window of one block: its coinbase (which
	// also collects the payment's fee) and the payment.
	h, err = s.b.SideTransactions(ctx, 1, api.Page{Limit: 10, Reversed: true})
	if err != nil || h.Total != 2 || h.Txs[0].TxID != txid {
		t.Fatalf("window of one block %+v %v", h, err)
	}
}

// TestSideAddressHistory: the history of an address that is not the
// node's holds the payment it received and its own spend of it (found
// through the confirmed-transaction index once the payment is outside
// the window), paged, within the window asked for; a bad address is
// refused in the user's terms.
func TestSideAddressHistory(t *testing.T) {
	s := newSideSim(t)
	ctx := context.Background()
	other, otherScript := otherAddress(t, s.b.params)
	otherKey, _ := btcec.PrivKeyFromBytes(chainhash.DoubleHashB([]byte("other")))
	s.produce()
	s.produce()
	for s.mainTip < 100 {
		s.next(nil)
	}
	pay, err := s.b.SendSide(ctx, other, 10_000_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.produce() // height 2: the payment
	spend, _, err := s.b.spendSide(otherKey, otherScript, s.own, 3_000_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.produce() // height 3: the spend, its change back to other
	s.produce() // heights 4 and 5: nothing of other's
	s.produce()
	change := spend.TxOut[1].Value
	if !bytes.Equal(spend.TxOut[1].PkScript, otherScript) {
		t.Fatalf("spend %v has no change to the address", spend.TxHash())
	}

	h, err := s.b.SideAddressHistory(ctx, other, 1000, api.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if h.Address != other || h.Total != 2 || len(h.Txs) != 2 || h.FromHeight != 0 || h.Tip != 5 {
		t.Fatalf("history %+v", h)
	}
	want := []api.SideWalletTx{
		{TxID: pay, Height: 2, Confirmations: 4, Received: 10_000_000},
		{TxID: spend.TxHash(), Height: 3, Confirmations: 3, Received: change, Sent: 10_000_000},
	}
	for i := range want {
		if h.Txs[i] != want[i] {
			t.Errorf("tx %d: %+v, want %+v", i, h.Txs[i], want[i])
		}
	}

	// Pages: the second from the oldest, and the newest first.
	h, err = s.b.SideAddressHistory(ctx, other, 1000, api.Page{Offset: 1, Limit: 1})
	if err != nil || h.Total != 2 || len(h.Txs) != 1 || h.Txs[0] != want[1] {
		t.Errorf("second page %+v, %v", h, err)
	}
	h, err = s.b.SideAddressHistory(ctx, other, 1000, api.Page{Limit: 1, Reversed: true})
	if err != nil || len(h.Txs) != 1 || h.Txs[0] != want[1] {
		t.Errorf("newest first %+v, %v", h, err)
	}

	// A window of heights 3 to 5: the payment is outside, its spend is
	// still counted through the index; heights 4 to 5 hold nothing.
	h, err = s.b.SideAddressHistory(ctx, other, 3, api.Page{Limit: 10})
	if err != nil || h.FromHeight != 3 || h.Total != 1 || h.Txs[0] != want[1] {
		t.Errorf("window of 3 blocks %+v, %v", h, err)
	}
	h, err = s.b.SideAddressHistory(ctx, other, 2, api.Page{Limit: 10})
	if err != nil || h.FromHeight != 4 || h.Total != 0 || len(h.Txs) != 0 {
		t.Errorf("window of 2 blocks %+v, %v", h, err)
	}

	// The node's history is the same scan of its own script: the spend
	// paid it 3,000,000.
	own, err := s.b.SideTransactions(ctx, 3, api.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got bool
	for _, tx := range own.Txs {
		if tx.TxID == spend.TxHash() {
			got = tx.Received == 3_000_000 && tx.Sent == 0
		}
	}
	if !got {
		t.Errorf("node's history %+v lacks the spend paying it", own)
	}

	for _, bad := range []struct{ addr, msg string }{
		{"", "does not decode"},
		{"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "a mainchain address was given"},
		{"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "this node runs regtest"},
		{"<script>", "does not decode"},
		// A public key in hex decodes as a pay-to-pubkey address, which
		// the index does not follow.
		{hex.EncodeToString(otherKey.PubKey().SerializeCompressed()), "indexes P2PKH, P2SH, P2WPKH, P2WSH and P2TR addresses only"},
	} {
		_, err := s.b.SideAddressHistory(ctx, bad.addr, 10, api.Page{Limit: 1})
		if !api.IsErrorCode(err, api.ErrInvalidArgument) || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("SideAddressHistory(%q): %v, want %q", bad.addr, err, bad.msg)
		}
	}
}

// BenchmarkSideAddressHistory measures the scan of the default window,
// 1,000 sideblocks (each a coinbase paying the node), for an address
// that received in the first block and spent in the tenth: one block
// read per height and one index read per input of a non-coinbase
// transaction.
//
//	go test ./nodeapi -run '^$' -bench SideAddressHistory
func BenchmarkSideAddressHistory(b *testing.B) {
	s := newSideSim(b)
	ctx := context.Background()
	other, otherScript := otherAddress(b, s.b.params)
	otherKey, _ := btcec.PrivKeyFromBytes(chainhash.DoubleHashB([]byte("other")))
	s.produce()
	for s.mainTip < 100 {
		s.next(nil)
	}
	if _, err := s.b.SendSide(ctx, other, 10_000_000, 0); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 9; i++ {
		s.produce()
	}
	if _, _, err := s.b.spendSide(otherKey, otherScript, s.own, 3_000_000, 0); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 990; i++ {
		s.produce()
	}
	h, err := s.b.SideAddressHistory(ctx, other, 1000, api.Page{Limit: 10})
	if err != nil || h.Total != 2 || h.FromHeight != 0 || h.Tip != 999 {
		b.Fatalf("history %+v, %v", h, err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.b.SideAddressHistory(ctx, other, 1000, api.Page{Limit: 10}); err != nil {
			b.Fatal(err)
		}
	}
}
