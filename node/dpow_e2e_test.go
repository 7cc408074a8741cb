package node_test

import (
	"context"
	"fmt"
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
	net, err := devnet.NewOn(t.TempDir(), sidenodeBinary(t), params, specs, nil)
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

// fund pays each notary's dev key address one output of value.
func (d *dpowNet) fund(value int64) {
	d.t.Helper()
	var outs []*wire.TxOut
	for i := range d.nodes {
		var pub [33]byte
		copy(pub[:], chainparams.DevNotaryKey(i).PubKey().SerializeCompressed())
		outs = append(outs, wire.NewTxOut(value, notarize.NotaryScript(pub)))
	}
	if _, err := d.net.H.Send(outs, 2); err != nil {
		d.t.Fatal(err)
	}
}

// mainchain mines a mainchain block every interval until ctx ends, and
// records when the first node's sidechain reaches each height.
func (d *dpowNet) mainchain(ctx context.Context, interval time.Duration) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if _, err := d.net.H.Generate(1); err != nil && ctx.Err() == nil {
				d.t.Errorf("generate: %v", err)
				return
			}
			if info, err := d.nodes[0].Info(ctx); err == nil {
				d.mu.Lock()
				for h := int32(0); h <= int32(info.Sidechain.Height); h++ {
					if _, ok := d.seen[h]; !ok {
						d.seen[h] = time.Now()
					}
				}
				d.mu.Unlock()
			}
		}
	}()
	return &wg
}

// notarization is one new last notarization a node logged.
type notarization struct {
	height int32
	block  string
	txid   string
	at     time.Time
}

// waitNotarized waits until node n logs, after mark, a new last
// notarization above height, and returns it.
func (d *dpowNet) waitNotarized(ctx context.Context, n *devnet.Node, mark int, above int32) notarization {
	d.t.Helper()
	var got notarization
	_, err := n.WaitLine(ctx, mark, func(l string) bool {
		m := notarizedLine.FindStringSubmatch(l)
		if m == nil {
			return false
		}
		h, _ := strconv.Atoi(m[2])
		if int32(h) <= above {
			return false
		}
		got = notarization{height: int32(h), block: m[1], txid: m[3], at: time.Now()}
		return true
	})
	if err != nil {
		d.t.Fatalf("%s: no notarization above height %d: %v", n.Spec.Name, above, err)
	}
	return got
}

// waitAll waits until every node of live counts a notarization above
// height, and returns the first node's.
func (d *dpowNet) waitAll(ctx context.Context, live []*devnet.Node, marks []int, above int32) notarization {
	d.t.Helper()
	var first notarization
	for i, n := range live {
		got := d.waitNotarized(ctx, n, marks[i], above)
		if i == 0 {
			first = got
		}
	}
	return first
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
// (threshold 3), one of them mining: notarizations land and count on every
// node; with one notary down they still land; with three down none lands
// while the sidechain grows by several intervals; once they return the
// rounds recover; every node then counts the same last notarization and
// reports the same state hash.
func TestDpowEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	d := newDpowNet(t)
	nodes := d.nodes
	iv := int32(chainparams.PowDpowRegtest.Notary.NotarizationInterval)
	if _, err := d.net.H.Generate(110); err != nil { // mature coins to fund with
		t.Fatal(err)
	}
	for i, n := range nodes {
		var extra []string
		if i == 0 {
			extra = []string{"--mine", "--minethreads=1"}
		}
		if err := n.Start(extra...); err != nil {
			t.Fatal(err)
		}
	}
	d.fund(2_000_000)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	mctx, stopMain := context.WithCancel(ctx)
	miner := d.mainchain(mctx, time.Second)
	defer func() {
		stopMain()
		miner.Wait()
	}()

	// All five: two notarizations count on every node.
	m := marks(nodes)
	first := d.waitAll(ctx, nodes, m, 0)
	d.lag(ctx, "five notaries, first", first)
	second := d.waitAll(ctx, nodes, m, first.height)
	d.lag(ctx, "five notaries", second)

	// One down: they still land.
	nodes[4].Stop()
	live := nodes[:4]
	m = marks(live)
	one := d.waitAll(ctx, live, m, second.height)
	d.lag(ctx, "one notary down", one)

	// Three down: the two left cannot sign a notarization. Whatever was
	// under way when they stopped may still count; after that, nothing,
	// while the sidechain grows by three intervals and the mainchain
	// confirms whatever was broadcast.
	nodes[3].Stop()
	nodes[2].Stop()
	live = nodes[:2]
	info := powInfo(t, ctx, nodes[0], "the sidechain tip", func(*apiv1.GetInfoResponse) bool { return true })
	stopAt := int32(info.Sidechain.Height)
	powInfo(t, ctx, nodes[0], "two more intervals", func(i *apiv1.GetInfoResponse) bool {
		return int32(i.Sidechain.Height) >= stopAt+2*iv
	})
	stalled := marks(live)
	powInfo(t, ctx, nodes[0], "three more intervals", func(i *apiv1.GetInfoResponse) bool {
		return int32(i.Sidechain.Height) >= stopAt+5*iv
	})
	for i, n := range live {
		for _, l := range n.LinesSince(stalled[i]) {
			if notarizedLine.MatchString(l) {
				t.Fatalf("%s counted a notarization with three notaries down: %s", n.Spec.Name, l)
			}
		}
	}

	// Back: the rounds recover.
	m = marks(live)
	for _, n := range nodes[2:] {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	back := d.waitAll(ctx, live, m, one.height)
	d.lag(ctx, "after three notaries returned", back)

	// Everything stops: every node counts the same last notarization
	// and has the same state hash at the same tips.
	stopMain()
	miner.Wait()
	nodes[0].Stop()
	if err := nodes[0].Start(); err != nil {
		t.Fatal(err)
	}
	powAgree(t, d.net, nodes)
	lastOf := func(n *devnet.Node) string {
		var last string
		for _, l := range n.LinesSince(0) {
			if m := notarizedLine.FindStringSubmatch(l); m != nil {
				last = m[2] + " " + m[1]
			}
		}
		return last
	}
	want := lastOf(nodes[0])
	for _, n := range nodes[1:] {
		if got := lastOf(n); got != want {
			t.Errorf("%s's last notarization is %q, %s's %q", n.Spec.Name, got,
				nodes[0].Spec.Name, want)
		}
	}
}
