package cli

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
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

// depositSteps is the fake node whose deposits a test moves on: the
// deposits of its transactions in steps, those of the fake otherwise.
type depositSteps struct {
	*apitest.Backend
	mu    sync.Mutex
	steps map[chainhash.Hash]api.DepositLookup
}

func newDepositSteps() *depositSteps {
	return &depositSteps{Backend: apitest.NewBackend(5), steps: map[chainhash.Hash]api.DepositLookup{}}
}

// Deposit implements api.PegBackend.
func (d *depositSteps) Deposit(ctx context.Context, q api.DepositQuery) (*api.DepositLookup, error) {
	id := q.TxID
	if q.ByOutPoint {
		id = q.OutPoint.Hash
	}
	d.mu.Lock()
	l, ok := d.steps[id]
	d.mu.Unlock()
	if ok {
		return &l, nil
	}
	return d.Backend.Deposit(ctx, q)
}

// set makes the deposit of txid l, and connects a mainchain block so
// that followers look again.
func (d *depositSteps) set(txid chainhash.Hash, l api.DepositLookup) {
	d.mu.Lock()
	d.steps[txid] = l
	d.mu.Unlock()
	d.ExtendMain(1, false)
}

// TestPegDepositWait follows a deposit the node has not seen yet until
// it is minted: one progress line per status on stderr, then the minted
// deposit on stdout.
func TestPegDepositWait(t *testing.T) {
	fake := newDepositSteps()
	n := startNodeOn(t, fake.Backend, fake)
	id := chainhash.Hash{0x42}
	d := api.Deposit{OutPoint: wire.OutPoint{Hash: id}, Value: 250_000,
		Height: 20, Confirmations: 1, MatureHeight: 21, Status: api.DepositConfirming}
	var seen []string
	r := n.runWaiting(t, func(line string) {
		seen = append(seen, line)
		switch len(seen) {
		case 1:
			fake.set(id, api.DepositLookup{Accepted: &d})
		case 2:
			m := d
			m.Confirmations, m.Status = 2, api.DepositMatured
			fake.set(id, api.DepositLookup{Accepted: &m})
		case 3:
			m := d
			m.Confirmations, m.Status = 3, api.DepositMinted
			fake.set(id, api.DepositLookup{Accepted: &m})
		}
	}, "peg", "deposit", "--wait", id.String()+":0")
	if r.code != ExitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	acc, _ := r.json(t)["accepted"].(map[string]any)
	if acc["status"] != "minted" || acc["value_sat"] != "250000" {
		t.Fatalf("printed %v, want the minted deposit", r.stdout)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "has not seen deposit "+id.String()+":0 yet") ||
		!strings.Contains(lines[1], "confirming: 1 of 2 confirmations") ||
		!strings.Contains(lines[2], "matured") {
		t.Fatalf("progress %q", r.stderr)
	}

	// A minted deposit needs no wait: no progress line.
	r = n.runWaiting(t, nil, "peg", "deposit", "--wait", apitest.DepositTxID(0).String())
	wantOK(t, r)
}

// TestPegDepositWaitRefused waits for a deposit the node has not seen
// yet and that it refuses: the refused deposit on stdout, exit 1 with
// the reason in the user's words.
func TestPegDepositWaitRefused(t *testing.T) {
	fake := newDepositSteps()
	n := startNodeOn(t, fake.Backend, fake)
	id := chainhash.Hash{0x43}
	progress := 0
	r := n.runWaiting(t, func(line string) {
		progress++
		fake.set(id, api.DepositLookup{Refused: &api.RefusedDeposit{TxID: id,
			Height: 20, Confirmations: 1, Reason: "ErrBadDepositVout",
			Message: "the 'D' payload names no output"}})
	}, "peg", "deposit", "--wait", id.String())
	if r.code != ExitNodeError || progress != 1 {
		t.Fatalf("exit %d after %d progress lines, stderr %q", r.code, progress, r.stderr)
	}
	if ref, _ := r.json(t)["refused"].(map[string]any); ref["txid"] != id.String() {
		t.Fatalf("stdout %q: want the refused deposit", r.stdout)
	}
	if !strings.HasSuffix(r.stderr, "the deposit was refused and will never be minted: "+
		"the 'D' payload names no output\n") || strings.Contains(r.stderr, "Err") {
		t.Fatalf("stderr %q", r.stderr)
	}

	// A deposit refused already ends the wait at once.
	r = n.runWaiting(t, func(line string) { t.Errorf("progress %q", line) },
		"peg", "deposit", "--wait", apitest.RefusedTxID(0).String())
	if r.code != ExitNodeError || !strings.Contains(r.stderr, "will never be minted: the deposit "+
		"of 300 sat is below the dust limit of 546 sat") || r.json(t)["refused"] == nil {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}
