package cli

import (
	"strings"
	"testing"

	"github.com/mainstake/sidenode/api/apitest"
)

// TestPoolCommands runs every pool command against the fake pool and
// reads their JSON: 64-bit counts as strings, statuses as words.
func TestPoolCommands(t *testing.T) {
	n := startNode(t)

	r := n.run("pool", "stats")
	wantOK(t, r)
	st := r.json(t)
	rej, _ := st["shares_rejected"].(map[string]any)
	if st["connections"] != 3.0 || st["shares_accepted"] != "1500" || rej["total"] != "11" ||
		rej["bad_ntime"] != "4" || st["scheme"] != "pplns" || st["audit_ok"] != true ||
		st["owed_sat"] != "1500000" {
		t.Errorf("pool stats %v", st)
	}

	r = n.run("pool", "workers")
	wantOK(t, r)
	m := r.json(t)
	ws, _ := m["workers"].([]any)
	if m["total"] != "2" || len(ws) != 2 || ws[0].(map[string]any)["name"] != apitest.PoolWorkerA {
		t.Errorf("pool workers %v", m)
	}
	r = n.run("pool", "workers", apitest.PoolWorkerB)
	wantOK(t, r)
	if ws, _ := r.json(t)["workers"].([]any); len(ws) != 1 ||
		ws[0].(map[string]any)["payout_address"] != apitest.OtherSideAddress {
		t.Errorf("pool workers bob %s", r.stdout)
	}

	r = n.run("pool", "blocks", "--reversed", "--limit", "2")
	wantOK(t, r)
	bs, _ := r.json(t)["blocks"].([]any)
	if len(bs) != 2 || bs[0].(map[string]any)["status"] != "pending" ||
		bs[1].(map[string]any)["status"] != "orphaned" {
		t.Errorf("pool blocks %s", r.stdout)
	}

	r = n.run("pool", "payouts", "--reversed", "--limit", "1")
	wantOK(t, r)
	ps, _ := r.json(t)["payouts"].([]any)
	if len(ps) != 1 || ps[0].(map[string]any)["txid"] != apitest.PoolPayoutTxID(3) ||
		ps[0].(map[string]any)["height"] != -1.0 {
		t.Errorf("pool payouts %s", r.stdout)
	}

	r = n.run("pool", "audit")
	wantOK(t, r)
	if a := r.json(t); a["ok"] != true || a["total"] != "3" {
		t.Errorf("pool audit %v", a)
	}
}

// TestPoolAuditFails: an audit that does not balance is printed, and
// sidecli exits with 4 so that a script notices.
func TestPoolAuditFails(t *testing.T) {
	n := startNode(t)
	n.backend.SetPoolAuditFails(true)
	r := n.run("pool", "audit")
	if r.code != ExitInvalid || !strings.Contains(r.stderr, "the pool's audit does not balance") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if a := r.json(t); a["ok"] != false || a["blocks_failed"] != "1" {
		t.Errorf("audit %v", a)
	}
}

// TestPoolCommandsNoPool: against a node without a pool every command
// fails with the node's reason, which names --stratum.
func TestPoolCommandsNoPool(t *testing.T) {
	n := startNode(t)
	n.backend.SetNoPool(true)
	for _, cmd := range []string{"stats", "workers", "blocks", "audit", "payouts"} {
		r := n.run("pool", cmd)
		if r.code != ExitNodeError {
			t.Errorf("pool %s: exit %d, want %d", cmd, r.code, ExitNodeError)
		}
		wantFail(t, r, "--stratum")
	}
}
