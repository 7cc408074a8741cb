package pool

import (
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/store"
)

// TestRestartKeepsShares: shares acknowledged by many concurrent callers
// are all there after closing and reopening the store, with the same
// balances and statistics, and numbering goes on where it stopped.
func TestRestartKeepsShares(t *testing.T) {
	clk := newClock()
	dir := t.TempDir()
	db := openStore(t, dir)
	cfg := Config{FeeBps: 200, Window: Window{Shares: 500}, Now: clk.Now,
		Maturity: 2}
	p, err := Open(db, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	const callers, each = 8, 150
	var wg sync.WaitGroup
	var acked sync.Map
	for c := 0; c < callers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				s := mkShare(c, int64(1+i), 10_000, 50_000, 7, clk.Now())
				if c == 3 && i == 100 {
					s.Block = blockHash(1)
				}
				if err := p.AddShare(s); err != nil {
					t.Error(err)
					return
				}
				acked.Store([2]int{c, i}, true)
			}
		}(c)
	}
	wg.Wait()
	before := p.Snapshot()
	auBefore := mustAudit(t, p)
	if before.Accepted != callers*each || len(before.Blocks) != 1 {
		t.Fatalf("accepted %d, %d blocks", before.Accepted,
			len(before.Blocks))
	}
	p.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openStore(t, dir)
	defer db.Close()
	p, err = Open(db, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	after := p.Snapshot()
	if after.Accepted != before.Accepted || len(after.Workers) != callers {
		t.Fatalf("after restart: %d accepted, %d workers", after.Accepted,
			len(after.Workers))
	}
	for i := range before.Accounts {
		if before.Accounts[i].Immature != after.Accounts[i].Immature {
			t.Fatalf("account %d: %d before, %d after", i,
				before.Accounts[i].Immature, after.Accounts[i].Immature)
		}
	}
	for i, w := range before.Workers {
		if after.Workers[i].Accepted != w.Accepted ||
			after.Workers[i].Hashrate != w.Hashrate {
			t.Fatalf("worker %s: %+v before, %+v after", w.Name, w,
				after.Workers[i])
		}
	}
	if au := mustAudit(t, p); au.Owed != auBefore.Owed || au.Fee != auBefore.Fee {
		t.Fatalf("audit after restart %+v, before %+v", au, auBefore)
	}
	// Every acknowledged share is in the store, numbered 1..N.
	var n uint64
	err = db.View(func(r store.Reader) error {
		return walkForward(r, 1, 2*callers*each, func(s *shareRec) (bool, error) {
			n++
			if s.seq != n {
				t.Fatalf("share %d where %d expected", s.seq, n)
			}
			return true, nil
		})
	})
	if err != nil || n != callers*each {
		t.Fatalf("%d shares in the store (%v)", n, err)
	}
	if err := p.AddShare(mkShare(0, 1, 10, 1, 1, clk.Now())); err != nil {
		t.Fatal(err)
	}
	if p.lastSeq != callers*each+1 {
		t.Fatalf("next share numbered %d", p.lastSeq)
	}
}

// TestFailedCommit: a share whose commit fails is answered with ErrStore
// and is not counted; the next share takes its number.
func TestFailedCommit(t *testing.T) {
	clk := newClock()
	db := openStore(t, t.TempDir())
	defer db.Close()
	p, err := Open(db, Config{Scheme: SchemePPS, Now: clk.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.AddShare(mkShare(0, 10, 100, 1000, 1, clk.Now())); err != nil {
		t.Fatal(err)
	}
	p.setHook(func(point string) error {
		if point == "commit" {
			return errCrash
		}
		return nil
	})
	err = p.AddShare(mkShare(0, 10, 100, 1000, 1, clk.Now()))
	if !IsErrorCode(err, ErrStore) || !errors.Is(err, errCrash) {
		t.Fatalf("failed commit: %v", err)
	}
	p.setHook(nil)
	if st := p.Snapshot(); st.Accepted != 1 || st.Accounts[0].PPSUnfunded != 100 {
		t.Fatalf("after a failed commit: %+v", st)
	}
	if err := p.AddShare(mkShare(0, 10, 100, 1000, 1, clk.Now())); err != nil {
		t.Fatal(err)
	}
	if au := mustAudit(t, p); p.lastSeq != 2 || au.PPSAccrued != 200 {
		t.Fatalf("seq %d, accrued %d", p.lastSeq, au.PPSAccrued)
	}
}

// payoutSetup opens a pool in dir with one confirmed block whose reward
// (10,000 satoshis, no fee) goes to workers 0 and 1 equally.
func payoutSetup(t *testing.T, dir string, payer Payer, found bool) (*store.DB, *Pool) {
	t.Helper()
	clk := newClock()
	db := openStore(t, dir)
	p, err := Open(db, Config{Window: Window{Shares: 10}, Maturity: 2,
		MinPayout: 1000, Now: clk.Now}, payer)
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		return db, p
	}
	chain := newFakeChain()
	for w := 0; w < 2; w++ {
		s := mkShare(w, 100, 1000, 10_000, 1, clk.Now())
		if w == 1 {
			s.Block = blockHash(1)
			chain.best[*s.Block] = 1
		}
		if err := p.AddShare(s); err != nil {
			t.Fatal(err)
		}
	}
	chain.tip = 2
	if err := p.TipChanged(chain); err != nil {
		t.Fatal(err)
	}
	if st := p.Snapshot(); st.BlocksConfirmed != 1 {
		t.Fatalf("block not confirmed: %+v", st.Blocks)
	}
	return db, p
}

// TestPayoutCrash: a crash at each point of a payout neither pays twice
// nor loses the payout once the pool restarts on the same store.
func TestPayoutCrash(t *testing.T) {
	for _, point := range []string{"record", "recorded", "sent"} {
		t.Run(point, func(t *testing.T) {
			dir := t.TempDir()
			payer := newFakePayer()
			db, p := payoutSetup(t, dir, payer, true)
			p.setHook(func(at string) error {
				if at == point {
					return errCrash
				}
				return nil
			})
			if _, err := p.Payout(); !errors.Is(err, errCrash) {
				t.Fatalf("payout: %v", err)
			}
			// Crash: nothing more is written; reopen.
			p.Close()
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db, p = payoutSetup(t, dir, payer, false)
			defer db.Close()
			defer p.Close()
			res, err := p.Payout()
			if err != nil {
				t.Fatal(err)
			}
			total, max := payer.sends()
			if total != 1 || max != 1 {
				t.Fatalf("sent %d transactions, one %d times", total,
					max)
			}
			switch point {
			case "record":
				// Nothing was recorded: a new payout pays.
				if res.Outputs != 2 || res.Resent+res.Recovered != 0 {
					t.Fatalf("%+v", res)
				}
			case "recorded":
				if res.Resent != 1 || res.Outputs != 0 {
					t.Fatalf("%+v", res)
				}
			case "sent":
				if res.Recovered != 1 || res.Outputs != 0 {
					t.Fatalf("%+v", res)
				}
			}
			au := mustAudit(t, p)
			if au.Paid != 10_000 || au.Owed != 0 || au.PaidOut != 10_000 {
				t.Fatalf("audit %+v", au)
			}
			// And again: nothing left to pay, nothing sent.
			if res, err := p.Payout(); err != nil || res.Outputs != 0 ||
				res.Resent != 0 {
				t.Fatalf("second payout %+v, %v", res, err)
			}
			if total, _ := payer.sends(); total != 1 {
				t.Fatalf("sent %d", total)
			}
		})
	}
}

// TestPayoutSendFails: a payout whose send fails stays recorded and is
// sent, the same transaction, by the next Payout.
func TestPayoutSendFails(t *testing.T) {
	payer := newFakePayer()
	db, p := payoutSetup(t, t.TempDir(), payer, true)
	defer db.Close()
	defer p.Close()
	payer.failTx = errors.New("mempool full")
	res, err := p.Payout()
	if !IsErrorCode(err, ErrPayout) || res.TxID == "" {
		t.Fatalf("payout: %+v, %v", res, err)
	}
	payer.failTx = nil
	res2, err := p.Payout()
	if err != nil || res2.Resent != 1 {
		t.Fatalf("retry: %+v, %v", res2, err)
	}
	h, _ := chainhash.NewHashFromStr(res.TxID)
	if payer.sent[*h] != 1 {
		t.Fatalf("tx sent %d times", payer.sent[*h])
	}
}

// TestLifecycle: credits are immature while the block is pending, taken
// back when it is orphaned, back when it returns, payable once
// confirmed; nothing is paid from a pending block.
func TestLifecycle(t *testing.T) {
	clk := newClock()
	db := openStore(t, t.TempDir())
	defer db.Close()
	payer := newFakePayer()
	p, err := Open(db, Config{Window: Window{Shares: 10}, Maturity: 3,
		MinPayout: 1, Now: clk.Now}, payer)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	chain := newFakeChain()
	s := mkShare(0, 100, 1000, 5000, 10, clk.Now())
	s.Block = blockHash(1)
	if err := p.AddShare(s); err != nil {
		t.Fatal(err)
	}
	status := func() (BlockStatus, AccountStats) {
		st := p.Snapshot()
		var a AccountStats
		if len(st.Accounts) > 0 {
			a = st.Accounts[0]
		}
		return st.Blocks[0].Status, a
	}
	// The chain has not reached height 10: pending.
	chain.tip = 9
	if err := p.TipChanged(chain); err != nil {
		t.Fatal(err)
	}
	if s, a := status(); s != BlockPending || a.Immature != 5000 {
		t.Fatalf("%v %+v", s, a)
	}
	// Another block took height 10: orphaned, credit taken back.
	chain.tip = 10
	if err := p.TipChanged(chain); err != nil {
		t.Fatal(err)
	}
	if s, a := status(); s != BlockOrphaned || a.Immature != 0 {
		t.Fatalf("%v %+v", s, a)
	}
	if res, err := p.Payout(); err != nil || res.Outputs != 0 {
		t.Fatalf("payout from an orphan: %+v %v", res, err)
	}
	// It comes back.
	chain.best[*blockHash(1)] = 10
	chain.tip = 11
	if err := p.TipChanged(chain); err != nil {
		t.Fatal(err)
	}
	if s, a := status(); s != BlockPending || a.Immature != 5000 {
		t.Fatalf("%v %+v", s, a)
	}
	if res, err := p.Payout(); err != nil || res.Outputs != 0 {
		t.Fatalf("payout from a pending block: %+v %v", res, err)
	}
	// Three confirmations: confirmed and payable.
	chain.tip = 12
	if err := p.TipChanged(chain); err != nil {
		t.Fatal(err)
	}
	if s, a := status(); s != BlockConfirmed || a.Owed != 5000 {
		t.Fatalf("%v %+v", s, a)
	}
	// Confirmed is final: leaving the chain does not take it back.
	delete(chain.best, *blockHash(1))
	chain.tip = 13
	if err := p.TipChanged(chain); err != nil {
		t.Fatal(err)
	}
	if res, err := p.Payout(); err != nil || res.Outputs != 1 ||
		res.Amount != 5000 {
		t.Fatalf("payout: %+v %v", res, err)
	}
	if s, a := status(); s != BlockConfirmed || a.Owed != 0 || a.Paid != 5000 {
		t.Fatalf("%v %+v", s, a)
	}
	mustAudit(t, p)
	_ = time.Second
}

// TestAuditDetects: a block record whose books do not balance makes the
// audit fail with ErrAudit.
func TestAuditDetects(t *testing.T) {
	clk := newClock()
	db := openStore(t, t.TempDir())
	defer db.Close()
	p, err := Open(db, Config{Window: Window{Shares: 10}, Now: clk.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	s := mkShare(0, 100, 1000, 5000, 10, clk.Now())
	s.Block = blockHash(1)
	if err := p.AddShare(s); err != nil {
		t.Fatal(err)
	}
	mustAudit(t, p)
	p.mu.Lock()
	b := *p.blocks[0]
	p.mu.Unlock()
	b.allocs = append([]alloc(nil), b.allocs...)
	b.allocs[0].amount++
	err = db.UpdateLocal(func(w *store.PlainWriter) error {
		return w.Set(seqKey(keyBlockPrefix, b.seq), b.encode())
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Audit(); !IsErrorCode(err, ErrAudit) {
		t.Fatalf("audit of a bad block: %v", err)
	}
}

// TestBlockCountedOnce: two shares naming the same block (in one batch or
// in two) make one block, which earns once.
func TestBlockCountedOnce(t *testing.T) {
	clk := newClock()
	db := openStore(t, t.TempDir())
	defer db.Close()
	p, err := Open(db, Config{Window: Window{Shares: 10}, Now: clk.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := mkShare(i, 100, 1000, 5000, 10, clk.Now())
			s.Block = blockHash(1)
			if err := p.AddShare(s); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	s := mkShare(0, 100, 1000, 5000, 10, clk.Now())
	s.Block = blockHash(1)
	if err := p.AddShare(s); err != nil {
		t.Fatal(err)
	}
	au := mustAudit(t, p)
	if len(au.Blocks) != 1 || au.Earned != 5000 || p.Snapshot().Accepted != 5 {
		t.Fatalf("%+v", au)
	}
}

// TestAuditWhileFinding: audits running while blocks are found never see
// a block the accountant has not split.
func TestAuditWhileFinding(t *testing.T) {
	clk := newClock()
	db := openStore(t, t.TempDir())
	defer db.Close()
	p, err := Open(db, Config{Window: Window{Shares: 5}, Now: clk.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; i <= 60; i++ {
			s := mkShare(i%3, 100, 1000, 5000, int32(i), clk.Now())
			s.Block = blockHash(i)
			if err := p.AddShare(s); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for audits := 0; ; audits++ {
		select {
		case <-done:
			if au := mustAudit(t, p); len(au.Blocks) != 60 {
				t.Fatalf("%d blocks", len(au.Blocks))
			}
			return
		default:
		}
		mustAudit(t, p)
	}
}

// TestSnapshotDuringSplit: statistics and tip changes are answered while
// the accountant is in the middle of a split.
func TestSnapshotDuringSplit(t *testing.T) {
	clk := newClock()
	db := openStore(t, t.TempDir())
	defer db.Close()
	p, err := Open(db, Config{Window: Window{Shares: 5}, Now: clk.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	p.setHook(func(point string) error {
		if point == "split" {
			once.Do(func() {
				close(entered)
				<-release
			})
		}
		return nil
	})
	s := mkShare(0, 100, 1000, 5000, 10, clk.Now())
	s.Block = blockHash(1)
	if err := p.AddShare(s); err != nil {
		t.Fatal(err)
	}
	<-entered
	if st := p.Snapshot(); len(st.Blocks) != 1 || len(st.Accounts) != 0 {
		t.Fatalf("during the split: %+v", st)
	}
	chain := newFakeChain()
	chain.tip = 5
	if err := p.tipChanged(chain); err != nil {
		t.Fatal(err)
	}
	close(release)
	if au := mustAudit(t, p); au.Owed != 5000 {
		t.Fatalf("%+v", au)
	}
}

// TestBatchTooBig: a batch too big for one store transaction is written
// in parts, and every share is accepted.
func TestBatchTooBig(t *testing.T) {
	clk := newClock()
	o := StoreOptions("pooltest", testGenesis)
	o.MemTableSize = 4 << 20 // transactions of about 600 KB
	db, err := store.Open(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := Open(db, Config{Now: clk.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// Hold the committer on its first batch so the others pile up.
	first, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	p.setHook(func(point string) error {
		if point == "commit" {
			once.Do(func() {
				close(first)
				<-release
			})
		}
		return nil
	})
	long := func(i int) Share {
		s := mkShare(i, 10, 100, 1, 1, clk.Now())
		s.Worker = string(make([]byte, MaxWorkerName-8)) + s.Worker
		s.Payout = append(make([]byte, MaxPayoutScript-len(s.Payout)),
			s.Payout...)
		return s
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := p.AddShare(long(0)); err != nil {
			t.Error(err)
		}
	}()
	<-first
	const n = 3000 // about 2.4 MB of shares
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := p.AddShare(long(i)); err != nil {
				t.Error(err)
			}
		}(i)
	}
	// Every caller is queued when the committer's channel holds them all.
	for len(p.in) < n {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if st := p.Snapshot(); st.Accepted != n+1 {
		t.Fatalf("%d accepted", st.Accepted)
	}
}
