package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
)

// runWaiting runs sidecli with a wait whose progress lines go to
// onProgress; a wait that does not end within a minute fails the run
// instead of hanging the test.
func (n *testNode) runWaiting(t *testing.T, onProgress func(string), args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	streamContext = func(parent context.Context) context.Context {
		c, stop := context.WithCancel(parent)
		context.AfterFunc(ctx, stop)
		return c
	}
	waitProgress = onProgress
	defer func() { streamContext, waitProgress = nil, nil }()
	return n.run(args...)
}

// TestPegStatusWait follows a withdrawal from included to paid: one
// progress line per stage on stderr, then the paid withdrawal on stdout.
func TestPegStatusWait(t *testing.T) {
	n := startNode(t)
	op := wire.OutPoint{Hash: apitest.WithdrawalTxID(1), Index: 1}
	var seen []string
	r := n.runWaiting(t, func(line string) {
		seen = append(seen, line)
		switch len(seen) {
		case 1:
			n.backend.AdvanceWithdrawal(op, api.WithdrawalPayable)
		case 2:
			n.backend.AdvanceWithdrawal(op, api.WithdrawalPaid)
		}
	}, "peg", "status", "--wait", op.String())
	if r.code != ExitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if got := r.json(t)["stage"]; got != "paid" {
		t.Fatalf("printed stage %v, want paid", got)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "included in sideblock 2: 1 of 2 sideblocks deep") ||
		!strings.Contains(lines[1], "payable") {
		t.Fatalf("progress %q", r.stderr)
	}

	// A paid withdrawal needs no wait: no progress line.
	r = n.runWaiting(t, nil, "peg", "status", "--wait", op.String())
	wantOK(t, r)
}

// TestStakeCreateWait prints the registration, waits for its ticket with
// a progress line, and prints the ticket.
func TestStakeCreateWait(t *testing.T) {
	n := startNode(t)
	progress := 0
	r := n.runWaiting(t, func(line string) {
		progress++
		if !strings.Contains(line, "has no ticket yet") {
			t.Errorf("progress %q", line)
		}
		n.backend.ConfirmStake()
	}, "stake", "create", "--amount", "300000000", "--lock-blocks", "1000", "--wait", "--force")
	if r.code != ExitOK || progress != 1 {
		t.Fatalf("exit %d after %d progress lines, stderr %q", r.code, progress, r.stderr)
	}
	docs := strings.SplitAfter(r.stdout, "\n}\n")
	if len(docs) != 3 || docs[2] != "" || !strings.Contains(docs[0], `"txid"`) ||
		!strings.Contains(docs[1], `"state": "maturing"`) {
		t.Fatalf("stdout %q: want the registration, then the ticket", r.stdout)
	}
}

// TestSubscribeDeposits replays every deposit: the tip, then the blocks
// from 1, the fake's three deposits in blocks 9 to 11.
func TestSubscribeDeposits(t *testing.T) {
	n := startNode(t)
	genesis := n.backend.MainChain()[0].BlockHash.String()
	r, msgs := n.runStream(t, 12, "subscribe", "deposits", "--height", "0", "--hash", genesis)
	if r.code != ExitOK || len(msgs) != 12 {
		t.Fatalf("exit %d, %d messages, stderr %q", r.code, len(msgs), r.stderr)
	}
	var deposits int
	for _, m := range msgs[1:] {
		c, _ := m["connected"].(map[string]any)
		ds, _ := c["deposits"].([]any)
		deposits += len(ds)
	}
	if _, ok := msgs[0]["state"]; !ok || deposits != 3 {
		t.Fatalf("first message %v, %d deposits, want the state and 3", msgs[0], deposits)
	}
}

// TestSubscribeWithdrawals replays the withdrawals from the first
// sideblock: the tip, then the fake's three sideblocks.
func TestSubscribeWithdrawals(t *testing.T) {
	n := startNode(t)
	r, msgs := n.runStream(t, 4, "subscribe", "withdrawals", "--all")
	if r.code != ExitOK || len(msgs) != 4 {
		t.Fatalf("exit %d, %d messages, stderr %q", r.code, len(msgs), r.stderr)
	}
	var ws int
	for _, m := range msgs[1:] {
		c, _ := m["connected"].(map[string]any)
		list, _ := c["withdrawals"].([]any)
		ws += len(list)
	}
	if ws != 2 {
		t.Fatalf("%d withdrawals, want 2: %v", ws, msgs)
	}
}
