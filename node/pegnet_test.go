package node_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"google.golang.org/grpc"

	"github.com/mainstake/sidenode/devnet"
	"github.com/mainstake/sidenode/opreturn"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// pegNet is four staking sidenodes over a real btcd, with their stake
// keys in the federation (three signatures of four), and node a's wallet
// and peg clients. The peg end-to-end tests share it.
type pegNet struct {
	t    *testing.T
	e    *e2e
	net  *devnet.Net
	all  []*devnet.Node
	late []*devnet.Node // nodes without stake, not started
	ctx  context.Context

	wlt apiv1.WalletServiceClient // node a's
	peg apiv1.PegServiceClient    // node a's
}

// pegFeeBudget is the fee budget of every withdrawal the tests make.
const pegFeeBudget = 5_000

// newPegNet starts the nodes, registers their stakes, funds node a's
// wallet with 2 BTC and mines up to the first federation.
func newPegNet(t *testing.T) *pegNet {
	t.Helper()
	return newPegNetWith(t, false)
}

// newPegNetWith is newPegNet with e2e.bodies set from the first block to
// bodies, and the nodes named late prepared too, without stake, for the
// test to start.
func newPegNetWith(t *testing.T, bodies bool, late ...string) *pegNet {
	t.Helper()
	net := newNet(t, append([]string{"a", "b", "c", "d"}, late...),
		400_000_000, 300_000_000, 200_000_000, 100_000_000)
	for _, n := range net.Nodes[:4] {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	t.Cleanup(cancel)
	p := &pegNet{t: t, net: net, all: net.Nodes[:4], late: net.Nodes[4:], ctx: ctx,
		e: &e2e{t: t, net: net, produced: make(map[string]int), bodies: bodies}}
	matureAndStake(t, net, 2000)
	p.e.mine(p.all)
	connA := p.dial(p.all[0])
	p.wlt = apiv1.NewWalletServiceClient(connA)
	p.peg = apiv1.NewPegServiceClient(connA)
	fundWallet(ctx, t, net, p.wlt, 200_000_000)

	for i := 0; ; i++ {
		p.e.mine(p.all)
		if _, err := p.peg.GetPegInfo(ctx, &apiv1.GetPegInfoRequest{}); err == nil {
			break
		}
		if i > int(net.Params.PegEpochLength)+5 {
			t.Fatal("no federation was elected")
		}
	}
	return p
}

func (p *pegNet) dial(n *devnet.Node) *grpc.ClientConn {
	p.t.Helper()
	conn, err := n.Dial()
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { conn.Close() })
	return conn
}

// info returns node a's GetPegInfo.
func (p *pegNet) info() *apiv1.GetPegInfoResponse {
	p.t.Helper()
	info, err := p.peg.GetPegInfo(p.ctx, &apiv1.GetPegInfoRequest{})
	if err != nil {
		p.t.Fatal(err)
	}
	return info
}

// sideAddress returns a sidechain address of node a's wallet.
func (p *pegNet) sideAddress() string {
	p.t.Helper()
	side, err := p.wlt.GetSideAddress(p.ctx, &apiv1.GetSideAddressRequest{})
	if err != nil {
		p.t.Fatal(err)
	}
	return side.Address
}

// pegIn deposits amount from node a's wallet to its own sidechain address
// and mines until the deposit is minted.
func (p *pegNet) pegIn(amount int64) string {
	p.t.Helper()
	dep, err := p.wlt.PegIn(p.ctx, &apiv1.PegInRequest{AmountSat: amount,
		SideAddress: p.sideAddress(), FeeRateSatVb: 2})
	if err != nil {
		p.t.Fatal(err)
	}
	p.waitMinted(dep.Txid, p.all)
	return dep.Txid
}

// waitMinted mines on live until node a reports the deposit minted.
func (p *pegNet) waitMinted(txid string, live []*devnet.Node) {
	p.t.Helper()
	for i := 0; ; i++ {
		p.e.mine(live)
		d, err := p.peg.GetDeposit(p.ctx, &apiv1.GetDepositRequest{
			Deposit: &apiv1.GetDepositRequest_Txid{Txid: txid}})
		if err == nil && d.GetAccepted().GetStatus() == apiv1.DepositStatus_DEPOSIT_STATUS_MINTED {
			return
		}
		if i > 10 {
			p.t.Fatalf("deposit %s never minted: %v %v", txid, d, err)
		}
	}
}

// miningAddress is btcd's mining address, where withdrawals pay.
func (p *pegNet) miningAddress() string {
	p.t.Helper()
	_, addrs, _, err := txscript.ExtractPkScriptAddrs(p.net.H.MiningScript, p.net.H.Params)
	if err != nil || len(addrs) != 1 {
		p.t.Fatalf("mining address: %v", err)
	}
	return addrs[0].EncodeAddress()
}

// pegOut withdraws amount from node a's sidechain wallet to btcd's mining
// address, with a fee budget of pegFeeBudget.
func (p *pegNet) pegOut(amount int64) *apiv1.PegOutResponse {
	p.t.Helper()
	out, err := p.wlt.PegOut(p.ctx, &apiv1.PegOutRequest{AmountSat: amount,
		DestinationAddress: p.miningAddress(), FeeSat: pegFeeBudget})
	if err != nil {
		p.t.Fatal(err)
	}
	if out.BurnedSat != amount+pegFeeBudget {
		p.t.Fatalf("burned %d, want %d", out.BurnedSat, amount+pegFeeBudget)
	}
	return out
}

// stage returns node a's view of a withdrawal.
func (p *pegNet) stage(out *apiv1.PegOutResponse) *apiv1.GetWithdrawalResponse {
	p.t.Helper()
	w, err := p.peg.GetWithdrawal(p.ctx, &apiv1.GetWithdrawalRequest{
		Outpoint: out.Txid + ":" + strconv.FormatUint(uint64(out.Vout), 10)})
	if err != nil {
		p.t.Fatal(err)
	}
	return w
}

// payoutIn mines on live until node a sees a payout mined, at most max
// blocks, and returns its txid and block; "" if none.
func (p *pegNet) payoutIn(live []*devnet.Node, max int) (string, int) {
	p.t.Helper()
	for i := 0; i < max; i++ {
		mark := p.all[0].Mark()
		p.e.mine(live)
		lctx, lcancel := context.WithTimeout(p.ctx, 2*time.Second)
		line, _ := p.all[0].WaitLine(lctx, mark, func(l string) bool {
			return strings.Contains(l, "Payout ") && strings.Contains(l, " of sideblock ")
		})
		lcancel()
		if line != "" {
			fields := strings.Fields(line[strings.Index(line, "Payout "):])
			h, err := strconv.Atoi(fields[len(fields)-1])
			if err != nil {
				p.t.Fatalf("payout line %q", line)
			}
			return fields[1], h
		}
	}
	return "", 0
}

// audited checks that node a's supply audit matches to the satoshi, and
// that the sidechain's UTXO set holds exactly its subsidy and the pegged
// coins (the tests burn nothing else), and returns it.
func (p *pegNet) audited() *apiv1.PegAudit {
	p.t.Helper()
	a := p.info().Audit
	if !a.Matches || a.SideBlockCount == 0 || a.SideDestroyedSat != 0 ||
		a.SideUtxoValueSat != a.SideSubsidySat+a.PeggedSupplySat {
		p.t.Fatalf("the supply audit does not match: %v", a)
	}
	return a
}

// depositTo sends value from btcd's wallet to pkScript with a 'D' payload
// naming sideScript, as any outside wallet could; the harness can then
// sign a double spend of it.
func depositTo(t *testing.T, net *devnet.Net, pkScript, sideScript []byte, value int64) *wire.MsgTx {
	t.Helper()
	nullData, err := opreturn.Encode(net.Params.SidechainID,
		&opreturn.Deposit{Vout: 0, SideScript: sideScript})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := net.H.Send([]*wire.TxOut{wire.NewTxOut(value, pkScript),
		wire.NewTxOut(0, nullData)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}
