package node_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/devnet"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// ownMissReasons returns the reasons of node's own missed slots over the
// API, by draw height.
func ownMissReasons(ctx context.Context, t *testing.T, node *devnet.Node) map[int32]string {
	t.Helper()
	conn, err := node.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := apiv1.NewMainchainServiceClient(conn).ListMissedSlots(ctx,
		&apiv1.ListMissedSlotsRequest{Limit: 100, Reversed: true})
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[int32]string)
	for _, m := range resp.GetMissedSlots() {
		if m.GetOwnTicket() {
			out[m.GetHeight()] = m.GetMissReason()
		}
	}
	return out
}

// TestMissReasonsE2E runs a lone staker on btcd and mines the blocks
// after its draws by hand, each leaving its header transaction out: one
// that takes only a transaction paying far more than the header ("fee too
// low"), one that takes a transaction paying the relay floor, at or below
// the header's rate ("not included"), one with only its coinbase ("not
// mined": no rate to compare). Then the node stops while blocks are
// mined, and the draws it meets while catching up are "not synced". Each
// miss's reason shows in the log and in ListMissedSlots. With
// --alarms.publisherheaders above what its publisher output pays for, the
// node raises publisher_low.
func TestMissReasonsE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	// Every publisher output is "low" against a million headers.
	args := []string{"--debuglevel=info,FEES=debug", "--alarms.publisherheaders=1000000"}
	net, err := devnet.New(t.TempDir(), sidenodeBinary(t), []devnet.NodeSpec{
		{Name: "a", Backend: "btcd", Stake: 300_000_000, Args: args},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopNet(t, net) })
	e := &e2e{t: t, net: net, produced: make(map[string]int)}
	a := net.Nodes[0]
	all := []*devnet.Node{a}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	matureAndStake(t, net, 2000)
	for i := 0; e.produced["a"] < 2; i++ {
		if i > 40 {
			t.Fatalf("a produced %d sideblocks in 40 blocks", e.produced["a"])
		}
		e.mine(all)
	}
	ctx, cancel := e.ctx()
	defer cancel()
	if _, err := a.WaitContains(ctx, 0, "ALARM publisher_low raised: 1 of this wallet's live tickets"); err != nil {
		t.Fatal(err)
	}
	if got := listAlarms(ctx, t, a)["publisher_low"]; got.GetReason() != apiv1.AlarmReason_ALARM_REASON_PUBLISHER_LOW {
		t.Fatalf("publisher_low over the API: %v", got)
	} else {
		t.Logf("publisher_low: %s", got.GetMessage())
	}

	// a won the draw after the tip and sent its header (e.mine waited).
	counts := make(map[string]int)
	want := make(map[int32]string)
	for _, step := range []struct {
		reason string
		rates  []int64 // sat/vB of the transactions sent before the block
		take   []bool  // which of them the block takes
	}{
		{"fee too low", []int64{50, 1}, []bool{true, false}},
		{"not included", []int64{1}, []bool{true}},
		{"not mined", nil, nil},
	} {
		height, _, err := net.H.Tip()
		if err != nil {
			t.Fatal(err)
		}
		mark := a.Mark()
		var txs []*wire.MsgTx
		for i, rate := range step.rates {
			tx, err := net.H.Send([]*wire.TxOut{wire.NewTxOut(50_000, net.H.MiningScript)}, rate)
			if err != nil {
				t.Fatal(err)
			}
			if step.take[i] {
				txs = append(txs, tx)
			}
		}
		if len(step.rates) > 0 {
			// Two snapshots of btcd's mempool after the sends: the
			// second began after them.
			seen := 0
			if _, err := a.WaitLine(ctx, mark, func(l string) bool {
				if strings.Contains(l, "Next-block fee rate from btcd's mempool") {
					seen++
				}
				return seen == 2
			}); err != nil {
				t.Fatalf("%s: %v", step.reason, err)
			}
		}
		mark = a.Mark()
		if _, err := net.H.MineBlock(txs); err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("Missed the slot of the draw after block %d: %s", height, step.reason)
		if _, err := a.WaitContains(ctx, mark, line); err != nil {
			t.Fatalf("%s: %v", step.reason, err)
		}
		if _, err := a.WaitContains(ctx, mark, fmt.Sprintf("for the draw after block %d;", height+1)); err != nil {
			t.Fatalf("%s: no production for the next draw: %v", step.reason, err)
		}
		want[height] = step.reason
		counts[step.reason]++
	}
	got := ownMissReasons(ctx, t, a)
	for h, r := range want {
		if got[h] != r {
			t.Errorf("ListMissedSlots: the draw after %d missed for %q, want %q", h, got[h], r)
		}
	}

	// The node stops; three blocks are mined without it. It meets the
	// draws after the first two while catching up.
	a.Stop()
	height, _, err := net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := net.H.Generate(3); err != nil {
		t.Fatal(err)
	}
	mark := a.Mark()
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	for _, h := range []int32{height + 1, height + 2} {
		line := fmt.Sprintf("Missed the slot of the draw after block %d: not synced", h)
		if _, err := a.WaitContains(ctx, mark, line); err != nil {
			t.Fatal(err)
		}
		counts["not synced"]++
	}
	got = ownMissReasons(ctx, t, a)
	for _, h := range []int32{height + 1, height + 2} {
		if got[h] != "not synced" {
			t.Errorf("ListMissedSlots after the restart: the draw after %d missed for %q", h, got[h])
		}
	}
	info, err := a.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("miss reasons seen: %v; after the restart GetInfo counts %v", counts, info.GetMissReasons())
}
