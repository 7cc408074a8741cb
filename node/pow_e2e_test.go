package node_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/devnet"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
	"github.com/mainstake/sidenode/sideblock"
)

// powNet starts btcd and pow sidenodes (powregtest) for the specs.
func powNet(t *testing.T, specs []devnet.NodeSpec) *devnet.Net {
	t.Helper()
	net, err := devnet.NewOn(t.TempDir(), sidenodeBinary(t), &chainparams.PowRegtest, specs, nil)
	if err != nil {
		t.Fatal(err)
	}
	cleanupPowNet(t, net)
	return net
}

// cleanupPowNet stops the net when the test ends, after logging its
// report (reportNet) if the test failed.
func cleanupPowNet(t *testing.T, net *devnet.Net) {
	t.Cleanup(func() { stopNet(t, net) })
	t.Cleanup(func() {
		if t.Failed() {
			reportNet(t, net)
		}
	})
}

// reported holds the nets whose report a test logged already.
var reported sync.Map // *devnet.Net → bool

// reportNet logs, once per net, what every node of a failing test's net
// was doing, for a failure to be understood from the test's output alone
// (devnet.Net.Report): whether it had a sidechain peer and where its
// chains stand, the lines around its longest pauses of more than 10 s (a
// stalled node logs nothing), its last peer lines, warnings and errors,
// and its last 40 lines; then it ends each node with SIGQUIT and logs the
// goroutines that had waited a minute or more on a lock or a channel
// (devnet.Node.Stuck). The test must not use the nodes afterwards.
func reportNet(t *testing.T, net *devnet.Net) {
	t.Helper()
	if _, done := reported.LoadOrStore(net, true); done {
		return
	}
	t.Logf("the nodes at %s:", time.Now().Format("15:04:05.000"))
	for _, l := range net.Report(10*time.Second, 40, 200) {
		t.Log(l)
	}
	// Last, as it ends them: the goroutines of each node that waited
	// long on a lock or a channel, which a stall leaves behind.
	for _, n := range net.Nodes {
		for _, l := range n.Stuck(4) {
			t.Log(l)
		}
	}
}

// powInfo waits until fn accepts the node's info.
func powInfo(t *testing.T, ctx context.Context, n *devnet.Node, what string,
	fn func(*apiv1.GetInfoResponse) bool) *apiv1.GetInfoResponse {
	t.Helper()
	for {
		info, err := n.Info(ctx)
		if err == nil && fn(info) {
			return info
		}
		if ctx.Err() != nil {
			reportNet(t, n.Net())
			t.Fatalf("%s: %s never came (last info %v, %v)", n.Spec.Name, what, info, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// powAgree waits until every node is at btcd's tip and holds the same
// sidechain tip, then checks that all report the same state hash, and
// returns the tip's height. Nothing may be mining.
func powAgree(t *testing.T, net *devnet.Net, nodes []*devnet.Node) int32 {
	t.Helper()
	height, hash, err := net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var infos []*apiv1.GetInfoResponse
	for {
		infos = infos[:0]
		same := true
		for _, n := range nodes {
			info, err := n.Info(ctx)
			if err != nil || info.Mainchain.TipHeight != height ||
				info.Mainchain.TipHash != hash.String() ||
				(len(infos) > 0 && info.Sidechain.TipHash != infos[0].Sidechain.TipHash) {
				same = false
				break
			}
			infos = append(infos, info)
		}
		if same {
			break
		}
		if ctx.Err() != nil {
			reportNet(t, net)
			t.Fatalf("the nodes never agreed on a sidechain tip at mainchain %d", height)
		}
		time.Sleep(50 * time.Millisecond)
	}
	first := infos[0]
	for i, info := range infos[1:] {
		if info.StateHash != first.StateHash {
			t.Fatalf("at sidechain tip %s: %s has state hash %s, %s has %s",
				first.Sidechain.TipHash, nodes[i+1].Spec.Name, info.StateHash,
				nodes[0].Spec.Name, first.StateHash)
		}
	}
	return first.Sidechain.Height
}

// TestPowEndToEnd runs btcd and two pow sidenodes: one mines with --mine
// while btcd mines the mainchain, the other follows it through the peer
// protocol (headers first); both agree on the state hash; a restart
// resumes from the store; a mainchain reorg that removes the main
// reference of the newest sideblocks disconnects them on both, and they
// agree again.
func TestPowEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	net := powNet(t, []devnet.NodeSpec{
		{Name: "miner", Backend: "btcd"},
		{Name: "follower", Backend: "btcd"},
	})
	miner, follower := net.Nodes[0], net.Nodes[1]
	if _, err := net.H.Generate(5); err != nil {
		t.Fatal(err)
	}
	if err := miner.Start("--mine", "--minethreads=1"); err != nil {
		t.Fatal(err)
	}
	if err := follower.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	// Mainchain blocks come while the sidechain grows, so the
	// sideblocks' references differ. When each step was reached goes to
	// the test's log, to set beside the nodes' logs if it fails.
	for _, target := range []int32{10, 20, 30} {
		powInfo(t, ctx, miner, "the next sidechain height", func(i *apiv1.GetInfoResponse) bool {
			return i.Sidechain.Height >= target
		})
		if _, err := net.H.Generate(1); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: the miner reached sidechain height %d; one more mainchain block",
			time.Now().Format("15:04:05.000"), target)
	}
	powInfo(t, ctx, follower, "sidechain height 30", func(i *apiv1.GetInfoResponse) bool {
		return i.Sidechain.Height >= 30
	})
	t.Logf("%s: the follower reached sidechain height 30", time.Now().Format("15:04:05.000"))

	// Stop mining (a restart without --mine) and compare.
	miner.Stop()
	if err := miner.Start(); err != nil {
		t.Fatal(err)
	}
	before := powAgree(t, net, net.Nodes)
	t.Logf("both nodes agree at sidechain height %d", before)

	// An outside miner: a template from the follower, a long poll that
	// returns when the block it mines is in, and the block submitted
	// through the API.
	mined := mineThroughAPI(t, ctx, follower)
	before = powAgree(t, net, net.Nodes)
	info, err := miner.Info(ctx)
	if err != nil || info.Sidechain.TipHash != mined {
		t.Fatalf("the block mined through the API (%s) is not the tip: %v %v", mined, info, err)
	}

	// A mainchain reorg of the last two blocks: the sideblocks whose
	// reference was one of them leave the best chain on both nodes.
	if _, err := net.H.Reorg(2, 1); err != nil {
		t.Fatal(err)
	}
	after := powAgree(t, net, net.Nodes)
	t.Logf("after the mainchain reorg: sidechain height %d", after)
	if after >= before {
		t.Fatalf("sidechain height %d after a mainchain reorg that removed "+
			"references, was %d", after, before)
	}
}

// TestPowPartition mines on both sides of a partition, heals it, and kills
// the node that must reorganize with SIGKILL while it does: every node ends
// on the chain with the most work, with the same state hash.
func TestPowPartition(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	net := powNet(t, []devnet.NodeSpec{
		{Name: "a", Backend: "btcd", Isolated: true},
		{Name: "b", Backend: "btcd", Isolated: true},
	})
	a, b := net.Nodes[0], net.Nodes[1]
	if _, err := net.H.Generate(5); err != nil {
		t.Fatal(err)
	}
	// a mines with two threads, b with one: a's branch is heavier.
	if err := a.Start("--mine", "--minethreads=2"); err != nil {
		t.Fatal(err)
	}
	if err := b.Start("--mine", "--minethreads=1"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	for _, n := range []*devnet.Node{a, b} {
		powInfo(t, ctx, n, "sidechain height 12", func(i *apiv1.GetInfoResponse) bool {
			return i.Sidechain.Height >= 12
		})
	}
	// Both stop mining; b comes back connected to a.
	ia, err := a.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a.Stop()
	b.Stop()
	// a comes back alone, then b connected to it: the node on the
	// lighter branch reorganizes; it is killed with SIGKILL as it does,
	// and started again.
	marks := []int{a.Mark(), b.Mark()}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	if err := b.Start("--p2p.addpeer=" + a.P2PAddr); err != nil {
		t.Fatal(err)
	}
	args := [][]string{nil, {"--p2p.addpeer=" + a.P2PAddr}}
	killed := false
	for !killed && ctx.Err() == nil {
		for i, n := range []*devnet.Node{a, b} {
			wctx, wcancel := context.WithTimeout(ctx, 100*time.Millisecond)
			_, err := n.WaitContains(wctx, marks[i], "disconnected")
			wcancel()
			if err != nil {
				continue
			}
			n.Kill()
			t.Logf("%s killed during its sidechain reorg", n.Spec.Name)
			if err := n.Start(args[i]...); err != nil {
				t.Fatal(err)
			}
			killed = true
			break
		}
	}
	if !killed {
		t.Fatal("neither node reorganized after the partition healed")
	}
	h := powAgree(t, net, net.Nodes)
	t.Logf("healed at sidechain height %d (a had %d)", h, ia.Sidechain.Height)
}

// mineThroughAPI mines one block as an outside miner would: a template
// from the node's MiningService, the extranonce written where the template
// says, the merkle root with the withdrawal root's extra step, a nonce
// search, and SubmitBlock. A long poll on the template's id must return
// once the block is in. It returns the block's hash.
func mineThroughAPI(t *testing.T, ctx context.Context, n *devnet.Node) string {
	t.Helper()
	conn, err := n.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := apiv1.NewMiningServiceClient(conn)
	tmpl, err := client.GetBlockTemplate(ctx, &apiv1.GetBlockTemplateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	polled := make(chan *apiv1.GetBlockTemplateResponse, 1)
	go func() {
		next, err := client.GetBlockTemplate(ctx, &apiv1.GetBlockTemplateRequest{LongPollId: tmpl.LongPollId})
		if err != nil {
			t.Errorf("long poll: %v", err)
		}
		polled <- next
	}()

	cbRaw, err := hex.DecodeString(tmpl.CoinbaseTxn.Data)
	if err != nil {
		t.Fatal(err)
	}
	copy(cbRaw[tmpl.CoinbaseTxn.ExtranonceOffset:], []byte("apimine!"))
	var cb wire.MsgTx
	if err := cb.Deserialize(bytes.NewReader(cbRaw)); err != nil {
		t.Fatal(err)
	}
	txs := []*wire.MsgTx{&cb}
	for _, tt := range tmpl.Transactions {
		raw, _ := hex.DecodeString(tt.Data)
		var tx wire.MsgTx
		if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
			t.Fatal(err)
		}
		txs = append(txs, &tx)
	}
	// The merkle root: Bitcoin's over the txids, folded with the
	// coinbase branch, then one step with the withdrawal root.
	h := cb.TxHash()
	for _, sib := range tmpl.CoinbaseMerkleBranch {
		s, err := chainhash.NewHashFromStr(sib)
		if err != nil {
			t.Fatal(err)
		}
		h = chainhash.DoubleHashH(append(h[:], s[:]...))
	}
	wr, err := chainhash.NewHashFromStr(tmpl.WithdrawalRoot)
	if err != nil {
		t.Fatal(err)
	}
	root := chainhash.DoubleHashH(append(h[:], wr[:]...))
	if want := sideblock.CalcBlockMerkleRoot(txs); root != want {
		t.Fatalf("merkle root from the template's branch %v, the block's %v", root, want)
	}
	prev, err := chainhash.NewHashFromStr(tmpl.PreviousBlockHash)
	if err != nil {
		t.Fatal(err)
	}
	bits, err := strconv.ParseUint(tmpl.Bits, 16, 32)
	if err != nil {
		t.Fatal(err)
	}
	hdr := wire.BlockHeader{Version: tmpl.Version, PrevBlock: *prev, MerkleRoot: root,
		Timestamp: time.Unix(tmpl.CurTime, 0), Bits: uint32(bits)}
	target := blockchain.CompactToBig(hdr.Bits)
	for hdr.Nonce = 0; ; hdr.Nonce++ {
		bh := hdr.BlockHash()
		if blockchain.HashToBig(&bh).Cmp(target) <= 0 {
			break
		}
	}
	var buf bytes.Buffer
	if err := hdr.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	body := &sideblock.Block{Transactions: txs}
	if err := body.SerializeBody(&buf); err != nil {
		t.Fatal(err)
	}
	res, err := client.SubmitBlock(ctx, &apiv1.SubmitBlockRequest{Data: hex.EncodeToString(buf.Bytes())})
	if err != nil || !res.Accepted {
		t.Fatalf("SubmitBlock: %v %v", res, err)
	}
	if res.BlockHash != hdr.BlockHash().String() {
		t.Fatalf("SubmitBlock names %s, mined %v", res.BlockHash, hdr.BlockHash())
	}
	select {
	case next := <-polled:
		if next == nil || next.PreviousBlockHash != res.BlockHash {
			t.Fatalf("the long poll returned %v, want a template on %s", next, res.BlockHash)
		}
	case <-ctx.Done():
		t.Fatal("the long poll never returned")
	}
	return res.BlockHash
}

// TestPowAlgorithmSwitch runs powswitchtest against btcd: the miner's
// blocks switch to RandomX at height 20 and to Ethash at height 40, the
// follower verifies each with the algorithm of its height, and both agree.
func TestPowAlgorithmSwitch(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	net, err := devnet.NewOn(t.TempDir(), sidenodeBinary(t), &chainparams.PowSwitchtest,
		[]devnet.NodeSpec{{Name: "miner", Backend: "btcd"}, {Name: "follower", Backend: "btcd"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cleanupPowNet(t, net)
	miner, follower := net.Nodes[0], net.Nodes[1]
	if _, err := net.H.Generate(5); err != nil {
		t.Fatal(err)
	}
	// Light mode: a full RandomX dataset is 2 GiB.
	if err := miner.Start("--mine", "--minethreads=1", "--minerandomxlight"); err != nil {
		t.Fatal(err)
	}
	if err := follower.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	powInfo(t, ctx, follower, "sidechain height 42", func(i *apiv1.GetInfoResponse) bool {
		return i.Sidechain.Height >= 42
	})
	miner.Stop()
	if err := miner.Start(); err != nil {
		t.Fatal(err)
	}
	h := powAgree(t, net, net.Nodes)
	t.Logf("both nodes agree at sidechain height %d, past the Ethash switch", h)
}
