package feeest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// SatPerKVB is a fee rate in satoshis per 1000 virtual bytes.
type SatPerKVB int64

// FromSatPerVB converts a rate in sat/vB.
func FromSatPerVB(r int64) SatPerKVB { return SatPerKVB(r * 1000) }

// FeeFor returns the fee of vsize virtual bytes at rate r, rounded up, so
// that the fee never pays less than r.
func (r SatPerKVB) FeeFor(vsize int64) int64 {
	return (int64(r)*vsize + 999) / 1000
}

// String formats r in sat/vB, the unit operators read.
func (r SatPerKVB) String() string {
	if r%1000 == 0 {
		return fmt.Sprintf("%d sat/vB", r/1000)
	}
	return fmt.Sprintf("%.3f sat/vB", float64(r)/1000)
}

// RelayFloor is the minimum relay fee of btcd and Bitcoin Core, 1 sat/vB:
// no estimate goes below it.
const RelayFloor SatPerKVB = 1000

// Source answers one estimate of the rate that makes the next block.
type Source interface {
	NextBlockRate(ctx context.Context) (SatPerKVB, error)
}

// ErrAbsurd is the error of an estimate above the Tracker's ceiling.
var ErrAbsurd = errors.New("absurd fee rate")

// Config is a Tracker's policy.
type Config struct {
	// Source is asked for estimates; nil means there is none and every
	// estimate is Fallback.
	Source Source

	// Name says where estimates come from, in the operator's terms, for
	// the log ("btcd's mempool", "--publish.feeurl https://...").
	Name string

	// Fallback is the rate used while the source fails or before it has
	// answered (the configured --publish.feerate).
	Fallback SatPerKVB

	// Max is the ceiling: an answer above it is refused as absurd, and
	// the fallback is used. 0 means no ceiling.
	Max SatPerKVB

	// MarginPercent is added to the source's figure (10 adds 10%).
	MarginPercent int64

	// Timeout bounds one fetch (default DefaultTimeout). MaxAge is how
	// long an estimate is used before the fallback takes over (default
	// DefaultMaxAge). Interval is Run's refresh period (default
	// DefaultInterval).
	Timeout  time.Duration
	MaxAge   time.Duration
	Interval time.Duration

	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultTimeout  = 5 * time.Second
	DefaultMaxAge   = 2 * time.Minute
	DefaultInterval = 10 * time.Second
)

// Estimate is a rate and where it came from.
type Estimate struct {
	Rate SatPerKVB

	// Fallback says that Rate is the configured fallback, not the
	// source's answer; Err is why, if the source failed.
	Fallback bool
	Err      error
}

// Tracker keeps the latest estimate of a Source under a policy (see the
// package doc). It is safe for concurrent use.
type Tracker struct {
	cfg Config

	mu      sync.Mutex
	last    SatPerKVB
	lastAt  time.Time
	lastErr error
	failing bool
}

// NewTracker returns a tracker under cfg.
func NewTracker(cfg Config) *Tracker {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Fallback < RelayFloor {
		cfg.Fallback = RelayFloor
	}
	return &Tracker{cfg: cfg}
}

// Fixed returns a tracker without a source: every estimate is rate.
func Fixed(rate SatPerKVB) *Tracker { return NewTracker(Config{Fallback: rate}) }

// Rate returns the last good estimate, or the fallback when there is
// none younger than MaxAge. It never blocks on the source.
func (t *Tracker) Rate() Estimate {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cfg.Source == nil {
		return Estimate{Rate: t.cfg.Fallback, Fallback: true}
	}
	if t.lastAt.IsZero() || t.cfg.Now().Sub(t.lastAt) > t.cfg.MaxAge {
		return Estimate{Rate: t.cfg.Fallback, Fallback: true, Err: t.lastErr}
	}
	return Estimate{Rate: t.last}
}

// Refresh asks the source now, within Timeout, and returns the estimate
// that Rate gives afterwards.
func (t *Tracker) Refresh(ctx context.Context) Estimate {
	if t.cfg.Source == nil {
		return t.Rate()
	}
	fetch, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	r, err := t.cfg.Source.NextBlockRate(fetch)
	cancel()
	if err == nil {
		r, err = t.apply(r)
	}
	if err != nil && ctx.Err() != nil {
		return t.Rate() // stopping: not the source's failure
	}
	t.mu.Lock()
	if err != nil {
		// The previous answer stays in use until it is MaxAge old.
		t.lastErr = err
		if !t.failing {
			log.Warnf("Fee estimate from %s failed: %v; header fee rates use "+
				"the last estimate for up to %v, then --publish.feerate (%v)",
				t.cfg.Name, err, t.cfg.MaxAge, t.cfg.Fallback)
		}
		t.failing = true
	} else {
		if t.failing {
			log.Infof("Fee estimate from %s answers again: %v", t.cfg.Name, r)
		}
		t.failing = false
		t.lastErr = nil
		t.last, t.lastAt = r, t.cfg.Now()
		log.Debugf("Next-block fee rate from %s: %v", t.cfg.Name, r)
	}
	t.mu.Unlock()
	return t.Rate()
}

// apply puts a source's figure through the policy: margin, floor, ceiling.
func (t *Tracker) apply(r SatPerKVB) (SatPerKVB, error) {
	if r < 0 {
		return 0, fmt.Errorf("negative fee rate %d sat/kvB", int64(r))
	}
	if t.cfg.Max > 0 && r > t.cfg.Max {
		return 0, fmt.Errorf("%w: %v is above the ceiling of %v", ErrAbsurd, r, t.cfg.Max)
	}
	// r ≤ Max (≤ 10^7 sat/kvB in the node), so the margin cannot
	// overflow; without a ceiling it is bounded the same way.
	if t.cfg.MarginPercent > 0 && r < 1<<40 {
		r += (r*SatPerKVB(t.cfg.MarginPercent) + 99) / 100
	}
	if t.cfg.Max > 0 && r > t.cfg.Max {
		r = t.cfg.Max
	}
	if r < RelayFloor {
		r = RelayFloor
	}
	return r, nil
}

// Run refreshes the estimate every Interval until ctx ends; kick, when it
// receives, refreshes at once (the mempool changed). kick may be nil.
func (t *Tracker) Run(ctx context.Context, kick <-chan struct{}) {
	if t.cfg.Source == nil {
		return
	}
	ticker := time.NewTicker(t.cfg.Interval)
	defer ticker.Stop()
	for {
		t.Refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-kick:
		}
	}
}

// HasSource reports whether the tracker asks a source (its rate can
// change), rather than always giving its fallback.
func (t *Tracker) HasSource() bool { return t.cfg.Source != nil }
