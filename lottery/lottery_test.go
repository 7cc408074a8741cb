package lottery

import (
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math/big"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btclog"
)

const maxLock = txscript.LockTimeThreshold - 1

// TestNoWinner covers W = 0: no tickets, all immature, all expired, all
// ended.
func TestNoWinner(t *testing.T) {
	p := testParams(6)
	l, m := New(p), newModel(p)
	noWinner := func(what string) {
		t.Helper()
		if w := l.TotalWeight(); !w.IsZero() {
			t.Fatalf("%s: TotalWeight() = %v", what, w)
		}
		if _, ok := l.Draw(hashOf(1)); ok {
			t.Fatalf("%s: Draw found a winner", what)
		}
		if _, ok := NaiveDraw(p, m.tickets, m.ends, m.height, hashOf(1)); ok {
			t.Fatalf("%s: NaiveDraw found a winner", what)
		}
		m.checkState(t, l)
	}

	noWinner("empty at -1")
	m.mustAdvance(t, l, 100)
	noWinner("empty at 100")

	// Confirmed at 101 and 102: mature at 106 and 107.
	m.mustAdd(t, l, Ticket{ConfHeight: 101, Value: 5, Lock: 200})
	m.mustAdd(t, l, Ticket{ConfHeight: 102, Value: 7, Lock: 110})
	for h := int32(101); h <= 105; h++ {
		m.mustAdvance(t, l, h)
		noWinner("immature")
	}
	m.mustAdvance(t, l, 106)
	m.checkDraws(t, l, hashOf(1))
	if w := l.TotalWeight(); w != (Uint128{Lo: 5 * 94}) {
		t.Fatalf("TotalWeight() = %v at 106", w)
	}

	m.mustAdvance(t, l, 200)
	noWinner("all expired")

	// Ended: both tickets end before they mature.
	l, m = New(p), newModel(p)
	m.mustAdd(t, l, Ticket{ConfHeight: 1, Value: 5, Lock: 200})
	m.mustAdd(t, l, Ticket{ConfHeight: 1, TxIndex: 3, Value: 5, Lock: 200})
	m.mustEnd(t, l, 0, 3)
	m.mustEnd(t, l, 1, 6)
	m.mustAdvance(t, l, 6)
	noWinner("all ended")

	// A ticket whose lock comes before it matures never weighs.
	l, m = New(p), newModel(p)
	m.mustAdd(t, l, Ticket{ConfHeight: 1, Value: 5, Lock: 6})
	for h := int32(0); h <= 8; h++ {
		m.mustAdvance(t, l, h)
		noWinner("expires before maturity")
	}
}

// TestSingleTicket checks that a lone eligible ticket always wins, with the
// whole range.
func TestSingleTicket(t *testing.T) {
	p := testParams(1)
	l, m := New(p), newModel(p)
	tk := Ticket{ConfHeight: 0, Value: btcutil.MaxSatoshi, Lock: maxLock}
	m.mustAdd(t, l, tk)
	m.mustAdvance(t, l, 0)
	want := mul64(uint64(tk.Value), uint64(tk.Lock))
	for i := uint64(0); i < 100; i++ {
		proof, ok := l.Prove(hashOf(i))
		if !ok || proof.Winner != 0 || !proof.Start.IsZero() ||
			proof.End != want || proof.TotalWeight != want ||
			!proof.R.less(want) {
			t.Fatalf("Prove = %+v %v", proof, ok)
		}
	}
	m.checkDraws(t, l, hashOf(7))
	m.checkState(t, l)
}

// TestExactHeights checks maturity and expiry at their exact heights, for
// several maturities, and End at the maturity height.
func TestExactHeights(t *testing.T) {
	for _, sm := range []int32{1, 2, 6} {
		p := testParams(sm)
		const conf, lock = 10, 20
		mature := int32(conf) + sm - 1

		l, m := New(p), newModel(p)
		m.mustAdd(t, l, Ticket{ConfHeight: conf, Value: 3, Lock: lock})
		for h := int32(conf - 1); h <= lock+1; h++ {
			m.mustAdvance(t, l, h)
			want := Uint128{}
			if h >= mature && h < lock {
				want = Uint128{Lo: uint64(3 * (lock - h))}
			}
			if got := l.Weight(0); got != want {
				t.Fatalf("sm %d h %d: Weight = %v, want %v", sm, h,
					got, want)
			}
			m.checkState(t, l)
		}

		// Ended at the maturity height: never eligible. Try it both
		// before and after advancing to that height.
		for _, endFirst := range []bool{true, false} {
			l, m := New(p), newModel(p)
			m.mustAdd(t, l, Ticket{ConfHeight: conf, Value: 3, Lock: lock})
			m.mustAdvance(t, l, mature-1)
			if endFirst {
				m.mustEnd(t, l, 0, mature)
				m.mustAdvance(t, l, mature)
			} else {
				m.mustAdvance(t, l, mature)
				if l.Weight(0).IsZero() {
					t.Fatal("not eligible at maturity")
				}
				m.mustEnd(t, l, 0, mature)
			}
			for h := mature; h <= lock; h++ {
				m.mustAdvance(t, l, h)
				if w := l.Weight(0); !w.IsZero() {
					t.Fatalf("sm %d h %d: ended ticket weighs %v",
						sm, h, w)
				}
				m.checkState(t, l)
			}
		}

		// Ended one block after maturity: eligible at maturity only.
		l, m = New(p), newModel(p)
		m.mustAdd(t, l, Ticket{ConfHeight: conf, Value: 3, Lock: lock})
		m.mustEnd(t, l, 0, mature+1)
		for h := int32(conf); h <= lock; h++ {
			m.mustAdvance(t, l, h)
			if eligible := !l.Weight(0).IsZero(); eligible != (h == mature) {
				t.Fatalf("sm %d h %d: eligible %v", sm, h, eligible)
			}
			m.checkState(t, l)
		}
	}
}

// TestErrors checks every rule and that a rejected call changes nothing.
func TestErrors(t *testing.T) {
	p := testParams(2)
	l, m := New(p), newModel(p)
	m.mustAdd(t, l, Ticket{ConfHeight: 5, TxIndex: 3, Value: 10, Lock: 50})

	bad := []struct {
		t    Ticket
		code ErrorCode
	}{
		{Ticket{ConfHeight: 5, TxIndex: 3, Value: 10, Lock: 50}, ErrOutOfOrder},
		{Ticket{ConfHeight: 5, TxIndex: 2, Value: 10, Lock: 50}, ErrOutOfOrder},
		{Ticket{ConfHeight: 4, TxIndex: 9, Value: 10, Lock: 50}, ErrOutOfOrder},
		{Ticket{ConfHeight: 6, Value: 0, Lock: 50}, ErrBadValue},
		{Ticket{ConfHeight: 6, Value: -1, Lock: 50}, ErrBadValue},
		{Ticket{ConfHeight: 6, Value: btcutil.MaxSatoshi + 1, Lock: 50}, ErrBadValue},
		{Ticket{ConfHeight: 6, Value: 1, Lock: 6}, ErrBadLock},
		{Ticket{ConfHeight: 6, Value: 1, Lock: 5}, ErrBadLock},
		{Ticket{ConfHeight: 6, Value: 1, Lock: txscript.LockTimeThreshold}, ErrBadLock},
		{Ticket{ConfHeight: -1, Value: 1, Lock: 50}, ErrBadHeight},
	}
	for _, c := range bad {
		_, err := l.Add(c.t)
		requireCode(t, err, c.code)
	}
	// The bounds themselves are fine.
	m.mustAdd(t, l, Ticket{ConfHeight: 6, Value: 1, Lock: 7})
	m.mustAdd(t, l, Ticket{ConfHeight: 6, TxIndex: 1,
		Value: btcutil.MaxSatoshi, Lock: maxLock})

	requireCode(t, l.End(3, 10), ErrUnknownTicket)
	requireCode(t, l.End(0, 4), ErrBadHeight)
	m.mustEnd(t, l, 0, 8)
	requireCode(t, l.End(0, 9), ErrAlreadyEnded)
	requireCode(t, l.End(1, 7), ErrOutOfOrder)
	m.mustEnd(t, l, 1, 8)

	m.mustAdvance(t, l, 10)
	requireCode(t, l.Advance(9), ErrOutOfOrder)
	requireCode(t, l.Rewind(11), ErrBadHeight)
	requireCode(t, l.Rewind(-2), ErrBadHeight)
	m.checkState(t, l)

	if _, ok := l.Ticket(3); ok {
		t.Fatal("Ticket(3) found")
	}
	if w := l.Weight(3); !w.IsZero() {
		t.Fatal("unknown ticket weighs")
	}
}

// TestSearchBoundaries runs the descent directly at every range boundary:
// r = start, r = end − 1, r = start − 1, over random sets where many
// tickets weigh 0.
func TestSearchBoundaries(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for iter := 0; iter < 200; iter++ {
		p := testParams(int32(1 + rng.Intn(4)))
		l, m := New(p), newModel(p)
		n := 1 + rng.Intn(70)
		h := int32(rng.Intn(30))
		var lastEnd int32
		for i := 0; i < n; i++ {
			m.mustAdd(t, l, Ticket{
				ConfHeight: int32(i / 3),
				TxIndex:    uint32(i % 3),
				Value:      1 + rng.Int63n(4),
				Lock:       int32(i/3) + 1 + int32(rng.Intn(40)),
			})
			if rng.Intn(8) == 0 {
				// Ends come in height order.
				e := int32(i/3) + int32(rng.Intn(5))
				if e < lastEnd {
					e = lastEnd
				}
				m.mustEnd(t, l, TicketID(i), e)
				lastEnd = e
			}
		}
		m.mustAdvance(t, l, h)
		m.checkState(t, l)

		var start Uint128
		last := -1
		for k := range m.tickets {
			w := m.weight(TicketID(k), h)
			if w.IsZero() {
				continue
			}
			end := start.add(w)
			for _, r := range []Uint128{start, end.sub(Uint128{Lo: 1})} {
				got, gs := l.tree.search(r, uint64(h))
				if got != k || gs != start {
					t.Fatalf("search(%v) = %d [%v, ...), want %d "+
						"[%v, %v)", r, got, gs, k, start, end)
				}
			}
			if last >= 0 {
				r := start.sub(Uint128{Lo: 1})
				if got, _ := l.tree.search(r, uint64(h)); got != last {
					t.Fatalf("search(%v) = %d, want %d", r, got, last)
				}
			}
			last, start = k, end
		}
		if start != l.TotalWeight() {
			t.Fatalf("sum %v, TotalWeight %v", start, l.TotalWeight())
		}
	}
}

// TestDrawBoundaries drives Draw end to end onto every r in [0, W) of a
// small lottery, by searching block hashes, so that r lands on each range
// boundary; the winner must be the ticket whose range holds r.
func TestDrawBoundaries(t *testing.T) {
	p := testParams(1)
	l, m := New(p), newModel(p)
	// At height 10 the weights are 1·2, 0 (expired), 2·1 and 3·3: ranges
	// [0,2) [2,4) [4,13) for tickets 0, 2 and 3.
	m.mustAdd(t, l, Ticket{ConfHeight: 1, Value: 1, Lock: 12})
	m.mustAdd(t, l, Ticket{ConfHeight: 2, Value: 4, Lock: 10})
	m.mustAdd(t, l, Ticket{ConfHeight: 3, Value: 2, Lock: 11})
	m.mustAdd(t, l, Ticket{ConfHeight: 4, Value: 3, Lock: 13})
	m.mustAdvance(t, l, 10)
	if w := l.TotalWeight(); w != (Uint128{Lo: 13}) {
		t.Fatalf("TotalWeight() = %v, want 13", w)
	}
	owner := func(r uint64) TicketID {
		switch {
		case r < 2:
			return 0
		case r < 4:
			return 2
		}
		return 3
	}
	found := make(map[uint64]bool)
	for i := uint64(0); len(found) < 13 && i < 10_000; i++ {
		hash := hashOf(i)
		proof, ok := l.Prove(hash)
		if !ok {
			t.Fatal("no winner")
		}
		r := proof.R.Lo
		found[r] = true
		if proof.Winner != owner(r) {
			t.Fatalf("r = %d: winner %d, want %d", r, proof.Winner,
				owner(r))
		}
		m.checkDraws(t, l, hash)
	}
	if len(found) != 13 {
		t.Fatalf("hit only %d of 13 values of r", len(found))
	}
}

// TestSeed checks the draw number against an independent computation with
// crypto/sha256 and math/big, and against fixed vectors computed outside
// Go.
func TestSeed(t *testing.T) {
	var hash chainhash.Hash
	for i := range hash {
		hash[i] = byte(i)
	}
	seed := drawSeed(hash, 0x00000d07)
	const wantSeed = "56595984eb0c8755eabb43f89066f746" +
		"ba14a987ff4451872ffe7cca531e4586"
	if got := chainhash.Hash(seed); hexOf(seed[:]) != wantSeed {
		t.Fatalf("seed %x, want %s", got[:], wantSeed)
	}
	vectors := []struct{ w, r string }{
		{"1", "0"},
		{"7", "4"},
		{"18446744073709551615", "3109669365001622954"},
		{"18446744073709551616", "3458338772286850438"},
		{"18446744073709551617", "741895152900269040"},
		{"1329227995784915872903807060280332231",
			"1242667041992071376956503818002179445"},
		{"340282366920938463463374607431768211455",
			"21838862457481476605363029332684258509"},
		{"3150000000000000000000017", "1239760455837376286356355"},
	}
	for _, v := range vectors {
		bw, _ := new(big.Int).SetString(v.w, 10)
		w := Uint128{Hi: new(big.Int).Rsh(bw, 64).Uint64(), Lo: bw.Uint64()}
		if got := mod256(&seed, w); got.String() != v.r {
			t.Fatalf("seed mod %s = %v, want %s", v.w, got, v.r)
		}
	}

	// A real lottery: R is the seed of its own hash and id mod W.
	p := testParams(1)
	l, m := New(p), newModel(p)
	for i := 0; i < 50; i++ {
		m.mustAdd(t, l, Ticket{ConfHeight: 0, TxIndex: uint32(i),
			Value: btcutil.MaxSatoshi - int64(i), Lock: maxLock - int32(i)})
	}
	m.mustAdvance(t, l, 0)
	proof, _ := l.Prove(hash)
	buf := append([]byte("PMS/lottery"), hash[:]...)
	buf = binary.BigEndian.AppendUint32(buf, p.SidechainID)
	sum := sha256.Sum256(buf)
	want := new(big.Int).SetBytes(sum[:])
	want.Mod(want, bigOf(proof.TotalWeight))
	if bigOf(proof.R).Cmp(want) != 0 {
		t.Fatalf("R = %v, want %v", proof.R, want)
	}
	if proof.TotalWeight.Hi == 0 {
		t.Fatal("total weight should exceed 2^64")
	}
}

// hexOf formats b as lower-case hex.
func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestBounds checks the overflow analysis of doc.go: MaxTickets tickets of
// the largest value and lock sum to less than 2^120.
func TestBounds(t *testing.T) {
	term := new(big.Int).Mul(big.NewInt(btcutil.MaxSatoshi), big.NewInt(maxLock))
	sum := new(big.Int).Mul(term, big.NewInt(MaxTickets))
	if sum.BitLen() > 120 {
		t.Fatalf("bound is %d bits", sum.BitLen())
	}
}

// TestProofVerify checks that Verify accepts a true proof and rejects every
// altered field.
func TestProofVerify(t *testing.T) {
	p := testParams(2)
	l, m := New(p), newModel(p)
	for i := 0; i < 20; i++ {
		m.mustAdd(t, l, Ticket{ConfHeight: int32(i), Value: int64(1000 + i),
			Lock: int32(100 + 3*i)})
	}
	m.mustEnd(t, l, 4, 7)
	m.mustAdvance(t, l, 30)
	proof, ok := l.Prove(hashOf(42))
	if !ok {
		t.Fatal("no winner")
	}
	if err := proof.Verify(p, m.tickets, m.ends); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	// Tickets confirmed later do not matter.
	more := append(append([]Ticket(nil), m.tickets...),
		Ticket{ConfHeight: 31, Value: 5, Lock: 90})
	if err := proof.Verify(p, more, m.ends); err != nil {
		t.Fatalf("Verify with a later ticket: %v", err)
	}

	one := Uint128{Lo: 1}
	alter := []func(*DrawProof){
		func(d *DrawProof) { d.Height++ },
		func(d *DrawProof) { d.BlockHash[0] ^= 1 },
		func(d *DrawProof) { d.SidechainID++ },
		func(d *DrawProof) { d.TotalWeight = d.TotalWeight.add(one) },
		func(d *DrawProof) { d.R = d.R.add(one) },
		func(d *DrawProof) { d.Winner++ },
		func(d *DrawProof) { d.Start = d.Start.add(one) },
		func(d *DrawProof) { d.End = d.End.add(one) },
	}
	for _, f := range alter {
		bad := proof
		f(&bad)
		requireCode(t, bad.Verify(p, m.tickets, m.ends), ErrProofMismatch)
	}
	// Ending the winner changes the draw.
	ends := map[TicketID]int32{proof.Winner: 30}
	for k, v := range m.ends {
		ends[k] = v
	}
	requireCode(t, proof.Verify(p, m.tickets, ends), ErrProofMismatch)
	// No weight at all: no winner to prove.
	requireCode(t, proof.Verify(p, nil, nil), ErrProofMismatch)
}

// TestHugeWeights fills a lottery with the largest values and locks, so
// that W is far above 2^64, and compares it with the naive draw.
func TestHugeWeights(t *testing.T) {
	p := testParams(1)
	l, m := New(p), newModel(p)
	rng := rand.New(rand.NewSource(4))
	for i := 0; i < 3000; i++ {
		v := int64(btcutil.MaxSatoshi)
		if i%2 == 1 {
			v -= rng.Int63n(1000)
		}
		m.mustAdd(t, l, Ticket{ConfHeight: int32(i / 100),
			TxIndex: uint32(i % 100), Value: v, Lock: maxLock - int32(rng.Intn(3))})
	}
	for _, h := range []int32{0, 10, 29, 1000} {
		m.mustAdvance(t, l, h)
		for i := uint64(0); i < 20; i++ {
			m.checkDraws(t, l, hashOf(i))
		}
	}
	if w := l.TotalWeight(); w.Hi < 1<<20 {
		t.Fatalf("TotalWeight() = %v, expected above 2^84", w)
	}
	m.checkState(t, l)
	m.mustAdvance(t, l, maxLock)
	if w := l.TotalWeight(); !w.IsZero() {
		t.Fatalf("TotalWeight() = %v after every lock", w)
	}
	m.checkState(t, l)
}

// TestNewPanics checks that New refuses a maturity below 1.
func TestNewPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New did not panic")
		}
	}()
	New(testParams(0))
}

// TestTraceLog draws with trace logging on, so that the log line is
// exercised.
func TestTraceLog(t *testing.T) {
	logger := btclog.NewBackend(io.Discard).Logger("LOTT")
	logger.SetLevel(btclog.LevelTrace)
	UseLogger(logger)
	defer UseLogger(btclog.Disabled)

	p := testParams(1)
	l, m := New(p), newModel(p)
	m.mustAdd(t, l, Ticket{ConfHeight: 0, Value: 5, Lock: 9})
	m.mustAdvance(t, l, 3)
	m.checkDraws(t, l, hashOf(1))
	m.mustRewind(t, l, -1)
	m.checkState(t, l)
}
