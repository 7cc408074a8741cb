package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/lightninglabs/neutrino"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/devnet"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// Variables of TestNeutrinoProducerReorgs's environment, for measuring;
// the test asserts nothing that depends on time. neutrinoReorgsEnv sets
// how many reorgs it drives (default 20). neutrinoSlotEnv, a Go duration,
// turns its patient mining into a block clock: the block after each reorg
// comes when the node's header has reached btcd or that long after the
// reorg, whichever is first, so that a stall shows as a missed slot.
// neutrinoRaceEnv makes each reorg follow the block before it at once.
// neutrinoPeersEnv=2 gives the node a second peer, a btcd that follows
// the first one.
// neutrinoLogEnv sets the node's log levels, as --debuglevel does, and
// shows its log.
const (
	neutrinoReorgsEnv = "SIDENODE_NEUTRINO_REORGS"
	neutrinoSlotEnv   = "SIDENODE_NEUTRINO_SLOT"
	neutrinoRaceEnv   = "SIDENODE_NEUTRINO_RACE"
	neutrinoLogEnv    = "SIDENODE_NEUTRINO_LOG"
	neutrinoPeersEnv  = "SIDENODE_NEUTRINO_PEERS"
)

// TestNeutrinoProducerReorgs runs a producer on the neutrino backend,
// holding the only ticket so that it wins every draw, through mainchain
// reorgs of 1 to 3 blocks made with invalidateblock and a longer branch.
// Part way through each such reorg btcd's best chain has less work than
// the node's, and neutrino drops the peer for announcing it; the node has
// one peer, and neutrino's own redial is pushed an hour out, so only the
// backend's supervisor can bring the peer back. After each reorg the node
// must follow the new branch and broadcast its header for the draw after
// the new tip, which the next block then includes: no slot is missed.
// The test logs the longest time from the end of a reorg to the header's
// broadcast.
func TestNeutrinoProducerReorgs(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	reorgs := 20
	if v := os.Getenv(neutrinoReorgsEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a count of reorgs", neutrinoReorgsEnv, v)
		}
		reorgs = n
	}
	// With neutrinoRaceEnv set, each reorg follows the block before it
	// at once instead of after the node has published for it: btcd
	// then invalidates a block whose filter headers neutrino is asking
	// for, and never answers (a real peer would serve a stale block's),
	// so neutrino waits out its query timeout.
	racing := os.Getenv(neutrinoRaceEnv) != ""
	var slot time.Duration
	if v := os.Getenv(neutrinoSlotEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("%s=%q: want a duration", neutrinoSlotEnv, v)
		}
		slot = d
	}

	// Read once by each ChainService as it is made.
	retry := neutrino.ConnectionRetryInterval
	neutrino.ConnectionRetryInterval = time.Hour
	t.Cleanup(func() { neutrino.ConnectionRetryInterval = retry })

	if v := os.Getenv(neutrinoLogEnv); v != "" {
		if err := SetLogLevels(v); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = SetLogLevels("off") }()
	}
	// Run hands the libraries their loggers once; done here, it cannot
	// race with this test's own btcd RPC calls.
	useLoggers()
	withHome(t)
	net, err := devnet.New(t.TempDir(), "", []devnet.NodeSpec{
		{Name: "p", Backend: BackendNeutrino, Stake: 100_000_000},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(net.Stop)
	h, p := net.H, net.Nodes[0]
	if _, err := h.Generate(101); err != nil {
		t.Fatal(err)
	}
	if _, err := net.RegisterStakes(2000); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Generate(1); err != nil {
		t.Fatal(err)
	}

	peers := []string{h.P2PAddr}
	switch v := os.Getenv(neutrinoPeersEnv); v {
	case "", "1":
	case "2":
		b := btctest.NewForTest(t, btctest.Options{
			ExtraArgs: []string{"--connect=" + h.P2PAddr}})
		peers = append(peers, b.P2PAddr)
	default:
		t.Fatalf("%s=%q: want 1 or 2", neutrinoPeersEnv, v)
	}
	p2pPort, err := btctest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{
		"--configfile=" + filepath.Join(p.Home, "sidenode.conf"),
		"--datadir=" + filepath.Join(p.Home, "data"),
		"--logdir=" + filepath.Join(p.Home, "logs"),
		"--network=regtest",
		"--wallet.unlockpasswordfile=" + filepath.Join(p.Home, "wallet.password"),
		"--mainwatch.backend=neutrino",
		"--api.listen=" + p.APIAddr,
		"--api.restlisten=" + p.RESTAddr,
		fmt.Sprintf("--p2p.listen=127.0.0.1:%d", p2pPort),
	}
	for _, peer := range peers {
		args = append(args, "--neutrino.connect="+peer)
	}
	cfg := mustLoad(t, args...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})

	// info polls the node until ready accepts its state, which is for
	// the block at btcd's tip. Only a hang trips the guard.
	info := func(what string, ready func(*apiv1.GetInfoResponse) bool) *apiv1.GetInfoResponse {
		t.Helper()
		height, hash, err := h.Tip()
		if err != nil {
			t.Fatal(err)
		}
		guard := time.After(2 * time.Minute)
		var last *apiv1.GetInfoResponse
		for {
			ictx, icancel := context.WithTimeout(ctx, 10*time.Second)
			got, err := p.Info(ictx)
			icancel()
			if err == nil {
				last = got
				if got.Mainchain.TipHeight == height &&
					got.Mainchain.TipHash == hash.String() && ready(got) {
					return got
				}
			}
			select {
			case err := <-done:
				t.Fatalf("%s: Run returned %v", what, err)
			case <-guard:
				t.Fatalf("%s: the node never got there at block %d (%v); "+
					"last state %+v, error %v", what, height, hash, last, err)
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	// published: the node has broadcast its header for the draw after
	// the tip, and for every draw it won before that it did not miss
	// for a reason of its own.
	published := func(i *apiv1.GetInfoResponse) bool {
		return i.Wins > 0 && i.Wins == i.Publications+i.Misses+1 &&
			i.HeadersBroadcast == i.Wins-i.Misses+i.MissReasons["not mined"]
	}
	// inMempool waits for a transaction in btcd's mempool: the node's
	// header goes to its peer without an answer.
	inMempool := func(deadline time.Time) bool {
		for {
			pool, err := h.Client().GetRawMempool()
			if err == nil && len(pool) > 0 {
				return true
			}
			if !deadline.IsZero() && time.Now().After(deadline) {
				return false
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	mine := func() {
		t.Helper()
		if _, err := h.Generate(1); err != nil {
			t.Fatal(err)
		}
	}

	// slotDone waits until the node has published for the draw after
	// btcd's tip and its header has reached btcd.
	slotDone := func(what string) {
		t.Helper()
		info(what, published)
		inMempool(time.Time{})
	}

	// Until the ticket wins, every block is mined once the node has it.
	for info("before the first win", func(*apiv1.GetInfoResponse) bool { return true }).Wins == 0 {
		mine()
	}
	// Two ordinary slots first: the node is producing.
	for range 2 {
		slotDone("ordinary slot")
		mine()
	}

	// kind says, by draw height, what decides the draw after the block
	// at that height. In a reorg that replaces the blocks above the fork
	// f with a longer branch up to t, the draws after f+1 .. t-1 are
	// decided by blocks mined at once after them, before the branch was
	// best: no node could have published for them. The draw after f is
	// decided by the branch's first block, which holds what btcd's
	// mempool held; the draw after t is the one a stall would cost.
	const (
		ordinary = iota
		inBranch
		reorgTip
	)
	kind := make(map[int32]int)
	var longest time.Duration
	late := 0
	for r := range reorgs {
		depth := uint32(1 + r%3)
		if !racing {
			slotDone("before a reorg")
		}
		if _, err := h.Reorg(depth, 1); err != nil {
			t.Fatal(err)
		}
		end := time.Now()
		tip, _, err := h.Tip()
		if err != nil {
			t.Fatal(err)
		}
		for x := tip - int32(depth) - 1; x < tip; x++ {
			kind[x] = inBranch
		}
		kind[tip] = reorgTip
		what := fmt.Sprintf("reorg %d of %d blocks", r+1, depth)
		if slot > 0 {
			// Block clock: the next block comes at the deadline.
			deadline := end.Add(slot)
			ok := false
			for !ok && time.Now().Before(deadline) {
				ictx, icancel := context.WithTimeout(ctx, slot)
				got, err := p.Info(ictx)
				icancel()
				height, hash, _ := h.Tip()
				ok = err == nil && got.Mainchain.TipHeight == height &&
					got.Mainchain.TipHash == hash.String() && published(got)
				if !ok {
					time.Sleep(5 * time.Millisecond)
				}
			}
			if !ok || !inMempool(deadline) {
				late++
				t.Logf("%s: no header within %v", what, slot)
				mine()
				continue
			}
		} else {
			info(what, published)
			inMempool(time.Time{})
		}
		stall := time.Since(end)
		longest = max(longest, stall)
		t.Logf("%s: header out after %v", what, stall.Round(time.Millisecond))
		mine()
	}
	final := info("after the reorgs", func(i *apiv1.GetInfoResponse) bool {
		return i.Wins == i.Publications+i.Misses+1
	})

	conn, err := p.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	missed, err := apiv1.NewMainchainServiceClient(conn).ListMissedSlots(ctx,
		&apiv1.ListMissedSlotsRequest{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var inBranches, atTips int
	for _, m := range missed.MissedSlots {
		switch kind[m.Height] {
		case inBranch:
			inBranches++
		case reorgTip:
			atTips++
			t.Logf("missed the slot after block %d, a reorg's tip", m.Height)
		default:
			t.Errorf("missed the slot after block %d, an ordinary block", m.Height)
		}
	}
	t.Logf("%d reorgs: %d slots won on the best chain; missed %d after a "+
		"reorg's tip, %d inside reorg branches (mined at once, beyond any "+
		"node's reach); miss reasons %v; longest time from a reorg to the "+
		"header's broadcast %v", reorgs, final.Wins, atTips, inBranches,
		final.MissReasons, longest.Round(time.Millisecond))
	if slot > 0 {
		// A late header still counts when the next reorg's branch,
		// mined from btcd's mempool, takes it in the slot's block: the
		// ledger may show fewer misses than this.
		t.Logf("block clock %v: %d of %d reorgs left no header by the "+
			"next block (the longest time above is over the others)",
			slot, late, reorgs)
	} else if atTips != 0 {
		t.Fatalf("%d slots after a reorg missed", atTips)
	}
}
