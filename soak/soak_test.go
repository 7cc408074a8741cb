package soak

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeClock moves only when the soak waits.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return ctx.Err()
}

// fakeNet mines a block every interval of the fake clock. Its nodes agree
// on everything, but a node restarted is unreachable for startup, and then
// as a test sets it: stale at the first block after its restart until the
// next one comes, or diverged for good after the restart of run divergeRun.
type fakeNet struct {
	clock    *fakeClock
	t0       time.Time
	interval time.Duration
	startup  time.Duration
	names    []string

	staleFirstBlock bool
	divergeRun      int

	runs      int
	down      map[string]bool
	restarted map[string]time.Time
	firstNew  map[string]int32 // first block after the restart
	diverged  map[string]bool
	killedAt  []time.Time
	killed    []string
	blocks    []Block
}

func newFakeNet() *fakeNet {
	c := &fakeClock{now: time.Unix(1_000_000, 0)}
	return &fakeNet{clock: c, t0: c.now, interval: time.Second, startup: 200 * time.Millisecond,
		names: []string{"a", "b", "c"}, down: make(map[string]bool),
		restarted: make(map[string]time.Time), firstNew: make(map[string]int32),
		diverged: make(map[string]bool)}
}

func (f *fakeNet) height() int32 { return 100 + int32(f.clock.now.Sub(f.t0)/f.interval) }

func (f *fakeNet) Nodes() []string { return f.names }

func (f *fakeNet) state(node string, h int32) (Tip, error) {
	if f.down[node] {
		return Tip{}, errors.New("down")
	}
	if r, ok := f.restarted[node]; ok && f.clock.now.Before(r.Add(f.startup)) {
		return Tip{}, errors.New("starting")
	}
	tip := Tip{MainHeight: h, MainHash: fmt.Sprint("m", h), SideHeight: uint64(h - 100),
		SideHash: fmt.Sprint("x", h), StateHash: fmt.Sprint("s", h)}
	if f.staleFirstBlock && h == f.firstNew[node] && f.height() == h {
		tip.SideHash, tip.StateHash = fmt.Sprint("x", h-1), "stale"
	}
	if f.diverged[node] && h >= f.firstNew[node] {
		tip.StateHash = fmt.Sprint("forked", h)
	}
	return tip, nil
}

func (f *fakeNet) Tip(_ context.Context, node string) (Tip, error) {
	return f.state(node, f.height())
}

func (f *fakeNet) StateHash(_ context.Context, node string, h int32) (string, error) {
	if h > f.height() {
		return "", errors.New("above the tip")
	}
	tip, err := f.state(node, h)
	return tip.StateHash, err
}

func (f *fakeNet) NextBlock(context.Context) (Block, error) {
	k := f.clock.now.Sub(f.t0) / f.interval
	f.clock.now = f.t0.Add((k + 1) * f.interval)
	b := Block{Height: f.height(), Mined: f.clock.now}
	f.blocks = append(f.blocks, b)
	return b, nil
}

func (f *fakeNet) Kill(_ context.Context, node string, b Block) (Phase, error) {
	f.down[node] = true
	f.killed = append(f.killed, node)
	f.killedAt = append(f.killedAt, f.clock.now)
	return PhaseDuring, nil
}

func (f *fakeNet) Restart(_ context.Context, node string) error {
	f.runs++
	f.down[node] = false
	f.restarted[node] = f.clock.now
	f.firstNew[node] = f.height() + 1
	if f.runs == f.divergeRun {
		f.diverged[node] = true
	}
	return nil
}

func config(f *fakeNet, runs int) Config {
	return Config{Runs: runs, Interval: f.interval, Window: 40 * time.Millisecond,
		Seed: 7, CatchUp: 30 * time.Second, Poll: 50 * time.Millisecond, Clock: f.clock}
}

// TestSoakRotatesAndTimesKills checks that the victims take turns, each
// kill comes at the delay drawn after the block it was timed against, half
// of them or so inside the window, and each run ends in agreement on a
// block mined after the restart.
func TestSoakRotatesAndTimesKills(t *testing.T) {
	f := newFakeNet()
	cfg := config(f, 30)
	sum, err := Run(context.Background(), f, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Survived() != 30 || sum.Planned != 30 {
		t.Fatalf("survived %d of %d", sum.Survived(), sum.Planned)
	}
	inWindow := 0
	for i, r := range sum.Runs {
		if want := f.names[i%3]; r.Victim != want || f.killed[i] != want {
			t.Fatalf("run %d killed %s (%s), want %s", r.N, r.Victim, f.killed[i], want)
		}
		limit := cfg.Interval
		if r.InWindow {
			inWindow++
			limit = cfg.Window
		}
		if r.Delay < 0 || r.Delay >= limit {
			t.Errorf("run %d: delay %v outside [0, %v)", r.N, r.Delay, limit)
		}
		bi := slices.IndexFunc(f.blocks, func(b Block) bool { return b.Height == r.Block })
		if bi < 0 {
			t.Fatalf("run %d: timed against block %d, not one NextBlock gave", r.N, r.Block)
		}
		b := f.blocks[bi]
		if !f.killedAt[r.N-1].Equal(b.Mined.Add(r.Delay)) {
			t.Errorf("run %d: killed at %v, timed against block %d mined at %v, delay %v",
				r.N, f.killedAt[r.N-1], r.Block, b.Mined, r.Delay)
		}
		if r.At.MainHeight <= r.Block || r.Lag < r.BlockLag || r.Phase != PhaseDuring {
			t.Errorf("run %d: %+v", r.N, r)
		}
	}
	if inWindow < 5 || inWindow > 25 {
		t.Errorf("%d of 30 delays in the window", inWindow)
	}
	if sum.Lag.Min > sum.Lag.Median || sum.Lag.Median > sum.Lag.Max || sum.Lag.Max == 0 {
		t.Errorf("lags %v", sum.Lag)
	}
}

// TestSoakWaitsForABlockAfterTheRestart: a victim that agrees at once on
// the blocks it had, but falls a sideblock behind at the first block after
// its restart until one more comes, shows a block lag of a whole interval.
func TestSoakWaitsForABlockAfterTheRestart(t *testing.T) {
	f := newFakeNet()
	f.staleFirstBlock = true
	sum, err := Run(context.Background(), f, config(f, 6))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sum.Runs {
		if r.BlockLag < f.interval {
			t.Errorf("run %d: block lag %v, want a whole interval or more", r.N, r.BlockLag)
		}
	}
}

// TestSoakReportsMismatch: a victim whose state forks after its restart
// fails the soak with every node's tips and the hashes that differ.
func TestSoakReportsMismatch(t *testing.T) {
	f := newFakeNet()
	f.divergeRun = 2
	cfg := config(f, 6)
	cfg.Victims = []string{"c", "b"}
	sum, err := Run(context.Background(), f, cfg)
	var m *Mismatch
	if !errors.As(err, &m) {
		t.Fatalf("got %v, want a mismatch", err)
	}
	if m.Run != 2 || m.Victim != "b" || m.Stage != "after the restart" || sum.Survived() != 1 ||
		m.Waited < cfg.CatchUp || !strings.Contains(m.Killed, "b was killed") {
		t.Fatalf("mismatch %+v, survived %d", m, sum.Survived())
	}
	if len(m.Nodes) != 3 || m.Nodes[1].Tip.StateHash == m.Nodes[0].Tip.StateHash ||
		m.Nodes[2].Tip.StateHash != m.Nodes[0].Tip.StateHash {
		t.Fatalf("nodes %+v", m.Nodes)
	}
	// Every height from the one before the wait's lowest to the tip, the
	// fork's first among them.
	last := m.Heights[len(m.Heights)-1]
	if m.Heights[0].Height != m.MinHeight-1 || last.Height != m.Nodes[0].Tip.MainHeight ||
		len(m.Heights) != int(last.Height-m.Heights[0].Height)+1 {
		t.Fatalf("heights %d to %d (%d), want %d to the tip %d", m.Heights[0].Height, last.Height,
			len(m.Heights), m.MinHeight-1, m.Nodes[0].Tip.MainHeight)
	}
	if last.Agree() || last.Hashes["a"] != last.Hashes["c"] || m.FirstDiffering() != f.firstNew["b"] {
		t.Fatalf("first differing %d, want %d; heights %+v", m.FirstDiffering(), f.firstNew["b"], m.Heights)
	}
}

// TestSoakRefusesUnknownVictim checks the victim names.
func TestSoakRefusesUnknownVictim(t *testing.T) {
	f := newFakeNet()
	cfg := config(f, 1)
	cfg.Victims = []string{"a", "z"}
	if _, err := Run(context.Background(), f, cfg); err == nil || len(f.killed) != 0 {
		t.Fatalf("victim z: %v, killed %v", err, f.killed)
	}
}

func TestSpread(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var ds []time.Duration
		for _, n := range ns {
			ds = append(ds, time.Duration(n)*time.Millisecond)
		}
		return ds
	}
	for _, c := range []struct {
		in   []time.Duration
		want Spread
	}{
		{nil, Spread{}},
		{ms(5), Spread{5 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond}},
		{ms(9, 1, 4, 2), Spread{time.Millisecond, 3 * time.Millisecond, 9 * time.Millisecond}},
		{ms(3, 1, 2), Spread{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond}},
	} {
		in := slices.Clone(c.in)
		if got := spread(c.in); got != c.want || !slices.Equal(in, c.in) {
			t.Errorf("spread(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
