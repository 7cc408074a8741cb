package producer

import (
	"sync"

	"github.com/mainstake/sidenode/lottery"
)

// MissReason says why a won draw led to no counted publication.
type MissReason int

// The reasons of a miss. Their String values are the labels of the API's
// and the metrics' miss counts, and stay stable.
const (
	// MissNone is no miss: the production went out.
	MissNone MissReason = iota

	// MissLate: the mainchain had moved past the draw's block before
	// production began.
	MissLate

	// MissNoPayout: the node has no script for its coinbase.
	MissNoPayout

	// MissTemplate: building the sideblock failed.
	MissTemplate

	// MissNoKey: the ticket's key is not available.
	MissNoKey

	// MissSeal: the engine could not seal the sideblock.
	MissSeal

	// MissHeaderTx: building or signing the header transaction failed
	// (for example a publisher output too small to pay its fee).
	MissHeaderTx

	// MissBroadcast: the mainchain node refused the header transaction.
	MissBroadcast

	// MissStage: the sideblock's body could not be staged.
	MissStage

	// MissNotMined: the header was sent, but the next mainchain block
	// holds no publication that counted for the draw.
	MissNotMined

	// MissStore: reading the ticket from the store failed.
	MissStore

	// MissParentBody: a published sideblock ahead of the node's tip had
	// no body, and the mainchain moved past the draw's block (or undid
	// it) while the node fetched and waited for it (Env.BodyWait): the
	// node gave up rather than build on a parent its peers had left.
	MissParentBody

	// MissFeeCap: the fee caps (--publish.maxheaderfee,
	// --publish.maxdayfee) left less than the relay floor for the header.
	MissFeeCap

	// MissNoFunds: neither the publisher output nor the wallet could pay
	// the header transaction's fee.
	MissNoFunds
)

var missReasonNames = map[MissReason]string{
	MissNone:       "none",
	MissLate:       "late",
	MissNoPayout:   "no payout script",
	MissTemplate:   "template",
	MissNoKey:      "no key",
	MissSeal:       "seal",
	MissHeaderTx:   "header tx",
	MissBroadcast:  "broadcast",
	MissStage:      "stage",
	MissNotMined:   "not mined",
	MissStore:      "store",
	MissParentBody: "parent body",
	MissFeeCap:     "fee cap",
	MissNoFunds:    "no funds",
}

// String returns the reason's label.
func (r MissReason) String() string {
	if s, ok := missReasonNames[r]; ok {
		return s
	}
	return "unknown"
}

// Outcome is where a won draw stands on the best chain.
type Outcome int

// The outcomes of a won draw.
const (
	// Pending: the block after the draw's block has not arrived.
	Pending Outcome = iota

	// Included: the next block holds the draw's counted publication.
	Included

	// Missed: the next block holds none.
	Missed
)

// Stats counts this node's slots on the best chain: draws won, headers
// this node broadcast for them (or that the chain holds: a header sent
// before a reorg may be refused when sent again), publications that counted, and won draws
// that led to none, by reason. Won = Included + Missed + Pending.
type Stats struct {
	Won, Published, Included, Missed, Pending uint64
	MissReasons                               map[MissReason]uint64

	// StaleParent counts the draws whose sideblock was built on the tip
	// after Env.BodyWait passed with a body ahead of it still missing:
	// their header went out, on a parent the peers may have left.
	StaleParent uint64
}

// ReasonLabels returns the miss counts keyed by the reasons' labels.
func (s Stats) ReasonLabels() map[string]uint64 {
	out := make(map[string]uint64, len(s.MissReasons))
	for r, n := range s.MissReasons {
		out[r.String()] += n
	}
	return out
}

// slot is one won draw.
type slot struct {
	ticket    lottery.TicketID
	stale     bool       // built on the tip while a body ahead was missing
	produced  bool       // Produced was called
	broadcast bool       // the mainchain node accepted the header
	failed    MissReason // why production failed, MissNone if it did not
	outcome   Outcome
}

// Ledger keeps this node's won draws on the best chain, by draw height.
// Its zero value is ready; it is safe for concurrent use.
type Ledger struct {
	mu    sync.Mutex
	slots map[int32]*slot
}

// Won records that the draw after the block at height, which the node has
// just connected, went to ticket, one of this node's. A draw that was
// already recorded (its block connected again) is replaced, not added.
func (l *Ledger) Won(height int32, ticket lottery.TicketID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.slots == nil {
		l.slots = make(map[int32]*slot)
	}
	l.slots[height] = &slot{ticket: ticket}
}

// Produced records how this node's production for the draw after block
// height went: broadcast when the mainchain node accepted the header, and
// the reason of a failure (MissNone for none).
func (l *Ledger) Produced(height int32, broadcast bool, failed MissReason) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.slots[height]; s != nil {
		s.produced, s.broadcast, s.failed = true, broadcast, failed
	}
}

// StaleParent records that the production for the draw after block
// height was built on the tip after the wait for a body ahead of it ran
// out.
func (l *Ledger) StaleParent(height int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.slots[height]; s != nil {
		s.stale = true
	}
}

// Decided records what the block at height+1 holds for the draw after
// block height: its counted publication (included) or none.
func (l *Ledger) Decided(height int32, included bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.slots[height]
	if s == nil {
		return // not this node's draw, or decided before a restart
	}
	s.outcome = Missed
	if included {
		s.outcome = Included
	}
}

// Undone forgets what the block at height decided, because the store
// undid it or its batch failed: the draw after it is no longer on the best
// chain, and the draw after block height-1 is pending again.
func (l *Ledger) Undone(height int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.slots, height)
	if s := l.slots[height-1]; s != nil {
		s.outcome = Pending
	}
}

// Reason returns why the draw after block height was missed, and whether
// it is a missed draw of this node.
func (l *Ledger) Reason(height int32) (MissReason, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.slots[height]
	if s == nil || s.outcome != Missed {
		return MissNone, false
	}
	return s.reason(), true
}

func (s *slot) reason() MissReason {
	if s.failed != MissNone {
		return s.failed
	}
	return MissNotMined
}

// Stats counts the ledger's draws.
func (l *Ledger) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := Stats{MissReasons: make(map[MissReason]uint64)}
	for _, s := range l.slots {
		st.Won++
		if s.stale {
			st.StaleParent++
		}
		if s.broadcast || s.outcome == Included {
			st.Published++
		}
		switch s.outcome {
		case Included:
			st.Included++
		case Missed:
			st.Missed++
			st.MissReasons[s.reason()]++
		default:
			st.Pending++
		}
	}
	return st
}
