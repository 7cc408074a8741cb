package vardiff_test

import (
	"math"
	"math/rand"
	"time"

	"github.com/mainstake/sidenode/pow/stratum/vardiff"
)

// epoch is the simulations' time zero; no test reads the wall clock.
var epoch = time.Unix(1765000000, 0)

// sim is a miner of a given hashrate whose shares come as a Poisson
// process of rate hashrate/(difficulty*2^32), drawn from a seeded
// generator, and a server that calls Idle at every retarget period.
type sim struct {
	rng       *rand.Rand
	st        *vardiff.State
	cfg       vardiff.Config
	netDiff   float64
	hashrate  float64
	now       float64 // seconds since epoch
	nextShare float64
	nextCheck float64
	checks    int // retarget periods elapsed
	shares    int
	changes   []int // the check index of each change
}

func newSim(seed int64, cfg vardiff.Config, start, hashrate, netDiff float64) *sim {
	m := &sim{rng: rand.New(rand.NewSource(seed)), cfg: cfg, netDiff: netDiff, hashrate: hashrate}
	m.st = vardiff.New(cfg, start, epoch)
	m.nextCheck = cfg.RetargetEvery.Seconds()
	m.draw()
	return m
}

func (m *sim) at() time.Time {
	return epoch.Add(time.Duration(m.now * float64(time.Second)))
}

// ratio is the true share rate over the target rate.
func (m *sim) ratio() float64 {
	return m.hashrate * m.cfg.TargetInterval.Seconds() / (m.st.Difficulty() * 4294967296)
}

// draw draws the next share's time; the process is memoryless, so a new
// difficulty or hashrate only needs a new draw.
func (m *sim) draw() {
	rate := m.hashrate / (m.st.Difficulty() * 4294967296)
	m.nextShare = m.now + m.rng.ExpFloat64()/rate
}

// run simulates until checks retarget periods have passed in all.
func (m *sim) run(checks int) {
	for m.checks < checks {
		if m.nextShare < m.nextCheck {
			m.now = m.nextShare
			m.shares++
			_, changed := m.st.Share(m.at(), m.netDiff)
			if changed {
				m.changes = append(m.changes, m.checks)
			}
			m.draw()
			continue
		}
		m.now = m.nextCheck
		m.nextCheck += m.cfg.RetargetEvery.Seconds()
		m.checks++
		if _, changed := m.st.Idle(m.at(), m.netDiff); changed {
			m.changes = append(m.changes, m.checks)
			m.draw()
		}
	}
}

// lastChangeSince returns the check index of the last change at or after
// from, or from-1 if none.
func (m *sim) lastChangeSince(from int) int {
	last := from - 1
	for _, c := range m.changes {
		if c >= from {
			last = c
		}
	}
	return last
}

func (m *sim) changesSince(from int) int {
	n := 0
	for _, c := range m.changes {
		if c >= from {
			n++
		}
	}
	return n
}

func within(r, band float64) bool { return math.Abs(r-1) <= band }
