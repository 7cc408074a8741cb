package lottery

import (
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
)

// randValue returns a ticket value: the bounds, huge, small (so that
// weights tie) or anything in between.
func randValue(rng *rand.Rand) int64 {
	switch rng.Intn(5) {
	case 0:
		return 1
	case 1:
		return btcutil.MaxSatoshi
	case 2:
		return btcutil.MaxSatoshi - rng.Int63n(1_000_000)
	case 3:
		return 1 + rng.Int63n(10)
	}
	return 1 + rng.Int63n(btcutil.MaxSatoshi)
}

// randLock returns a lock height above conf: just above it, a short or
// long lock, or the largest lock height there is.
func randLock(rng *rand.Rand, conf int32) int32 {
	var lock int32
	switch rng.Intn(6) {
	case 0:
		lock = conf + 1
	case 1:
		lock = maxLock - int32(rng.Intn(3))
	case 2:
		lock = conf + 1 + int32(rng.Intn(1000))
	default:
		lock = conf + 1 + int32(rng.Intn(40))
	}
	if lock > maxLock || lock <= conf {
		lock = maxLock
	}
	return lock
}

// TestPropertyAgainstNaive drives random lotteries through random blocks:
// tickets added before or after the advance, publisher chains ending,
// heights skipped, jumps past every lock, and reorgs of random depth that
// are followed by a different branch. After every step the draws must equal
// NaiveDraw's and every internal invariant must hold, in particular the
// tree must equal one built from scratch, so a Rewind leaves exactly the
// state of a lottery that never saw the undone blocks.
func TestPropertyAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	iters := 300
	if testing.Short() {
		iters = 50
	}
	for iter := 0; iter < iters; iter++ {
		p := testParams([]int32{1, 1, 2, 3, 6, 20}[rng.Intn(6)])
		l, m := New(p), newModel(p)

		steps := 20 + rng.Intn(60)
		for step := 0; step < steps; step++ {
			switch op := rng.Intn(20); {
			case op < 3 && m.height >= 0:
				// Reorg: rewind, usually a little.
				to := m.height - int32(rng.Intn(4))
				if rng.Intn(4) == 0 {
					to = int32(rng.Intn(int(m.height)+2)) - 1
				}
				if to < -1 {
					to = -1
				}
				m.mustRewind(t, l, to)

			case op == 3:
				// Jump far ahead, possibly past every lock.
				to := m.height + 1 + int32(rng.Intn(2000))
				if rng.Intn(3) == 0 {
					to = maxLock - int32(rng.Intn(3))
				}
				if to > m.height {
					m.mustAdvance(t, l, to)
				}

			default:
				// Connect the next block, or skip a few.
				h := m.height + 1 + int32(rng.Intn(2))*int32(rng.Intn(5))
				if h >= maxLock {
					continue
				}
				addFirst := rng.Intn(2) == 0
				if !addFirst {
					m.mustAdvance(t, l, h)
				}
				var idx uint32
				for k := rng.Intn(6); k > 0; k-- {
					idx += 1 + uint32(rng.Intn(3))
					m.mustAdd(t, l, Ticket{
						ConfHeight: h,
						TxIndex:    idx,
						Value:      randValue(rng),
						Lock:       randLock(rng, h),
					})
				}
				// End some live publisher chains at h.
				for k := rng.Intn(3); k > 0 && len(m.tickets) > 0; k-- {
					id := TicketID(rng.Intn(len(m.tickets)))
					if _, ok := m.ends[id]; ok {
						requireCode(t, l.End(id, h), ErrAlreadyEnded)
						continue
					}
					m.mustEnd(t, l, id, h)
				}
				if lastEnd, ok := m.lastEnd(); ok && lastEnd > 0 &&
					rng.Intn(10) == 0 {

					requireCode(t, l.End(0, lastEnd-1),
						errFor(m, lastEnd-1))
				}
				if addFirst {
					m.mustAdvance(t, l, h)
				}
			}

			m.checkState(t, l)
			m.checkDraws(t, l, hashOf(rng.Uint64()), hashOf(rng.Uint64()))
		}
	}
}

// lastEnd returns the highest end height, if any ticket has ended.
func (m *model) lastEnd() (int32, bool) {
	var last int32
	for _, e := range m.ends {
		if e > last {
			last = e
		}
	}
	return last, len(m.ends) > 0
}

// errFor returns the code End(0, h) must fail with, given that h is below
// the last end height: ticket 0 is already ended, or the end is out of
// order.
func errFor(m *model, h int32) ErrorCode {
	if _, ok := m.ends[0]; ok {
		return ErrAlreadyEnded
	}
	if h < m.tickets[0].ConfHeight {
		return ErrBadHeight
	}
	return ErrOutOfOrder
}

// TestPropertyLarge compares a lottery of 20,000 random tickets with the
// naive draw at many heights, advancing in jumps so that many tickets change
// at once, then rewinds it in steps.
func TestPropertyLarge(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	p := testParams(6)
	l, m := New(p), newModel(p)
	const n = 20_000
	var lastEnd int32
	for i := 0; i < n; i++ {
		conf := int32(i / 20)
		id := m.mustAdd(t, l, Ticket{
			ConfHeight: conf,
			TxIndex:    uint32(i % 20),
			Value:      randValue(rng),
			Lock:       randLock(rng, conf),
		})
		if rng.Intn(10) == 0 {
			e := conf + int32(rng.Intn(10))
			if e < lastEnd {
				e = lastEnd
			}
			m.mustEnd(t, l, id, e)
			lastEnd = e
		}
	}
	for h := int32(0); h < n/20+1200; h += 1 + int32(rng.Intn(60)) {
		m.mustAdvance(t, l, h)
		m.checkDraws(t, l, hashOf(rng.Uint64()))
	}
	m.checkState(t, l)
	for m.height >= 0 {
		to := m.height - 1 - int32(rng.Intn(80))
		if to < -1 {
			to = -1
		}
		m.mustRewind(t, l, to)
		m.checkDraws(t, l, hashOf(rng.Uint64()))
	}
	m.checkState(t, l)
}
