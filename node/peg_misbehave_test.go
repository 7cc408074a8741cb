package node_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/devnet"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/pegbox"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// TestPegMisbehavingFederation has the federation of four staking
// sidenodes on a real btcd misbehave in the two ways of issue 11, after
// an honest deposit and payout: three members sign a spend of the
// payout's change that sends 11,000 sat to an outside address, and a
// spend of an unbacked pegbox coin (a plain payment to the pegbox) into a
// new deposit. Every node reports both as unexplained with the rule they
// break, counts neither as a fee, refuses the deposit, warns, and shows
// them in its gauges; the honest payout stays valid. The state hashes of
// the four are equal at every height. A fifth node synced from scratch
// afterwards, whose sideblock bodies arrive from its peers while or after
// it applies the mainchain, reports the same spends at once, the same
// whole audit once it holds the bodies, and the same state hash from then
// on: the verdicts are not part of the state.
func TestPegMisbehavingFederation(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	// Every live node holds each body before the next block: their state
	// hashes are the same at every height (docs/protocol.md §1.5).
	p := newPegNetWith(t, true, "e")
	net, e, all, ctx := p.net, p.e, p.all, p.ctx
	fresh := p.late[0]
	info := p.info()
	fed := apiFederation(t, info.Federation)
	script := addressScript(t, info.Federation.Address, net.H.Params)
	members := []*btcec.PrivateKey{all[0].StakePriv, all[1].StakePriv, all[2].StakePriv}

	// An honest deposit and payout: the payout's verdict depends on the
	// body of the sideblock it pays.
	const deposit, amount = 100_000_000, 10_000_000
	p.pegIn(deposit)
	p.pegOut(amount)
	payout, _ := p.payoutIn(all, 20)
	if payout == "" {
		t.Fatal("no payout")
	}
	settle(t, e, all)
	honest := p.audited()
	if honest.PaidSat != amount+pegFeeBudget || honest.UnexplainedCount != 0 {
		t.Fatalf("the honest audit: %v", honest)
	}

	marks := make([]int, len(all))
	for i, n := range all {
		marks[i] = n.Mark()
	}
	// 1. 11,000 of the payout's change to an outside address, the rest
	// back but a fee of 1,000.
	change := pegboxCoin(t, rawTx(t, p, payout), script)
	stranger, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	outside := sideScriptOf(t, stranger)
	theft := fedSpend(t, net, fed, members, change,
		wire.NewTxOut(11_000, outside), wire.NewTxOut(change.Value-12_000, script))

	// 2. A plain payment to the pegbox (an unbacked coin), then its spend
	// into a deposit of 49,000 to a sidechain script of the federation's.
	gift, err := net.H.Send([]*wire.TxOut{wire.NewTxOut(50_000, script)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	e.mine(all)
	payload, err := opreturn.Encode(net.Params.SidechainID,
		&opreturn.Deposit{Vout: 0, SideScript: sideScriptOf(t, members[0])})
	if err != nil {
		t.Fatal(err)
	}
	fedDep := fedSpend(t, net, fed, members, pegboxCoin(t, gift, script),
		wire.NewTxOut(49_000, script), wire.NewTxOut(0, payload))
	// Past the deposit's confirmations: it would be minted by now.
	for i := int32(0); i <= net.Params.DepositConfirmations; i++ {
		e.mine(all)
	}
	settle(t, e, all)

	// check asks node n for its audit and its word on the deposit.
	check := func(n *devnet.Node) *apiv1.PegAudit {
		t.Helper()
		conn := p.dial(n)
		peg := apiv1.NewPegServiceClient(conn)
		info, err := peg.GetPegInfo(ctx, &apiv1.GetPegInfoRequest{})
		if err != nil {
			t.Fatal(err)
		}
		a := info.Audit
		us := a.UnexplainedSpends
		if a.Matches || a.UnexplainedCount != 2 || len(us) != 2 || a.UnexplainedSat != 13_000 {
			t.Fatalf("%s: audit %v", n.Spec.Name, a)
		}
		if us[0].Txid != theft.TxHash().String() || us[0].Code != "ErrSpendNoPayload" ||
			us[0].OutSat != 12_000 || us[0].SpentSat != change.Value {
			t.Errorf("%s: the spend to an outside address: %v", n.Spec.Name, us[0])
		}
		if us[1].Txid != fedDep.TxHash().String() || us[1].Code != "ErrDepositSpendsPegbox" ||
			us[1].OutSat != 1_000 || us[1].SpentSat != 50_000 {
			t.Errorf("%s: the deposit funded by the pegbox: %v", n.Spec.Name, us[1])
		}
		// Neither is a fee of the pegbox's, and the refused deposit's
		// coin backs nothing.
		if a.BumpFeesSat != 0 || a.RotationFeesSat != 0 || a.PaidSat != honest.PaidSat ||
			a.MintedSat != deposit || a.UnbackedSat != honest.UnbackedSat+50_000 {
			t.Errorf("%s: audit %v", n.Spec.Name, a)
		}
		d, err := peg.GetDeposit(ctx, &apiv1.GetDepositRequest{
			Deposit: &apiv1.GetDepositRequest_Txid{Txid: fedDep.TxHash().String()}})
		if err != nil || d.GetRefused().GetReason() != "ErrDepositSpendsPegbox" {
			t.Errorf("%s: the pegbox-funded deposit: %v, %v", n.Spec.Name, d, err)
		}
		return a
	}
	// Every node reports both, warns of each once, and shows them in its
	// gauges.
	for i, n := range all {
		check(n)
		for _, tx := range []*wire.MsgTx{theft, fedDep} {
			wctx, cancel := context.WithTimeout(ctx, time.Minute)
			_, err := n.WaitContains(wctx, marks[i], "UNEXPLAINED PEGBOX SPEND "+tx.TxHash().String())
			cancel()
			if err != nil {
				t.Errorf("%s: no warning of %v: %v", n.Spec.Name, tx.TxHash(), err)
			}
		}
		got, err := scrapeMetrics(n.MetricsAddr)
		if err != nil || got["sidenode_peg_unexplained_spends"] != "2" ||
			got["sidenode_peg_unexplained_satoshis"] != "13000" ||
			got["sidenode_peg_unchecked_spends"] != "0" {
			t.Errorf("%s: gauges %v %v %v (%v)", n.Spec.Name, got["sidenode_peg_unexplained_spends"],
				got["sidenode_peg_unexplained_satoshis"], got["sidenode_peg_unchecked_spends"], err)
		}
	}
	sameStateHashes(t, p, all, 0)

	// A node synced from scratch while its peers are down, so that it
	// holds no sideblock body: the spends are its to judge from the
	// mainchain alone, at once; the honest payout it cannot check yet.
	for _, n := range all {
		n.Stop()
	}
	mark := fresh.Mark()
	if err := fresh.Start(); err != nil {
		t.Fatal(err)
	}
	waitTip(t, net, fresh, mark)
	first, err := apiv1.NewPegServiceClient(p.dial(fresh)).GetPegInfo(ctx, &apiv1.GetPegInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if a := first.Audit; a.UnexplainedCount != 2 || a.UncheckedCount != 1 || a.Matches ||
		a.UncheckedSat != honest.OutflowSat {
		t.Fatalf("the fresh node without bodies: %v", a)
	}
	if got, err := scrapeMetrics(fresh.MetricsAddr); err != nil ||
		got["sidenode_peg_unexplained_spends"] != "2" || got["sidenode_peg_unchecked_spends"] != "1" {
		t.Errorf("the fresh node's gauges: %v %v (%v)", got["sidenode_peg_unexplained_spends"],
			got["sidenode_peg_unchecked_spends"], err)
	}
	// Its peers come back: the bodies arrive late, and its verdicts and
	// state agree with theirs once it holds them. A node that restarts
	// misses the bodies announced meanwhile until their headers are
	// published: no waiting for bodies until they agree.
	e.bodies = false
	for _, n := range all {
		mark := n.Mark()
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		waitTip(t, net, n, mark)
	}
	everyone := append(append([]*devnet.Node(nil), all...), fresh)
	settle(t, e, everyone)
	want := check(all[0])
	if got := check(fresh); got.UncheckedCount != 0 || got.String() != want.String() {
		t.Fatalf("the fresh node's audit %v, node a's %v", got, want)
	}
	// From the block it applied holding the bodies, it agrees with the
	// others at every height; before, it lacked bodies they held, which
	// the state hash shows (docs/protocol.md §1.5) whatever the verdicts.
	agreed, _, err := net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	e.bodies = true
	for i := 0; i < 3; i++ {
		e.mine(everyone)
	}
	sameStateHashes(t, p, everyone, agreed)
	sameStateHashes(t, p, all, 0)
}

// apiFederation returns the federation the API shows.
func apiFederation(t *testing.T, f *apiv1.Federation) *pegbox.Federation {
	t.Helper()
	var keys []*btcec.PublicKey
	for _, k := range f.Pubkeys {
		b, err := hex.DecodeString(k)
		if err != nil {
			t.Fatal(err)
		}
		key, err := btcec.ParsePubKey(b)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key)
	}
	fed, err := pegbox.NewFederation(f.Epoch, keys)
	if err != nil {
		t.Fatal(err)
	}
	return fed
}

// pegboxCoin returns the output of tx that pays script.
func pegboxCoin(t *testing.T, tx *wire.MsgTx, script []byte) pegbox.Coin {
	t.Helper()
	for i, out := range tx.TxOut {
		if bytes.Equal(out.PkScript, script) {
			return pegbox.Coin{OutPoint: wire.OutPoint{Hash: tx.TxHash(), Index: uint32(i)},
				Value: out.Value, PkScript: script}
		}
	}
	t.Fatalf("transaction %v pays no pegbox", tx.TxHash())
	return pegbox.Coin{}
}

// sideScriptOf returns a P2WPKH script of key (for either chain).
func sideScriptOf(t *testing.T, key *btcec.PrivateKey) []byte {
	t.Helper()
	h := chainhash.HashB(key.PubKey().SerializeCompressed())
	return append([]byte{0x00, 0x14}, h[:20]...)
}

// fedSpend has members of fed sign the spend of coin to outs, sends it to
// btcd and returns it.
func fedSpend(t *testing.T, net *devnet.Net, fed *pegbox.Federation, members []*btcec.PrivateKey,
	coin pegbox.Coin, outs ...*wire.TxOut) *wire.MsgTx {

	t.Helper()
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&coin.OutPoint, nil, nil))
	for _, o := range outs {
		tx.AddTxOut(o)
	}
	sig, err := pegbox.NewSigning(tx, []pegbox.Coin{coin}, fed, net.H.Params)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range members {
		pkt, err := sig.Sign(k)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sig.Add(pkt); err != nil {
			t.Fatal(err)
		}
	}
	signed, ok, err := sig.Complete()
	if err != nil || !ok {
		t.Fatalf("the federation's spend: complete %v, %v", ok, err)
	}
	if _, err := net.H.Client().SendRawTransaction(signed, false); err != nil {
		t.Fatalf("send the federation's spend: %v", err)
	}
	return signed
}

// sameStateHashes checks that nodes report the same state hash at every
// mainchain height from from to btcd's tip.
func sameStateHashes(t *testing.T, p *pegNet, nodes []*devnet.Node, from int32) {
	t.Helper()
	tip, _, err := p.net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	clients := make([]apiv1.NodeServiceClient, len(nodes))
	for i, n := range nodes {
		clients[i] = apiv1.NewNodeServiceClient(p.dial(n))
	}
	for h := from; h <= tip; h++ {
		var want string
		for i, c := range clients {
			resp, err := c.GetStateHash(p.ctx, &apiv1.GetStateHashRequest{Height: h})
			if err != nil {
				t.Fatalf("%s: state hash at %d: %v", nodes[i].Spec.Name, h, err)
			}
			got := resp.GetStateHash()
			if i == 0 {
				want = got
			} else if got != want {
				t.Errorf("state hash at %d: %s has %s, %s has %s", h, nodes[i].Spec.Name,
					got, nodes[0].Spec.Name, want)
			}
		}
	}
}
