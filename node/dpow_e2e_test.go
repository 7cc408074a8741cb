package node_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/devnet"
	"github.com/mainstake/sidenode/notarize"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// notarizeOnBtcd makes a notarization that counts by hand, as a round
// would: it funds notaries 0, 1 and 2 of powdpowregtest's season 0 (the
// threshold), mines the funding, then builds the `N` transaction of block
// at height (its inputs the three funding outputs, in notary order, its
// change back to each notary's script), signs each input with the
// notary's DevNotaryKey (SIGHASH_ALL, through btcd's txscript), sends it
// and mines MainConfirmations blocks on it. mine mines one mainchain block
// (nil: btcd's Generate). It returns the transaction.
func notarizeOnBtcd(t *testing.T, h *btctest.Harness, params *chainparams.Params,
	height int32, block chainhash.Hash, mine func()) *wire.MsgTx {
	t.Helper()
	const value, fee = 100_000, 1_500
	season := params.Notary.Seasons[0]
	signers := []int{0, 1, 2}
	tx := wire.NewMsgTx(2)
	prevs := make(map[wire.OutPoint]*wire.TxOut)
	var ins []*wire.TxOut
	for _, i := range signers {
		script := notarize.NotaryScript(season.Pubkeys[i])
		fund, _, err := h.SendToScript(script, value)
		if err != nil {
			t.Fatal(err)
		}
		vout := -1
		for j, o := range fund.TxOut {
			if bytes.Equal(o.PkScript, script) && o.Value == value {
				vout = j
			}
		}
		if vout < 0 {
			t.Fatalf("funding %v pays no output to notary %d", fund.TxHash(), i)
		}
		op := wire.OutPoint{Hash: fund.TxHash(), Index: uint32(vout)}
		tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
		prevs[op] = fund.TxOut[vout]
		ins = append(ins, fund.TxOut[vout])
	}
	if mine == nil {
		mine = func() {
			if _, err := h.Generate(1); err != nil {
				t.Fatal(err)
			}
		}
	}
	mine()
	payload, err := notarize.EncodePayload(notarize.Payload{Height: height, Block: block},
		params)
	if err != nil {
		t.Fatal(err)
	}
	tx.AddTxOut(wire.NewTxOut(0, payload))
	for k := range signers {
		tx.AddTxOut(wire.NewTxOut(value-fee/int64(len(signers)), ins[k].PkScript))
	}
	hashes := txscript.NewTxSigHashes(tx, txscript.NewMultiPrevOutFetcher(prevs))
	for k, i := range signers {
		w, err := txscript.WitnessSignature(tx, hashes, k, ins[k].Value, ins[k].PkScript,
			txscript.SigHashAll, chainparams.DevNotaryKey(i), true)
		if err != nil {
			t.Fatal(err)
		}
		tx.TxIn[k].Witness = w
	}
	if _, err := h.Client().SendRawTransaction(tx, false); err != nil {
		t.Fatalf("sending the notarization: %v", err)
	}
	for i := int32(0); i < params.Notary.MainConfirmations; i++ {
		mine()
	}
	return tx
}

// confirmationsAt returns the node's confirmations status of the best
// sidechain's block at height.
func confirmationsAt(t *testing.T, ctx context.Context, n *devnet.Node, height int32) *apiv1.GetConfirmationsResponse {
	t.Helper()
	conn, err := n.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r, err := apiv1.NewSidechainServiceClient(conn).GetConfirmations(ctx,
		&apiv1.GetConfirmationsRequest{Target: &apiv1.GetConfirmationsRequest_Height{Height: height}})
	if err != nil {
		t.Fatalf("%s: confirmations at height %d: %v", n.Spec.Name, height, err)
	}
	return r
}

// logTails logs every node's log tail when the test failed.
func logTails(t *testing.T, nodes ...*devnet.Node) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, n := range nodes {
			t.Logf("--- %s", n.Spec.Name)
			for _, l := range n.Tail(40) {
				t.Log(l)
			}
		}
	})
}

// TestDpowNotarizationEndToEnd runs btcd and four powdpowregtest nodes:
// a mines and b follows it; p mines a private chain from genesis, on its
// own; c starts late. A notarization of a's block at height 5, signed by
// three of the five dev notaries and mined on btcd, counts on a and b (the
// tracker is fed the mainchain blocks), and on c, which saw it on the
// mainchain before it had the sideblock (the recheck after sideblock
// bodies arrive counts it); their confirmations change: dPoW counting
// reports 1 for a confirmed block until the notarization covers it, then
// the raw count. a restarts
// connected to p, whose chain has more work and forks at genesis, below
// the notarized height: a restores the notarization before it takes any
// sideblock and refuses p's chain, logging the competing tip and its
// work; a and b keep the same state hash.
func TestDpowNotarizationEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	params := &chainparams.PowDpowRegtest
	net, err := devnet.NewOn(t.TempDir(), sidenodeBinary(t), params, []devnet.NodeSpec{
		{Name: "a", Backend: "btcd"},
		{Name: "b", Backend: "btcd"},
		{Name: "p", Backend: "btcd", Isolated: true},
		{Name: "c", Backend: "btcd", Isolated: true},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopNet(t, net) })
	a, b, p, c := net.Nodes[0], net.Nodes[1], net.Nodes[2], net.Nodes[3]
	logTails(t, a, b, p, c)
	// Mature coins for the notaries' funding.
	if _, err := net.H.Generate(101); err != nil {
		t.Fatal(err)
	}
	if err := a.Start("--mine", "--minethreads=1"); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	if err := p.Start("--mine", "--minethreads=1"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	powInfo(t, ctx, a, "sidechain height 9", func(i *apiv1.GetInfoResponse) bool {
		return i.Sidechain.Height >= 9
	})
	// a stops mining.
	a.Stop()
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	tip := powAgree(t, net, []*devnet.Node{a, b})

	// Before any notarization: dPoW counting reports 1 for a block the
	// raw figures confirm deeper.
	if _, err := net.H.Generate(2); err != nil {
		t.Fatal(err)
	}
	powAgree(t, net, []*devnet.Node{a, b})
	before := confirmationsAt(t, ctx, a, 3)
	if !before.DpowCounting || before.Notarized || before.Notarization != nil ||
		before.RawConfirmations < 2 || before.Confirmations != 1 {
		t.Fatalf("before the notarization: %v", before)
	}
	info, err := a.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := info.Notarization; st == nil || st.Notarized || st.Health != "none" ||
		st.LagBlocks != tip+1 || !st.DpowCounting {
		t.Fatalf("notarization status before the first: %v", info.Notarization)
	}

	const height = 5
	block := confirmationsAt(t, ctx, a, height).BlockHash
	hash, err := chainhash.NewHashFromStr(block)
	if err != nil {
		t.Fatal(err)
	}
	ntx := notarizeOnBtcd(t, net.H, params, height, *hash, nil)
	for _, n := range []*devnet.Node{a, b} {
		powInfo(t, ctx, n, "the notarization", func(i *apiv1.GetInfoResponse) bool {
			return i.Notarization.GetNotarized()
		})
	}
	powAgree(t, net, []*devnet.Node{a, b})
	info, err = a.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := info.Notarization
	if st.NotarizedHeight != height || st.NotarizedBlock != block || st.Txid != ntx.TxHash().String() ||
		st.Health != "regular" || st.LagBlocks != tip-height || st.NextHeight != 10 ||
		len(st.Signers) != 3 || len(st.SignerPubkeys) != 3 || st.Confirmations < 2 {
		t.Fatalf("notarization status: %v", st)
	}
	after := confirmationsAt(t, ctx, a, 3)
	if !after.Notarized || after.Notarization.GetTxid() != ntx.TxHash().String() ||
		after.Notarization.GetNotarizedHeight() != height ||
		after.RawConfirmations < 2 || after.Confirmations != after.RawConfirmations {
		t.Fatalf("a notarized block: %v", after)
	}
	above := confirmationsAt(t, ctx, a, height+2)
	if above.Notarized || above.RawConfirmations < 2 || above.Confirmations != 1 {
		t.Fatalf("a block above the notarization: %v", above)
	}
	t.Logf("notarized height %d by %v; confirmations at height 3: %d before (raw %d), %d after",
		height, ntx.TxHash(), before.Confirmations, before.RawConfirmations, after.Confirmations)

	// c starts now, alone: it follows the mainchain, where the
	// notarization waits for its sideblock. Restarted next to a, it takes
	// the sidechain from a with no mainchain block to come: only the
	// recheck after the bodies arrive can count it.
	mark := c.Mark()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	mainTip, _, err := net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	powInfo(t, ctx, c, "btcd's tip", func(i *apiv1.GetInfoResponse) bool {
		return i.Mainchain.TipHeight == mainTip
	})
	if _, err := c.WaitContains(ctx, mark, "waits (ErrUnknownBlock)"); err != nil {
		t.Fatalf("c: the notarization does not wait for its block: %v", err)
	}
	c.Stop()
	if err := c.Start("--p2p.addpeer=" + a.P2PAddr); err != nil {
		t.Fatal(err)
	}
	powInfo(t, ctx, c, "the notarization", func(i *apiv1.GetInfoResponse) bool {
		return i.Notarization.GetNotarized()
	})
	powAgree(t, net, []*devnet.Node{a, b, c})
	c.Stop()

	// p's private chain grows well past a's, then stops.
	powInfo(t, ctx, p, "a longer private chain", func(i *apiv1.GetInfoResponse) bool {
		return i.Sidechain.Height >= 2*tip+6
	})
	p.Stop()
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}

	// a restarts connected to p.
	a.Stop()
	mark = a.Mark()
	if err := a.Start("--p2p.addpeer=" + p.P2PAddr); err != nil {
		t.Fatal(err)
	}
	line, err := a.WaitContains(ctx, mark, "refused by the notarization guard")
	if err != nil {
		t.Fatalf("a never refused p's chain: %v", err)
	}
	t.Logf("a: %s", line)
	if !strings.Contains(line, "work ") || !strings.Contains(line, "forking at height 0") ||
		!strings.Contains(line, "ErrReorgBelowNotarized") {
		t.Fatalf("the refusal does not name the competing work, the fork and the rule: %s", line)
	}
	if _, err := a.WaitContains(ctx, mark, "Last notarization: sideblock "+block); err != nil {
		t.Fatalf("a did not log the notarization it restored: %v", err)
	}
	powAgree(t, net, []*devnet.Node{a, b})
	info, err = a.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Sidechain.Height != tip || info.Notarization.GetNotarizedHeight() != height {
		t.Fatalf("after p's chain: a at height %d (was %d), %v", info.Sidechain.Height, tip,
			info.Notarization)
	}
	if c := confirmationsAt(t, ctx, a, 3); !c.Notarized {
		t.Fatalf("after the restart: %v", c)
	}

	// Per transaction (sidecli tx): the coinbase of the block at height
	// 3 is notarized, the one of height 7 is not.
	for _, tc := range []struct {
		height    uint64
		notarized bool
	}{{3, true}, {height + 2, false}} {
		tx := txAt(t, ctx, a, tc.height)
		want := int32(1)
		if tc.notarized {
			want = tx.NumConfirmations
		}
		if tx.Notarized != tc.notarized || !tx.DpowCounting || tx.NumConfirmations < 2 ||
			tx.DpowConfirmations != want {
			t.Fatalf("coinbase at height %d: %v", tc.height, tx)
		}
	}

	// --nodpowconfs: the raw figures.
	b.Stop()
	if err := b.Start("--nodpowconfs"); err != nil {
		t.Fatal(err)
	}
	powAgree(t, net, []*devnet.Node{a, b})
	if c := confirmationsAt(t, ctx, b, height+2); c.DpowCounting || c.Notarized ||
		c.Confirmations != c.RawConfirmations || c.RawConfirmations < 2 {
		t.Fatalf("with --nodpowconfs: %v", c)
	}
}

// txAt returns GetTransaction of the coinbase of the best sidechain's block
// at height.
func txAt(t *testing.T, ctx context.Context, n *devnet.Node, height uint64) *apiv1.GetTransactionResponse {
	t.Helper()
	conn, err := n.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	side := apiv1.NewSidechainServiceClient(conn)
	blk, err := side.GetBlock(ctx, &apiv1.GetBlockRequest{Block: &apiv1.GetBlockRequest_Height{Height: height}, Limit: 1})
	if err != nil || len(blk.Txids) == 0 {
		t.Fatalf("block at height %d: %v %v", height, blk, err)
	}
	tx, err := side.GetTransaction(ctx, &apiv1.GetTransactionRequest{Txid: blk.Txids[0]})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// TestDpowMainstakeNotarization runs notarization under mainstake
// (dpowregtest, two staking nodes on btcd): a notarization of the block at
// height 5 counts on both, with the same state hash, and their
// confirmations count it; a mainchain reorg that leaves the notarization
// out of the new blocks takes it back on both.
func TestDpowMainstakeNotarization(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	params := &chainparams.DpowRegtest
	net, err := devnet.NewOn(t.TempDir(), sidenodeBinary(t), params, []devnet.NodeSpec{
		{Name: "a", Backend: "btcd", Stake: 200_000_000},
		{Name: "b", Backend: "btcd", Stake: 100_000_000},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopNet(t, net) })
	all := net.Nodes
	logTails(t, all...)
	e := &e2e{t: t, net: net, produced: make(map[string]int), bodies: true}
	for _, n := range all {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	matureAndStake(t, net, 2000)
	_, side := e.agree(all)
	for side < 9 || side >= 1<<31 { // -1: an empty sidechain
		e.mine(all)
		_, side = e.agree(all)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	a := all[0]
	if c := confirmationsAt(t, ctx, a, 3); !c.DpowCounting || c.Notarized ||
		c.RawConfirmations < 2 || c.Confirmations != 1 {
		t.Fatalf("before the notarization: %v", c)
	}
	const height = 5
	block := confirmationsAt(t, ctx, a, height).BlockHash
	hash, err := chainhash.NewHashFromStr(block)
	if err != nil {
		t.Fatal(err)
	}
	ntx := notarizeOnBtcd(t, net.H, params, height, *hash, func() { e.mine(all) })
	e.agree(all)
	for _, n := range all {
		info, err := n.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st := info.Notarization; !st.GetNotarized() || st.NotarizedBlock != block ||
			st.Txid != ntx.TxHash().String() {
			t.Fatalf("%s: notarization status %v", n.Spec.Name, st)
		}
	}
	if c := confirmationsAt(t, ctx, a, 3); !c.Notarized || c.Confirmations != c.RawConfirmations ||
		c.RawConfirmations < 2 {
		t.Fatalf("a notarized block: %v", c)
	}

	// A mainchain reorg whose new blocks leave the notarization out.
	notTx := func(tx *wire.MsgTx) bool { return tx.TxHash() == ntx.TxHash() }
	marks := []int{all[0].Mark(), all[1].Mark()}
	if _, err := net.H.ReorgExcluding(2, 1, notTx); err != nil {
		t.Fatal(err)
	}
	for i, n := range all {
		if _, err := n.WaitContains(ctx, marks[i], "disconnected block"); err != nil {
			t.Fatalf("%s: reorg: %v", n.Spec.Name, err)
		}
	}
	e.exclude = notTx
	e.mine(all)
	e.agree(all)
	for _, n := range all {
		info, err := n.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.Notarization.GetNotarized() {
			t.Fatalf("%s: the reorg left the notarization: %v", n.Spec.Name, info.Notarization)
		}
	}
	if c := confirmationsAt(t, ctx, a, 3); c.Notarized || c.Confirmations != 1 {
		t.Fatalf("after the reorg: %v", c)
	}
}
