package node_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/devnet"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// posFinalized waits until every node reports a finalized epoch of at
// least e, logging every node's pos state and log tail if it never comes.
func posFinalized(t *testing.T, nodes []*devnet.Node, e uint64, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		done := true
		for _, n := range nodes {
			info, err := n.Info(ctx)
			if err != nil || info.Pos == nil || info.Pos.FinalizedEpoch < e {
				done = false
				break
			}
		}
		if done {
			return
		}
		if ctx.Err() != nil {
			for _, n := range nodes {
				info, err := n.Info(context.Background())
				t.Logf("--- %s: %v %v", n.Spec.Name, info.GetPos(), err)
				for _, l := range n.Tail(30) {
					t.Log(l)
				}
			}
			t.Fatalf("not every node finalized epoch %d within %v", e, within)
		}
		time.Sleep(200 * time.Millisecond) // polling a condition
	}
}

// posSameState waits until the nodes report the same mainchain tip and
// pos head in one round of GetInfo, then checks their state hashes.
func posSameState(t *testing.T, nodes []*devnet.Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		var infos []*apiv1.GetInfoResponse
		same := true
		for _, n := range nodes {
			info, err := n.Info(ctx)
			if err != nil || info.Pos == nil || (len(infos) > 0 &&
				(info.Pos.Head != infos[0].Pos.Head || info.Mainchain.TipHash != infos[0].Mainchain.TipHash)) {
				same = false
				break
			}
			infos = append(infos, info)
		}
		if same {
			for i, info := range infos[1:] {
				if info.StateHash != infos[0].StateHash || info.Pos.StateRoot != infos[0].Pos.StateRoot {
					t.Fatalf("at pos head %s: %s has state hash %s (pos state %s), %s has %s (%s)",
						infos[0].Pos.Head, nodes[i+1].Spec.Name, info.StateHash, info.Pos.StateRoot,
						nodes[0].Spec.Name, infos[0].StateHash, infos[0].Pos.StateRoot)
				}
			}
			return
		}
		if ctx.Err() != nil {
			t.Fatal("the nodes never showed the same pos head and mainchain tip at once")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPosEndToEnd runs btcd and four posregtest nodes, each the validator
// of one test key, on a devnet whose slot 0 is after they all start: they
// finalize, hold the same state hash at the same heads, with one of them
// stopped the other three still finalize, and restarted it catches up and
// agrees.
func TestPosEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	genesis := time.Now().Add(30 * time.Second).Unix()
	var specs []devnet.NodeSpec
	for i := 0; i < 4; i++ {
		specs = append(specs, devnet.NodeSpec{Name: fmt.Sprintf("val-%d", i), Backend: "btcd",
			Args: []string{"--validator", fmt.Sprintf("--pos.devkey=%d", i),
				fmt.Sprintf("--pos.genesistime=%d", genesis)}})
	}
	net, err := devnet.NewOn(t.TempDir(), sidenodeBinary(t), &chainparams.PosRegtest, specs, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopNet(t, net) })
	for _, n := range net.Nodes {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := net.H.Generate(3); err != nil {
		t.Fatal(err)
	}
	posFinalized(t, net.Nodes, 2, 4*time.Minute)
	posSameState(t, net.Nodes)
	for _, n := range net.Nodes {
		info, err := n.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if p := info.Pos; p.Validators != 1 || p.Proposed == 0 || p.Attested == 0 || p.Refused != 0 {
			t.Fatalf("%s: validator counters %v", n.Spec.Name, p)
		}
	}

	// Three of four: stop val-3 and wait for two more finalized epochs.
	info, err := net.Nodes[0].Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	net.Nodes[3].Stop()
	three := net.Nodes[:3]
	posFinalized(t, three, info.Pos.FinalizedEpoch+2, 4*time.Minute)
	posSameState(t, three)

	// Restarted mid-epoch, val-3 holds only the genesis (the pos chain
	// is in memory): it syncs back from the first block it hears of,
	// then agrees with the others, and the four finalize further.
	if info, err = net.Nodes[0].Info(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := net.Nodes[3].Start(); err != nil {
		t.Fatal(err)
	}
	posFinalized(t, net.Nodes, info.Pos.FinalizedEpoch+1, 4*time.Minute)
	posSameState(t, net.Nodes)
}
