package pool

import (
	"bytes"
	"math/big"
	"testing"
)

func TestSplitProportional(t *testing.T) {
	ws := func(p [][]byte, w ...int64) []weight {
		out := make([]weight, len(w))
		for i := range w {
			out[i] = weight{payout: p[i], w: big.NewInt(w[i])}
		}
		return out
	}
	abc := [][]byte{{'a'}, {'b'}, {'c'}}
	tests := []struct {
		name   string
		amount int64
		w      []int64
		want   []int64
	}{
		// 10×{1,2,4}/7 = 1 r3, 2 r6, 5 r5: the two satoshis left go
		// to b (6) and c (5).
		{"largest remainders", 10, []int64{1, 2, 4}, []int64{1, 3, 6}},
		// Equal remainders: the lowest payout script first.
		{"ties by script", 100, []int64{1, 1, 1}, []int64{34, 33, 33}},
		{"exact", 990, []int64{20, 30, 40}, []int64{220, 330, 440}},
		{"zero", 0, []int64{5, 6, 7}, []int64{0, 0, 0}},
	}
	for _, tc := range tests {
		got := splitProportional(tc.amount, ws(abc, tc.w...))
		for i := range got {
			if got[i].amount != tc.want[i] {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
}

func TestPPSCreditCarry(t *testing.T) {
	// 10 satoshis × 1/3 per share, fee 0: each share is worth 3⅓
	// satoshis; the carry keeps the fractions, so 30 shares get exactly
	// floor(30 × floor(10×2^32/3) / 2^32) satoshis.
	fixed := ppsCreditFixed(10, big.NewInt(1), big.NewInt(3), 0)
	var carry uint32
	var sum int64
	for i := 0; i < 30; i++ {
		var c int64
		c, carry = addCredit(carry, fixed)
		if c < 3 || c > 4 {
			t.Fatalf("share %d credited %d", i, c)
		}
		sum += c
	}
	want := new(big.Int).Mul(fixed, big.NewInt(30))
	want.Rsh(want, 32)
	if sum != want.Int64() || sum != 99 {
		t.Fatalf("credited %d, want %v (99)", sum, want)
	}
	// Fee 100 bps: 1000 × 10/100 × 0.99 = 99 exactly.
	c, carry := addCredit(0, ppsCreditFixed(1000, big.NewInt(10),
		big.NewInt(100), 100))
	if c != 99 || carry != 0 {
		t.Fatalf("credit %d carry %d, want 99 and 0", c, carry)
	}
}

// TestPPLNSVectors checks splits computed by hand, for a window in shares
// and in work.
func TestPPLNSVectors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		window Window
		want   map[int]int64
	}{
		// Last 3 shares: w1 30, w0 20, w2 40 of 90; 990 to split.
		{"shares", Window{Shares: 3}, map[int]int64{0: 220, 1: 330, 2: 440}},
		// 1× network work (80): w2 40, w0 20, then 20 of w1's 30.
		// 990×20/80 = 247 r40 for w0 and w1: the satoshi left goes
		// to the lower payout script.
		{"work", Window{NetMilli: 1000}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			db := openStore(t, t.TempDir())
			defer db.Close()
			p, err := Open(db, Config{FeeBps: 100, Window: tc.window,
				Now: clk.Now}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			for i, s := range []struct{ w, work int64 }{{0, 10}, {1, 30}, {0, 20}, {2, 40}} {
				sh := mkShare(int(s.w), s.work, 80, 1000, 5, clk.Now())
				if i == 3 {
					sh.Block = blockHash(1)
				}
				if err := p.AddShare(sh); err != nil {
					t.Fatal(err)
				}
			}
			au := mustAudit(t, p)
			if len(au.Blocks) != 1 || au.Blocks[0].Fee != 10 ||
				au.Blocks[0].Owed != 990 {
				t.Fatalf("audit %+v", au.Blocks)
			}
			got := make(map[string]int64)
			for _, a := range p.Snapshot().Accounts {
				got[string(a.Payout)] = a.Immature
			}
			want := tc.want
			if want == nil {
				lo, hi := 0, 1
				if bytes.Compare(script(1), script(0)) < 0 {
					lo, hi = 1, 0
				}
				want = map[int]int64{lo: 248, hi: 247, 2: 495}
			}
			for w, amt := range want {
				if got[string(script(w))] != amt {
					t.Errorf("worker %d: %d, want %d (all %v)", w,
						got[string(script(w))], amt, want)
				}
			}
		})
	}
}

// TestPPSFunding checks that blocks fund PPS credits oldest first, that
// an orphaned block's credits go back to the front of the queue, and
// that the surplus of a block is the fee.
func TestPPSFunding(t *testing.T) {
	clk := newClock()
	db := openStore(t, t.TempDir())
	defer db.Close()
	p, err := Open(db, Config{Scheme: SchemePPS, Maturity: 2,
		Now: clk.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	chain := newFakeChain()
	add := func(w int, reward int64, block int) {
		t.Helper()
		// Work 10 of 100 and a job reward of 1000: 100 satoshis.
		s := mkShare(w, 10, 100, 1000, int32(block), clk.Now())
		if block > 0 {
			s.Reward = reward
			s.Block = blockHash(block)
			chain.best[*s.Block] = int32(block)
		}
		if err := p.AddShare(s); err != nil {
			t.Fatal(err)
		}
	}
	split := func(i int) *BlockAudit {
		t.Helper()
		au := mustAudit(t, p)
		return &au.Blocks[i]
	}
	immature := func() map[int]int64 {
		m := make(map[int]int64)
		for _, a := range p.Snapshot().Accounts {
			for w := 0; w < 8; w++ {
				if bytes.Equal(a.Payout, script(w)) {
					m[w] = a.Immature
				}
			}
		}
		return m
	}
	for w := 0; w < 4; w++ {
		add(w, 0, 0)
	}
	// Share 5 (worker 4) finds block 1 earning 250 (its own job's
	// reward of 250 makes its credit 25): funds 0, 1 and half of 2.
	add(4, 250, 1)
	if b := split(0); b.Owed != 250 || b.Fee != 0 {
		t.Fatalf("block 1: %+v", b)
	}
	if m := immature(); m[0] != 100 || m[1] != 100 || m[2] != 50 ||
		m[3] != 0 {
		t.Fatalf("after block 1: %v", m)
	}
	// Share 6 (worker 5) finds block 2 earning 250: the other 50 of 2,
	// 3, 4's 25 and 5's 25 (its job reward is 250 too): 200; fee 50.
	add(5, 250, 2)
	b := split(1)
	if b.Owed != 200 || b.Fee != 50 {
		t.Fatalf("block 2: %+v", b)
	}
	// Block 1 leaves the best chain: its 250 go back, first in line.
	chain.tip = 2
	delete(chain.best, *blockHash(1))
	if err := p.TipChanged(chain); err != nil {
		t.Fatal(err)
	}
	if s := split(0); s.Status != BlockOrphaned || s.Earned != 0 || s.Owed != 0 {
		t.Fatalf("orphaned block 1: %+v", s)
	}
	au := mustAudit(t, p)
	if au.PPSUnfunded != 250 {
		t.Fatalf("unfunded %d, want 250", au.PPSUnfunded)
	}
	// Worker 6 finds block 3 (reward 1000; own credit 100): the 250
	// returned, then share 7 itself.
	add(6, 1000, 3)
	if b := split(2); b.Owed != 350 || b.Fee != 650 {
		t.Fatalf("block 3: %+v", b)
	}
	if m := immature(); m[0] != 100 || m[1] != 100 || m[2] != 100 ||
		m[3] != 100 || m[4] != 25 || m[5] != 25 || m[6] != 100 {
		t.Fatalf("after block 3: %v", m)
	}
	if au := mustAudit(t, p); au.PPSUnfunded != 0 {
		t.Fatalf("unfunded %d", au.PPSUnfunded)
	}
}
