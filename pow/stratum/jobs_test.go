package stratum

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/mainstake/sidenode/pow/stratum/work"
)

// TestJobs: a new block makes a clean job for every miner, a new
// template on the same block a job that is not clean; only MaxJobs recent
// jobs take shares.
func TestJobs(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxJobs = 2 })
	a := h.dial().handshake()
	b := h.dial().handshake()
	first := a.goodShare(0)

	e := h.newJob(template(t, 11, 2, hardBits))
	for _, c := range []*client{a, b} {
		n := c.waitNote("mining.notify")
		var clean bool
		_ = json.Unmarshal(n.Params[8], &clean)
		if jsonString(t, n.Params[0]) != e.job.ID || !clean {
			t.Fatalf("notify %s clean %v, want job %s clean", n.Params[0], clean, e.job.ID)
		}
	}
	if m := a.submit("sa1miner.rig", first); m.code() != 21 {
		t.Fatalf("share of the previous block: code %d", m.code())
	}

	// Same block: jobs 2 and 3 are kept beside each other, not 1.
	s2 := a.goodShare(0)
	for range 2 {
		tpl := template(t, 11, 2, hardBits)
		tpl.Txs, tpl.Fees = tpl.Txs[:1], tpl.Fees[:1]
		h.newJob(tpl)
		a.waitNote("mining.notify")
	}
	if m := a.submit("sa1miner.rig", s2); m.code() != 21 {
		t.Fatalf("share of a job past MaxJobs: code %d", m.code())
	}
}

// TestNotSHA256d: a template whose block is not mined with SHA-256d makes
// no job, and the old jobs go stale.
func TestNotSHA256d(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial().handshake()
	s := c.goodShare(0)
	tpl := template(t, 11, 2, hardBits)
	tpl.SHA256d = false
	h.src.set(tpl)
	// No broadcast follows; wait for the job table to empty instead by
	// asking for a job the same way the loop does.
	h.srv.refreshJob()
	if h.srv.currentJob() != nil {
		t.Fatal("a job for a block that is not SHA-256d")
	}
	if m := c.submit("sa1miner.rig", s); m.code() != 21 {
		t.Fatalf("share after the algorithm changed: code %d", m.code())
	}
}

// failingShares refuses every share.
type failingShares struct{}

func (failingShares) AcceptShare(*Share) error { return errors.New("disk full") }

// TestShareSinkError: a share the sink cannot record is answered 20 and
// not counted as accepted.
func TestShareSinkError(t *testing.T) {
	h := newHarness(t, nil)
	h.srv.shares = failingShares{}
	c := h.dial().handshake()
	if m := c.submit("sa1miner.rig", c.goodShare(0)); m.code() != 20 {
		t.Fatalf("code %d", m.code())
	}
	if s := h.srv.Snapshot(); s.Accepted != 0 || s.Rejected[20] != 1 {
		t.Fatalf("snapshot %+v", s.Counters)
	}
}

// TestSeenFull: a job whose duplicate set is full refuses shares (20, not
// counted against the ban); the newest job asks for the next one once,
// when its set reaches 3/4 of the bound (here, with a bound of 1, at its
// first share).
func TestSeenFull(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxSharesPerJob = 1 })
	c := h.dial().handshake()
	if m := c.submit("sa1miner.rig", c.goodShare(0)); string(m.Result) != "true" {
		t.Fatal(m.Error)
	}
	if n := h.srv.jobRequests.Load(); n != 1 {
		t.Fatalf("%d new jobs asked for after the first share, want 1", n)
	}
	s := c.goodShare(c.goodShare(0).nonce + 1)
	if m := c.submit("sa1miner.rig", s); m.code() != 20 {
		t.Fatalf("code %d", m.code())
	}
	e := <-h.jobs
	// The notify may have come before the answer (call notes it).
	for jsonString(t, c.job[0]) != e.job.ID {
		c.waitNote("mining.notify")
	}
	// The shares of the new job are found on its notify (the answers
	// may bring its successor's).
	newJob := c.job
	if m := c.submit("sa1miner.rig", c.goodShare(0)); string(m.Result) != "true" {
		t.Fatalf("share of the new job: %s", m.Error)
	}
	// The new job asked for its successor; a refusal of the full old
	// one asks for nothing, nor does a second refusal of the new one.
	if n := h.srv.jobRequests.Load(); n != 2 {
		t.Fatalf("%d new jobs asked for, want 2", n)
	}
	if m := c.submit("sa1miner.rig", s); m.code() != 20 {
		t.Fatalf("full old job: code %d", m.code())
	}
	c.job = newJob
	if m := c.submit("sa1miner.rig", c.goodShare(c.goodShare(0).nonce+1)); m.code() != 20 {
		t.Fatalf("full new job: code %d", m.code())
	}
	if n := h.srv.jobRequests.Load(); n != 2 {
		t.Fatalf("%d new jobs asked for, want 2", n)
	}
}

// TestJobAsksNextAtThreeQuarters: with a bound of 8 shares a job, the
// newest job asks for the next one at its 6th accepted share, once; its
// 7th and 8th shares are still taken, its 9th is refused (20), and no
// share of a job that is no longer the newest asks again.
func TestJobAsksNextAtThreeQuarters(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxSharesPerJob = 8 })
	c := h.dial().handshake()
	var next uint32
	submit := func() msg {
		t.Helper()
		s := c.goodShare(next)
		next = s.nonce + 1
		return c.submit("sa1miner.rig", s)
	}
	for i := range 5 {
		if m := submit(); string(m.Result) != "true" {
			t.Fatalf("share %d: %s", i+1, m.Error)
		}
	}
	if n := h.srv.jobRequests.Load(); n != 0 {
		t.Fatalf("%d new jobs asked for after 5 of 8 shares, want 0", n)
	}
	// The first job (still kept once the next one is out) takes its
	// last two shares, found on its notify: the answer to the 6th may
	// come after the next job's.
	first := c.job
	if m := submit(); string(m.Result) != "true" {
		t.Fatalf("share 6: %s", m.Error)
	}
	if n := h.srv.jobRequests.Load(); n != 1 {
		t.Fatalf("%d new jobs asked for after 6 of 8 shares, want 1", n)
	}
	<-h.jobs
	for i := 7; i <= 8; i++ {
		c.job = first
		if m := submit(); string(m.Result) != "true" {
			t.Fatalf("share %d: %s", i, m.Error)
		}
	}
	c.job = first
	if m := submit(); m.code() != 20 {
		t.Fatalf("share 9: code %d, want 20", m.code())
	}
	if n := h.srv.jobRequests.Load(); n != 1 {
		t.Fatalf("%d new jobs asked for, want 1", n)
	}
}

// TestWorkerStats: per-worker accepted shares, rejects by code and
// connections in the snapshot.
func TestWorkerStats(t *testing.T) {
	h := newHarness(t, nil)
	a := h.dial().handshake()
	b := h.dial()
	b.subscribe("")
	b.authorize("sa1other.w", "x")
	for i := range 3 {
		if m := a.submit("sa1miner.rig", a.goodShare(uint32(i)*1000)); string(m.Result) != "true" {
			t.Fatal(m.Error)
		}
	}
	low := b.find(0, 0, 0, work.TargetFromDifficulty(b.diff), false)
	b.submit("sa1other.w", low)
	snap := h.srv.Snapshot()
	if len(snap.Workers) != 2 {
		t.Fatalf("workers %+v", snap.Workers)
	}
	m, o := snap.Workers[0], snap.Workers[1]
	if m.Name != "sa1miner.rig" || m.Accepted != 3 || !near(m.AcceptedDifficulty, 3*testDiff) || m.Connections != 1 ||
		o.Name != "sa1other.w" || o.Address != "sa1other" || o.Rejected[23] != 1 || o.Accepted != 0 {
		t.Fatalf("workers %+v", snap.Workers)
	}
	// 3 shares of testDiff over the window.
	want := 3 * testDiff * 4294967296 / h.srv.cfg.HashrateWindow.Seconds()
	if !near(m.Hashrate, want) || !near(snap.Hashrate, want) {
		t.Fatalf("hashrate %v / %v, want %v", m.Hashrate, snap.Hashrate, want)
	}
	h.clock.Advance(h.srv.cfg.HashrateWindow + h.srv.cfg.HashrateWindow/rateBuckets)
	if snap := h.srv.Snapshot(); snap.Hashrate != 0 {
		t.Fatalf("hashrate %v after the window", snap.Hashrate)
	}
}

// near says a and b agree to 1e-9 relative.
func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// TestJobRefresh: every JobRefresh a new job is made from the source's
// template even when it did not change; it is not clean.
func TestJobRefresh(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.JobRefresh = time.Millisecond })
	c := h.dial().handshake()
	first, _ := strconv.ParseUint(jsonString(t, c.job[0]), 16, 64)
	e := <-h.jobs
	for e.seq <= first {
		e = <-h.jobs
	}
	for jsonString(t, c.job[0]) != e.job.ID {
		c.waitNote("mining.notify")
	}
	var clean bool
	_ = json.Unmarshal(c.job[8], &clean)
	if clean {
		t.Fatal("a refresh was clean")
	}
}

// TestFirstJobWhenSynced: a server that started while its source had no
// template (a node still syncing) gives an authorizing miner work once the
// source has a template, though the source signals no change and the
// server neither refreshes nor retries on its own (JobRefresh 0).
func TestFirstJobWhenSynced(t *testing.T) {
	h := newHarnessOn(t, nil, nil)
	for !h.srv.templateMissing.Load() { // the server's first try failed
		time.Sleep(time.Millisecond)
	}
	// The template appears without a Changed signal, as when the node
	// synced the mainchain but its sidechain tip did not move.
	tpl := template(t, 10, 1, hardBits)
	h.src.mu.Lock()
	h.src.t = tpl
	h.src.mu.Unlock()
	c := h.dial()
	// A bound on a broken server, not a timing assertion.
	_ = c.nc.SetReadDeadline(time.Now().Add(2 * time.Minute))
	c.subscribe("")
	c.authorize("sa1miner.rig", "x") // waits for mining.notify
	if c.job == nil {
		t.Fatal("no job after authorize")
	}
}

// TestJobRetryWhileNoTemplate: while the source has no template the job
// loop asks again on its own, so a miner already connected gets work once
// there is a template, though nobody signals it.
func TestJobRetryWhileNoTemplate(t *testing.T) {
	h := newHarnessOn(t, func(c *Config) { c.JobRefresh = time.Hour }, nil)
	c := h.dial()
	_ = c.nc.SetReadDeadline(time.Now().Add(2 * time.Minute))
	c.subscribe("")
	m := c.call("mining.authorize", "sa1miner.rig", "x")
	if m.code() != 0 {
		t.Fatalf("authorize: %s", m.Error)
	}
	h.src.mu.Lock()
	h.src.t = template(t, 10, 1, hardBits)
	h.src.mu.Unlock()
	c.waitNote("mining.notify")
}
