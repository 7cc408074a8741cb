package pool

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/store"
)

// syncCounter is the pool's store with its Sync calls counted.
type syncCounter struct {
	*store.DB
	syncs atomic.Int64
}

func (s *syncCounter) Sync() error {
	s.syncs.Add(1)
	return s.DB.Sync()
}

// syncCheckPayer is fakePayer that notes, at each Send, how many syncs
// the pool's store had seen.
type syncCheckPayer struct {
	*fakePayer
	db     *syncCounter
	atSend []int64
}

func (p *syncCheckPayer) Send(tx *wire.MsgTx) error {
	p.atSend = append(p.atSend, p.db.syncs.Load())
	return p.fakePayer.Send(tx)
}

// TestSyncsBeforeItMatters: on the pool's store (NoSync), a plain share's
// AddShare syncs nothing (no disk flush on the miner's answer), a share
// that found a block is synced before AddShare returns, and a payout's
// record is synced after it was written and before its transaction is
// sent.
func TestSyncsBeforeItMatters(t *testing.T) {
	clk := newClock()
	db := &syncCounter{DB: openStore(t, t.TempDir())}
	defer db.Close()
	payer := &syncCheckPayer{fakePayer: newFakePayer(), db: db}
	p, err := Open(db, Config{Window: Window{Shares: 10}, Maturity: 2,
		MinPayout: 1000, Now: clk.Now}, payer)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := range 50 {
		if err := p.AddShare(mkShare(0, 100, 1000, 10_000, 1, clk.Now())); err != nil {
			t.Fatal(err)
		}
		clk.add(time.Duration(i+1) * time.Millisecond)
	}
	if n := db.syncs.Load(); n != 0 {
		t.Fatalf("%d syncs for 50 plain shares, want 0", n)
	}
	s := mkShare(1, 100, 1000, 10_000, 1, clk.Now())
	s.Block = blockHash(1)
	if err := p.AddShare(s); err != nil {
		t.Fatal(err)
	}
	if n := db.syncs.Load(); n != 1 {
		t.Fatalf("%d syncs once a block's share was accepted, want 1", n)
	}
	chain := newFakeChain()
	chain.best[*s.Block] = 1
	chain.tip = 2
	if err := p.TipChanged(chain); err != nil {
		t.Fatal(err)
	}
	var atRecord int64 = -1
	p.setHook(func(point string) error {
		if point == "record" {
			atRecord = db.syncs.Load()
		}
		return nil
	})
	res, err := p.Payout()
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs == 0 || len(payer.atSend) != 1 {
		t.Fatalf("payout %+v, %d sends", res, len(payer.atSend))
	}
	if atRecord < 0 || payer.atSend[0] <= atRecord {
		t.Fatalf("syncs: %d when the payout was written, %d when it was sent; "+
			"want a sync between", atRecord, payer.atSend[0])
	}
}

const durableDirEnv = "POOL_DURABLE_CHILD_DIR"

// durableWriters is how many goroutines of the child add shares at once
// (so that batches hold several shares).
const durableWriters = 4

// TestDurableChild is the helper process of TestSharesSurviveKill9: it
// adds shares from durableWriters goroutines to a pool on its own store
// and prints "writer index" for each share once AddShare returned, until
// it is killed.
func TestDurableChild(t *testing.T) {
	dir := os.Getenv(durableDirEnv)
	if dir == "" {
		t.Skip("helper process for TestSharesSurviveKill9")
	}
	db := openStore(t, dir)
	p, err := Open(db, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := range durableWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				s := mkShare(g, 100, 1000, 10_000, 1, time.Unix(1_700_000_000, int64(i)))
				if err := p.AddShare(s); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Fprintf(out, "%d %d\n", g, i)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestSharesSurviveKill9: a pool on its own store (StoreOptions, NoSync)
// killed with SIGKILL keeps every share whose AddShare returned: the
// miner heard "accepted" for nothing that is lost. The parent kills the
// child after a number of acknowledged shares, not after a time.
func TestSharesSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for round, acks := range []int{40, 5000} {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestDurableChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), durableDirEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := make(map[[2]int]bool)
		lines := bufio.NewScanner(stdout)
		for len(acked) < acks && lines.Scan() {
			f := strings.Fields(lines.Text())
			if len(f) != 2 {
				continue
			}
			g, err1 := strconv.Atoi(f[0])
			i, err2 := strconv.Atoi(f[1])
			if err1 == nil && err2 == nil {
				acked[[2]int{g, i}] = true
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		go func() {
			for lines.Scan() {
			}
		}()
		_ = cmd.Wait()
		if len(acked) < acks {
			t.Fatalf("round %d: the child acknowledged %d shares: %s", round,
				len(acked), stderr.String())
		}

		db := openStore(t, dir)
		p, err := Open(db, Config{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		found := make(map[[2]int]bool)
		err = db.View(func(r store.Reader) error {
			return walkForward(r, 1, p.lastSeq, func(s *shareRec) (bool, error) {
				for g := range durableWriters {
					if s.worker == mkShare(g, 0, 0, 0, 0, time.Time{}).Worker {
						found[[2]int{g, int(s.time - 1_700_000_000e9)}] = true
					}
				}
				return true, nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		for k := range acked {
			if !found[k] {
				t.Fatalf("round %d: share %d of writer %d was acknowledged, "+
					"not found after the kill (%d acknowledged, %d recorded)",
					round, k[1], k[0], len(acked), len(found))
			}
		}
		if _, err := p.Audit(); err != nil {
			t.Fatalf("round %d: audit after the kill: %v", round, err)
		}
		p.Close()
		db.Close()
	}
}
