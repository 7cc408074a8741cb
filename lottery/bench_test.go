package lottery

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/mainstake/sidenode/chainparams"
)

// benchSizes are the ticket counts of the benchmarks.
var benchSizes = []int{10_000, 100_000, 1_000_000}

// benchWindow is how many blocks BenchmarkBlock connects before it rewinds
// to the fixture's height (outside the timer) to keep the ticket count
// steady.
const benchWindow = 100

// fixture is a lottery of n tickets at height h0, built as a mainnet node
// would see it after MaxStakeLock blocks of steady registrations, with the
// same inputs kept for the naive draw.
type fixture struct {
	p        *chainparams.Params
	l        *Lottery
	tickets  []Ticket
	ends     map[TicketID]int32
	h0       int32
	perBlock int // registrations per block
	locks    []int32

	// scan is the baseline without trees: the same tickets as a flat
	// array with their end heights inline.
	scan []scanTicket
}

// scanTicket is a ticket as a tree-less lottery would keep it.
type scanTicket struct {
	value     int64
	conf, end int32 // end is math.MaxInt32 while the chain is live
	lock      int32
}

// scanDraw is the O(n) baseline the benchmarks compare with: NaiveDraw's
// two passes over a flat array, without map lookups.
func scanDraw(p *chainparams.Params, ts []scanTicket, h int32,
	hash chainhash.Hash) (TicketID, bool) {

	mat := int32(p.StakeMaturity) - 1
	weight := func(t *scanTicket) Uint128 {
		if h < t.conf+mat || h >= t.lock || h >= t.end {
			return Uint128{}
		}
		return mul64(uint64(t.value), uint64(t.lock-h))
	}
	var total Uint128
	for i := range ts {
		total = total.add(weight(&ts[i]))
	}
	if total.IsZero() {
		return 0, false
	}
	seed := drawSeed(hash, p.SidechainID)
	r := mod256(&seed, total)
	var sum Uint128
	for i := range ts {
		sum = sum.add(weight(&ts[i]))
		if r.less(sum) {
			return TicketID(i), true
		}
	}
	panic("r is not below the total weight")
}

// fixtures caches one fixture per size across benchmark runs.
var fixtures = map[int]*fixture{}

// getFixture builds, or returns the cached, fixture of n tickets. Building
// the 1M fixture takes well under a second.
func getFixture(tb testing.TB, n int) *fixture {
	if f := fixtures[n]; f != nil {
		return f
	}
	p := &chainparams.Mainnet
	rng := rand.New(rand.NewSource(int64(n)))
	span := p.MaxStakeLock
	lockRange := int(p.MaxStakeLock - p.MinStakeLock + 1)
	randLock := func(conf int32) int32 {
		return conf + p.MinStakeLock + int32(rng.Intn(lockRange))
	}
	f := &fixture{
		p:        p,
		l:        New(p),
		tickets:  make([]Ticket, 0, n),
		ends:     make(map[TicketID]int32),
		h0:       span,
		perBlock: (n + int(span) - 1) / int(span),
	}

	type end struct {
		id TicketID
		h  int32
	}
	var ends []end
	for i := 0; i < n; i++ {
		conf := int32(int64(i) * int64(span) / int64(n))
		t := Ticket{
			ConfHeight: conf,
			TxIndex:    uint32(i),
			Value:      p.MinStakeValue + rng.Int63n(2_000_000_000),
			Lock:       randLock(conf),
		}
		id, err := f.l.Add(t)
		if err != nil {
			tb.Fatal(err)
		}
		f.tickets = append(f.tickets, t)
		if rng.Intn(50) == 0 {
			ends = append(ends, end{id, conf + int32(rng.Intn(int(span-conf)+1))})
		}
	}
	sort.Slice(ends, func(i, j int) bool { return ends[i].h < ends[j].h })
	for _, e := range ends {
		if err := f.l.End(e.id, e.h); err != nil {
			tb.Fatal(err)
		}
		f.ends[e.id] = e.h
	}
	if err := f.l.Advance(f.h0); err != nil {
		tb.Fatal(err)
	}
	for i, t := range f.tickets {
		end, ok := f.ends[TicketID(i)]
		if !ok {
			end = math.MaxInt32
		}
		f.scan = append(f.scan, scanTicket{value: t.Value,
			conf: t.ConfHeight, end: end, lock: t.Lock})
	}
	for i := uint64(0); i < 3; i++ {
		w, ok := scanDraw(p, f.scan, f.h0, hashOf(i))
		want, wok := f.l.Draw(hashOf(i))
		if w != want || ok != wok {
			tb.Fatalf("scanDraw = %d %v, Draw = %d %v", w, ok, want, wok)
		}
	}
	for i := 0; i < benchWindow*f.perBlock; i++ {
		f.locks = append(f.locks, p.MinStakeLock+int32(rng.Intn(lockRange)))
	}
	fixtures[n] = f
	return f
}

// naiveNs times the O(n) baseline scanDraw on the fixture (at least 3
// draws and 50 ms), and NaiveDraw, the reference with its map of ends, once.
func (f *fixture) naiveNs(tb testing.TB) (scan, ref float64) {
	var (
		reps  int
		start = time.Now()
	)
	for reps < 3 || time.Since(start) < 50*time.Millisecond {
		if _, ok := scanDraw(f.p, f.scan, f.h0, hashOf(uint64(reps))); !ok {
			tb.Fatal("no winner")
		}
		reps++
	}
	scan = float64(time.Since(start).Nanoseconds()) / float64(reps)

	start = time.Now()
	if _, ok := NaiveDraw(f.p, f.tickets, f.ends, f.h0, hashOf(0)); !ok {
		tb.Fatal("no winner")
	}
	return scan, float64(time.Since(start).Nanoseconds())
}

// report adds the baseline times and the speedup over the scan to b's
// results.
func report(b *testing.B, scan, ref float64) {
	trees := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(scan, "naive-ns/op")
	b.ReportMetric(ref, "NaiveDraw-ns/op")
	b.ReportMetric(scan/trees, "x_naive")
}

// BenchmarkDraw measures one draw (seed, reduction, descent) against
// NaiveDraw's scan of the same tickets.
func BenchmarkDraw(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			f := getFixture(b, n)
			scan, ref := f.naiveNs(b)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, ok := f.l.Draw(hashOf(uint64(i))); !ok {
					b.Fatal("no winner")
				}
			}
			b.StopTimer()
			report(b, scan, ref)
		})
	}
}

// BenchmarkBlock measures what a node does per mainchain block: add the
// block's registrations, advance one height (tickets maturing, expiring and
// new ones entering the tree) and draw, against NaiveDraw's scan. Every
// benchWindow blocks the lottery is rewound to its starting height outside
// the timer. changes/block is the average number of tickets added,
// maturing, expiring or ending per block.
func BenchmarkBlock(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			f := getFixture(b, n)
			scan, ref := f.naiveNs(b)
			l := f.l

			// Per block: the registrations added, the tickets that
			// expire or end (events), and those that mature
			// (confirmed StakeMaturity − 1 blocks before; in the
			// window, the benchmark's own registrations).
			var changes int
			sm := f.p.StakeMaturity
			for h := f.h0 + 1; h <= f.h0+benchWindow; h++ {
				changes += f.perBlock + len(l.events[h])
				if c := h - sm + 1; c > f.h0 {
					changes += f.perBlock
				} else {
					changes += l.confirmedAbove(int64(c)) -
						l.confirmedAbove(int64(c-1))
				}
			}

			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				j := i % benchWindow
				h := f.h0 + 1 + int32(j)
				for k := 0; k < f.perBlock; k++ {
					_, err := l.Add(Ticket{
						ConfHeight: h,
						TxIndex:    uint32(k),
						Value:      f.p.MinStakeValue,
						Lock:       h + f.locks[j*f.perBlock+k],
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				if err := l.Advance(h); err != nil {
					b.Fatal(err)
				}
				if _, ok := l.Draw(hashOf(uint64(i))); !ok {
					b.Fatal("no winner")
				}
				if j == benchWindow-1 {
					b.StopTimer()
					if err := l.Rewind(f.h0); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			}
			b.StopTimer()
			if err := l.Rewind(f.h0); err != nil {
				b.Fatal(err)
			}
			report(b, scan, ref)
			b.ReportMetric(float64(changes)/benchWindow, "changes/block")
		})
	}
}
