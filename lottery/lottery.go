package lottery

import (
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btclog"
	"github.com/mainstake/sidenode/chainparams"
)

// MaxTickets is the most tickets a Lottery holds. With values below 2^51
// and locks below 2^29 it keeps every weight sum below 2^120 (doc.go).
const MaxTickets = 1 << 40

// TicketID is a ticket's index in chain order: the first ticket ever added
// is 0. IDs are dense, and a Rewind frees the highest ones for reuse.
type TicketID uint64

// Ticket is what the lottery needs to know of a stake registration.
type Ticket struct {
	// ConfHeight and TxIndex are the ticket's chain position: the height
	// of the mainchain block that confirmed the registration and the
	// index of the transaction in that block. They order the tickets.
	ConfHeight int32
	TxIndex    uint32

	// Value is the stake in satoshis, in [1, btcutil.MaxSatoshi].
	Value int64

	// Lock is the stake's CLTV lock height: ConfHeight < Lock <
	// txscript.LockTimeThreshold.
	Lock int32
}

// before reports whether t comes before u in chain order.
func (t *Ticket) before(u *Ticket) bool {
	return t.ConfHeight < u.ConfHeight ||
		(t.ConfHeight == u.ConfHeight && t.TxIndex < u.TxIndex)
}

// ticketState is a ticket and its lottery bookkeeping.
type ticketState struct {
	Ticket

	// end is the height from which the publisher chain has ended; it is
	// meaningful only if ended is set.
	end   int32
	ended bool

	// inTree is set while the ticket's terms are in the tree, that is,
	// while it is eligible at the lottery's height.
	inTree bool
}

// Lottery holds the tickets of one sidechain and draws a winner after each
// mainchain block in O(log n). It is not safe for concurrent use.
//
// Its state is a function of three inputs: the tickets (Add, in chain
// order), the ended publisher chains (End, in height order) and the height
// (Advance). Rewind(h) takes away the tickets and ends above h and moves the
// height back to h. Whatever the order of the calls, a ticket is in the
// tree exactly when it is eligible at the current height.
type Lottery struct {
	params  *chainparams.Params
	height  int32
	tickets []ticketState
	tree    fenwick

	// totA and totB are Σ value·lock and Σ value over the tickets in
	// the tree, so that the total weight costs O(1).
	totA, totB Uint128

	// events lists, by height x, the tickets that expire at x or whose
	// publisher chain ends at x, once per such event. Tickets that mature
	// at x need no list: they are those confirmed at x − StakeMaturity +
	// 1, a run of consecutive ids.
	events map[int32][]TicketID

	// ends lists the ended tickets in the order End was called; their end
	// heights never decrease, so a Rewind pops them from the back.
	ends []TicketID
}

// New returns an empty lottery at height -1 (no mainchain block connected)
// for the network p. It panics if p.StakeMaturity < 1, which no network
// has: a ticket cannot be eligible before the block that confirms it.
func New(p *chainparams.Params) *Lottery {
	if p.StakeMaturity < 1 {
		panic(fmt.Sprintf("lottery: StakeMaturity %d < 1", p.StakeMaturity))
	}
	return &Lottery{
		params: p,
		height: -1,
		tree:   newFenwick(),
		events: make(map[int32][]TicketID),
	}
}

// Height returns the height at which weights are currently computed.
func (l *Lottery) Height() int32 {
	return l.height
}

// Len returns the number of tickets.
func (l *Lottery) Len() int {
	return len(l.tickets)
}

// Ended returns the number of tickets whose publisher chain has ended.
func (l *Lottery) Ended() int {
	return len(l.ends)
}

// Ticket returns ticket id, and false if there is no such ticket.
func (l *Lottery) Ticket(id TicketID) (Ticket, bool) {
	if id >= TicketID(len(l.tickets)) {
		return Ticket{}, false
	}
	return l.tickets[id].Ticket, true
}

// Add appends a ticket and returns its id. The ticket must come after every
// ticket already added in chain order. It may be added before or after
// Advance reaches its confirmation height.
func (l *Lottery) Add(t Ticket) (TicketID, error) {
	switch {
	case len(l.tickets) >= MaxTickets:
		return 0, ruleError(ErrTooManyTickets, fmt.Sprintf(
			"lottery already holds %d tickets", len(l.tickets)))

	case t.ConfHeight < 0:
		return 0, ruleError(ErrBadHeight, fmt.Sprintf(
			"negative confirmation height %d", t.ConfHeight))

	case t.Value < 1 || t.Value > btcutil.MaxSatoshi:
		return 0, ruleError(ErrBadValue, fmt.Sprintf(
			"ticket value %d is not in [1, %d]", t.Value,
			int64(btcutil.MaxSatoshi)))

	case t.Lock <= t.ConfHeight || t.Lock >= txscript.LockTimeThreshold:
		return 0, ruleError(ErrBadLock, fmt.Sprintf(
			"ticket lock %d is not in (%d, %d)", t.Lock,
			t.ConfHeight, int64(txscript.LockTimeThreshold)))
	}
	if n := len(l.tickets); n > 0 {
		last := &l.tickets[n-1].Ticket
		if !last.before(&t) {
			return 0, ruleError(ErrOutOfOrder, fmt.Sprintf(
				"ticket at %d:%d does not come after ticket at %d:%d",
				t.ConfHeight, t.TxIndex, last.ConfHeight,
				last.TxIndex))
		}
	}

	id := TicketID(len(l.tickets))
	l.tickets = append(l.tickets, ticketState{Ticket: t})
	l.tree.push(Uint128{}, Uint128{})
	if _, ok := l.maturity(&t); ok {
		l.addEvent(t.Lock, id)
	}
	l.touch(id)
	return id, nil
}

// End records that ticket id's publisher chain ended at height: the ticket
// is not eligible at that height or any later one. Ends must come in
// height order (several at one height in any order), and height must not
// be below the ticket's confirmation height.
func (l *Lottery) End(id TicketID, height int32) error {
	if id >= TicketID(len(l.tickets)) {
		return ruleError(ErrUnknownTicket, fmt.Sprintf(
			"no ticket %d", id))
	}
	t := &l.tickets[id]
	switch {
	case t.ended:
		return ruleError(ErrAlreadyEnded, fmt.Sprintf(
			"publisher chain of ticket %d already ended at %d",
			id, t.end))

	case height < t.ConfHeight:
		return ruleError(ErrBadHeight, fmt.Sprintf(
			"end height %d is below the confirmation height %d "+
				"of ticket %d", height, t.ConfHeight, id))
	}
	if n := len(l.ends); n > 0 {
		if last := l.tickets[l.ends[n-1]].end; height < last {
			return ruleError(ErrOutOfOrder, fmt.Sprintf(
				"end height %d is below the previous end "+
					"height %d", height, last))
		}
	}

	t.end, t.ended = height, true
	l.ends = append(l.ends, id)
	l.addEvent(height, id)
	l.touch(id)
	return nil
}

// Advance moves the lottery forward to height, so that weights, draws and
// proofs are those at tip height height. It costs O(k log n) for the k
// tickets that mature, expire or end in between.
func (l *Lottery) Advance(height int32) error {
	if height < l.height {
		return ruleError(ErrOutOfOrder, fmt.Sprintf(
			"advance to %d is below the current height %d",
			height, l.height))
	}
	l.moveTo(height)
	return nil
}

// Rewind undoes the mainchain blocks above height: it removes the tickets
// confirmed above height and the ends recorded above height, and moves the
// lottery back to height. Afterwards the lottery is exactly as if only the
// remaining inputs had ever been given. height must be in [-1, Height()];
// Rewind(Height()) drops inputs staged for a block that was never
// advanced to.
func (l *Lottery) Rewind(height int32) error {
	if height < -1 || height > l.height {
		return ruleError(ErrBadHeight, fmt.Sprintf(
			"rewind to %d is not in [-1, %d]", height, l.height))
	}

	var nEnds, nTickets int
	for n := len(l.ends); n > 0; n-- {
		id := l.ends[n-1]
		t := &l.tickets[id]
		if t.end <= height {
			break
		}
		l.ends = l.ends[:n-1]
		l.removeEvent(t.end, id)
		t.end, t.ended = 0, false
		l.touch(id)
		nEnds++
	}

	// Every dropped ticket's end, if any, is at or above its confirmation
	// height, so above height: it is gone already.
	n := len(l.tickets)
	for ; n > 0 && l.tickets[n-1].ConfHeight > height; n-- {
		id := TicketID(n - 1)
		t := &l.tickets[id]
		if t.inTree {
			a, b := terms(&t.Ticket)
			l.totA, l.totB = l.totA.sub(a), l.totB.sub(b)
		}
		if _, ok := l.maturity(&t.Ticket); ok {
			l.removeEvent(t.Lock, id)
		}
		nTickets++
	}
	l.tickets = l.tickets[:n]
	l.tree.truncate(n)

	from := l.height
	l.moveTo(height)
	log.Debugf("Rewound lottery from height %d to %d: dropped %d "+
		"tickets and %d ends", from, height, nTickets, nEnds)
	return nil
}

// TotalWeight returns W, the sum of all weights at the current height.
func (l *Lottery) TotalWeight() Uint128 {
	if l.height < 0 {
		return Uint128{}
	}
	return l.totA.sub(l.totB.mul64(uint64(l.height)))
}

// Weight returns ticket id's weight at the current height: value × (lock −
// height) if it is eligible, else 0. An unknown id weighs 0.
func (l *Lottery) Weight(id TicketID) Uint128 {
	if id >= TicketID(len(l.tickets)) || !l.tickets[id].inTree {
		return Uint128{}
	}
	t := &l.tickets[id]
	return mul64(uint64(t.Value), uint64(t.Lock-l.height))
}

// Draw returns the winner of the draw after the mainchain block with hash
// blockHash, at the current height, or ok false if the total weight is 0.
// It costs O(log n).
func (l *Lottery) Draw(blockHash chainhash.Hash) (winner TicketID, ok bool) {
	proof, ok := l.Prove(blockHash)
	return proof.Winner, ok
}

// Prove is Draw with the numbers that let a third party check it: see
// DrawProof. It costs O(log n).
func (l *Lottery) Prove(blockHash chainhash.Hash) (DrawProof, bool) {
	total := l.TotalWeight()
	if total.IsZero() {
		return DrawProof{}, false
	}
	seed := drawSeed(blockHash, l.params.SidechainID)
	r := mod256(&seed, total)
	k, start := l.tree.search(r, uint64(l.height))
	proof := DrawProof{
		Height:      l.height,
		BlockHash:   blockHash,
		SidechainID: l.params.SidechainID,
		TotalWeight: total,
		R:           r,
		Winner:      TicketID(k),
		Start:       start,
		End:         start.add(l.Weight(TicketID(k))),
	}
	if log.Level() <= btclog.LevelTrace {
		log.Tracef("Draw at height %d (%v): ticket %d wins, r=%v of W=%v",
			l.height, blockHash, k, r, total)
	}
	return proof, true
}

// terms returns a ticket's two tree terms: value·lock and value.
func terms(t *Ticket) (a, b Uint128) {
	return mul64(uint64(t.Value), uint64(t.Lock)), Uint128{Lo: uint64(t.Value)}
}

// maturity returns the height conf + StakeMaturity − 1 from which t is
// mature, and false if t expires before it matures (it is then never
// eligible and needs no events).
func (l *Lottery) maturity(t *Ticket) (int32, bool) {
	m := int64(t.ConfHeight) + int64(l.params.StakeMaturity) - 1
	if m >= int64(t.Lock) {
		return 0, false
	}
	return int32(m), true
}

// eligible reports whether t is eligible at height h.
func (l *Lottery) eligible(t *ticketState, h int32) bool {
	m, ok := l.maturity(&t.Ticket)
	return ok && m <= h && h < t.Lock && !(t.ended && h >= t.end)
}

// touch puts ticket id into the tree or takes it out, so that it is in
// them exactly when it is eligible at the current height. It is idempotent,
// so extra touches are harmless and touches commute.
func (l *Lottery) touch(id TicketID) {
	t := &l.tickets[id]
	in := l.eligible(t, l.height)
	if in == t.inTree {
		return
	}
	a, b := terms(&t.Ticket)
	if !in {
		a, b = a.neg(), b.neg()
	}
	l.tree.update(int(id), a, b)
	l.totA, l.totB = l.totA.add(a), l.totB.add(b)
	t.inTree = in
}

// moveTo sets the height and touches every ticket whose eligibility may
// differ between the old and the new height. Eligibility changes only at
// maturity, lock and end heights: going from height x−1 to x (either way)
// can change only the tickets that mature, expire or end at x.
func (l *Lottery) moveTo(height int32) {
	lo, hi := l.height, height
	if lo > hi {
		lo, hi = hi, lo
	}
	l.height = height
	if lo == hi {
		return
	}

	// Maturities in (lo, hi]: the tickets confirmed in (lo − sm + 1,
	// hi − sm + 1], consecutive in chain order.
	sm := int64(l.params.StakeMaturity)
	first := l.confirmedAbove(int64(lo) - sm + 1)
	last := l.confirmedAbove(int64(hi) - sm + 1)
	for id := first; id < last; id++ {
		l.touch(TicketID(id))
	}

	// Expiries and ends in (lo, hi]: walk the heights, or the map if it is
	// smaller than the gap.
	if int64(hi)-int64(lo) <= int64(len(l.events)) {
		for x := lo + 1; ; x++ {
			for _, id := range l.events[x] {
				l.touch(id)
			}
			if x == hi {
				break
			}
		}
		return
	}
	for x, ids := range l.events {
		if lo < x && x <= hi {
			for _, id := range ids {
				l.touch(id)
			}
		}
	}
}

// confirmedAbove returns the index of the first ticket confirmed above
// height c, or Len() if there is none, by binary search.
func (l *Lottery) confirmedAbove(c int64) int {
	return sort.Search(len(l.tickets), func(i int) bool {
		return int64(l.tickets[i].ConfHeight) > c
	})
}

// addEvent lists ticket id at height x.
func (l *Lottery) addEvent(x int32, id TicketID) {
	l.events[x] = append(l.events[x], id)
}

// removeEvent removes one listing of ticket id at height x. It searches
// from the back, where the most recent tickets and ends are.
func (l *Lottery) removeEvent(x int32, id TicketID) {
	ids := l.events[x]
	for i := len(ids) - 1; i >= 0; i-- {
		if ids[i] != id {
			continue
		}
		last := len(ids) - 1
		ids[i] = ids[last]
		if last == 0 {
			delete(l.events, x)
		} else {
			l.events[x] = ids[:last]
		}
		return
	}
	panic(fmt.Sprintf("lottery: ticket %d has no event at %d", id, x))
}
