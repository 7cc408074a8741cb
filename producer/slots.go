package producer

import (
	"slices"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/feeest"
	"github.com/mainstake/sidenode/lottery"
)

// MissReason says why a won draw led to no counted publication.
type MissReason int

// The reasons of a miss. Their String values are the labels of the API's
// and the metrics' miss counts, and stay stable.
const (
	// MissNone is no miss: the production went out.
	MissNone MissReason = iota

	// MissLate: broadcast too late. The next mainchain block was found
	// before the header went out: the backend already had it when
	// production began (one block past the draw's block, which the node
	// had learned of as the tip), the production was still under way
	// when that block arrived, or the header's broadcast came after the
	// node learned of that block.
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

	// MissNotMined: the header was sent in time, the next mainchain
	// block holds no publication that counted for the draw, and the node
	// cannot compare fee rates: it saw none of that block's transactions
	// in the mainchain node's mempool (the neutrino backend, or no
	// mempool snapshot from before the block).
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

	// MissNotSynced: node offline or not synced. The node connected the
	// draw's block while catching up: the backend was more than one
	// block past it, or no announcement named it (the node was down or
	// behind when it was the tip).
	MissNotSynced

	// MissChainEnded: the ticket's publisher chain ended in the next
	// mainchain block (its publisher output spent by something other
	// than a valid header), or had ended when production began: the
	// ticket could not publish. The lottery drops a ticket from the
	// draws after the block that ends its chain, so this arises only
	// when the chain ends in the block that was to carry the header.
	MissChainEnded

	// MissFeeTooLow: the header went out in time, and the next block
	// left it out while the lowest fee rate among that block's
	// transactions that the node saw in the mainchain node's mempool
	// was above the header's rate (its last replacement's).
	MissFeeTooLow

	// MissNotIncluded: the header went out in time, and the next block
	// left it out although it took transactions that the node saw in
	// the mempool at or below the header's rate: a miner chose not to
	// carry it (see the suspected_censorship alarm).
	MissNotIncluded
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

	MissNotSynced:   "not synced",
	MissChainEnded:  "chain ended",
	MissFeeTooLow:   "fee too low",
	MissNotIncluded: "not included",
}

// MissReasons lists every reason of a miss, in order.
var MissReasons = []MissReason{MissLate, MissNoPayout, MissTemplate, MissNoKey,
	MissSeal, MissHeaderTx, MissBroadcast, MissStage, MissNotMined, MissStore,
	MissParentBody, MissFeeCap, MissNoFunds, MissNotSynced, MissChainEnded,
	MissFeeTooLow, MissNotIncluded}

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

	// What Sent recorded: when the first header transaction went out,
	// the rate of the last one, and the ids of all of them.
	sentAt time.Time
	rate   feeest.SatPerKVB
	txids  []chainhash.Hash

	// verdict is the reason of a miss as the next block decided it
	// (Decided), MissNone when it holds none of its own; floor is the
	// lowest rate the block took when the header went out in time.
	verdict    MissReason
	floor      feeest.SatPerKVB
	floorKnown bool
}

// NextBlock is what the node knows of the mainchain block after a draw's
// block, to explain a miss (Ledger.Decided).
type NextBlock struct {
	// Learned is when the node learned that the block was found (its
	// announcement); zero when no announcement named it.
	Learned time.Time

	// Floor gives the lowest fee rate among the block's transactions
	// that the node saw in the mainchain node's mempool, leaving out
	// the transactions of skip (this node's headers); known false when
	// it saw none (nil: the node cannot tell).
	Floor func(skip []chainhash.Hash) (floor feeest.SatPerKVB, known bool)

	// Ended says that the block ended the publisher chain of the
	// slot's ticket.
	Ended bool
}

// Verdict returns the reason of the miss of a slot, given what the next
// block says: exactly one reason, in this order. The chain's end comes
// first, since no header could count then; a failed production gives its
// own reason; a production still under way when the block arrived, or a
// header sent after the node learned of it, is late; otherwise the header
// went out in time, and the fee rates decide (MissFeeTooLow,
// MissNotIncluded), or MissNotMined when the node cannot compare them.
func Verdict(next NextBlock, produced, broadcast bool, failed MissReason,
	sentAt time.Time, rate feeest.SatPerKVB, own []chainhash.Hash) MissReason {

	switch {
	case next.Ended:
		return MissChainEnded
	case failed != MissNone:
		return failed
	case !produced || !broadcast:
		return MissLate
	case !next.Learned.IsZero() && sentAt.After(next.Learned):
		return MissLate
	}
	if next.Floor == nil {
		return MissNotMined
	}
	floor, known := next.Floor(own)
	switch {
	case !known || rate <= 0:
		return MissNotMined
	case floor > rate:
		return MissFeeTooLow
	default:
		return MissNotIncluded
	}
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

// Sent records a header transaction sent for the draw after block height,
// the first or a replacement: the time of the first, the rate of the last.
func (l *Ledger) Sent(height int32, txid chainhash.Hash, rate feeest.SatPerKVB, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.slots[height]; s != nil {
		if s.sentAt.IsZero() {
			s.sentAt = at
		}
		s.rate = rate
		s.txids = append(s.txids, txid)
	}
}

// Ticket returns the ticket that won the draw after block height, if it is
// a draw of this node's.
func (l *Ledger) Ticket(height int32) (lottery.TicketID, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.slots[height]; s != nil {
		return s.ticket, true
	}
	return 0, false
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
// block height: its counted publication (included) or none; next is what
// the node knows of that block, to explain a miss (Verdict).
func (l *Ledger) Decided(height int32, included bool, next NextBlock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.slots[height]
	if s == nil {
		return // not this node's draw, or decided before a restart
	}
	s.outcome, s.verdict = Included, MissNone
	if !included {
		s.outcome = Missed
		s.verdict = Verdict(next, s.produced, s.broadcast, s.failed, s.sentAt, s.rate, s.txids)
		if s.leftOut() && next.Floor != nil {
			s.floor, s.floorKnown = next.Floor(s.txids)
		}
	}
}

// leftOut tells whether the slot's header went out in time and the next
// block left it out.
func (s *slot) leftOut() bool {
	switch s.verdict {
	case MissFeeTooLow, MissNotIncluded, MissNotMined:
		return s.failed == MissNone
	}
	return false
}

// LastLeftOut returns the rate of the highest of the ledger's headers
// that went out in time and that the next block left out, and the lowest
// rate that block took (floorKnown false when the node cannot tell); ok
// false when there is none.
func (l *Ledger) LastLeftOut() (rate, floor feeest.SatPerKVB, floorKnown, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	best := int32(-1)
	for h, s := range l.slots {
		if s.outcome == Missed && s.leftOut() && h > best {
			best = h
		}
	}
	if best < 0 {
		return 0, 0, false, false
	}
	s := l.slots[best]
	return s.rate, s.floor, s.floorKnown, true
}

// Undone forgets what the block at height decided, because the store
// undid it or its batch failed: the draw after it is no longer on the best
// chain, and the draw after block height-1 is pending again.
func (l *Ledger) Undone(height int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.slots, height)
	if s := l.slots[height-1]; s != nil {
		s.outcome, s.verdict = Pending, MissNone
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

// reason is the miss's reason: the next block's verdict, or the reason
// of a production that failed after it (a deferred production that was
// still under way).
func (s *slot) reason() MissReason {
	if s.verdict == MissChainEnded || s.failed == MissNone {
		if s.verdict != MissNone {
			return s.verdict
		}
		return MissLate
	}
	return s.failed
}

// Recent returns the outcomes of this node's decided draws, lowest
// height first, at most n of the highest: true for a miss.
func (l *Ledger) Recent(n int) []bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	hs := make([]int32, 0, len(l.slots))
	for h, s := range l.slots {
		if s.outcome != Pending {
			hs = append(hs, h)
		}
	}
	slices.Sort(hs)
	if len(hs) > n {
		hs = hs[len(hs)-n:]
	}
	out := make([]bool, len(hs))
	for i, h := range hs {
		out[i] = l.slots[h].outcome == Missed
	}
	return out
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
