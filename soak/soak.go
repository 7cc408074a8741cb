package soak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Tip is one node's view of the chains, as its API reports it.
type Tip struct {
	MainHeight int32
	MainHash   string
	SideHeight uint64
	SideHash   string
	// StateHash is the state hash after the mainchain block at
	// MainHeight.
	StateHash string
}

// sameAs reports whether two nodes are at the same mainchain block, with
// the same sidechain tip and state.
func (t Tip) sameAs(o Tip) bool {
	return t.MainHeight == o.MainHeight && t.MainHash == o.MainHash &&
		t.SideHeight == o.SideHeight && t.SideHash == o.SideHash &&
		t.StateHash == o.StateHash
}

func (t Tip) String() string {
	return fmt.Sprintf("mainchain %d %s, sidechain %d %s, state %s",
		t.MainHeight, t.MainHash, t.SideHeight, orNone(t.SideHash), t.StateHash)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// Block is a mainchain block the network mined, and when.
type Block struct {
	Height int32
	Mined  time.Time
}

// Phase says how far the victim had got with the block its kill was
// timed against, as its log showed when it died.
type Phase string

// The phases a kill can fall in.
const (
	PhaseBefore  Phase = "before it saw the block"
	PhaseDuring  Phase = "while it connected the block"
	PhaseAfter   Phase = "after it connected the block"
	PhaseUnknown Phase = "phase unknown"
)

// Network is what the soak needs of the network it runs on.
type Network interface {
	// Nodes names the nodes, in a fixed order.
	Nodes() []string
	// Tip asks a node for its tips and state hash.
	Tip(ctx context.Context, node string) (Tip, error)
	// StateHash asks a node for its state hash after the mainchain block
	// at height.
	StateHash(ctx context.Context, node string, height int32) (string, error)
	// NextBlock waits for the next block the network mines.
	NextBlock(ctx context.Context) (Block, error)
	// Kill ends the node with SIGKILL and returns once it is gone,
	// saying how far it had got with block b.
	Kill(ctx context.Context, node string, b Block) (Phase, error)
	// Restart starts the killed node again.
	Restart(ctx context.Context, node string) error
}

// Clock tells the time and waits.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done; it returns at once when d
	// is not positive.
	Sleep(ctx context.Context, d time.Duration) error
}

// WallClock is the real clock.
type WallClock struct{}

// Now returns the current time.
func (WallClock) Now() time.Time { return time.Now() }

// Sleep waits for d or until ctx is done.
func (WallClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Config says how to soak.
type Config struct {
	// Runs is the number of kill-and-restart runs.
	Runs int
	// Victims are the nodes to kill, taking turns; empty means every
	// node of the network.
	Victims []string
	// Interval is the network's block interval. Half the kills, at
	// random, come at a delay after a block drawn uniformly across it.
	Interval time.Duration
	// Window is the span after a block in which the nodes connect it.
	// The other half of the kills come at a delay drawn uniformly across
	// it; 0 draws every delay across Interval.
	Window time.Duration
	// Seed seeds the draws of delays.
	Seed uint64
	// CatchUp bounds the wait for the nodes to agree, before a kill and
	// after a restart; past it the soak fails with a *Mismatch.
	CatchUp time.Duration
	// Poll is the time between two rounds of questions to the nodes.
	Poll time.Duration
	// Out receives a line per run and the summary; nil discards them.
	Out io.Writer
	// Clock defaults to WallClock.
	Clock Clock
}

// Result is the record of one run the network survived.
type Result struct {
	N      int
	Victim string
	// Block is the block the kill was timed against, Delay how long
	// after it was mined the victim was killed.
	Block int32
	Delay time.Duration
	// InWindow tells that the delay was drawn from Config.Window.
	InWindow bool
	Phase    Phase
	// Lag is the time from the restart until every node agreed on a
	// block mined after the restart, BlockLag the time from that block's
	// mining until then, and At what they agreed on.
	Lag, BlockLag time.Duration
	At            Tip
}

// Summary is what a soak measured.
type Summary struct {
	Planned int
	// Runs are the runs survived, in order.
	Runs []Result
	// Lag and BlockLag summarize the runs' lags.
	Lag, BlockLag Spread
}

// Spread is the least, median and greatest of some durations.
type Spread struct {
	Min, Median, Max time.Duration
}

func spread(ds []time.Duration) Spread {
	if len(ds) == 0 {
		return Spread{}
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	sp := Spread{Min: ds[0], Max: ds[len(ds)-1]}
	mid := len(ds) / 2
	if len(ds)%2 == 1 {
		sp.Median = ds[mid]
	} else {
		sp.Median = (ds[mid-1] + ds[mid]) / 2
	}
	return sp
}

func (sp Spread) String() string {
	return fmt.Sprintf("min %v, median %v, max %v", sp.Min.Round(time.Millisecond),
		sp.Median.Round(time.Millisecond), sp.Max.Round(time.Millisecond))
}

// Survived is the number of runs the network survived.
func (s Summary) Survived() int { return len(s.Runs) }

// NodeReport is one node's answer when a soak failed.
type NodeReport struct {
	Node string
	Tip  Tip
	Err  error
}

// HeightReport holds each node's state hash at one mainchain height, by
// node name; a node that could not answer has "error: ..." instead.
type HeightReport struct {
	Height int32
	Hashes map[string]string
}

// Agree reports whether every node gave the same hash.
func (h HeightReport) Agree() bool {
	var first *string
	for _, v := range h.Hashes {
		if strings.HasPrefix(v, "error: ") || (first != nil && v != *first) {
			return false
		}
		first = &v
	}
	return true
}

// Mismatch is the failure of a run: the nodes did not come to agree.
type Mismatch struct {
	Run    int
	Victim string
	// Stage is "before the kill" or "after the restart".
	Stage string
	// Killed says, after the restart, when the victim was killed.
	Killed string
	// Waited is how long the soak waited for agreement; MinHeight is the
	// lowest mainchain height it would accept agreement at.
	Waited    time.Duration
	MinHeight int32
	// Nodes are the nodes' last answers, in network order; Heights their
	// state hashes at every mainchain height from the one before
	// MinHeight (at most maxReportHeights of them) to the last that all
	// of them reached, so that the first height they differ at shows.
	Nodes   []NodeReport
	Heights []HeightReport
}

// FirstDiffering returns the lowest height in Heights whose hashes differ,
// or -1.
func (m *Mismatch) FirstDiffering() int32 {
	for _, h := range m.Heights {
		if !h.Agree() {
			return h.Height
		}
	}
	return -1
}

func (m *Mismatch) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "run %d (victim %s), %s: the nodes did not agree within %v "+
		"at a mainchain height of %d or more", m.Run, m.Victim, m.Stage,
		m.Waited, m.MinHeight)
	if m.Killed != "" {
		fmt.Fprintf(&b, "\n  %s", m.Killed)
	}
	for _, n := range m.Nodes {
		if n.Err != nil {
			fmt.Fprintf(&b, "\n  %s: %v", n.Node, n.Err)
			continue
		}
		fmt.Fprintf(&b, "\n  %s: %v", n.Node, n.Tip)
	}
	if len(m.Heights) > 0 {
		fmt.Fprintf(&b, "\n  state hashes by mainchain height (first that differs: %d):",
			m.FirstDiffering())
	}
	for _, h := range m.Heights {
		fmt.Fprintf(&b, "\n    %d:", h.Height)
		for _, n := range m.Nodes {
			fmt.Fprintf(&b, " %s %s", n.Node, short(h.Hashes[n.Node]))
		}
		if !h.Agree() {
			b.WriteString("  DIFFER")
		}
	}
	// The full hashes of the last height, to compare with other tools.
	if len(m.Heights) > 0 {
		last := m.Heights[len(m.Heights)-1]
		fmt.Fprintf(&b, "\n  at mainchain height %d:", last.Height)
		for _, n := range m.Nodes {
			fmt.Fprintf(&b, "\n    %s: %s", n.Node, last.Hashes[n.Node])
		}
	}
	return b.String()
}

// maxReportHeights bounds the heights a Mismatch shows.
const maxReportHeights = 200

// soaker holds one soak's state.
type soaker struct {
	net   Network
	cfg   Config
	clock Clock
	nodes []string
}

// Run soaks the network: cfg.Runs times it kills a victim, restarts it and
// waits for every node to agree. It returns the summary of the runs
// survived, and a *Mismatch for the run that failed, or ctx's error when
// interrupted.
func Run(ctx context.Context, net Network, cfg Config) (Summary, error) {
	s := &soaker{net: net, cfg: cfg, clock: cfg.Clock, nodes: net.Nodes()}
	if s.clock == nil {
		s.clock = WallClock{}
	}
	if s.cfg.Out == nil {
		s.cfg.Out = io.Discard
	}
	victims := cfg.Victims
	if len(victims) == 0 {
		victims = s.nodes
	}
	for _, v := range victims {
		if !slices.Contains(s.nodes, v) {
			return Summary{}, fmt.Errorf("no node %q in the network (nodes: %s)",
				v, strings.Join(s.nodes, ", "))
		}
	}
	if len(s.nodes) < 2 {
		return Summary{}, errors.New("a soak needs two nodes or more to compare")
	}
	if cfg.Interval <= 0 || cfg.CatchUp <= 0 || cfg.Poll <= 0 {
		return Summary{}, errors.New("the interval, catch-up and poll times must be positive")
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed5eed5eed5eed))
	sum := Summary{Planned: cfg.Runs}
	after := int32(-1)
	for i := 1; i <= cfg.Runs; i++ {
		r, err := s.run(ctx, i, victims[(i-1)%len(victims)], rng, after)
		if err != nil {
			sum.summarize()
			return sum, err
		}
		sum.Runs = append(sum.Runs, r)
		after = r.At.MainHeight
		window := ""
		if r.InWindow {
			window = ", in the connection window"
		}
		fmt.Fprintf(s.cfg.Out, "run %d/%d %s: killed %v after block %d%s (%s); "+
			"restarted; all %d nodes agree %v later (%v after the next block) "+
			"at mainchain %d, sidechain %d, state %s\n",
			i, cfg.Runs, r.Victim, r.Delay.Round(time.Millisecond), r.Block, window,
			r.Phase, len(s.nodes), r.Lag.Round(time.Millisecond),
			r.BlockLag.Round(time.Millisecond), r.At.MainHeight, r.At.SideHeight,
			short(r.At.StateHash))
	}
	sum.summarize()
	fmt.Fprintln(s.cfg.Out, sum.String())
	return sum, nil
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

// run is one kill, restart and catch-up. after is the mainchain height the
// previous run ended at.
func (s *soaker) run(ctx context.Context, n int, victim string, rng *rand.Rand, after int32) (Result, error) {
	r := Result{N: n, Victim: victim}
	// Every node, the one restarted last too, has followed the chain
	// since the last run.
	if _, err := s.agree(ctx, n, victim, "before the kill", after+1); err != nil {
		return r, err
	}
	span := s.cfg.Interval
	if s.cfg.Window > 0 && rng.IntN(2) == 0 {
		span, r.InWindow = s.cfg.Window, true
	}
	delay := time.Duration(rng.Int64N(int64(span)))
	b, err := s.net.NextBlock(ctx)
	if err != nil {
		return r, err
	}
	r.Block = b.Height
	if err := s.clock.Sleep(ctx, b.Mined.Add(delay).Sub(s.clock.Now())); err != nil {
		return r, err
	}
	r.Delay = s.clock.Now().Sub(b.Mined)
	if r.Phase, err = s.net.Kill(ctx, victim, b); err != nil {
		return r, fmt.Errorf("run %d: kill %s: %w", n, victim, err)
	}
	if err := s.net.Restart(ctx, victim); err != nil {
		return r, fmt.Errorf("run %d: restart %s: %w", n, victim, err)
	}
	restarted := s.clock.Now()
	// Agreement on a block the victim met only after the restart: one
	// it had before the kill shows nothing of what it missed meanwhile,
	// such as a sideblock body its peers relayed.
	next, err := s.net.NextBlock(ctx)
	if err != nil {
		return r, err
	}
	if r.At, err = s.agree(ctx, n, victim, "after the restart", next.Height); err != nil {
		var m *Mismatch
		if errors.As(err, &m) {
			m.Killed = fmt.Sprintf("%s was killed %v after block %d (%s), restarted, "+
				"and block %d came %v after the restart", victim,
				r.Delay.Round(time.Millisecond), r.Block, r.Phase, next.Height,
				next.Mined.Sub(restarted).Round(time.Millisecond))
		}
		return r, err
	}
	now := s.clock.Now()
	r.Lag, r.BlockLag = now.Sub(restarted), now.Sub(next.Mined)
	return r, nil
}

// agree polls the nodes until all report the same tips and state hash at
// a mainchain height of min or more, and give the same GetStateHash at
// that height; it returns that tip, or a *Mismatch after cfg.CatchUp.
func (s *soaker) agree(ctx context.Context, n int, victim, stage string, min int32) (Tip, error) {
	start := s.clock.Now()
	for {
		if tip, ok := s.agreed(ctx, min); ok {
			return tip, nil
		}
		if ctx.Err() != nil {
			return Tip{}, ctx.Err()
		}
		waited := s.clock.Now().Sub(start)
		if waited >= s.cfg.CatchUp {
			return Tip{}, s.mismatch(ctx, n, victim, stage, waited, min)
		}
		if err := s.clock.Sleep(ctx, s.cfg.Poll); err != nil {
			return Tip{}, err
		}
	}
}

// agreed asks every node once.
func (s *soaker) agreed(ctx context.Context, min int32) (Tip, bool) {
	var first Tip
	for i, node := range s.nodes {
		tip, err := s.net.Tip(ctx, node)
		if err != nil || tip.MainHeight < min {
			return Tip{}, false
		}
		if i == 0 {
			first = tip
		} else if !tip.sameAs(first) {
			return Tip{}, false
		}
	}
	// The same state at the same height, asked the other way: the
	// state hash each node keeps for that height.
	for _, node := range s.nodes {
		h, err := s.net.StateHash(ctx, node, first.MainHeight)
		if err != nil || h != first.StateHash {
			return Tip{}, false
		}
	}
	return first, true
}

// mismatch gathers what every node says now, for the report.
func (s *soaker) mismatch(ctx context.Context, n int, victim, stage string, waited time.Duration, min int32) *Mismatch {
	m := &Mismatch{Run: n, Victim: victim, Stage: stage, Waited: waited, MinHeight: min}
	common := int32(-1)
	for _, node := range s.nodes {
		tip, err := s.net.Tip(ctx, node)
		m.Nodes = append(m.Nodes, NodeReport{Node: node, Tip: tip, Err: err})
		if err != nil {
			continue
		}
		if common < 0 || tip.MainHeight < common {
			common = tip.MainHeight
		}
	}
	from := max(0, min-1, common-maxReportHeights+1)
	for h := from; common >= 0 && h <= common; h++ {
		hr := HeightReport{Height: h, Hashes: make(map[string]string)}
		for _, node := range s.nodes {
			hash, err := s.net.StateHash(ctx, node, h)
			if err != nil {
				hash = "error: " + err.Error()
			}
			hr.Hashes[node] = hash
		}
		m.Heights = append(m.Heights, hr)
	}
	return m
}

// summarize computes the lag figures.
func (s *Summary) summarize() {
	var lags, blockLags []time.Duration
	for _, r := range s.Runs {
		lags = append(lags, r.Lag)
		blockLags = append(blockLags, r.BlockLag)
	}
	s.Lag, s.BlockLag = spread(lags), spread(blockLags)
}

// String is the summary's report: runs survived, lags, and how the kills
// fell.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "soak: %d/%d runs survived", s.Survived(), s.Planned)
	if len(s.Runs) == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "; from restart to agreement on a new block: %v; "+
		"from that block to agreement: %v", s.Lag, s.BlockLag)
	phases := make(map[Phase]int)
	victims := make(map[string]int)
	var names []string
	for _, r := range s.Runs {
		phases[r.Phase]++
		if victims[r.Victim] == 0 {
			names = append(names, r.Victim)
		}
		victims[r.Victim]++
	}
	b.WriteString("; kills:")
	for _, name := range names {
		fmt.Fprintf(&b, " %s %d,", name, victims[name])
	}
	for _, p := range []Phase{PhaseBefore, PhaseDuring, PhaseAfter, PhaseUnknown} {
		if phases[p] > 0 {
			fmt.Fprintf(&b, " %d %s,", phases[p], p)
		}
	}
	return strings.TrimSuffix(b.String(), ",")
}
