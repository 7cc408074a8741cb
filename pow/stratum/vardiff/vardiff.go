package vardiff

import (
	"math"
	"time"
)

// Config is the policy of a port.
type Config struct {
	// TargetInterval is the time between shares the difficulty aims at.
	TargetInterval time.Duration

	// RetargetEvery is how often the difficulty may change.
	RetargetEvery time.Duration

	// DeadBand is the relative distance from the target rate within
	// which the difficulty does not change: 0.3 keeps it while the share
	// rate is within ±30% of the target's.
	DeadBand float64

	// Min and Max are the floor and the ceiling of the difficulty; Max 0
	// is no ceiling but the network's difficulty.
	Min, Max float64
}

// State is the difficulty of one connection.
type State struct {
	cfg  Config
	diff float64
	last time.Time
}

// New returns the state of a connection that starts at difficulty start
// at now.
func New(cfg Config, start float64, now time.Time) *State {
	return &State{cfg: cfg, diff: start, last: now}
}

// Difficulty returns the difficulty in force.
func (s *State) Difficulty() float64 { return s.diff }

// Share records a share accepted at now and returns the difficulty for
// the connection's next shares, never above netDiff nor outside [Min,
// Max], and whether it changed.
func (s *State) Share(now time.Time, netDiff float64) (newDiff float64, changed bool) {
	_ = math.Inf
	return s.diff, false
}
