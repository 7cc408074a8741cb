package pool

import (
	"bytes"
	"fmt"
	"math/big"
	"math/rand"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/store"
)

// model is the test's own account of what the pool was given.
type model struct {
	shares []Share // by sequence number - 1
	fixed  map[string]*big.Int
}

// refPPLNS is a direct reading of docs/protocol.md's PPLNS split, for
// the block found by share seq (1-based).
func refPPLNS(shares []Share, seq uint64, reward int64, cfg Config) (map[string]int64, int64) {
	fee := reward * int64(cfg.FeeBps) / 10000
	weights := make(map[string]*big.Int)
	add := func(s Share, w *big.Int) {
		if w.Sign() == 0 {
			return
		}
		if weights[string(s.Payout)] == nil {
			weights[string(s.Payout)] = new(big.Int)
		}
		weights[string(s.Payout)].Add(weights[string(s.Payout)], w)
	}
	if cfg.Window.Shares > 0 {
		for i := int64(seq) - 1; i >= 0 && i >= int64(seq)-int64(cfg.Window.Shares); i-- {
			add(shares[i], shares[i].Work)
		}
	} else {
		left := new(big.Int).Mul(shares[seq-1].NetWork,
			big.NewInt(int64(cfg.Window.NetMilli)))
		left.Quo(left, big.NewInt(1000))
		if left.Sign() == 0 {
			left.SetInt64(1)
		}
		for i := int64(seq) - 1; i >= 0 && left.Sign() > 0; i-- {
			w := new(big.Int).Set(shares[i].Work)
			if w.Cmp(left) > 0 {
				w.Set(left)
			}
			add(shares[i], w)
			left.Sub(left, w)
		}
	}
	total := new(big.Int)
	for _, w := range weights {
		total.Add(total, w)
	}
	out := make(map[string]int64)
	d := reward - fee
	type rem struct {
		k string
		r *big.Int
	}
	var rems []rem
	left := d
	for k, w := range weights {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(big.NewInt(d), w),
			total, new(big.Int))
		out[k] = q.Int64()
		left -= q.Int64()
		rems = append(rems, rem{k, r})
	}
	for ; left > 0; left-- {
		best := -1
		for i, r := range rems {
			if r.r == nil {
				continue
			}
			if best < 0 || r.r.Cmp(rems[best].r) > 0 ||
				(r.r.Cmp(rems[best].r) == 0 && r.k < rems[best].k) {
				best = i
			}
		}
		out[rems[best].k]++
		rems[best].r = nil
	}
	if len(weights) == 0 {
		fee = reward
	}
	return out, fee
}

// TestPropertyBooks runs random share streams with block finds, tip
// changes (confirmations, orphans, returns), payouts and restarts, and
// checks after every step that the audit passes (earned = paid + owed +
// fee for every block), that every PPLNS split is the reference split,
// that PPS credits are exactly the carried sums, and that nothing is
// paid twice or beyond earnings.
func TestPropertyBooks(t *testing.T) {
	seeds := 12
	if testing.Short() {
		seeds = 4
	}
	for seed := 1; seed <= seeds; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			runProperty(t, int64(seed))
		})
	}
}

func runProperty(t *testing.T, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	cfg := Config{
		FeeBps:    uint32(rng.Intn(500)),
		Maturity:  int32(2 + rng.Intn(3)),
		MinPayout: int64(1 + rng.Intn(5000)),
	}
	if rng.Intn(2) == 0 {
		cfg.Scheme = SchemePPS
	} else {
		cfg.Scheme = SchemePPLNS
		if rng.Intn(2) == 0 {
			cfg.Window = Window{Shares: uint64(1 + rng.Intn(40))}
		} else {
			cfg.Window = Window{NetMilli: uint64(100 + rng.Intn(3000))}
		}
	}
	clk := newClock()
	cfg.Now = clk.Now
	dir := t.TempDir()
	db := openStore(t, dir)
	payer := newFakePayer()
	p, err := Open(db, cfg, payer)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		p.Close()
		db.Close()
	}()
	chain := newFakeChain()
	var m model
	m.fixed = make(map[string]*big.Int)
	nblocks := 0
	height := int32(1)
	type found struct {
		hash   chainhash.Hash
		height int32
	}
	var blocks []found
	for step := 0; step < 250; step++ {
		switch r := rng.Intn(100); {
		case r < 70:
			w := rng.Intn(6)
			net := int64(1000 + rng.Intn(4000))
			s := mkShare(w, int64(1+rng.Intn(int(net))), net,
				int64(1000+rng.Intn(100000)), height, clk.Now())
			if rng.Intn(8) == 0 {
				nblocks++
				s.Block = blockHash(nblocks)
				chain.best[*s.Block] = height
				blocks = append(blocks, found{*s.Block, height})
				height++
			}
			if err := p.AddShare(s); err != nil {
				t.Fatal(err)
			}
			m.shares = append(m.shares, s)
			if cfg.Scheme == SchemePPS {
				f := m.fixed[string(s.Payout)]
				if f == nil {
					f = new(big.Int)
					m.fixed[string(s.Payout)] = f
				}
				f.Add(f, ppsCreditFixed(s.Reward, s.Work, s.NetWork,
					cfg.FeeBps))
			}
			clk.add(time.Second)
		case r < 85:
			chain.tip++
			if chain.tip >= height {
				height = chain.tip + 1
			}
			// Now and then a recent block leaves the best chain,
			// or comes back.
			if len(blocks) > 0 && rng.Intn(3) == 0 {
				b := blocks[rng.Intn(len(blocks))]
				if _, ok := chain.best[b.hash]; ok {
					if chain.tip-b.height+1 < cfg.Maturity {
						delete(chain.best, b.hash)
					}
				} else {
					chain.best[b.hash] = b.height
				}
			}
			if err := p.TipChanged(chain); err != nil {
				t.Fatal(err)
			}
		case r < 95:
			if _, err := p.Payout(); err != nil {
				t.Fatal(err)
			}
		default:
			// Restart: close everything and reopen the store.
			p.Close()
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = openStore(t, dir)
			if p, err = Open(db, cfg, payer); err != nil {
				t.Fatal(err)
			}
		}
		checkBooks(t, p, &m, cfg)
	}
	// Payouts: everything paid was paid once.
	total, max := payer.sends()
	if max > 1 {
		t.Fatalf("a payout was sent %d times", max)
	}
	st := p.Snapshot()
	t.Logf("%v fee %d window %v: %d shares, %d blocks (%d confirmed, %d "+
		"orphaned), %d payouts", cfg.Scheme, cfg.FeeBps, cfg.Window,
		len(m.shares), len(st.Blocks), st.BlocksConfirmed,
		st.BlocksOrphaned, total)
}

func checkBooks(t *testing.T, p *Pool, m *model, cfg Config) {
	t.Helper()
	au := mustAudit(t, p)
	var earned, credited int64
	for _, b := range au.Blocks {
		earned += b.Earned
		credited += b.Paid + b.Owed
		if b.Earned != b.Paid+b.Owed+b.Fee {
			t.Fatalf("block %v: %+v", b.Hash, b)
		}
	}
	if credited > earned || au.Paid != au.PaidOut {
		t.Fatalf("credited %d of %d earned; paid %d, paid out %d",
			credited, earned, au.Paid, au.PaidOut)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.blocks {
		seen := make(map[string]bool)
		for _, a := range b.allocs {
			if seen[string(a.payout)] {
				t.Fatalf("%v credits %x twice", b, a.payout)
			}
			seen[string(a.payout)] = true
		}
		if !b.split || b.scheme != SchemePPLNS {
			continue
		}
		want, fee := refPPLNS(m.shares, b.seq, b.reward, cfg)
		if fee != b.fee || len(want) != len(b.allocs) {
			t.Fatalf("%v: fee %d, %d accounts; reference: fee %d, %d "+
				"accounts", b, b.fee, len(b.allocs), fee, len(want))
		}
		for _, a := range b.allocs {
			if want[string(a.payout)] != a.amount {
				t.Fatalf("%v: %x gets %d, reference %d", b,
					a.payout, a.amount, want[string(a.payout)])
			}
		}
	}
	if cfg.Scheme == SchemePPS {
		p.statsMu.Lock()
		defer p.statsMu.Unlock()
		for k, f := range m.fixed {
			want := new(big.Int).Rsh(f, 32).Int64()
			if got := p.accruedBy[k]; got != want {
				t.Fatalf("%x accrued %d, reference %d", k, got, want)
			}
		}
	}
	_ = bytes.Equal
	_ = store.ErrNotFound
}
