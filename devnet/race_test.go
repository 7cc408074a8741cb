package devnet

import (
	"strings"
	"testing"
)

// TestRaceReports feeds a node the output of a process built with -race:
// RaceReports returns each report, framed by its separator lines, and
// nothing of the ordinary lines around them.
func TestRaceReports(t *testing.T) {
	n := &Net{}
	node := &Node{Spec: NodeSpec{Name: "a"}, net: n, grew: make(chan struct{})}
	n.Nodes = []*Node{node}
	for _, line := range []string{
		"2026-12-07 12:00:00.000 [INF] SDND: sidenode starting",
		"==================",
		"WARNING: DATA RACE",
		"Write at 0x00c000123456 by goroutine 7:",
		"  main.f()",
		"  main.loop()",
		"      main.go:3",
		"  main.loop()",
		"      main.go:3",
		"  main.loop()",
		"      main.go:3",
		"==================",
		"2026-12-07 12:00:01.000 [INF] SDND: still running",
		"==================",
		"WARNING: DATA RACE",
		"Read at 0x00c000654321 by goroutine 9:",
		"==================",
	} {
		node.addLine(line)
	}
	reports := n.RaceReports()
	if len(reports) != 2 {
		t.Fatalf("%d reports, want 2: %q", len(reports), reports)
	}
	if want := "a: WARNING: DATA RACE\nWrite at 0x00c000123456 by " +
		"goroutine 7:\n  main.f()\n  main.loop()\n      main.go:3"; reports[0] != want {
		t.Errorf("first report %q, want %q", reports[0], want)
	}
	if !strings.Contains(reports[1], "Read at") ||
		strings.Contains(reports[1], "still running") {

		t.Errorf("second report %q", reports[1])
	}
}
