package stratum

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mainstake/sidenode/pow/stratum/work"
)

// TestResume: a miner that reconnects with its session id keeps its
// extranonce1 and difficulty; an expired or unknown session gets a new
// one; the table of resumable sessions is bounded.
func TestResume(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxSessions = 2 })
	c := h.dial()
	c.subscribe("")
	c.call("mining.suggest_difficulty", 3*testDiff)
	c.authorize("sa1miner.rig", "x")
	en1, session := c.en1, c.session
	c.nc.Close()
	h.waitDrop()

	c2 := h.dial()
	c2.subscribe(session)
	if !bytes.Equal(c2.en1, en1) || c2.session != session {
		t.Fatalf("resumed en1 %x session %s, want %x %s", c2.en1, c2.session, en1, session)
	}
	c2.authorize("sa1miner.rig", "x")
	if c2.diff != 3*testDiff {
		t.Fatalf("resumed difficulty %v, want %v", c2.diff, 3*testDiff)
	}
	if s := h.srv.Snapshot(); s.Resumed != 1 {
		t.Fatalf("resumed %d", s.Resumed)
	}
	// A session is resumed once: it is live now.
	c3 := h.dial()
	c3.subscribe(session)
	if bytes.Equal(c3.en1, en1) {
		t.Fatal("a live session was resumed by a second connection")
	}

	// Expiry.
	c2.nc.Close()
	h.waitDrop()
	h.clock.Advance(h.srv.cfg.SessionTTL + time.Second)
	h.srv.sweep()
	// The sweep also drops c3, which never authorized.
	c3.expectClosed()
	if r := h.waitDrop(); r != DropHandshake {
		t.Fatalf("c3 dropped for %q", r)
	}
	c4 := h.dial()
	c4.subscribe(session)
	if bytes.Equal(c4.en1, en1) {
		t.Fatal("an expired session was resumed")
	}

	// Bound: with room for two, the oldest of three goes.
	var ids []string
	for range 3 {
		x := h.dial()
		x.subscribe("")
		ids = append(ids, x.session)
		x.nc.Close()
		h.waitDrop()
	}
	if s := h.srv.Snapshot(); s.Sessions != 2 {
		t.Fatalf("%d resumable sessions, want 2", s.Sessions)
	}
	h.srv.mu.Lock()
	_, oldest := h.srv.sessions[ids[0]]
	h.srv.mu.Unlock()
	if oldest {
		t.Fatalf("the oldest session was kept: %v %v", ids, h.srv.sessions)
	}
}

// TestVersionRolling: BIP310 mask negotiation, the 6th submit parameter,
// bits outside the mask refused, set_version_mask on a change.
func TestVersionRolling(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial()
	m := c.call("mining.configure", []string{"version-rolling", "minimum-difficulty"},
		map[string]any{"version-rolling.mask": "ffffffff", "version-rolling.min-bit-count": 2})
	var res map[string]any
	if err := json.Unmarshal(m.Result, &res); err != nil {
		t.Fatalf("configure: %s %s", m.Result, m.Error)
	}
	if res["version-rolling"] != true || res["version-rolling.mask"] != "1fffe000" || res["minimum-difficulty"] != false {
		t.Fatalf("configure result %v", res)
	}
	c.mask = 0x1fffe000
	c.handshake()

	s := c.find(0, 0, 0x00ffe000, work.TargetFromDifficulty(c.diff), true)
	if m := c.submit("sa1miner.rig", s); string(m.Result) != "true" {
		t.Fatalf("rolled share: %s", m.Error)
	}
	// Bits outside the mask.
	p := []any{"sa1miner.rig", s.jobID, "00000000", "00000000", "00000000", "40000000"}
	if m := c.call("mining.submit", p...); m.code() != 20 {
		t.Fatalf("bits outside the mask: code %d", m.code())
	}

	// Too few bits for min-bit-count: refused.
	c2 := h.dial()
	m = c2.call("mining.configure", []string{"version-rolling"},
		map[string]any{"version-rolling.mask": "00006000", "version-rolling.min-bit-count": 4})
	_ = json.Unmarshal(m.Result, &res)
	if res["version-rolling"] != false {
		t.Fatalf("min-bit-count not met: %v", res)
	}

	h.srv.SetVersionMask(0x00ffe000)
	n := c.waitNote("mining.set_version_mask")
	if jsonString(t, n.Params[0]) != "00ffe000" {
		t.Fatalf("set_version_mask %s", n.Params[0])
	}
	c.mask = 0x00ffe000
	s = c.find(100, 0, 0x10000000, work.TargetFromDifficulty(c.diff), true)
	c.mask = 0x1fffe000 // send the bit the server no longer allows
	if m := c.submit("sa1miner.rig", s); m.code() != 20 {
		t.Fatalf("bit outside the new mask: code %d", m.code())
	}
}

// TestExtranonce: mining.extranonce.subscribe, then mining.set_extranonce
// with a clean job when the server gives the session a new extranonce1;
// a miner that did not subscribe to it is disconnected instead.
func TestExtranonce(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial()
	c.subscribe("")
	if m := c.call("mining.extranonce.subscribe"); string(m.Result) != "true" {
		t.Fatalf("extranonce.subscribe: %s", m.Error)
	}
	c.authorize("sa1miner.rig", "x")
	old := c.en1
	if err := h.srv.NewExtranonce(c.session); err != nil {
		t.Fatal(err)
	}
	c.waitNote("mining.set_extranonce")
	c.waitNote("mining.notify")
	if bytes.Equal(old, c.en1) || len(c.en1) != 4 {
		t.Fatalf("extranonce1 %x after %x", c.en1, old)
	}
	if m := c.submit("sa1miner.rig", c.goodShare(0)); string(m.Result) != "true" {
		t.Fatalf("share with the new extranonce1: %s", m.Error)
	}

	c2 := h.dial().handshake()
	if err := h.srv.NewExtranonce(c2.session); err != nil {
		t.Fatal(err)
	}
	c2.expectClosed()
	if r := h.waitDrop(); r != DropExtranonce {
		t.Fatalf("dropped for %q", r)
	}
	// Its session is not resumable: it reconnects with a new extranonce1.
	c3 := h.dial()
	c3.subscribe(c2.session)
	if bytes.Equal(c3.en1, c2.en1) {
		t.Fatal("the session of a miner dropped for a new extranonce1 was resumed")
	}
	if err := h.srv.NewExtranonce("nosuch"); err != ErrNoSession {
		t.Fatalf("unknown session: %v", err)
	}
}

// TestFixedDifficulty: d=<n> in the password fixes the difficulty, within
// the network difficulty; a bad d= is refused.
func TestFixedDifficulty(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial()
	c.subscribe("")
	c.authorize("sa1miner.rig", "x,d=0.000000002")
	if c.diff != 2e-9 {
		t.Fatalf("difficulty %v", c.diff)
	}
	// suggest_difficulty does not move a fixed difficulty.
	c.call("mining.suggest_difficulty", 5e-9)
	if c.diff != 2e-9 {
		t.Fatalf("difficulty %v after a suggestion", c.diff)
	}
	// The network difficulty (1 for hardBits) caps it.
	c2 := h.dial()
	c2.subscribe("")
	c2.authorize("sa1miner.rig", "d=5")
	if c2.diff != 1 {
		t.Fatalf("difficulty %v above the network's", c2.diff)
	}
	c3 := h.dial()
	c3.subscribe("")
	if m := c3.call("mining.authorize", "sa1miner.rig", "d=abc"); m.code() != 24 || !strings.Contains(string(m.Error), "d=abc") {
		t.Fatalf("bad d=: %s", m.Error)
	}
	// The password proper is what is left: locked's is "pw".
	c4 := h.dial()
	c4.subscribe("")
	c4.authorize("locked.rig", "pw,d=0.000000002")
}

// TestSuggestDifficulty: before authorize it sets the first difficulty;
// after, it is sent at once; the port's floor bounds it. The worker's
// snapshot shows the difficulty in force, before any share.
func TestSuggestDifficulty(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial()
	c.subscribe("")
	if m := c.call("mining.suggest_difficulty", 4e-9); string(m.Result) != "true" {
		t.Fatalf("suggest: %s", m.Error)
	}
	c.authorize("sa1miner.rig", "x")
	if c.diff != 4e-9 {
		t.Fatalf("difficulty %v", c.diff)
	}
	workerDiff := func() float64 {
		for _, w := range h.srv.Snapshot().Workers {
			if w.Name == "sa1miner.rig" {
				return w.Difficulty
			}
		}
		return -1
	}
	if d := workerDiff(); d != 4e-9 {
		t.Fatalf("the worker's difficulty %v, want 4e-9", d)
	}
	c.call("mining.suggest_difficulty", 1e-30)
	if c.diff != h.srv.cfg.Vardiff.Min {
		t.Fatalf("difficulty %v, want the floor %v", c.diff, h.srv.cfg.Vardiff.Min)
	}
	if d := workerDiff(); d != h.srv.cfg.Vardiff.Min {
		t.Fatalf("the worker's difficulty %v, want the floor %v", d, h.srv.cfg.Vardiff.Min)
	}
	if m := c.call("mining.suggest_difficulty", "high"); m.code() != 20 {
		t.Fatalf("non-number: code %d", m.code())
	}
}

// TestPreviousDifficulty: after a difficulty rise, a share of a job sent
// before it, at the old difficulty, is accepted (and credited at it); a
// job sent after takes the new difficulty.
func TestPreviousDifficulty(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial().handshake()
	old := c.diff
	c.call("mining.suggest_difficulty", 1e-6)
	if c.diff != 1e-6 {
		t.Fatalf("difficulty %v", c.diff)
	}
	// A share at the old difficulty that misses the new one.
	var s share
	for start := uint32(0); ; start = s.nonce + 1 {
		s = c.find(start, 0, 0, work.TargetFromDifficulty(old), true)
		if s.hash.Cmp(work.TargetFromDifficulty(c.diff)) > 0 {
			break
		}
	}
	if m := c.submit("sa1miner.rig", s); string(m.Result) != "true" {
		t.Fatalf("share of the old job at the old difficulty: %s", m.Error)
	}
	if sh := h.shares.all(); sh[0].Difficulty != old {
		t.Fatalf("credited at %v, want %v", sh[0].Difficulty, old)
	}
	// A new job on the same block (not clean).
	tpl := template(t, 10, 1, hardBits)
	tpl.Txs = tpl.Txs[:2]
	tpl.Fees = tpl.Fees[:2]
	h.newJob(tpl)
	c.waitNote("mining.notify")
	var clean bool
	_ = json.Unmarshal(c.job[8], &clean)
	if clean {
		t.Fatal("a job on the same block was clean")
	}
	for start := uint32(0); ; start = s.nonce + 1 {
		s = c.find(start, 0, 0, work.TargetFromDifficulty(old), true)
		if s.hash.Cmp(work.TargetFromDifficulty(c.diff)) > 0 {
			break
		}
	}
	if m := c.submit("sa1miner.rig", s); m.code() != 23 {
		t.Fatalf("new job at the old difficulty: code %d", m.code())
	}
}

// TestNetworkDifficultyCap: the difficulty never exceeds the network's.
func TestNetworkDifficultyCap(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.StartDifficulty = 64 })
	c := h.dial().handshake()
	if c.diff != 1 {
		t.Fatalf("difficulty %v above the network's 1", c.diff)
	}
}

// TestServePort: a second port with its own difficulty policy, on the same
// server; its connections start at its StartDifficulty and its floor
// bounds suggestions.
func TestServePort(t *testing.T) {
	h := newHarness(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := Port{Vardiff: h.srv.cfg.Vardiff, StartDifficulty: 7 * testDiff}
	port.Vardiff.Min = 5 * testDiff
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.srv.ServePort(ctx, ln, port) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServePort: %v", err)
		}
	}()
	h2 := *h
	h2.addr = ln.Addr().String()
	c := h2.dial().handshake()
	if c.diff != 7*testDiff {
		t.Fatalf("difficulty %v, want the port's %v", c.diff, 7*testDiff)
	}
	c.call("mining.suggest_difficulty", testDiff)
	if c.diff != 5*testDiff {
		t.Fatalf("difficulty %v, want the port's floor %v", c.diff, 5*testDiff)
	}
	// The default port is unchanged.
	if d := h.dial().handshake(); d.diff != testDiff {
		t.Fatalf("default port difficulty %v", d.diff)
	}
}
