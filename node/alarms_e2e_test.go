package node_test

import (
	"context"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/devnet"
	"github.com/mainstake/sidenode/opreturn"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// listAlarms returns the codes of the alarms that hold on node.
func listAlarms(ctx context.Context, t *testing.T, node *devnet.Node) map[string]*apiv1.Alarm {
	t.Helper()
	conn, err := node.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := apiv1.NewNodeServiceClient(conn).ListAlarms(ctx, &apiv1.ListAlarmsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]*apiv1.Alarm)
	for _, a := range resp.GetAlarms() {
		out[a.GetCode()] = a
	}
	return out
}

// TestAlarms runs the alarms on a devnet of a staker, a, and an observer,
// b: the miners leave a's header transactions out of their blocks, so a
// raises suspected_censorship and own_slots_missed and b, whose sidechain
// no longer moves while a's ticket weighs, sidechain_stalled; once the
// headers are mined again all three clear. Then btcd stops, and b raises
// backend_disconnected, which its alarm stream reports, and clears it when
// btcd is back.
func TestAlarms(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	args := []string{"--alarms.stallblocks=3", "--alarms.censorshipslots=3",
		"--alarms.missedslots=2", "--alarms.missedwindow=2",
		"--alarms.disconnectedseconds=1", "--alarms.intervalseconds=1"}
	net, err := devnet.New(t.TempDir(), sidenodeBinary(t), []devnet.NodeSpec{
		{Name: "a", Backend: "btcd", Stake: 300_000_000, Args: args},
		{Name: "b", Backend: "btcd", Args: args},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopNet(t, net) })
	e := &e2e{t: t, net: net, produced: make(map[string]int)}
	a, b := net.Nodes[0], net.Nodes[1]
	all := []*devnet.Node{a, b}
	for _, n := range all {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
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
	// (backend_behind may hold a moment longer: the catch-up of the
	// first 110 blocks raised it, and the timer clears it.)
	for code, a := range listAlarms(ctx, t, b) {
		if code != "backend_behind" {
			t.Fatalf("alarm on a moving chain: %v", a)
		}
	}

	// The miners leave out every header transaction. Only a's first
	// header goes out: the next ones spend the same publisher output
	// again, which btcd refuses while the first waits in its mempool
	// (misses "broadcast"), and count towards censorship with it.
	markA, markB := a.Mark(), b.Mark()
	e.exclude = func(tx *wire.MsgTx) bool {
		_, payload, err := opreturn.FindInTx(tx, net.Params.SidechainID)
		_, ok := payload.(*opreturn.Header)
		return err == nil && ok
	}
	for i := 0; i < 4; i++ {
		e.mine(all)
	}
	for _, w := range []struct {
		node *devnet.Node
		mark int
		line string
	}{
		{b, markB, "ALARM sidechain_stalled raised"},
		{a, markA, "ALARM suspected_censorship raised"},
		{a, markA, "ALARM own_slots_missed raised"},
	} {
		if _, err := w.node.WaitContains(ctx, w.mark, w.line); err != nil {
			t.Fatalf("%s: %v", w.node.Spec.Name, err)
		}
	}
	if got := listAlarms(ctx, t, b)["sidechain_stalled"]; got.GetReason() != apiv1.AlarmReason_ALARM_REASON_SIDECHAIN_STALLED ||
		got.GetSeverity() != apiv1.AlarmSeverity_ALARM_SEVERITY_CRITICAL || got.GetMessage() == "" {
		t.Fatalf("b's stalled alarm over the API: %v", got)
	}
	if got := listAlarms(ctx, t, a); got["suspected_censorship"] == nil || got["own_slots_missed"] == nil {
		t.Fatalf("a's alarms over the API: %v", got)
	}

	// The headers are mined again: the alarms clear.
	e.exclude = nil
	produced := e.produced["a"]
	for i := 0; e.produced["a"] < produced+2; i++ {
		if i > 20 {
			t.Fatalf("a produced %d sideblocks in 20 blocks", e.produced["a"]-produced)
		}
		e.mine(all)
	}
	for _, w := range []struct {
		node *devnet.Node
		mark int
		line string
	}{
		{b, markB, "Alarm sidechain_stalled cleared"},
		{a, markA, "Alarm suspected_censorship cleared"},
		{a, markA, "Alarm own_slots_missed cleared"},
	} {
		if _, err := w.node.WaitContains(ctx, w.mark, w.line); err != nil {
			t.Fatalf("%s: %v", w.node.Spec.Name, err)
		}
	}

	// btcd stops: b's alarm stream reports backend_disconnected.
	conn, err := b.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := apiv1.NewNodeServiceClient(conn).SubscribeAlarms(ctx, &apiv1.SubscribeAlarmsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil || first.GetState() == nil {
		t.Fatalf("first message %v, %v: want the state", first, err)
	}
	markB = b.Mark()
	if err := net.H.Stop(); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := stream.Recv()
		if err != nil {
			t.Fatalf("alarm stream: %v", err)
		}
		if ev := m.GetChanged(); ev != nil && ev.GetRaised() &&
			ev.GetAlarm().GetReason() == apiv1.AlarmReason_ALARM_REASON_BACKEND_DISCONNECTED {
			break
		}
	}
	if _, err := b.WaitContains(ctx, markB, "ALARM backend_disconnected raised"); err != nil {
		t.Fatal(err)
	}
	if err := net.H.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WaitContains(ctx, markB, "Alarm backend_disconnected cleared"); err != nil {
		t.Fatal(err)
	}
}
