package nodeapi

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// FuzzVerifyPayout feeds caller-supplied raw transaction bytes, as
// PegService.VerifyPayout's raw_tx_hex brings them, to the backend over a
// real node state: a pegbox with a minted deposit and a sideblock, two
// deep, holding two withdrawals. Whatever the bytes, the answer is a check
// or an API error, never a node error; a check that says valid is for
// the transaction given and names the sideblock whose withdrawals its
// outputs pay, checked here independently.
func FuzzVerifyPayout(f *testing.F) {
	s := newSideSim(f)
	b, ctx := s.b, context.Background()
	p := b.params
	x, err := pegbox.NewIndex(s.db, p, mainwatch.NewWatchList())
	if err != nil {
		f.Fatal(err)
	}
	s.peg, b.pegbox = x, x
	s.stakers = stakersWeighing(pegKeys(f, 1))
	s.chain.SetDeposits(x.MintSource())
	s.produce()
	s.produce()
	for s.mainTip < 100 {
		s.next(nil)
	}
	var fed *pegbox.Federation
	err = s.db.View(func(r store.Reader) error {
		var err error
		fed, _, err = pegbox.FederationAt(r, 2)
		return err
	})
	if err != nil || fed == nil {
		f.Fatalf("no federation for epoch 2: %v", err)
	}
	pegScript, err := fed.PkScript(p.Main)
	if err != nil {
		f.Fatal(err)
	}
	nullData, err := opreturn.Encode(p.SidechainID, &opreturn.Deposit{Vout: 0, SideScript: s.own})
	if err != nil {
		f.Fatal(err)
	}
	deposit := wire.NewMsgTx(2)
	deposit.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{0xfe}}, nil, nil))
	deposit.AddTxOut(wire.NewTxOut(20_000_000, pegScript))
	deposit.AddTxOut(wire.NewTxOut(0, nullData))
	s.mainTxs = []*wire.MsgTx{deposit}
	s.next(nil)
	s.next(nil)
	to, _ := mainAddress(f, "payee")
	for _, amount := range []int64{10_000_000, p.DustLimit} {
		if _, err := b.PegOut(ctx, api.PegOutRequest{Amount: amount, Destination: to}); err != nil {
			f.Fatal(err)
		}
	}
	block := s.produce()
	s.produce()
	var coins []pegbox.Coin
	err = s.db.View(func(r store.Reader) error {
		var err error
		coins, err = pegbox.Coins(r)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	ws := sideblock.BlockWithdrawals(block.Transactions)
	if len(ws) != 2 {
		f.Fatalf("the sideblock holds %d withdrawals", len(ws))
	}
	payout, err := pegbox.BuildPayout(block.BlockHash(), ws, coins, pegScript, p.SidechainID, p.DustLimit, 0)
	if err != nil {
		f.Fatal(err)
	}
	if c, err := b.VerifyPayout(ctx, api.PayoutQuery{Tx: payout}); err != nil || !c.Valid {
		f.Fatalf("the real payout: %+v %v", c, err)
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
	seed(func(*wire.MsgTx) {})
	seed(func(tx *wire.MsgTx) { tx.TxOut[1].Value++ })
	seed(func(tx *wire.MsgTx) { tx.TxOut[2].PkScript = s.own })
	seed(func(tx *wire.MsgTx) { tx.TxOut = tx.TxOut[:2] })
	seed(func(tx *wire.MsgTx) { tx.TxOut[0].PkScript = tx.TxOut[0].PkScript[:10] })
	seed(func(tx *wire.MsgTx) { tx.TxOut[len(tx.TxOut)-1].PkScript = s.own })
	seed(func(tx *wire.MsgTx) { tx.TxOut = append(tx.TxOut, tx.TxOut[1]) })
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, raw []byte) {
		var tx wire.MsgTx
		if tx.Deserialize(bytes.NewReader(raw)) != nil {
			return // the API answers InvalidArgument before the backend
		}
		c, err := b.VerifyPayout(ctx, api.PayoutQuery{Tx: &tx})
		if err != nil {
			var apiErr *api.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("VerifyPayout: %T %v is a node error", err, err)
			}
			return
		}
		if c.TxID != tx.TxHash() {
			t.Fatalf("the check is for %v, not %v", c.TxID, tx.TxHash())
		}
		if !c.Valid {
			if c.Code == "" || c.Message == "" {
				t.Fatalf("invalid without a code or message: %+v", c)
			}
			return
		}
		if c.SideBlock == nil || *c.SideBlock != block.BlockHash() {
			t.Fatalf("valid for sideblock %v", c.SideBlock)
		}
		if len(tx.TxOut) < len(ws)+1 || len(tx.TxOut) > len(ws)+2 {
			t.Fatalf("valid with %d outputs for %d withdrawals", len(tx.TxOut), len(ws))
		}
		for i := range ws {
			out := tx.TxOut[i+1]
			if out.Value != ws[i].Amount() || !bytes.Equal(out.PkScript, ws[i].PkScript) {
				t.Fatalf("valid, but output %d does not pay withdrawal %d", i+1, i)
			}
		}
	})
}
