package devnet

import (
	"strings"
	"testing"
	"time"

	"github.com/mainstake/sidenode/chainparams"
)

// TestPauses feeds a node lines with time stamps: Pauses finds the
// stretches without a line of at least the length asked, the longest
// first kept, in the order they happened, with the lines around them;
// lines without a time stamp (a race report, a panic) neither start nor
// end one.
func TestPauses(t *testing.T) {
	node := &Node{Spec: NodeSpec{Name: "a"}, net: &Net{}, grew: make(chan struct{})}
	for _, line := range []string{
		"2026-12-08 02:47:30.000 [INF] SDND: sidenode starting",
		"2026-12-08 02:47:31.000 [INF] PEER: Peer server listening",
		"2026-12-08 02:47:31.500 [INF] MWCH: btcd: synced to mainchain tip 5",
		"goroutine 7 [running]:",
		"2026-12-08 02:50:34.100 [INF] SDND: Sidechain tip at height 1",
		"2026-12-08 02:50:34.200 [INF] MWCH: btcd: connected block 6",
		"2026-12-08 02:50:49.200 [INF] MWCH: btcd: connected block 7",
		"2026-12-08 02:50:49.300 [INF] MWCH: btcd: connected block 8",
	} {
		node.addLine(line)
	}
	pauses := node.Pauses(10*time.Second, 2, 3)
	if len(pauses) != 2 {
		t.Fatalf("%d pauses, want 2: %+v", len(pauses), pauses)
	}
	first, second := pauses[0], pauses[1]
	if first.Length != 3*time.Minute+2600*time.Millisecond || second.Length != 15*time.Second {
		t.Fatalf("pauses of %v and %v", first.Length, second.Length)
	}
	if len(first.Before) != 2 || !strings.Contains(first.Before[0], "synced to mainchain tip 5") ||
		first.Before[1] != "goroutine 7 [running]:" {
		t.Errorf("before the first pause: %q", first.Before)
	}
	if len(first.After) != 2 || !strings.Contains(first.After[1], "connected block 6") {
		t.Errorf("after the first pause: %q", first.After)
	}
	if !strings.Contains(second.After[0], "connected block 7") {
		t.Errorf("after the second pause: %q", second.After)
	}
	if got := node.Pauses(10*time.Second, 2, 1); len(got) != 1 || got[0].Length != first.Length {
		t.Errorf("the longest pause alone: %+v", got)
	}
	if got := node.Pauses(time.Hour, 2, 3); len(got) != 0 {
		t.Errorf("pauses of an hour: %+v", got)
	}
}

// TestReport: a node's report says that its API did not answer (this one
// never ran), shows its pause, its last peer lines, warnings and errors,
// and its last lines, each cut to the width asked.
func TestReport(t *testing.T) {
	n := &Net{Params: &chainparams.PowRegtest}
	node := &Node{Spec: NodeSpec{Name: "a"}, Home: t.TempDir(), net: n, grew: make(chan struct{})}
	n.Nodes = []*Node{node}
	for _, line := range []string{
		"2026-12-08 02:47:31.000 [INF] PEER: New peer 127.0.0.1:18500 (outbound, peer 1)",
		"2026-12-08 02:47:31.500 [WRN] PEER: Rejecting peer 127.0.0.1:18500 (outbound, peer 2): already connected",
		"2026-12-08 02:47:32.000 [ERR] SDND: Mined sideblock refused",
		"2026-12-08 02:50:34.100 [INF] SDND: Sidechain tip at height 1 " + strings.Repeat("x", 300),
	} {
		node.addLine(line)
	}
	report := strings.Join(n.Report(10*time.Second, 2, 120), "\n")
	for _, want := range []string{
		"=== a: no info:",
		"--- a logged nothing for 3m2.1s:",
		"--- a's last sidechain peer lines (2 in all):",
		"--- a's last warnings (1 in all):",
		"--- a's last errors (1 in all):",
		"--- a's last 2 lines:",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("no %q in the report:\n%s", want, report)
		}
	}
	for _, l := range strings.Split(report, "\n") {
		if len([]rune(l)) > 121 {
			t.Errorf("line of %d characters: %q", len([]rune(l)), l)
		}
	}
}

// TestStuckGoroutines reads a Go traceback: goroutines that waited a
// minute or more on a lock or a channel send are listed with their top
// frames; idle ones (select, network) and short waits are only counted.
func TestStuckGoroutines(t *testing.T) {
	traceback := strings.Split(`goroutine 1 [select, 3 minutes]:
main.run()
	/src/main.go:10 +0x1
	
goroutine 7 [sync.Mutex.Lock, 3 minutes]:
sync.(*Mutex).Lock(...)
	/go/src/sync/mutex.go:1 +0x1
node.(*storeChain).ConnectBlock(0x1)
	/src/chain.go:20 +0x2
mainwatch.(*Follower).connect(0x1)
	/src/follower.go:30 +0x3

goroutine 9 [chan send, 2 minutes]:
p2p.(*peer).handle(0x1)
	/src/peer.go:40 +0x4

goroutine 12 [sync.Mutex.Lock]:
sync.(*Mutex).Lock(...)
	/go/src/sync/mutex.go:1 +0x1

goroutine 15 [IO wait, 3 minutes]:
internal/poll.runtime_pollWait(0x1)
	/go/src/runtime/netpoll.go:1 +0x1
`, "\n")
	total, stuck, out := stuckGoroutines(traceback, 2)
	if total != 5 || stuck != 2 {
		t.Fatalf("%d goroutines, %d stuck; want 5 and 2", total, stuck)
	}
	want := []string{
		"goroutine 7 [sync.Mutex.Lock, 3 minutes]:",
		"sync.(*Mutex).Lock(...)",
		"\t/go/src/sync/mutex.go:1 +0x1",
		"node.(*storeChain).ConnectBlock(0x1)",
		"\t/src/chain.go:20 +0x2",
		"goroutine 9 [chan send, 2 minutes]:",
		"p2p.(*peer).handle(0x1)",
		"\t/src/peer.go:40 +0x4",
	}
	if strings.Join(out, "\n") != strings.Join(want, "\n") {
		t.Fatalf("stuck goroutines:\n%s\nwant:\n%s", strings.Join(out, "\n"),
			strings.Join(want, "\n"))
	}
}
