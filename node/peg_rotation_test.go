package node_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/devnet"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/opreturn"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// TestPegRotation changes the federation at an epoch boundary: a
// newcomer's stake outweighs node d's and takes its seat. The
// outgoing federation moves the pegbox's coins to the new pegbox with an R
// transaction as the epoch begins; a deposit to the old address during the
// grace period is minted and moved by a second rotation; one after it is
// refused. The new federation then pays a withdrawal from the new pegbox;
// a second payout, kept out of blocks, is replaced with higher fees until
// it confirms. The supply audit matches to the satoshi throughout, with
// the rotations' fees and the bump counted as the pegbox's.
func TestPegRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	p := newPegNet(t)
	net, e, all, ctx := p.net, p.e, p.all, p.ctx
	first := p.info()

	const deposit = 100_000_000
	p.pegIn(deposit)

	// A newcomer stakes 1.5 BTC under a key no node holds, more weight
	// than d's 1 BTC: the next election seats it instead of d. The
	// outgoing federation (a, b, c, d) rotates; the new one (a, b, c and
	// the newcomer) needs all of a, b and c.
	newcomer, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	height, _, err := net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := mainstake.BuildRegistration(net.Params, 150_000_000, uint32(height)+2000,
		newcomer.PubKey(), devnet.DefaultPublisherValue)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := net.H.Send(reg.TxOut, 2); err != nil {
		t.Fatal(err)
	}

	// Up to the next epoch.
	info := p.info()
	for i := 0; info.Epoch == first.Epoch; i++ {
		if i > int(net.Params.PegEpochLength)+2 {
			t.Fatalf("still epoch %d at height %d", info.Epoch, info.TipHeight)
		}
		e.mine(all)
		info = p.info()
	}
	if info.Federation.Address == first.Federation.Address {
		t.Fatalf("the federation did not change: epoch %d at %d, then %d at %d", first.Epoch, first.TipHeight, info.Epoch, info.TipHeight)
	}
	if info.PreviousFederation.GetAddress() != first.Federation.Address {
		t.Fatalf("previous federation %v, want %s", info.PreviousFederation, first.Federation.Address)
	}
	oldScript := addressScript(t, first.Federation.Address, net.H.Params)
	newScript := addressScript(t, info.Federation.Address, net.H.Params)
	if info.CurrentPegboxBalanceSat != 0 || info.PegboxBalanceSat != deposit {
		t.Fatalf("before the rotation: %d in the new pegbox of %d", info.CurrentPegboxBalanceSat,
			info.PegboxBalanceSat)
	}

	// The outgoing federation moves everything at once.
	for i := 0; info.RotationCount == 0; i++ {
		if i > 4 {
			t.Fatal("no rotation")
		}
		e.mine(all)
		info = p.info()
	}
	r := info.LastRotation
	rotationFees := r.SpentSat - r.MovedSat
	if r.Epoch != info.Epoch || r.SpentSat != deposit || r.MovedSat != info.PegboxBalanceSat ||
		info.CurrentPegboxBalanceSat != info.PegboxBalanceSat || rotationFees <= 0 || rotationFees > 2_000 {
		t.Fatalf("rotation %v; pegbox %d, of which the new address holds %d", r,
			info.PegboxBalanceSat, info.CurrentPegboxBalanceSat)
	}
	if r.Height >= info.GraceEndHeight || r.Height < info.EpochStartHeight {
		t.Fatalf("rotation in block %d; the epoch began at %d, its grace period ends at %d",
			r.Height, info.EpochStartHeight, info.GraceEndHeight)
	}
	rot := rawTx(t, p, r.Txid)
	if _, payload, err := opreturn.FindInTx(rot, net.Params.SidechainID); err != nil {
		t.Fatalf("rotation %s carries no payload: %v", r.Txid, err)
	} else if ro, ok := payload.(*opreturn.Rotation); !ok || ro.Epoch != info.Epoch {
		t.Fatalf("rotation payload %+v", payload)
	}
	if len(rot.TxOut) != 2 || !bytes.Equal(rot.TxOut[1].PkScript, newScript) {
		t.Fatalf("rotation outputs %+v", rot.TxOut)
	}
	if a := p.audited(); a.PegboxFeesSat != rotationFees {
		t.Fatalf("audit %v; the rotation cost %d", a, rotationFees)
	}

	// A deposit to the old address in the grace period counts, and a
	// second rotation moves it.
	if info.TipHeight+1 > info.GraceEndHeight {
		t.Fatalf("tip %d is past the grace period, which ends at %d", info.TipHeight,
			info.GraceEndHeight)
	}
	const late = 30_000_000
	graceTx := depositTo(t, net, oldScript, addressScript(t, p.sideAddress(), net.Params.Side), late)
	p.waitMinted(graceTx.TxHash().String(), all)
	for i := 0; info.RotationCount < 2; i++ {
		if i > 6 {
			t.Fatalf("the grace-period deposit was never moved: %v", info)
		}
		e.mine(all)
		info = p.info()
	}
	rotationFees += info.LastRotation.SpentSat - info.LastRotation.MovedSat
	want := int64(deposit + late - rotationFees)
	if info.LastRotation.SpentSat != late || info.PegboxBalanceSat != want ||
		info.CurrentPegboxBalanceSat != want {
		t.Fatalf("second rotation %v; pegbox %d (new address %d), want %d", info.LastRotation,
			info.PegboxBalanceSat, info.CurrentPegboxBalanceSat, want)
	}
	if a := p.audited(); a.PegboxFeesSat != rotationFees || a.MintedSat != deposit+late {
		t.Fatalf("audit %v; rotations cost %d", a, rotationFees)
	}

	// After the grace period the old address is no pegbox: a deposit to
	// it is still delivered, since every elected federation's pegbox is
	// in the watch set, and refused (docs/protocol.md §1.3, §10).
	for info.TipHeight+1 <= info.GraceEndHeight || info.PreviousFederation != nil {
		e.mine(all)
		info = p.info()
	}
	stray := depositTo(t, net, oldScript, addressScript(t, p.sideAddress(), net.Params.Side), 20_000_000)
	e.mine(all)
	d, err := p.peg.GetDeposit(ctx, &apiv1.GetDepositRequest{
		Deposit: &apiv1.GetDepositRequest_Txid{Txid: stray.TxHash().String()}})
	if err != nil || d.GetRefused().GetReason() != "ErrNotPegbox" {
		t.Fatalf("deposit to the old address after the grace period: %v %v", d, err)
	}

	// The new federation pays from the new pegbox.
	const amount = 40_000_000
	out := p.pegOut(amount)
	payout, _ := p.payoutIn(all, 15)
	if payout == "" {
		t.Fatal("no payout after the rotation")
	}
	if w := p.stage(out); w.Stage != apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PAID || w.PayoutTxid != payout {
		t.Fatalf("withdrawal: %v", w)
	}
	v, err := p.peg.VerifyPayout(ctx, &apiv1.VerifyPayoutRequest{Txid: payout})
	if err != nil || !v.Valid {
		t.Fatalf("VerifyPayout %s: %v %v", payout, v, err)
	}
	settle(t, e, all)
	info = p.info()
	want -= amount + pegFeeBudget
	if info.PegboxBalanceSat != want || info.CurrentPegboxBalanceSat != want {
		t.Fatalf("pegbox %d (new address %d), want %d", info.PegboxBalanceSat,
			info.CurrentPegboxBalanceSat, want)
	}
	if a := p.audited(); a.PegboxFeesSat != rotationFees {
		t.Fatalf("audit %v; rotations cost %d", a, rotationFees)
	}
	// A payout the miners leave out is replaced: after PegBumpInterval
	// blocks unconfirmed, the federation signs it again with a higher
	// fee, paid by the pegbox, until one confirms.
	const amount2 = 10_000_000
	out2 := p.pegOut(amount2)
	e.exclude = func(tx *wire.MsgTx) bool {
		_, payload, err := opreturn.FindInTx(tx, net.Params.SidechainID)
		_, ok := payload.(*opreturn.Payout)
		return err == nil && ok
	}
	var order []string             // payouts seen in btcd's mempool
	fees := make(map[string]int64) // their fees
	look := func() {
		t.Helper()
		pool, err := net.H.Client().GetRawMempoolVerbose()
		if err != nil {
			t.Fatal(err)
		}
		for txid, entry := range pool {
			if _, ok := fees[txid]; ok || !e.exclude(rawTx(t, p, txid)) {
				continue
			}
			fee, err := btcutil.NewAmount(entry.Fee)
			if err != nil {
				t.Fatal(err)
			}
			order = append(order, txid)
			fees[txid] = int64(fee)
		}
	}
	for i := 0; len(order) == 0; i++ {
		if i > 15 {
			t.Fatal("no payout reached btcd's mempool")
		}
		e.mine(all)
		time.Sleep(200 * time.Millisecond) // the federation signs after the block
		look()
	}
	for i := int32(0); i < 3*net.Params.PegBumpInterval; i++ {
		e.mine(all)
		time.Sleep(200 * time.Millisecond)
		look()
	}
	e.exclude = nil
	bumped, _ := p.payoutIn(all, 4)
	if bumped == "" || bumped == order[0] || fees[bumped] <= fees[order[0]] {
		t.Fatalf("payout %s mined; payouts seen in the mempool %v, fees %v", bumped, order, fees)
	}
	for i := 1; i < len(order); i++ {
		if fees[order[i]] <= fees[order[i-1]] {
			t.Fatalf("replacement %s pays %d, no more than %d", order[i], fees[order[i]], fees[order[i-1]])
		}
	}
	if w := p.stage(out2); w.Stage != apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PAID || w.PayoutTxid != bumped {
		t.Fatalf("withdrawal 2: %v", w)
	}
	if v, err := p.peg.VerifyPayout(ctx, &apiv1.VerifyPayoutRequest{Txid: bumped}); err != nil || !v.Valid {
		t.Fatalf("VerifyPayout %s: %v %v", bumped, v, err)
	}
	settle(t, e, all)
	bump := fees[bumped] - pegFeeBudget
	want -= amount2 + pegFeeBudget + bump
	info = p.info()
	a := p.audited()
	if info.PegboxBalanceSat != want || a.BumpFeesSat != bump || a.RotationFeesSat != rotationFees ||
		a.PegboxFeesSat != rotationFees+bump {
		t.Fatalf("pegbox %d, want %d; audit %v; bump %d, rotations %d", info.PegboxBalanceSat,
			want, a, bump, rotationFees)
	}
	t.Logf("payout bumped %d times, fees %v sat; mined %s paying %d sat beyond its budget",
		len(order)-1, fees, bumped, bump)

	t.Logf("rotations moved the pegbox for %d sat of fees; audit: pegbox %d = pegged %d "+
		"+ pending %d + unpaid %d + unbacked %d − pegbox fees %d (rotations %d, bumps %d)",
		rotationFees, want, a.PeggedSupplySat, a.PendingMintSat, a.UnpaidSat, a.UnbackedSat,
		a.PegboxFeesSat, a.RotationFeesSat, a.BumpFeesSat)
}

// addressScript returns the output script of a mainchain address.
func addressScript(t *testing.T, address string, params *chaincfg.Params) []byte {
	t.Helper()
	addr, err := btcutil.DecodeAddress(address, params)
	if err != nil {
		t.Fatal(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	return script
}

// rawTx fetches a mainchain transaction from btcd.
func rawTx(t *testing.T, p *pegNet, txid string) *wire.MsgTx {
	t.Helper()
	hash, err := chainhash.NewHashFromStr(txid)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := p.net.H.Client().GetRawTransaction(hash)
	if err != nil {
		t.Fatal(err)
	}
	return tx.MsgTx()
}
