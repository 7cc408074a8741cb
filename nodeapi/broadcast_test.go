package nodeapi

import (
	"context"
	"math"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/wallet"
)

// countingFollower counts the transactions handed to the mainchain backend.
type countingFollower struct{ sent atomic.Int32 }

func (*countingFollower) Status() mainwatch.Status { return mainwatch.Status{} }
func (f *countingFollower) Broadcast(context.Context, *wire.MsgTx) error {
	f.sent.Add(1)
	return nil
}

// newWalletSim is a pegSim whose Adapter has an empty wallet and a
// follower that counts broadcasts, at mainchain height 1.
// wrap, when not nil, stands in for the wallet.
func newWalletSim(t *testing.T, wrap func(*wallet.Wallet) Wallet) (*pegSim, *countingFollower) {
	t.Helper()
	s := newPegSim(t)
	keys, err := wallet.NewKeyring(make([]byte, 32), s.p.Main)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := wallet.New(keys, s.db, mainwatch.NewWatchList(), s.p.Main)
	if err != nil {
		t.Fatal(err)
	}
	var w Wallet = inner
	if wrap != nil {
		w = wrap(inner)
	}
	f := new(countingFollower)
	s.b = New(Env{Params: s.p, DB: s.db, Pegbox: s.x, Wallet: w, Follower: f})
	s.to(1)
	return s, f
}

// TestHugeAmountsRefused: CreateStake and PegIn with amounts and fee rates
// near 2^63, from a wallet holding nothing, answer InvalidArgument naming
// the field and its bound, and broadcast nothing.
func TestHugeAmountsRefused(t *testing.T) {
	s, f := newWalletSim(t, nil)
	ctx := context.Background()
	near := int64(math.MaxInt64 - 7)
	for _, tc := range []struct {
		name, field string
		amount, fee int64
	}{
		{"amount near 2^63", "amount_sat", near, 0},
		{"amount above 21M BTC", "amount_sat", wallet.MaxAmount + 1, 2},
		{"fee rate near 2^63", "fee_rate_sat_vb", 1_000_000, near},
		{"fee rate 1e17", "fee_rate_sat_vb", 1_000_000, 1e17},
		{"fee rate above the maximum", "fee_rate_sat_vb", 1_000_000, wallet.MaxFeeRate + 1},
	} {
		_, err := s.b.CreateStake(ctx, api.StakeRequest{Amount: tc.amount,
			LockBlocks: 1000, FeeRate: tc.fee})
		wantAPICode(t, "CreateStake "+tc.name, err, api.ErrInvalidArgument)
		if err != nil && !strings.Contains(err.Error(), tc.field) {
			t.Errorf("CreateStake %s: %v does not name %s", tc.name, err, tc.field)
		}
		_, err = s.b.PegIn(ctx, api.PegInRequest{Amount: tc.amount,
			SideAddress: "anything", FeeRate: tc.fee})
		wantAPICode(t, "PegIn "+tc.name, err, api.ErrInvalidArgument)
		if err != nil && !strings.Contains(err.Error(), tc.field) {
			t.Errorf("PegIn %s: %v does not name %s", tc.name, err, tc.field)
		}
	}
	if n := f.sent.Load(); n != 0 {
		t.Fatalf("%d transactions broadcast", n)
	}
}

// zeroInputWallet is a wallet whose Fund returns a transaction that spends
// nothing, as the overflowing Fund once did.
type zeroInputWallet struct {
	*wallet.Wallet
	released atomic.Int32
}

func (w *zeroInputWallet) Fund(outs []*wire.TxOut, _ int64, _ int32) (*wire.MsgTx, error) {
	tx := wire.NewMsgTx(2)
	for _, o := range outs {
		tx.AddTxOut(o)
	}
	return tx, nil
}

func (w *zeroInputWallet) Release(*wire.MsgTx) { w.released.Add(1) }

// TestBroadcastChecksFundedTx: a transaction the wallet built that fails
// btcd's sanity rules is never handed to the mainchain backend, and its
// coins are released.
func TestBroadcastChecksFundedTx(t *testing.T) {
	var w *zeroInputWallet
	s, f := newWalletSim(t, func(inner *wallet.Wallet) Wallet {
		w = &zeroInputWallet{Wallet: inner}
		return w
	})
	_, err := s.b.CreateStake(context.Background(), api.StakeRequest{Amount: 1_000_000,
		LockBlocks: 1000})
	if err == nil {
		t.Fatal("CreateStake broadcast a transaction without inputs")
	}
	if n := f.sent.Load(); n != 0 {
		t.Fatalf("%d transactions broadcast", n)
	}
	if w.released.Load() != 1 {
		t.Fatal("the refused transaction's coins were not released")
	}
}

// TestHugeSideAmountsRefused: SendSide and PegOut with amounts near 2^63,
// or an amount and fee budget whose sum is above 21M BTC, answer
// InvalidArgument naming the field and add nothing to the mempool, even
// with mature coins to spend.
func TestHugeSideAmountsRefused(t *testing.T) {
	s := newSideSim(t)
	ctx := context.Background()
	s.produce()
	for s.mainTip < 100 {
		s.next(nil)
	}
	to, _ := otherAddress(t, s.b.params)
	dest, _ := mainAddress(t, "huge")
	near := int64(math.MaxInt64 - 7)
	for _, amount := range []int64{near, wallet.MaxAmount + 1} {
		_, err := s.b.SendSide(ctx, to, amount, 0)
		wantAPICode(t, "SendSide", err, api.ErrInvalidArgument)
		if err != nil && !strings.Contains(err.Error(), "amount_sat") {
			t.Errorf("SendSide %d: %v does not name amount_sat", amount, err)
		}
		_, err = s.b.PegOut(ctx, api.PegOutRequest{Amount: amount, Destination: dest})
		wantAPICode(t, "PegOut", err, api.ErrInvalidArgument)
	}
	for _, fee := range []int64{near, wallet.MaxAmount} {
		_, err := s.b.PegOut(ctx, api.PegOutRequest{Amount: 10_000, Fee: fee, Destination: dest})
		wantAPICode(t, "PegOut fee", err, api.ErrInvalidArgument)
	}
	if n := s.pool.Count(); n != 0 {
		t.Fatalf("%d transactions in the mempool", n)
	}
	// In range, a payment still goes through.
	if _, err := s.b.SendSide(ctx, to, 10_000_000, 0); err != nil {
		t.Fatal(err)
	}
}

// TestStakeWithdrawalPassesCheck: the check before broadcast passes the
// stake withdrawal WithdrawStake builds, against the real stake output,
// and refuses it against another output.
func TestStakeWithdrawalPassesCheck(t *testing.T) {
	priv, _ := btcec.NewPrivateKey()
	tk := &mainstake.Ticket{Registration: mainstake.Registration{
		Stake: wire.OutPoint{Hash: chainhash.Hash{7}, Index: 0}, Value: 1_000_000,
		LockHeight: 500, PubKey: priv.PubKey()}}
	_, dest := mainAddress(t, "withdraw")
	tx, err := mainstake.BuildStakeWithdrawal(tk, dest, 5, priv)
	if err != nil {
		t.Fatal(err)
	}
	script, err := mainstake.StakePkScript(tk.LockHeight, tk.PubKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := wallet.CheckTx(tx, txscript.NewCannedPrevOutputFetcher(script, tk.Value)); err != nil {
		t.Fatalf("the withdrawal fails the check: %v", err)
	}
	if err := wallet.CheckTx(tx, txscript.NewCannedPrevOutputFetcher(dest, tk.Value)); err == nil {
		t.Fatal("the withdrawal passes against another output")
	}
}
