package pool

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/store"
)

var testGenesis = chainhash.Hash{1}

// openStore opens a store in dir (a temp dir of t if empty).
func openStore(t testing.TB, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(dir, StoreOptions("pooltest", testGenesis))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// clock is an injected clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_700_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeChain is a best chain of named blocks.
type fakeChain struct {
	tip  int32
	best map[chainhash.Hash]int32
}

func newFakeChain() *fakeChain {
	return &fakeChain{best: make(map[chainhash.Hash]int32)}
}

func (c *fakeChain) InBestChain(h chainhash.Hash) (int32, int32, bool) {
	height, ok := c.best[h]
	if !ok || height > c.tip {
		return 0, 0, false
	}
	return height, c.tip - height + 1, true
}

func (c *fakeChain) TipHeight() int32 { return c.tip }

// fakePayer builds transactions with one dummy input per call and
// records what it sends.
type fakePayer struct {
	mu     sync.Mutex
	n      uint32
	known  map[chainhash.Hash]bool
	sent   map[chainhash.Hash]int
	fail   error // BuildPayout and Send fail with it if set
	failTx error // Send fails with it if set
}

func newFakePayer() *fakePayer {
	return &fakePayer{known: make(map[chainhash.Hash]bool),
		sent: make(map[chainhash.Hash]int)}
}

func (f *fakePayer) BuildPayout(outs []*wire.TxOut) (*wire.MsgTx, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	f.n++
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{9}, f.n),
		nil, nil))
	for _, o := range outs {
		tx.AddTxOut(o)
	}
	tx.AddTxOut(wire.NewTxOut(1234, []byte{0x51}))
	return tx, nil
}

func (f *fakePayer) Known(txid chainhash.Hash) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.known[txid], nil
}

func (f *fakePayer) Send(tx *wire.MsgTx) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failTx != nil {
		return f.failTx
	}
	f.sent[tx.TxHash()]++
	f.known[tx.TxHash()] = true
	return nil
}

// sends returns how many times every tx was sent, in total.
func (f *fakePayer) sends() (total int, max int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.sent {
		total += n
		if n > max {
			max = n
		}
	}
	return total, max
}

var errCrash = errors.New("crash injected")

func script(i int) []byte {
	h := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
	return append([]byte{0x00, 0x14}, h[:20]...)
}

func blockHash(i int) *chainhash.Hash {
	var h chainhash.Hash
	binary.LittleEndian.PutUint64(h[:], uint64(i)+1)
	h[31] = 0xb1
	return &h
}

// mkShare makes a share of worker w (paying script(w)) with work units
// of work against a network work of net.
func mkShare(w int, work, net int64, reward int64, height int32, t time.Time) Share {
	return Share{
		Worker:  "w" + string(rune('a'+w%26)) + string(rune('0'+w/26)),
		Payout:  script(w),
		Work:    big.NewInt(work),
		NetWork: big.NewInt(net),
		Reward:  reward,
		Time:    t,
		Height:  height,
	}
}

func mustAudit(t testing.TB, p *Pool) *Audit {
	t.Helper()
	au, err := p.Audit()
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	return au
}

// setHook sets (nil: clears) the pool's crash hook.
func (p *Pool) setHook(f func(point string) error) {
	if f == nil {
		p.hook.Store(nil)
		return
	}
	p.hook.Store(&f)
}
