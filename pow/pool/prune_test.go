package pool

import (
	"math/big"
	"math/rand"
	"testing"
	"time"

	"github.com/mainstake/sidenode/store"
)

// countShares returns how many share records the store holds.
func countShares(t *testing.T, db *store.DB) int {
	t.Helper()
	n := 0
	err := db.View(func(r store.Reader) error {
		return r.Iterate(keySharePrefix, func(k, v []byte) error {
			n++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPruneKeepsSharesBounded finds many blocks under each scheme and
// window kind, with TipChanged pruning every minute of an injected clock:
// the shares the store keeps stay bounded; every split equals the
// reference split over the whole history (no window lost a share it
// needed); an orphaned block keeps its window until it is Maturity deep;
// the audit passes throughout and after a restart. (The PPLNS window
// kept for the next block, with its margin, spans several blocks here:
// the orphan's window is let go once that window has passed it too.)
func TestPruneKeepsSharesBounded(t *testing.T) {
	const (
		blocks   = 60
		perBlock = 200
	)
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"pplns-shares", Config{Scheme: SchemePPLNS, Window: Window{Shares: 150}}},
		{"pplns-work", Config{Scheme: SchemePPLNS, Window: Window{NetMilli: 1500}}},
		{"pps", Config{Scheme: SchemePPS}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(7))
			clk := newClock()
			cfg := tc.cfg
			cfg.FeeBps, cfg.Maturity, cfg.MinPayout = 100, 4, 1
			cfg.HashrateWindow, cfg.PruneInterval = 2*time.Second, time.Minute
			cfg.Now = clk.Now
			dir := t.TempDir()
			db := openStore(t, dir)
			p, err := Open(db, cfg, newFakePayer())
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				p.Close()
				db.Close()
			}()
			chain := newFakeChain()
			m := model{fixed: make(map[string]*big.Int)}
			orphanAt := int32(20)
			var orphanFrom uint64
			most := 0
			for h := int32(1); h <= blocks; h++ {
				for i := 0; i < perBlock; i++ {
					// Network work varies by less than
					// pruneMargin; shares are worth about half a
					// block in all, so PPS credits are funded.
					net := int64(100_000 + rng.Intn(100_000))
					s := mkShare(rng.Intn(6), int64(1+rng.Intn(int(net)/100)), net,
						50_000, h, clk.Now())
					if i == perBlock-1 {
						s.Block = blockHash(int(h))
						if h != orphanAt {
							chain.best[*s.Block] = h
						}
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
						f.Add(f, ppsCreditFixed(s.Reward, s.Work, s.NetWork, cfg.FeeBps))
					}
					clk.add(100 * time.Millisecond)
				}
				chain.tip = h
				clk.add(time.Minute)
				if err := p.TipChanged(chain); err != nil {
					t.Fatal(err)
				}
				if h%5 == 0 {
					if _, err := p.Payout(); err != nil {
						t.Fatal(err)
					}
				}
				checkBooks(t, p, &m, cfg)
				kept := countShares(t, db)
				most = max(most, kept)

				// The orphaned block keeps its window until it is
				// Maturity deep, then lets it go.
				var first uint64
				if err := db.View(func(r store.Reader) (err error) {
					first, err = firstShare(r)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				if first+uint64(kept) != uint64(len(m.shares))+1 {
					t.Fatalf("block %d: %d shares kept from %d, %d in all",
						h, kept, first, len(m.shares))
				}
				if h == orphanAt {
					p.mu.Lock()
					b := p.byHash[*blockHash(int(h))]
					orphanFrom = b.from
					if b.status != BlockOrphaned || orphanFrom == 0 {
						t.Fatalf("block %d: %v, from %d", h, b.status, b.from)
					}
					p.mu.Unlock()
				}
				switch {
				case h >= orphanAt && h < orphanAt+cfg.Maturity && first > orphanFrom:
					t.Fatalf("tip %d: shares from %d kept, the orphaned "+
						"block's window begins at %d", h, first, orphanFrom)
				case h == orphanAt+15 && first <= orphanFrom:
					t.Fatalf("tip %d: the orphaned block %d blocks deep "+
						"still keeps its window (shares from %d)", h,
						h-orphanAt+1, first)
				}
			}
			// Without pruning the store would hold every share.
			if bound := 15 * perBlock; most > bound {
				t.Fatalf("the store kept up to %d shares of %d, want at most %d",
					most, len(m.shares), bound)
			}
			t.Logf("%v: at most %d of %d shares kept", cfg.Scheme, most, len(m.shares))

			// A restart: the books and the counts come back, and the
			// next block is split as the reference says.
			p.Close()
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = openStore(t, dir)
			if p, err = Open(db, cfg, newFakePayer()); err != nil {
				t.Fatal(err)
			}
			if got := p.Snapshot().Accepted; got != uint64(len(m.shares)) {
				t.Fatalf("after the restart: %d shares accepted, want %d", got, len(m.shares))
			}
			s := mkShare(1, 5, 100_000, 50_000, blocks+1, clk.Now())
			s.Block = blockHash(blocks + 1)
			if err := p.AddShare(s); err != nil {
				t.Fatal(err)
			}
			m.shares = append(m.shares, s)
			if cfg.Scheme == SchemePPS {
				m.fixed[string(s.Payout)].Add(m.fixed[string(s.Payout)],
					ppsCreditFixed(s.Reward, s.Work, s.NetWork, cfg.FeeBps))
			}
			checkBooks(t, p, &m, cfg)
		})
	}
}

// TestPruneNever: a negative PruneInterval keeps every share.
func TestPruneNever(t *testing.T) {
	clk := newClock()
	db := openStore(t, t.TempDir())
	defer db.Close()
	p, err := Open(db, Config{Window: Window{Shares: 5}, Maturity: 1,
		PruneInterval: -1, Now: clk.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	chain := newFakeChain()
	for i := range 50 {
		s := mkShare(i%3, 10, 1000, 1000, int32(i+1), clk.Now())
		s.Block = blockHash(i)
		chain.best[*s.Block] = int32(i + 1)
		if err := p.AddShare(s); err != nil {
			t.Fatal(err)
		}
		chain.tip = int32(i + 1)
		clk.add(time.Hour)
		if err := p.TipChanged(chain); err != nil {
			t.Fatal(err)
		}
	}
	if n := countShares(t, db); n != 50 {
		t.Fatalf("%d shares kept, want all 50", n)
	}
}
