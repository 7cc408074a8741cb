package node_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/devnet"
	"github.com/mainstake/sidenode/notarize"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// notarizedLine matches the tracker's line for a new last notarization.
var notarizedLine = regexp.MustCompile(`Sideblock (\w+) at height (\d+) notarized by mainchain transaction (\w+)`)

// dpowNet is a powdpowregtest net of five notary nodes, each with its dev
// notary key, all mining nothing yet.
type dpowNet struct {
	t     *testing.T
	net   *devnet.Net
	nodes []*devnet.Node

	// seen records when the miner's sidechain first reached each
	// height, for the lag figures.
	mu   sync.Mutex
	seen map[int32]time.Time

	// exclude, when set, keeps the mempool transactions it matches out
	// of the mainchain blocks the steps mine.
	exclude func(*wire.MsgTx) bool
}

func newDpowNet(t *testing.T) *dpowNet {
	t.Helper()
	params := &chainparams.PowDpowRegtest
	var specs []devnet.NodeSpec
	for i := range params.Notary.Seasons[0].Pubkeys {
		specs = append(specs, devnet.NodeSpec{Name: fmt.Sprintf("notary%d", i), Backend: "btcd",
			Args: []string{"--notary", "--notarydevkey=" + strconv.Itoa(i),
				"--notarytimeout=10s"}})
	}
	var out io.Writer
	if f := os.Getenv("DPOW_OUT"); f != "" {
		w, _ := os.Create(f)
		out = w
	}
	net, err := devnet.NewOn(t.TempDir(), sidenodeBinary(t), params, specs, out)
	if err != nil {
		t.Fatal(err)
	}
	d := &dpowNet{t: t, net: net, nodes: net.Nodes, seen: make(map[int32]time.Time)}
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range d.nodes {
				t.Logf("--- %s", n.Spec.Name)
				for _, l := range n.Tail(30) {
					t.Log(l)
				}
			}
		}
		stopNet(t, net)
	})
	return d
}

// fund pays each notary's dev key address n outputs of value.
func (d *dpowNet) fund(value int64, n int) {
	d.t.Helper()
	var outs []*wire.TxOut
	for i := range d.nodes {
		var pub [33]byte
		copy(pub[:], chainparams.DevNotaryKey(i).PubKey().SerializeCompressed())
		for j := 0; j < n; j++ {
			outs = append(outs, wire.NewTxOut(value, notarize.NotaryScript(pub)))
		}
	}
	if _, err := d.net.H.Send(outs, 2); err != nil {
		d.t.Fatal(err)
	}
}

// step mines one sideblock through the first node's mining API and one
// mainchain block, and waits until the first node holds both and every
// other node of live does or has had stepWait to get there: the chains
// grow about as fast as the live nodes follow, whatever the machine's
// load.
func (d *dpowNet) step(ctx context.Context, live []*devnet.Node) {
	d.t.Helper()
	mined := mineThroughAPI(d.t, ctx, d.nodes[0])
	var err error
	if d.exclude != nil {
		_, err = d.net.H.GenerateExcluding(1, d.exclude)
	} else {
		_, err = d.net.H.Generate(1)
	}
	if err != nil {
		d.t.Fatal(err)
	}
	height, hash, err := d.net.H.Tip()
	if err != nil {
		d.t.Fatal(err)
	}
	at := func(i *apiv1.GetInfoResponse) bool {
		return i.Sidechain.TipHash == mined && i.Mainchain.TipHeight == height &&
			i.Mainchain.TipHash == hash.String()
	}
	info := powInfo(d.t, ctx, d.nodes[0], "its own sideblock "+mined, at)
	d.mu.Lock()
	if _, ok := d.seen[int32(info.Sidechain.Height)]; !ok {
		d.seen[int32(info.Sidechain.Height)] = time.Now()
	}
	d.mu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, stepWait)
	defer cancel()
	for _, n := range live[1:] {
		for {
			i, err := n.Info(wctx)
			if err == nil && at(i) {
				break
			}
			if wctx.Err() != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// restart starts a node that was down while both chains grew: it starts
// behind btcd's tip, and stores its peers' sideblocks whose mainchain
// references it has not reached yet while its mainchain watcher catches
// up (the test then waits for it to connect them, with nothing mined).
func (d *dpowNet) restart(n *devnet.Node) {
	d.t.Helper()
	if err := n.Start(); err != nil {
		d.t.Fatal(err)
	}
}

// stepWait is how long a step waits for the live nodes to follow.
const stepWait = 20 * time.Second

// stepPace is the least time between two steps: the rounds run on the
// nodes' clocks (a poll a second, message relay), not on the steps.
const stepPace = 400 * time.Millisecond

// stepUntil steps, at most every stepPace, until every node of live
// logged, after its mark, a new last notarization above height, and
// returns the first node's. It fails when ctx ends.
func (d *dpowNet) stepUntil(ctx context.Context, live []*devnet.Node, marks []int,
	above int32) notarization {

	d.t.Helper()
	for {
		got := make([]notarization, len(live))
		all := true
		for j, n := range live {
			got[j] = lastNotarization(n.LinesSince(marks[j]), above)
			if got[j].height == 0 {
				all = false
			}
		}
		if all {
			return got[0]
		}
		if ctx.Err() != nil {
			d.t.Fatalf("no notarization above height %d counted on every live node", above)
		}
		next := time.Now().Add(stepPace)
		d.step(ctx, live)
		time.Sleep(time.Until(next))
	}
}

// lastNotarization returns the last new last notarization above height in
// lines, or the zero value.
func lastNotarization(lines []string, above int32) notarization {
	var got notarization
	for _, l := range lines {
		m := notarizedLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if h, _ := strconv.Atoi(m[2]); int32(h) > above {
			got = notarization{height: int32(h), block: m[1], txid: m[3], at: time.Now()}
		}
	}
	return got
}

// notarization is one new last notarization a node logged.
type notarization struct {
	height int32
	block  string
	txid   string
	at     time.Time
}

func marks(nodes []*devnet.Node) []int {
	out := make([]int, len(nodes))
	for i, n := range nodes {
		out[i] = n.Mark()
	}
	return out
}

// lag logs the figures of a notarization: sideblocks and seconds from its
// block (as the miner first held it) to the notarization counting on the
// first node, and the transaction's fee.
func (d *dpowNet) lag(ctx context.Context, what string, n notarization) {
	d.t.Helper()
	info, err := d.nodes[0].Info(ctx)
	if err != nil {
		d.t.Fatal(err)
	}
	d.mu.Lock()
	at, ok := d.seen[n.height]
	d.mu.Unlock()
	secs := "?"
	if ok {
		secs = fmt.Sprintf("%.1f", n.at.Sub(at).Seconds())
	}
	txid, err := chainhash.NewHashFromStr(n.txid)
	if err != nil {
		d.t.Fatal(err)
	}
	fee, vsize := d.fee(txid)
	d.t.Logf("%s: sideblock %d notarized in %v; counts at sidechain height %d "+
		"(%d sideblocks, %s s after the block); fee %d sat for %d vbytes",
		what, n.height, n.txid, info.Sidechain.Height,
		int32(info.Sidechain.Height)-n.height, secs, fee, vsize)
}

// fee returns the fee and virtual size of a mainchain transaction.
func (d *dpowNet) fee(txid *chainhash.Hash) (int64, int64) {
	d.t.Helper()
	c := d.net.H.Client()
	tx, err := c.GetRawTransaction(txid)
	if err != nil {
		d.t.Fatal(err)
	}
	var in, out int64
	for _, txin := range tx.MsgTx().TxIn {
		prev, err := c.GetRawTransaction(&txin.PreviousOutPoint.Hash)
		if err != nil {
			d.t.Fatal(err)
		}
		in += prev.MsgTx().TxOut[txin.PreviousOutPoint.Index].Value
	}
	for _, o := range tx.MsgTx().TxOut {
		out += o.Value
	}
	w := int64(tx.MsgTx().SerializeSizeStripped())*3 + int64(tx.MsgTx().SerializeSize())
	return in - out, (w + 3) / 4
}

// TestDpowEndToEnd runs btcd and five powdpowregtest notary nodes
// (threshold 3); the test mines the sidechain through the first node's
// mining API and the mainchain, one block of each per step, in lockstep
// with the live nodes. Notarizations land and count on every node; with
// one notary down they still land; with three down none counts while the
// sidechain grows by five intervals; once they return the rounds recover;
// every node then counts the same last notarization and reports the same
// state hash.
func TestDpowEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	d := newDpowNet(t)
	nodes := d.nodes
	iv := int(chainparams.PowDpowRegtest.Notary.NotarizationInterval)
	if _, err := d.net.H.Generate(110); err != nil { // mature coins to fund with
		t.Fatal(err)
	}
	for _, n := range nodes {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	// Three outputs each: a notarization that a reorg sends back to the
	// mempool (and the test keeps there) holds one of them.
	d.fund(1_000_000, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Second)
	defer cancel()
	// All five: two notarizations count on every node.
	m := marks(nodes)
	first := d.stepUntil(ctx, nodes, m, 0)
	d.lag(ctx, "five notaries, first", first)
	second := d.stepUntil(ctx, nodes, m, first.height)
	d.lag(ctx, "five notaries", second)

	// A mainchain reorg whose new blocks leave the second notarization
	// out (it stays in btcd's mempool, kept out of every later block):
	// every node goes back to the first; the rounds then notarize above
	// it again.
	d.exclude = func(tx *wire.MsgTx) bool { return tx.TxHash().String() == second.txid }
	if _, err := d.net.H.ReorgExcluding(4, 1, d.exclude); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		powInfo(t, ctx, n, "the notarization taken back", func(i *apiv1.GetInfoResponse) bool {
			return i.Notarization.GetNotarized() && i.Notarization.NotarizedHeight == first.height
		})
	}
	second = d.stepUntil(ctx, nodes, marks(nodes), first.height)
	d.lag(ctx, "after a mainchain reorg took one out", second)

	// One down: they still land.
	nodes[4].Stop()
	live := nodes[:4]
	one := d.stepUntil(ctx, live, marks(live), second.height)
	d.lag(ctx, "one notary down", one)

	// Three down: the two left cannot sign a notarization. What was under
	// way when they stopped may still count within two intervals of
	// steps; after that nothing does while the sidechain grows by three
	// more intervals and the mainchain confirms whatever was broadcast.
	nodes[3].Stop()
	nodes[2].Stop()
	live = nodes[:2]
	for i := 0; i < 2*iv; i++ {
		next := time.Now().Add(stepPace)
		d.step(ctx, live)
		time.Sleep(time.Until(next))
	}
	stalled := marks(live)
	for i := 0; i < 3*iv; i++ {
		next := time.Now().Add(stepPace)
		d.step(ctx, live)
		time.Sleep(time.Until(next))
	}
	for i, n := range live {
		for _, l := range n.LinesSince(stalled[i]) {
			if notarizedLine.MatchString(l) {
				t.Fatalf("%s counted a notarization with three notaries down: %s", n.Spec.Name, l)
			}
		}
	}
	var lastBefore int32
	for _, l := range nodes[0].LinesSince(0) {
		if n := lastNotarization([]string{l}, 0); n.height > lastBefore {
			lastBefore = n.height
		}
	}

	// Back: the rounds recover (after an attempt's timeout at most).
	for _, n := range nodes[2:] {
		d.restart(n)
	}
	// Once their mainchain views reach the references, the returning
	// nodes hold the others' sidechain tip and state hash, with no new
	// block announced to them.
	powAgree(t, d.net, nodes)
	back := d.stepUntil(ctx, nodes, marks(nodes), lastBefore)
	d.lag(ctx, "after three notaries returned", back)

	// Every node counts the same last notarization (GetInfo's, which is
	// the one it logged last) and has the same state hash at the same
	// tips.
	powAgree(t, d.net, nodes)
	var agreed *apiv1.NotarizationStatus
	for _, n := range nodes {
		info, err := n.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		st := info.Notarization
		logged := lastNotarization(n.LinesSince(0), 0)
		if st == nil || !st.Notarized || st.NotarizedHeight < back.height ||
			(logged.height != 0 && st.NotarizedBlock != logged.block) {
			t.Fatalf("%s: notarization status %v, last logged %+v", n.Spec.Name, st, logged)
		}
		if agreed == nil {
			agreed = st
		} else if st.NotarizedBlock != agreed.NotarizedBlock || st.NotarizedHeight != agreed.NotarizedHeight {
			t.Errorf("%s counts the notarization of %s at %d, %s of %s at %d", n.Spec.Name,
				st.NotarizedBlock, st.NotarizedHeight, nodes[0].Spec.Name,
				agreed.NotarizedBlock, agreed.NotarizedHeight)
		}
	}
}

// TestDpowRoundsMainstake runs the rounds under mainstake (dpowregtest):
// two staking nodes and three others, all five notaries with --notary;
// the test mines mainchain blocks (one sideblock each, from the draw) until
// two notarizations made by the rounds count on every node, and every node
// reports the same last notarization and state hash.
func TestDpowRoundsMainstake(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	params := &chainparams.DpowRegtest
	var specs []devnet.NodeSpec
	for i := range params.Notary.Seasons[0].Pubkeys {
		spec := devnet.NodeSpec{Name: fmt.Sprintf("notary%d", i), Backend: "btcd",
			Args: []string{"--notary", "--notarydevkey=" + strconv.Itoa(i), "--notarytimeout=10s"}}
		if i < 2 {
			spec.Stake = int64(200_000_000 - i*100_000_000)
		}
		specs = append(specs, spec)
	}
	net, err := devnet.NewOn(t.TempDir(), sidenodeBinary(t), params, specs, nil)
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
	d := &dpowNet{t: t, net: net, nodes: all}
	d.fund(1_000_000, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	marks := marks(all)
	var got notarization
	for got.height < 2*int32(params.Notary.NotarizationInterval) {
		if ctx.Err() != nil {
			t.Fatalf("no second notarization counted on every node (last %+v)", got)
		}
		start := time.Now()
		e.mine(all)
		got = notarization{height: 1 << 30}
		for i, n := range all {
			if l := lastNotarization(n.LinesSince(marks[i]), 0); l.height < got.height {
				got = l
			}
		}
		// The rounds run on the nodes' clocks: a block at most every
		// stepPace.
		time.Sleep(time.Until(start.Add(stepPace)))
	}
	t.Logf("under mainstake: sideblock %d notarized in %s counts on every node", got.height, got.txid)
	e.agree(all)
	var agreed *apiv1.NotarizationStatus
	for _, n := range all {
		info, err := n.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		st := info.Notarization
		if !st.GetNotarized() || st.NotarizedHeight < got.height {
			t.Fatalf("%s: notarization status %v", n.Spec.Name, st)
		}
		if agreed == nil {
			agreed = st
		} else if st.NotarizedBlock != agreed.NotarizedBlock {
			t.Errorf("%s counts the notarization of %s, %s of %s", n.Spec.Name,
				st.NotarizedBlock, all[0].Spec.Name, agreed.NotarizedBlock)
		}
	}
}
