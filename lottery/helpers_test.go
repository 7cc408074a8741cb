package lottery

import (
	"encoding/binary"
	"sort"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/mainstake/sidenode/chainparams"
)

// testParams returns regtest parameters with the given stake maturity.
func testParams(maturity int32) *chainparams.Params {
	p := chainparams.Regtest
	p.StakeMaturity = maturity
	return &p
}

// hashOf returns a block hash derived from i.
func hashOf(i uint64) chainhash.Hash {
	var h chainhash.Hash
	binary.LittleEndian.PutUint64(h[:], i)
	binary.LittleEndian.PutUint64(h[24:], ^i)
	return h
}

// model is the lottery's inputs, kept by the tests independently of it.
type model struct {
	p       *chainparams.Params
	tickets []Ticket
	ends    map[TicketID]int32
	height  int32
}

func newModel(p *chainparams.Params) *model {
	return &model{p: p, ends: make(map[TicketID]int32), height: -1}
}

// weight computes a ticket's weight at h from the definition, with
// nothing shared with the package.
func (m *model) weight(id TicketID, h int32) Uint128 {
	t := m.tickets[id]
	if int64(h) < int64(t.ConfHeight)+int64(m.p.StakeMaturity)-1 ||
		h >= t.Lock {
		return Uint128{}
	}
	if e, ok := m.ends[id]; ok && h >= e {
		return Uint128{}
	}
	return mul64(uint64(t.Value), uint64(t.Lock-h))
}

// rewind applies Rewind(h) to the model.
func (m *model) rewind(h int32) {
	for id, e := range m.ends {
		if e > h {
			delete(m.ends, id)
		}
	}
	n := len(m.tickets)
	for n > 0 && m.tickets[n-1].ConfHeight > h {
		n--
	}
	m.tickets = m.tickets[:n]
	m.height = h
}

// mustAdd adds t to both the lottery and the model.
func (m *model) mustAdd(tb testing.TB, l *Lottery, t Ticket) TicketID {
	tb.Helper()
	id, err := l.Add(t)
	if err != nil {
		tb.Fatalf("Add(%+v): %v", t, err)
	}
	if id != TicketID(len(m.tickets)) {
		tb.Fatalf("Add returned id %d, want %d", id, len(m.tickets))
	}
	m.tickets = append(m.tickets, t)
	return id
}

// mustEnd ends ticket id at h in both the lottery and the model.
func (m *model) mustEnd(tb testing.TB, l *Lottery, id TicketID, h int32) {
	tb.Helper()
	if err := l.End(id, h); err != nil {
		tb.Fatalf("End(%d, %d): %v", id, h, err)
	}
	m.ends[id] = h
}

// mustAdvance advances both to h.
func (m *model) mustAdvance(tb testing.TB, l *Lottery, h int32) {
	tb.Helper()
	if err := l.Advance(h); err != nil {
		tb.Fatalf("Advance(%d): %v", h, err)
	}
	m.height = h
}

// mustRewind rewinds both to h.
func (m *model) mustRewind(tb testing.TB, l *Lottery, h int32) {
	tb.Helper()
	if err := l.Rewind(h); err != nil {
		tb.Fatalf("Rewind(%d): %v", h, err)
	}
	m.rewind(h)
}

// checkDraws compares the lottery's draws with NaiveDraw for the given
// hashes, and checks each proof.
func (m *model) checkDraws(tb testing.TB, l *Lottery, hashes ...chainhash.Hash) {
	tb.Helper()
	for _, hash := range hashes {
		got, gok := l.Prove(hash)
		want, wok := NaiveDraw(m.p, m.tickets, m.ends, m.height, hash)
		if gok != wok || got != want {
			tb.Fatalf("height %d hash %v: Prove = %+v %v, NaiveDraw "+
				"= %+v %v", m.height, hash, got, gok, want, wok)
		}
		if w, ok := l.Draw(hash); ok != wok || w != want.Winner {
			tb.Fatalf("Draw = %d %v, want %d %v", w, ok,
				want.Winner, wok)
		}
		if gok {
			if err := got.Verify(m.p, m.tickets, m.ends); err != nil {
				tb.Fatalf("Verify: %v", err)
			}
		}
	}
}

// checkState checks every internal invariant of the lottery against the
// model in O(n log n): tickets, heights, weights, the tree node by node
// (against a tree built from scratch), the totals and the event lists.
func (m *model) checkState(tb testing.TB, l *Lottery) {
	tb.Helper()
	if l.Height() != m.height {
		tb.Fatalf("Height() = %d, want %d", l.Height(), m.height)
	}
	if l.Len() != len(m.tickets) {
		tb.Fatalf("Len() = %d, want %d", l.Len(), len(m.tickets))
	}
	if l.Ended() != len(m.ends) {
		tb.Fatalf("Ended() = %d, want %d", l.Ended(), len(m.ends))
	}

	fresh := newFenwick()
	var total, totA, totB Uint128
	wantEvents := make(map[int32][]TicketID)
	for i, t := range m.tickets {
		id := TicketID(i)
		if got, ok := l.Ticket(id); !ok || got != t {
			tb.Fatalf("Ticket(%d) = %+v %v, want %+v", id, got, ok, t)
		}
		w := m.weight(id, m.height)
		if got := l.Weight(id); got != w {
			tb.Fatalf("height %d: Weight(%d) = %v, want %v",
				m.height, id, got, w)
		}
		if l.tickets[id].inTree != !w.IsZero() {
			tb.Fatalf("ticket %d: inTree = %v with weight %v", id,
				l.tickets[id].inTree, w)
		}
		total = total.add(w)
		var a, b Uint128
		if !w.IsZero() {
			a, b = terms(&t)
			totA, totB = totA.add(a), totB.add(b)
		}
		fresh.push(a, b)

		if mat := int64(t.ConfHeight) + int64(m.p.StakeMaturity) - 1; mat < int64(t.Lock) {
			wantEvents[t.Lock] = append(wantEvents[t.Lock], id)
		}
		if e, ok := m.ends[id]; ok {
			wantEvents[e] = append(wantEvents[e], id)
			if lt := l.tickets[id]; !lt.ended || lt.end != e {
				tb.Fatalf("ticket %d: end %d %v, want %d", id,
					lt.end, lt.ended, e)
			}
		} else if l.tickets[id].ended {
			tb.Fatalf("ticket %d ended, want live", id)
		}
	}
	if got := l.TotalWeight(); got != total {
		tb.Fatalf("height %d: TotalWeight() = %v, want %v", m.height,
			got, total)
	}
	if l.totA != totA || l.totB != totB {
		tb.Fatalf("totals (%v, %v), want (%v, %v)", l.totA, l.totB,
			totA, totB)
	}
	if len(fresh.nodes) != len(l.tree.nodes) {
		tb.Fatalf("tree has %d nodes, want %d", len(l.tree.nodes),
			len(fresh.nodes))
	}
	for i := range fresh.nodes {
		if fresh.nodes[i] != l.tree.nodes[i] {
			tb.Fatalf("tree node %d = %+v, want %+v", i,
				l.tree.nodes[i], fresh.nodes[i])
		}
	}

	if len(l.events) != len(wantEvents) {
		tb.Fatalf("events at %d heights, want %d", len(l.events),
			len(wantEvents))
	}
	for x, want := range wantEvents {
		got := append([]TicketID(nil), l.events[x]...)
		sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
		sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
		if len(got) != len(want) {
			tb.Fatalf("events at %d: %v, want %v", x, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				tb.Fatalf("events at %d: %v, want %v", x, got, want)
			}
		}
	}
	if len(l.ends) != len(m.ends) {
		tb.Fatalf("%d ends, want %d", len(l.ends), len(m.ends))
	}
}

// requireCode fails unless err is a RuleError with code c.
func requireCode(tb testing.TB, err error, c ErrorCode) {
	tb.Helper()
	if !IsErrorCode(err, c) {
		tb.Fatalf("error %v, want code %v", err, c)
	}
}
