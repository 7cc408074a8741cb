package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLostBodies reads lines as a soak's devnet writes them: a header every
// node saw published without its body, and never connected, is a lost
// slot; one that a node held, or connected later, is not.
func TestLostBodies(t *testing.T) {
	lost := strings.Repeat("39c2", 16)
	late := strings.Repeat("9aad", 16)
	held := strings.Repeat("1da9", 16)
	published := func(node, hash, state string) string {
		return "[" + node + "]       2026-12-07 15:22:44.675 [INF] SBLK: Sideblock " + hash +
			" published in mainchain block 375 (height 257, lottery height 374, body " + state + ")"
	}
	lines := []string{
		published("node-b", lost, "missing"),
		published("node-c", lost, "missing"),
		published("node-a", late, "missing"),
		published("node-b", late, "missing"),
		published("node-c", late, "missing"),
		published("node-a", held, "staged"),
		published("node-b", held, "missing"),
		published("node-c", held, "missing"),
		"[node-a]       2026-12-07 15:22:45.617 [INF] SBLK: Sideblock " + late + " connected (sidechain height 54, produced by ticket 0)",
		published("node-a", lost, "missing"),
	}
	path := filepath.Join(t.TempDir(), "nodes.log")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := lostBodies(path, nodeNames)
	if len(got) != 1 || !strings.HasPrefix(got[0], lost[:16]+"… in mainchain block 375 (sidechain height 257, draw after block 374)") {
		t.Fatalf("lost %q, want only %s", got, lost[:16])
	}
}
