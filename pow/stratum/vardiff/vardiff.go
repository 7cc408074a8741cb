package vardiff

import (
	"fmt"
	"math"
	"time"
)

// Config is the policy of a port.
type Config struct {
	// TargetInterval is the time between shares the difficulty aims at.
	TargetInterval time.Duration

	// RetargetEvery is how often the difficulty is reconsidered. A
	// flood of shares (the most of 32 and four periods' worth at the
	// target rate, since the last check) is reconsidered at once.
	RetargetEvery time.Duration

	// DeadBand is the relative distance from the target rate within
	// which the difficulty does not change: 0.3 keeps it while the
	// estimated share rate is within ±30% of the target rate.
	DeadBand float64

	// Min and Max are the floor and the ceiling of the difficulty; Max 0
	// is no ceiling but the network's difficulty.
	Min, Max float64

	// SlowWindow is the time constant of the smoothed share rate, in
	// target intervals (the number of shares it weighs once steady);
	// 0 is DefaultSlowWindow. The larger, the steadier the difficulty
	// and the finer its aim; a change of hashrate is followed by the
	// fast average in any case.
	SlowWindow float64
}

// Defaults of Config.
const (
	// DefaultSlowWindow weighs up to about 1024 shares: a steady
	// miner's rate is then known to within about 3%, so a 30% dead band
	// is many standard deviations away and its difficulty stays. Right
	// after a change the slow average holds few shares and acts as a
	// plain mean of the shares since.
	DefaultSlowWindow = 1024

	// fastWindow is the fast average's time constant, in target
	// intervals.
	fastWindow = 32

	// zSlow and zFast are how many standard deviations (of a Poisson
	// count) the observed shares must be from the expected ones before
	// the slow or the fast average may change the difficulty.
	zSlow = 3
	zFast = 4

	// fastFactor is how far (as a factor) the fast average must be from
	// the target rate before it overrides the slow one.
	fastFactor = 2

	// minSlow is the fewest target intervals the slow average must span
	// before it changes the difficulty: its aim is then within about
	// 12% (one standard deviation).
	minSlow = 64

	// maxDrop is the most a single change lowers the difficulty by, as a
	// factor: a silent miner's difficulty falls by steps, not to the
	// floor at once.
	maxDrop = 16
)

// Validate checks the policy, naming the fields as a configuration
// writes them.
func (c Config) Validate() error {
	switch {
	case c.TargetInterval <= 0:
		return fmt.Errorf("vardiff: the target share interval must be positive, not %v", c.TargetInterval)
	case c.RetargetEvery <= 0:
		return fmt.Errorf("vardiff: the retarget period must be positive, not %v", c.RetargetEvery)
	case !(c.DeadBand > 0 && c.DeadBand < 1):
		return fmt.Errorf("vardiff: the dead band must be between 0 and 1 (a fraction of the rate), not %v", c.DeadBand)
	case !(c.Min > 0) || math.IsInf(c.Min, 1):
		return fmt.Errorf("vardiff: the minimum difficulty must be positive, not %v", c.Min)
	case c.Max != 0 && !(c.Max >= c.Min):
		return fmt.Errorf("vardiff: the maximum difficulty %v is below the minimum %v", c.Max, c.Min)
	case c.SlowWindow < 0 || c.SlowWindow != 0 && c.SlowWindow < 4*fastWindow:
		return fmt.Errorf("vardiff: the slow window must be at least %d target intervals, not %v",
			4*fastWindow, c.SlowWindow)
	}
	return nil
}

// ema is an exponential moving average of a share count against time: n
// and t are the shares and the seconds, each weighed by exp(-age/tau).
// Their ratio is the smoothed share rate; t/interval is the number of
// shares the target rate would have given over the same weighted time.
type ema struct {
	tau  float64 // seconds
	n, t float64
}

func (e *ema) advance(dt float64) {
	f := math.Exp(-dt / e.tau)
	e.n *= f
	e.t = e.t*f + e.tau*(1-f)
}

// State is the difficulty of one connection. It is not safe for
// concurrent use: one connection's goroutine owns it.
type State struct {
	cfg      Config
	interval float64 // seconds
	period   float64 // seconds
	diff     float64

	slow, fast ema
	last       time.Time // of the last advance
	lastCheck  time.Time
	sinceCheck int // shares since lastCheck
	flood      int // shares that make a check before its time
	retargets  int
	coarse     bool // the difficulty was aimed with fewer than refineAt intervals

	// refineAt is how many target intervals the slow average must span
	// to refine a coarse difficulty (SlowWindow/4: with the default,
	// an aim within about 6%). A coarse difficulty that the slow
	// average finds right over 2*refineAt intervals is coarse no more.
	refineAt float64
}

// New returns the state of a connection that starts at difficulty start
// (brought within [Min, Max]) at now. The configuration must be valid
// (Config.Validate).
func New(cfg Config, start float64, now time.Time) *State {
	if cfg.SlowWindow == 0 {
		cfg.SlowWindow = DefaultSlowWindow
	}
	s := &State{cfg: cfg, interval: cfg.TargetInterval.Seconds(),
		period: cfg.RetargetEvery.Seconds(), last: now, lastCheck: now}
	s.slow.tau = cfg.SlowWindow * s.interval
	s.fast.tau = fastWindow * s.interval
	s.flood = int(math.Max(fastWindow, 4*s.period/s.interval))
	s.diff = s.clamp(start, math.Inf(1))
	s.coarse = true
	s.refineAt = cfg.SlowWindow / 4
	return s
}

// Difficulty returns the difficulty in force.
func (s *State) Difficulty() float64 { return s.diff }

// Retargets returns how many times the difficulty changed.
func (s *State) Retargets() int { return s.retargets }

// clamp brings d within [Min, Max] and to at most netDiff; the network's
// difficulty wins over the floor.
func (s *State) clamp(d, netDiff float64) float64 {
	if math.IsNaN(d) || d < s.cfg.Min {
		d = s.cfg.Min
	}
	if s.cfg.Max > 0 && d > s.cfg.Max {
		d = s.cfg.Max
	}
	if netDiff > 0 && d > netDiff {
		d = netDiff
	}
	return d
}

// advance moves the averages to now; a time before the last one counts
// as no time.
func (s *State) advance(now time.Time) {
	dt := now.Sub(s.last).Seconds()
	if dt <= 0 {
		return
	}
	s.last = now
	s.slow.advance(dt)
	s.fast.advance(dt)
}

// Share records a share accepted at now, at the difficulty in force, and
// returns the difficulty for the connection's next shares and whether it
// changed. A share the server still accepts at the difficulty in force
// before a change should not be passed: it would count as a share of the
// new difficulty. The difficulty changes at most once per RetargetEvery (or at
// once on a flood of shares), never to above netDiff (0: no network
// limit) nor outside [Min, Max].
func (s *State) Share(now time.Time, netDiff float64) (newDiff float64, changed bool) {
	s.advance(now)
	s.slow.n++
	s.fast.n++
	s.sinceCheck++
	if now.Sub(s.lastCheck).Seconds() >= s.period || s.sinceCheck >= s.flood {
		return s.check(now, netDiff)
	}
	return s.limit(netDiff)
}

// Idle reconsiders the difficulty at now without a share: the caller
// calls it from time to time (at each RetargetEvery, say) so that a miner
// whose difficulty is too high to send any share has it lowered. It
// returns the difficulty and whether it changed.
func (s *State) Idle(now time.Time, netDiff float64) (newDiff float64, changed bool) {
	s.advance(now)
	if now.Sub(s.lastCheck).Seconds() >= s.period {
		return s.check(now, netDiff)
	}
	return s.limit(netDiff)
}

// limit lowers the difficulty to netDiff if the network's is lower.
func (s *State) limit(netDiff float64) (float64, bool) {
	if d := s.clamp(s.diff, netDiff); d != s.diff {
		s.set(d)
		return d, true
	}
	return s.diff, false
}

// significant says whether n shares observed where lambda were expected
// are z standard deviations away.
func significant(n, lambda, z float64) bool {
	return math.Abs(n-lambda) > z*math.Sqrt(lambda)
}

// check decides on the difficulty. The fast average changes it when it
// finds the rate off by fastFactor, significantly. Otherwise the slow
// average changes it when its rate is outside the dead band,
// significantly, once it spans minSlow target intervals; or, once only
// after a coarse change, when it spans SlowWindow/4 intervals and finds the
// rate off significantly even within the dead band. A change aims at the
// estimated rate and restarts both averages.
func (s *State) check(now time.Time, netDiff float64) (float64, bool) {
	s.lastCheck, s.sinceCheck = now, 0
	lf := s.fast.t / s.interval
	rf := math.Max(s.fast.n, 0.5) / lf
	ls := s.slow.t / s.interval
	rs := math.Max(s.slow.n, 0.5) / ls
	var ratio, span float64
	switch {
	case lf > 0 && (rf > fastFactor || rf < 1/fastFactor) && significant(s.fast.n, lf, zFast):
		ratio, span = rf, lf
	case ls >= minSlow && math.Abs(rs-1) > s.cfg.DeadBand && significant(s.slow.n, ls, zSlow):
		ratio, span = rs, ls
	case s.coarse && ls >= s.refineAt && significant(s.slow.n, ls, zSlow):
		ratio, span = rs, ls
	default:
		if s.coarse && ls >= 2*s.refineAt {
			s.coarse = false // the aim was good
		}
		return s.limit(netDiff)
	}
	ratio = math.Max(ratio, 1.0/maxDrop)
	d := s.clamp(s.diff*ratio, netDiff)
	if d == s.diff {
		return d, false
	}
	s.set(d)
	// The averages hold the old rate, the fast one as much as the new:
	// both start afresh at the new difficulty.
	s.reset()
	s.coarse = span < s.refineAt
	return d, true
}

// reset empties the averages.
func (s *State) reset() {
	s.slow.n, s.slow.t = 0, 0
	s.fast.n, s.fast.t = 0, 0
}

// set changes the difficulty to d, rescaling the averages' share counts
// to shares of the new difficulty: the hashrate they measure stays.
func (s *State) set(d float64) {
	k := s.diff / d
	s.slow.n *= k
	s.fast.n *= k
	s.diff = d
	s.retargets++
}
