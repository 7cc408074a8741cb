package node_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mainstake/sidenode/devnet"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// TestPegPayout runs four staking sidenodes, whose stake keys make a
// federation of four (three signatures needed), over a real btcd: a deposit
// through node a's wallet is minted on the sidechain; with member d offline,
// a withdrawal is paid by the other three once it is deep enough on both
// chains, and the payout verifies against the published header; with c
// offline too, a second withdrawal waits, payable, and is paid when they
// come back. No sideblock is paid twice, and the pegbox keeps exactly the
// deposit less each withdrawal's value and fee budget.
func TestPegPayout(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	p := newPegNet(t)
	net, e, all, ctx, peg := p.net, p.e, p.all, p.ctx, p.peg
	fed := p.info()
	if fed.Federation.Threshold != 3 || len(fed.Federation.Pubkeys) != 4 {
		t.Fatalf("federation %v, want 3 of 4", fed.Federation)
	}

	// Deposit 1 BTC to a's sidechain address; it is minted.
	const deposit = 100_000_000
	p.pegIn(deposit)
	settle(t, e, all)
	const fee = pegFeeBudget
	pegOut, stage, payoutIn := p.pegOut, p.stage, p.payoutIn

	// Member d is offline: a, b and c still make the threshold of three.
	all[3].Stop()
	live := all[:3]
	const amount1 = 50_000_000
	out1 := pegOut(amount1)
	requested, _, err := net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	payout1, minedIn := payoutIn(live, 20)
	if payout1 == "" {
		t.Fatal("no payout was mined with three of four members")
	}
	// The figure of the peg issue: mainchain blocks from the withdrawal
	// request to its confirmed payout.
	t.Logf("payout %s mined in block %d, %d blocks after the withdrawal request "+
		"(side depth %d, %d confirmations needed)", payout1, minedIn,
		int32(minedIn)-requested, net.Params.SideWithdrawalDepth,
		net.Params.WithdrawalConfirmations)
	if w := stage(out1); w.Stage != apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PAID || w.PayoutTxid != payout1 {
		t.Fatalf("withdrawal 1: %v", w)
	}
	// No payout before the sideblock was deep enough on both chains.
	if w := stage(out1); int32(minedIn) < w.PublicationHeight+net.Params.WithdrawalConfirmations {
		t.Fatalf("paid in block %d, published in %d: fewer than %d confirmations",
			minedIn, w.PublicationHeight, net.Params.WithdrawalConfirmations)
	}

	// Anyone can check it against the published header and the proofs.
	v, err := peg.VerifyPayout(ctx, &apiv1.VerifyPayoutRequest{Txid: payout1})
	if err != nil || !v.Valid {
		t.Fatalf("VerifyPayout %s: %v %v", payout1, v, err)
	}

	// c goes offline too: two of four cannot sign, and the second
	// withdrawal waits, payable, until they come back.
	all[2].Stop()
	live = all[:2]
	const amount2 = 20_000_000
	out2 := pegOut(amount2)
	if payout, _ := payoutIn(live, 8); payout != "" {
		t.Fatalf("payout %s with two of four members", payout)
	}
	if w := stage(out2); w.Stage != apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PAYABLE {
		t.Fatalf("withdrawal 2 with half the federation offline: %v", w.Stage)
	}
	for _, n := range all[2:] {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	payout2, _ := payoutIn(all, 15)
	if payout2 == "" {
		t.Fatal("no payout after the members came back")
	}
	if w := stage(out2); w.Stage != apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PAID || w.PayoutTxid != payout2 {
		t.Fatalf("withdrawal 2: %v", w)
	}

	// The pegbox keeps exactly what was not withdrawn, and no sideblock
	// is paid twice: more blocks change nothing.
	want := int64(deposit - (amount1 + fee) - (amount2 + fee))
	for i := 0; i < 3; i++ {
		settle(t, e, all)
		if info := p.info(); info.PegboxBalanceSat != want {
			t.Fatalf("pegbox holds %d sat, want %d", info.PegboxBalanceSat, want)
		}
		// The supply audit: the pegbox against the sidechain's pegged
		// coins, and those against its UTXO set, to the satoshi.
		a := p.audited()
		if a.MintedSat != deposit || a.BurnedSat != amount1+amount2+2*fee ||
			a.PaidSat != a.BurnedSat || a.PeggedSupplySat != want || a.PegboxFeesSat != 0 {
			t.Fatalf("audit %v", a)
		}
		if i == 0 {
			t.Logf("audit: pegbox %d sat = pegged supply %d + pending mint %d + unpaid %d "+
				"+ unbacked %d − pegbox fees %d; sidechain UTXO set %d = subsidy %d (%d blocks) "+
				"+ pegged supply", a.PegboxBalanceSat, a.PeggedSupplySat, a.PendingMintSat,
				a.UnpaidSat, a.UnbackedSat, a.PegboxFeesSat, a.SideUtxoValueSat,
				a.SideSubsidySat, a.SideBlockCount)
		}
		e.mine(all)
	}
}

// settle waits until every node reports the same sidechain tip and state
// hash at btcd's tip. A body reaches the other nodes after its header is
// published, and a node connects a body with the first mainchain block
// after it arrived: in a test that mines blocks back to back the nodes may
// be a sideblock apart, so settle mines another block when they do not
// agree within a few seconds. They must agree within a few blocks.
func settle(t *testing.T, e *e2e, all []*devnet.Node) {
	t.Helper()
	var last string
	for round := 0; round < 5; round++ {
		if round > 0 {
			e.mine(all)
		}
		height, hash, err := e.net.H.Tip()
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			var tips []string
			for _, n := range all {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				info, err := n.Info(ctx)
				cancel()
				if err != nil || info.Mainchain.TipHeight != height || info.Mainchain.TipHash != hash.String() {
					last = fmt.Sprintf("%s at %v: %v", n.Spec.Name, info.GetMainchain().GetTipHeight(), err)
					break
				}
				tips = append(tips, info.Sidechain.TipHash+"/"+info.StateHash)
			}
			same := len(tips) == len(all)
			for i := 1; same && i < len(tips); i++ {
				same = tips[i] == tips[0]
			}
			if same {
				return
			}
			if len(tips) == len(all) {
				last = fmt.Sprintf("at mainchain %d: sidechain tip/state per node %v", height, tips)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	t.Fatalf("the nodes never agreed: %s", last)
}
