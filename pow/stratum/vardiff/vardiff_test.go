package vardiff_test

import (
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/mainstake/sidenode/pow/stratum/vardiff"
)

var testCfg = vardiff.Config{
	TargetInterval: 5 * time.Second,
	RetargetEvery:  30 * time.Second,
	DeadBand:       0.3,
	Min:            1e-12,
	Max:            1e12,
}

// netDiff is above every simulated miner's difficulty.
const netDiff = 1e13

// hashratesUnder returns the hashrates of the property tests: every
// power of 100 from 1e3 to 1e15 H/s and n more drawn log-uniformly in
// that range from a seeded generator.
func hashratesUnder(n int) []float64 {
	hs := []float64{1e3, 1e5, 1e7, 1e9, 1e11, 1e13, 1e15}
	rng := rand.New(rand.NewSource(42))
	for i := 0; i < n; i++ {
		hs = append(hs, math.Pow(10, 3+12*rng.Float64()))
	}
	return hs
}

// Bounds of the convergence properties, in retarget periods (30 s) and
// changes of difficulty.
const (
	phase      = 1000 // retarget periods per phase (8h20m)
	settleBy   = 400  // no change after this many periods of a phase
	maxChanges = 12   // changes per phase
)

// checkPhase runs the simulation through one phase and checks that the
// difficulty settled: at most maxChanges changes, none after settleBy
// periods, and the true share rate within the dead band at the end.
func checkPhase(t *testing.T, m *sim, cfg vardiff.Config, name string) {
	t.Helper()
	from := m.checks
	m.run(from + phase)
	if n := m.changesSince(from); n > maxChanges {
		t.Errorf("%s: %d changes", name, n)
	}
	if last := m.lastChangeSince(from) - from; last >= settleBy {
		t.Errorf("%s: a change %d periods into the phase", name, last)
	}
	if r := m.ratio(); !within(r, cfg.DeadBand) {
		t.Errorf("%s: share rate %.3f of the target's at the end", name, r)
	}
}

// TestConverges: a miner of any hashrate, starting at difficulty 1,
// settles within the dead band in bounded periods and changes; after its
// hashrate goes up 10x, and then down 10x, it settles again.
func TestConverges(t *testing.T) {
	for _, h := range hashratesUnder(13) {
		for seed := int64(1); seed <= 3; seed++ {
			m := newSim(seed, testCfg, 1, h, netDiff)
			checkPhase(t, m, testCfg, "start")
			m.hashrate *= 10
			m.draw()
			checkPhase(t, m, testCfg, "10x up")
			m.hashrate /= 10
			m.draw()
			checkPhase(t, m, testCfg, "10x down")
			if t.Failed() {
				t.Fatalf("hashrate %.4g H/s, seed %d", h, seed)
			}
		}
	}
}

// TestConvergesOtherPolicies runs the same properties under other
// policies: a short and a long target interval, a narrow band.
func TestConvergesOtherPolicies(t *testing.T) {
	for _, cfg := range []vardiff.Config{
		{TargetInterval: time.Second, RetargetEvery: 10 * time.Second, DeadBand: 0.3, Min: 1e-12},
		{TargetInterval: 15 * time.Second, RetargetEvery: 90 * time.Second, DeadBand: 0.25, Min: 1e-12, Max: 1e12},
		{TargetInterval: 5 * time.Second, RetargetEvery: 30 * time.Second, DeadBand: 0.2, Min: 1e-12, SlowWindow: 512},
	} {
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		for _, h := range []float64{1e3, 1e9, 1e15} {
			m := newSim(7, cfg, 1, h, netDiff)
			checkPhase(t, m, cfg, "start")
			m.hashrate *= 10
			m.draw()
			checkPhase(t, m, cfg, "10x up")
			m.hashrate /= 10
			m.draw()
			checkPhase(t, m, cfg, "10x down")
			if t.Failed() {
				t.Fatalf("policy %+v, hashrate %g", cfg, h)
			}
		}
	}
}

// TestSteady: a miner at the right difficulty keeps it; no oscillation.
func TestSteady(t *testing.T) {
	for _, h := range hashratesUnder(5) {
		for seed := int64(1); seed <= 4; seed++ {
			start := h * testCfg.TargetInterval.Seconds() / 4294967296
			m := newSim(seed, testCfg, start, h, netDiff)
			m.run(3 * phase)
			if len(m.changes) != 0 {
				t.Fatalf("hashrate %.4g, seed %d: changes at periods %v", h, seed, m.changes)
			}
		}
	}
}

// TestSettledStaysSettled: after settling, a miner of constant hashrate
// sees no change for a long time.
func TestSettledStaysSettled(t *testing.T) {
	for _, h := range []float64{1e4, 1e10, 1e14} {
		m := newSim(11, testCfg, 1, h, netDiff)
		m.run(settleBy)
		n := len(m.changes)
		m.run(settleBy + 5*phase)
		if len(m.changes) != n {
			t.Fatalf("hashrate %g: changes at periods %v", h, m.changes[n:])
		}
	}
}

// TestLimits: the difficulty never leaves [Min, Max] and never exceeds
// the network's, which wins over the floor; a network difficulty that
// drops is followed at the next share or check.
func TestLimits(t *testing.T) {
	cfg := testCfg
	cfg.Min, cfg.Max = 0.01, 1000
	// From below the floor to above the network's: 2.3 shares a second
	// at the network's difficulty for the last.
	for _, h := range []float64{1e3, 1e9, 1e12, 1e13} {
		m := newSim(3, cfg, 50, h, 500)
		for m.checks < phase {
			m.run(m.checks + 1)
			d := m.st.Difficulty()
			if d < cfg.Min || d > cfg.Max || d > 500 {
				t.Fatalf("hashrate %g: difficulty %g", h, d)
			}
		}
		want := math.Min(math.Max(h*cfg.TargetInterval.Seconds()/4294967296, cfg.Min), 500)
		if d := m.st.Difficulty(); math.Abs(d-want)/want > cfg.DeadBand {
			t.Errorf("hashrate %g: difficulty %g, want about %g", h, d, want)
		}
		// The network's difficulty drops below the floor.
		m.now++
		if d, changed := m.st.Share(m.at(), 0.001); d != 0.001 || !changed {
			t.Errorf("hashrate %g: difficulty %g above the network's 0.001", h, d)
		}
	}
	// The start is brought within the bounds.
	if d := vardiff.New(cfg, 1e9, epoch).Difficulty(); d != cfg.Max {
		t.Errorf("start above the ceiling: %g", d)
	}
	if d := vardiff.New(cfg, 0, epoch).Difficulty(); d != cfg.Min {
		t.Errorf("start below the floor: %g", d)
	}
	// A share reports the network's limit at once, as a change.
	st := vardiff.New(cfg, 100, epoch)
	if d, changed := st.Share(epoch.Add(time.Second), 20); d != 20 || !changed {
		t.Errorf("network limit: %g %v", d, changed)
	}
	if d, changed := st.Share(epoch.Add(2*time.Second), 20); d != 20 || changed {
		t.Errorf("network limit again: %g %v", d, changed)
	}
}

// TestIdleLowers: a miner whose difficulty is far too high sends no share;
// Idle lowers the difficulty step by step until shares come.
func TestIdleLowers(t *testing.T) {
	m := newSim(5, testCfg, 1e9, 1e6, netDiff) // a share every ~1.4e5 years
	m.run(phase)
	if r := m.ratio(); !within(r, testCfg.DeadBand) {
		t.Fatalf("share rate %.3f of the target's; changes at %v", r, m.changes)
	}
	if len(m.changes) > 20 {
		t.Fatalf("%d changes", len(m.changes))
	}
}

// TestTimeOddities: times that go backwards or repeat change nothing and
// never panic; a check needs RetargetEvery of time.
func TestTimeOddities(t *testing.T) {
	st := vardiff.New(testCfg, 1, epoch)
	for i := 0; i < 10; i++ {
		if _, changed := st.Share(epoch.Add(-time.Duration(i)*time.Hour), netDiff); changed {
			t.Fatal("a change from shares in the past")
		}
		if _, changed := st.Idle(epoch, netDiff); changed {
			t.Fatal("a change from a check at the same time")
		}
	}
	if d := st.Difficulty(); d != 1 || math.IsNaN(d) {
		t.Fatalf("difficulty %g", d)
	}
	if st.Retargets() != 0 {
		t.Fatal("retargets counted")
	}
}

func TestValidate(t *testing.T) {
	if err := testCfg.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*vardiff.Config){
		"interval":    func(c *vardiff.Config) { c.TargetInterval = 0 },
		"retarget":    func(c *vardiff.Config) { c.RetargetEvery = -time.Second },
		"band zero":   func(c *vardiff.Config) { c.DeadBand = 0 },
		"band one":    func(c *vardiff.Config) { c.DeadBand = 1 },
		"band NaN":    func(c *vardiff.Config) { c.DeadBand = math.NaN() },
		"min":         func(c *vardiff.Config) { c.Min = 0 },
		"min inf":     func(c *vardiff.Config) { c.Min = math.Inf(1) },
		"max < min":   func(c *vardiff.Config) { c.Max = c.Min / 2 },
		"slow window": func(c *vardiff.Config) { c.SlowWindow = 10 },
	} {
		c := testCfg
		edit(&c)
		if c.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
