package node_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mainstake/sidenode/devnet"
)

// TestFreshNodeTipLag: a node that syncs a chain whose sideblock bodies
// reach it only from its peers, after the mainchain blocks that published
// them, holds the producers' sidechain tip and state hash without another
// mainchain block (issue 11 defect 7: it stayed a few sideblocks short
// until one came); so does it after a SIGKILL and a restart.
func TestFreshNodeTipLag(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	net, err := devnet.New(t.TempDir(), sidenodeBinary(t), []devnet.NodeSpec{
		{Name: "a", Backend: "btcd", Stake: 300_000_000},
		{Name: "b", Backend: "btcd", Stake: 200_000_000},
		{Name: "fresh", Backend: "btcd"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopNet(t, net) })
	e := &e2e{t: t, net: net, produced: make(map[string]int)}
	stakers, fresh := net.Nodes[:2], net.Nodes[2]
	for _, n := range stakers {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	matureAndStake(t, net, 2000)
	for i := 0; i < 20; i++ {
		e.mine(stakers)
	}
	tip, sideHeight, state := agreeTip(t, e, stakers)
	t.Logf("producers at sidechain height %d (%s), produced %v", sideHeight, tip, e.produced)

	// synced waits until fresh is at btcd's tip, then until its
	// sidechain tip is the producers', and reports how many sideblocks it
	// was short when it reached the mainchain tip and how long it took
	// to catch up. No mainchain block is mined meanwhile.
	synced := func(what string) {
		t.Helper()
		height, hash, err := net.H.Tip()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := e.ctx()
		defer cancel()
		var atMain time.Time
		short := int64(-1)
		for {
			info, err := fresh.Info(ctx)
			if err == nil && info.Mainchain.TipHeight == height &&
				info.Mainchain.TipHash == hash.String() {
				if short < 0 {
					atMain, short = time.Now(), int64(sideHeight)-int64(info.Sidechain.Height)
				}
				if info.Sidechain.TipHash == tip {
					// The state of nodes that held the bodies
					// when their blocks' batches ran.
					if info.StateHash != state {
						t.Fatalf("%s: state hash %s, the producers' %s", what,
							info.StateHash, state)
					}
					t.Logf("%s: %d sideblocks short at the mainchain tip, caught up %v later",
						what, short, time.Since(atMain).Round(time.Millisecond))
					return
				}
			}
			if ctx.Err() != nil {
				t.Fatalf("%s: the node never reached sidechain tip %s at mainchain %d "+
					"without another mainchain block (%d short at the mainchain tip; %v)",
					what, tip, height, short, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if err := fresh.Start(); err != nil {
		t.Fatal(err)
	}
	synced("fresh sync")
	fresh.Kill()
	if err := fresh.Start(); err != nil {
		t.Fatal(err)
	}
	synced("after SIGKILL")
}

// agreeTip waits until every node is at btcd's tip with one sidechain tip
// and state hash, and returns the sidechain tip: a body may reach a node
// just after the block that published its header, and connects then.
func agreeTip(t *testing.T, e *e2e, nodes []*devnet.Node) (string, uint64, string) {
	t.Helper()
	height, hash, err := e.net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := e.ctx()
	defer cancel()
	var seen string
	for {
		var (
			tips, states = map[string]bool{}, map[string]bool{}
			sideHeight   uint64
			tip, desc    string
			state        string
		)
		for _, n := range nodes {
			info, err := n.Info(ctx)
			if err != nil || info.Mainchain.TipHeight != height ||
				info.Mainchain.TipHash != hash.String() {
				tips[""] = true
				desc += fmt.Sprintf("; %s at mainchain %v (%v)", n.Spec.Name,
					info.GetMainchain().GetTipHeight(), err)
				continue
			}
			tip, sideHeight = info.Sidechain.TipHash, uint64(info.Sidechain.Height)
			tips[tip], states[info.StateHash] = true, true
			state = info.StateHash
			desc += fmt.Sprintf("; %s at sidechain %d %s", n.Spec.Name, sideHeight, tip)
		}
		if len(tips) == 1 && len(states) == 1 && !tips[""] {
			return tip, sideHeight, state
		}
		if ctx.Err() != nil {
			t.Fatalf("the nodes never agreed at mainchain %d:%v%s", height, hash, seen)
		}
		seen = desc
		time.Sleep(50 * time.Millisecond)
	}
}
