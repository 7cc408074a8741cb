package stratum

import "testing"

// TestVardiffRaises: a miner sending shares much faster than the port's
// target interval gets a higher difficulty (set_difficulty), and its
// next shares are checked against it.
func TestVardiffRaises(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial().handshake()
	start := c.diff
	nonce := uint32(0)
	for i := 0; c.diff == start; i++ {
		if i == 200 {
			t.Fatal("no retarget after 200 shares at 10× the target rate")
		}
		h.clock.Advance(h.srv.cfg.Vardiff.TargetInterval / 10)
		s := c.goodShare(nonce)
		nonce = s.nonce + 1
		if m := c.submit("sa1miner.rig", s); string(m.Result) != "true" {
			t.Fatalf("share %d: %s", i, m.Error)
		}
	}
	if c.diff <= start {
		t.Fatalf("difficulty %v after %v", c.diff, start)
	}
	// The new difficulty applies to the next job.
	tpl := template(t, 10, 1, hardBits)
	tpl.Txs, tpl.Fees = tpl.Txs[:1], tpl.Fees[:1]
	h.newJob(tpl)
	c.waitNote("mining.notify")
	sh := h.shares.all()
	before := len(sh)
	if m := c.submit("sa1miner.rig", c.goodShare(0)); string(m.Result) != "true" {
		t.Fatal(m.Error)
	}
	if got := h.shares.all()[before].Difficulty; got != c.diff {
		t.Fatalf("credited at %v, want %v", got, c.diff)
	}
}

// TestVardiffIdle: a miner that sends no share has its difficulty
// lowered by the sweeper.
func TestVardiffIdle(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.StartDifficulty = 1e-6 })
	c := h.dial().handshake()
	start := c.diff
	for i := 0; ; i++ {
		if i == 10 {
			t.Fatal("no retarget after 10 silent periods")
		}
		h.clock.Advance(h.srv.cfg.Vardiff.RetargetEvery)
		h.srv.sweep()
		// A request to be sure the sweep's set_difficulty, if any, was
		// queued before its answer.
		c.call("mining.extranonce.subscribe")
		if c.diff != start {
			break
		}
	}
	if c.diff >= start {
		t.Fatalf("difficulty %v after %v", c.diff, start)
	}
}
