package node_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"google.golang.org/grpc"

	"github.com/mainstake/sidenode/devnet"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// TestPegPayout runs four staking sidenodes, whose stake keys make a
// federation of four (three signatures needed), over a real btcd: a deposit
// through node a's wallet is minted on the sidechain, a withdrawal of part
// of it is included, and once it is deep enough the members sign the
// payout, gather their signatures over the peer protocol and broadcast it.
// The payout pays the destination exactly, and the pegbox keeps exactly
// what was not withdrawn: the deposit less the withdrawal's value and its
// fee budget.
func TestPegPayout(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	net := newNet(t, []string{"a", "b", "c", "d"},
		400_000_000, 300_000_000, 200_000_000, 100_000_000)
	all := net.Nodes
	for _, n := range all {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	e := &e2e{t: t, net: net, produced: make(map[string]int)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := net.H.Generate(110); err != nil {
		t.Fatal(err)
	}
	if _, err := net.RegisterStakes(2000); err != nil {
		t.Fatal(err)
	}
	e.mine(all)

	dial := func(n *devnet.Node) *grpc.ClientConn {
		conn, err := n.Dial()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	connA := dial(all[0])
	wlt := apiv1.NewWalletServiceClient(connA)
	peg := apiv1.NewPegServiceClient(connA)

	// Node a's wallet gets 2 BTC to deposit from.
	addrResp, err := wlt.NewAddress(ctx, &apiv1.NewAddressRequest{})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := btcutil.DecodeAddress(addrResp.Address, net.H.Params)
	if err != nil {
		t.Fatal(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := net.H.Send([]*wire.TxOut{wire.NewTxOut(200_000_000, script)}, 2); err != nil {
		t.Fatal(err)
	}

	// Up to the first election with stakers.
	var fed *apiv1.GetPegInfoResponse
	for i := 0; fed == nil; i++ {
		e.mine(all)
		if info, err := peg.GetPegInfo(ctx, &apiv1.GetPegInfoRequest{}); err == nil {
			fed = info
		}
		if i > int(net.Params.PegEpochLength)+5 {
			t.Fatal("no federation was elected")
		}
	}
	if fed.Federation.Threshold != 3 || len(fed.Federation.Pubkeys) != 4 {
		t.Fatalf("federation %v, want 3 of 4", fed.Federation)
	}

	// Deposit 1 BTC to a's sidechain address; it is minted.
	side, err := wlt.GetSideAddress(ctx, &apiv1.GetSideAddressRequest{})
	if err != nil {
		t.Fatal(err)
	}
	const deposit = 100_000_000
	dep, err := wlt.PegIn(ctx, &apiv1.PegInRequest{AmountSat: deposit,
		SideAddress: side.Address, FeeRateSatVb: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		e.mine(all)
		d, err := peg.GetDeposit(ctx, &apiv1.GetDepositRequest{
			Deposit: &apiv1.GetDepositRequest_Txid{Txid: dep.Txid}})
		if err == nil && d.GetAccepted().GetStatus() == apiv1.DepositStatus_DEPOSIT_STATUS_MINTED {
			break
		}
		if i > 10 {
			t.Fatalf("deposit %s never minted: %v %v", dep.Txid, d, err)
		}
	}
	settle(t, e, all)

	// Withdraw half of it to btcd's mining address.
	_, addrs, _, err := txscript.ExtractPkScriptAddrs(net.H.MiningScript, net.H.Params)
	if err != nil || len(addrs) != 1 {
		t.Fatalf("mining address: %v", err)
	}
	const amount, fee = 50_000_000, 5_000
	out, err := wlt.PegOut(ctx, &apiv1.PegOutRequest{AmountSat: amount,
		DestinationAddress: addrs[0].EncodeAddress(), FeeSat: fee})
	if err != nil {
		t.Fatal(err)
	}
	if out.BurnedSat != amount+fee {
		t.Fatalf("burned %d, want %d", out.BurnedSat, amount+fee)
	}
	requested, _, err := net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}

	// The members pay it once it is deep enough on both chains.
	var payoutLine string
	for i := 0; payoutLine == ""; i++ {
		mark := all[0].Mark()
		e.mine(all)
		lctx, lcancel := context.WithTimeout(ctx, 2*time.Second)
		payoutLine, _ = all[0].WaitLine(lctx, mark, func(l string) bool {
			return strings.Contains(l, "Payout ") && strings.Contains(l, " of sideblock ")
		})
		lcancel()
		if i > 20 {
			t.Fatal("no payout was mined")
		}
	}
	fields := strings.Fields(payoutLine[strings.Index(payoutLine, "Payout "):])
	payoutTxid := fields[1]
	minedIn, err := strconv.Atoi(fields[len(fields)-1])
	if err != nil {
		t.Fatalf("payout line %q", payoutLine)
	}
	// The figure of the peg issue: mainchain blocks from the withdrawal
	// request to its confirmed payout.
	t.Logf("payout %s mined in block %d, %d blocks after the withdrawal request "+
		"(side depth %d, %d confirmations needed)", payoutTxid, minedIn,
		int32(minedIn)-requested, net.Params.SideWithdrawalDepth,
		net.Params.WithdrawalConfirmations)

	// Anyone can check it against the published header and the proofs.
	v, err := peg.VerifyPayout(ctx, &apiv1.VerifyPayoutRequest{Txid: payoutTxid})
	if err != nil || !v.Valid {
		t.Fatalf("VerifyPayout %s: %v %v", payoutTxid, v, err)
	}

	// The pegbox keeps exactly what was not withdrawn.
	settle(t, e, all)
	info, err := peg.GetPegInfo(ctx, &apiv1.GetPegInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(deposit - amount - fee); info.PegboxBalanceSat != want {
		t.Fatalf("pegbox holds %d sat after the payout, want %d", info.PegboxBalanceSat, want)
	}
	w, err := peg.GetWithdrawal(ctx, &apiv1.GetWithdrawalRequest{Outpoint: out.Txid + ":" +
		strconv.FormatUint(uint64(out.Vout), 10)})
	if err != nil || w.Stage != apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PAID || w.PayoutTxid != payoutTxid {
		t.Fatalf("withdrawal status %v %v", w, err)
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
