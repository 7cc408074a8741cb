package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mainstake/sidenode/api/apitest"
)

func TestSlotCommands(t *testing.T) {
	b := apitest.NewBackend(5)
	b.MissReasons = map[int32]string{8: "not synced"}
	n := startNodeOn(t, b, b)
	r := n.run("publications", "--limit", "5")
	wantOK(t, r)
	m := r.json(t)
	pubs, _ := m["publications"].([]any)
	if len(pubs) != 1 || m["total"] != "1" {
		t.Fatalf("publications %v", m)
	}
	if p, _ := pubs[0].(map[string]any); p["height"] != 11.0 || p["ticket_id"] != "1" {
		t.Errorf("publication %v", p)
	}

	r = n.run("missed", "--reversed")
	wantOK(t, r)
	m = r.json(t)
	missed, _ := m["missed_slots"].([]any)
	if len(missed) != 1 || m["total"] != "1" {
		t.Fatalf("missed %v", m)
	}
	if s, _ := missed[0].(map[string]any); s["height"] != 8.0 || s["ticket_id"] != "3" || s["own_ticket"] != true ||
		s["miss_reason"] != "not synced" {
		t.Errorf("missed slot %v", s)
	}
	wantFail(t, n.run("missed", "--limit", "5000"), "above the maximum page size")
	wantFail(t, n.run("publications", "x"), "unexpected arguments")
}

// lineWriter collects output and calls done once it holds want lines.
type lineWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want int
	done func()
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Count(w.buf.String(), "\n") >= w.want {
		w.done()
	}
	return len(p), nil
}

// runStream runs a subscription command against n and interrupts it once
// it printed lines lines; it returns the lines.
func (n *testNode) runStream(t *testing.T, lines int, args ...string) (result, []map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	streamContext = func(parent context.Context) context.Context {
		c, stop := context.WithCancel(parent)
		context.AfterFunc(ctx, stop)
		return c
	}
	defer func() { streamContext = nil }()
	out := &lineWriter{want: lines, done: cancel}
	var stderr bytes.Buffer
	code := Main(append([]string{"--datadir", n.dataDir, "--network", "regtest",
		"--rpcserver", n.addr}, args...), func(string) string { return "" },
		out, &stderr)
	r := result{code, out.buf.String(), stderr.String()}
	var msgs []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		msgs = append(msgs, m)
	}
	return r, msgs
}

func TestSubscribeCommands(t *testing.T) {
	n := startNode(t)
	chain := n.backend.MainChain()
	r, msgs := n.runStream(t, 4, "subscribe", "sideblocks", "--all")
	wantOK(t, r)
	if len(msgs) != 4 {
		t.Fatalf("%d lines:\n%s", len(msgs), r.stdout)
	}
	// Heights are numbers; the deprecated 64-bit fields, strings, stay.
	if st, _ := msgs[0]["state"].(map[string]any); st["height"] != 2.0 || st["tip_height"] != "2" {
		t.Errorf("first line %v, want the state", msgs[0])
	}
	for i, m := range msgs[1:] {
		b, _ := m["connected"].(map[string]any)
		if b == nil || b["block_height"] != float64(i) || b["height"] != []string{"0", "1", "2"}[i] {
			t.Errorf("line %d: %v", i+1, m)
		}
	}

	r, msgs = n.runStream(t, 3, "subscribe", "lottery", "--height", "9",
		"--hash", chain[9].BlockHash.String())
	wantOK(t, r)
	if len(msgs) != 3 {
		t.Fatalf("%d lines:\n%s", len(msgs), r.stdout)
	}
	if st, _ := msgs[0]["state"].(map[string]any); st["height"] != 11.0 {
		t.Errorf("first line %v, want the state", msgs[0])
	}
	d, _ := msgs[1]["connected"].(map[string]any)
	w, _ := d["winner"].(map[string]any)
	if d["height"] != 10.0 || w["ticket_id"] != "1" || w["r"] == "" {
		t.Errorf("draw at 10: %v", msgs[1])
	}
	if !strings.Contains(r.stdout, "\n{\"connected\":") {
		t.Errorf("not one compact object per line:\n%s", r.stdout)
	}

	// The wallet's transactions, block by block, from the first block (the
	// fake's chain starts at no network's genesis block, so no --all).
	r, msgs = n.runStream(t, 3, "subscribe", "wallet", "--height", "0",
		"--hash", chain[0].BlockHash.String())
	wantOK(t, r)
	if len(msgs) < 3 {
		t.Fatalf("%d lines:\n%s", len(msgs), r.stdout)
	}
	if st, _ := msgs[0]["state"].(map[string]any); st["height"] != 11.0 {
		t.Errorf("first line %v, want the state", msgs[0])
	}
	for i, m := range msgs[1:] {
		b, _ := m["connected"].(map[string]any)
		blk, _ := b["block"].(map[string]any)
		if txs, ok := b["transactions"].([]any); !ok || len(txs) != 0 || blk["height"] != float64(i+1) ||
			blk["hash"] != chain[i+1].BlockHash.String() {
			t.Errorf("line %d: %v", i+1, m)
		}
	}

	wantFail(t, n.run("subscribe", "sideblocks", "--height", "3"), "--height needs --hash")
	wantFail(t, n.run("subscribe", "lottery", "--all", "--hash", chain[9].BlockHash.String()),
		"give one")
	wantFail(t, n.run("subscribe", "sideblocks", "--height", "1", "--hash", "abcd"),
		"--hash abcd is not a sidechain block hash")
	wantFail(t, n.run("subscribe", "lottery", "--height", "9", "--hash", strings.Repeat("ab", 32)),
		"unknown block")
}
