package node_test

import (
	"bytes"
	"testing"

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
// refused. The new federation then pays a withdrawal from the new pegbox,
// and the supply audit matches to the satoshi throughout, the rotations'
// fees counted as the pegbox's.
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
	fees := r.SpentSat - r.MovedSat
	if r.Epoch != info.Epoch || r.SpentSat != deposit || r.MovedSat != info.PegboxBalanceSat ||
		info.CurrentPegboxBalanceSat != info.PegboxBalanceSat || fees <= 0 || fees > 2_000 {
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
	if a := p.audited(); a.PegboxFeesSat != fees {
		t.Fatalf("audit %v; the rotation cost %d", a, fees)
	}

	// A deposit to the old address in the grace period counts, and a
	// second rotation moves it.
	if info.TipHeight+1 > info.GraceEndHeight {
		t.Fatalf("tip %d is past the grace period, which ends at %d", info.TipHeight,
			info.GraceEndHeight)
	}
	const late = 30_000_000
	graceTx := depositTo(t, p, oldScript, late)
	p.waitMinted(graceTx.TxHash().String(), all)
	for i := 0; info.RotationCount < 2; i++ {
		if i > 6 {
			t.Fatalf("the grace-period deposit was never moved: %v", info)
		}
		e.mine(all)
		info = p.info()
	}
	fees += info.LastRotation.SpentSat - info.LastRotation.MovedSat
	want := int64(deposit + late - fees)
	if info.LastRotation.SpentSat != late || info.PegboxBalanceSat != want ||
		info.CurrentPegboxBalanceSat != want {
		t.Fatalf("second rotation %v; pegbox %d (new address %d), want %d", info.LastRotation,
			info.PegboxBalanceSat, info.CurrentPegboxBalanceSat, want)
	}
	if a := p.audited(); a.PegboxFeesSat != fees || a.MintedSat != deposit+late {
		t.Fatalf("audit %v; rotations cost %d", a, fees)
	}

	// After the grace period the old address is no pegbox.
	for info.TipHeight+1 <= info.GraceEndHeight || info.PreviousFederation != nil {
		e.mine(all)
		info = p.info()
	}
	stray := depositTo(t, p, oldScript, 20_000_000)
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
	if a := p.audited(); a.PegboxFeesSat != fees {
		t.Fatalf("audit %v; rotations cost %d", a, fees)
	}
	t.Logf("rotations moved the pegbox for %d sat of fees; audit: pegbox %d = pegged %d "+
		"+ pending %d + unpaid %d + unbacked %d − pegbox fees %d", fees, want,
		info.Audit.PeggedSupplySat, info.Audit.PendingMintSat, info.Audit.UnpaidSat,
		info.Audit.UnbackedSat, info.Audit.PegboxFeesSat)
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

// depositTo sends value from btcd's wallet to pkScript with a 'D' payload
// naming node a's sidechain address, as any outside wallet could.
func depositTo(t *testing.T, p *pegNet, pkScript []byte, value int64) *wire.MsgTx {
	t.Helper()
	side := addressScript(t, p.sideAddress(), p.net.Params.Side)
	nullData, err := opreturn.Encode(p.net.Params.SidechainID,
		&opreturn.Deposit{Vout: 0, SideScript: side})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := p.net.H.Send([]*wire.TxOut{wire.NewTxOut(value, pkScript),
		wire.NewTxOut(0, nullData)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	return tx
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
