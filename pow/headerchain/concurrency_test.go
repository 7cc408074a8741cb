package headerchain_test

import (
	"errors"
	"math/big"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	hc "github.com/mainstake/sidenode/pow/headerchain"
)

// gateVerifier holds the proof-of-work check of chosen headers until the
// test releases it, and says on entered when a held check has begun. The
// others pass straight through. Safe for concurrent use.
type gateVerifier struct {
	mu      sync.Mutex
	gates   map[chainhash.Hash]chan struct{}
	entered chan chainhash.Hash
	calls   map[chainhash.Hash]int
	panics  chainhash.Hash // a header whose check panics
}

func newGateVerifier() *gateVerifier {
	return &gateVerifier{
		gates:   make(map[chainhash.Hash]chan struct{}),
		entered: make(chan chainhash.Hash, 16),
		calls:   make(map[chainhash.Hash]int),
	}
}

// hold makes the next check of hash wait until the returned function is
// called.
func (v *gateVerifier) hold(hash chainhash.Hash) func() {
	ch := make(chan struct{})
	v.mu.Lock()
	v.gates[hash] = ch
	v.mu.Unlock()
	return func() { close(ch) }
}

func (v *gateVerifier) hashes(hash chainhash.Hash) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.calls[hash]
}

func (v *gateVerifier) CheckProofOfWork(h *wire.BlockHeader, hash *chainhash.Hash, height int32, target *big.Int) (bool, error) {
	v.mu.Lock()
	v.calls[*hash]++
	gate := v.gates[*hash]
	delete(v.gates, *hash)
	panics := *hash == v.panics
	v.mu.Unlock()
	if gate != nil {
		v.entered <- *hash
		<-gate
	}
	if panics {
		panic("verifier failure")
	}
	return hc.SHA256d{}.CheckProofOfWork(h, hash, height, target)
}

type headerResult struct {
	n   *hc.Node
	err error
}

func processHeaderAsync(ix *hc.Index, h *wire.BlockHeader) <-chan headerResult {
	done := make(chan headerResult, 1)
	go func() {
		n, err := ix.ProcessHeader(h)
		done <- headerResult{n, err}
	}()
	return done
}

// TestProofOfWorkWithoutLock holds one header's proof-of-work check and
// checks that meanwhile a header on another branch is processed, a block
// is processed, and the index answers queries: the check does not hold the
// index's lock. (Were it held, this test would hang until go test's
// timeout.)
func TestProofOfWorkWithoutLock(t *testing.T) {
	v := newGateVerifier()
	ix, g := newIndex(t, func(c *hc.Config) { c.Verifier = v })
	a1 := child(t, g, 1, "a1")
	b1 := child(t, g, 1, "b1")
	b2 := child(t, b1, 2, "b2")

	release := v.hold(a1.BlockHash())
	slow := processHeaderAsync(ix, &a1.Header)
	<-v.entered

	if _, err := ix.ProcessHeader(&b1.Header); err != nil {
		t.Fatalf("header on another branch while a check is held: %v", err)
	}
	res := process(t, ix, b1)
	sameHashes(t, "attach", res.Attach, b1)
	process(t, ix, b2)
	if ix.Best().Hash() != b2.BlockHash() || ix.BestHeader().Hash() != b2.BlockHash() {
		t.Fatal("the tip did not move while a check was held")
	}
	if ix.Lookup(a1.BlockHash()) != nil {
		t.Fatal("the held header is stored before its check ended")
	}
	if _, err := ix.AncestorID(b2.BlockHash(), 0); err != nil {
		t.Fatal(err)
	}

	release()
	r := <-slow
	if r.err != nil || r.n == nil || r.n.Hash() != a1.BlockHash() {
		t.Fatalf("held header: %v", r.err)
	}
	if v.hashes(a1.BlockHash()) != 1 {
		t.Fatalf("%d hashes for one header", v.hashes(a1.BlockHash()))
	}
}

// TestRecheckAfterProofOfWork changes the index while a header's check is
// held: a parent invalidated meanwhile condemns the header.
func TestRecheckAfterProofOfWork(t *testing.T) {
	v := newGateVerifier()
	ix, g := newIndex(t, func(c *hc.Config) { c.Verifier = v })
	a1 := child(t, g, 1, "a1")
	a2 := child(t, a1, 2, "a2")
	b1 := child(t, g, 1, "b1")
	for _, b := range []*hc.Block{a1, b1} {
		process(t, ix, b)
	}

	release := v.hold(a2.BlockHash())
	slow := processHeaderAsync(ix, &a2.Header)
	<-v.entered
	if _, err := ix.Invalidate(a1.BlockHash()); err != nil {
		t.Fatal(err)
	}
	release()
	r := <-slow
	if !errors.Is(r.err, hc.ErrKnownInvalid) {
		t.Fatalf("header of a parent invalidated meanwhile: %v", r.err)
	}
	if ix.Lookup(a2.BlockHash()) != nil {
		t.Fatal("a child of an invalid block was stored")
	}
	if ix.BestHeader().Hash() != b1.BlockHash() {
		t.Fatalf("best header %v, want b1", ix.BestHeader().Hash())
	}
}

// TestSameHeaderHashedOnce brings the same header from several callers at
// once, alone and with its body: it is hashed once, the others wait for
// that check and share its outcome.
func TestSameHeaderHashedOnce(t *testing.T) {
	v := newGateVerifier()
	ix, g := newIndex(t, func(c *hc.Config) { c.Verifier = v })
	a1 := child(t, g, 1, "a1")

	// The header alone is being checked; two more copies and the block
	// come meanwhile.
	release := v.hold(a1.BlockHash())
	first := processHeaderAsync(ix, &a1.Header)
	<-v.entered
	more := []<-chan headerResult{processHeaderAsync(ix, &a1.Header),
		processHeaderAsync(ix, &a1.Header)}
	block := make(chan error, 1)
	go func() {
		_, err := ix.ProcessBlock(a1)
		block <- err
	}()
	ix.AwaitFlightWaiters(a1.BlockHash(), 3)
	release()
	if r := <-first; r.err != nil || r.n == nil {
		t.Fatalf("first copy: %v", r.err)
	}
	for _, ch := range more {
		if r := <-ch; r.err != nil && !errors.Is(r.err, hc.ErrDuplicateBlock) {
			t.Fatalf("another copy: %v", r.err)
		}
	}
	if err := <-block; err != nil {
		t.Fatalf("the block: %v", err)
	}
	if ix.Best().Hash() != a1.BlockHash() {
		t.Fatal("the block did not become the tip")
	}
	if n := v.hashes(a1.BlockHash()); n != 1 {
		t.Fatalf("%d hashes for one header", n)
	}

	// A bad header: the waiters share the refusal, for one hash.
	high := child(t, a1, 2, "high")
	mine(&high.Header, true)
	release = v.hold(high.BlockHash())
	first = processHeaderAsync(ix, &high.Header)
	<-v.entered
	second := processHeaderAsync(ix, &high.Header)
	ix.AwaitFlightWaiters(high.BlockHash(), 1)
	release()
	for _, ch := range []<-chan headerResult{first, second} {
		if r := <-ch; !errors.Is(r.err, hc.ErrHighHash) {
			t.Fatalf("high hash: %v", r.err)
		}
	}
	if n := v.hashes(high.BlockHash()); n != 1 {
		t.Fatalf("%d hashes for one bad header", n)
	}
}

// TestConcurrentProcessing feeds two branches from several goroutines at
// once, headers and blocks in any order; under -race this checks the
// index's locking, and the end state must not depend on the order.
func TestConcurrentProcessing(t *testing.T) {
	ix, g := newIndex(t, nil)
	var blocks []*hc.Block
	a, b := g, g
	for h := int32(1); h <= 12; h++ {
		a = child(t, a, h, "a")
		b = child(t, b, h, "b")
		blocks = append(blocks, a, b)
	}
	b = child(t, b, 13, "b") // b wins by one block
	blocks = append(blocks, b)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := range blocks {
				blk := blocks[(i*7+w*5)%len(blocks)]
				if w%2 == 0 {
					_, _ = ix.ProcessHeader(&blk.Header)
				}
				_, _ = ix.ProcessBlock(blk)
				_ = ix.Locator()
				_ = ix.NeedBodies(4)
			}
		}(w)
	}
	wg.Wait()
	if ix.Best().Hash() != b.BlockHash() || ix.BestHeader().Hash() != b.BlockHash() {
		t.Fatalf("tip %v, best header %v, want b13", ix.Best().Hash(),
			ix.BestHeader().Hash())
	}
	if len(ix.NeedBodies(10)) != 0 {
		t.Fatal("bodies missing after every block was processed")
	}
}

// TestOrphanOneHash checks that an orphan's proof of work, checked when it
// entered the pool, is not checked again when its parent comes, whether
// the parent comes after it or while its check is held.
func TestOrphanOneHash(t *testing.T) {
	v := newGateVerifier()
	ix, g := newIndex(t, func(c *hc.Config) { c.Verifier = v })
	p1 := child(t, g, 1, "p1")
	o2 := child(t, p1, 2, "o2")
	if res := process(t, ix, o2); !res.Orphan {
		t.Fatal("not an orphan")
	}
	res := process(t, ix, p1)
	sameHashes(t, "attach", res.Attach, p1, o2)
	if n := v.hashes(o2.BlockHash()); n != 1 {
		t.Fatalf("%d hashes for the orphan, want 1", n)
	}

	// The parent comes while the orphan's check is held: the orphan is
	// taken as its child, not left in the pool.
	q1 := child(t, p1, 2, "q1")
	q2 := child(t, q1, 3, "q2")
	q3 := child(t, q2, 4, "q3")
	process(t, ix, q1)
	release := v.hold(q3.BlockHash())
	done := make(chan error, 1)
	var slow hc.Result
	go func() {
		var err error
		slow, err = ix.ProcessBlock(q3)
		done <- err
	}()
	<-v.entered
	process(t, ix, q2)
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if slow.Orphan || ix.IsOrphan(q3.BlockHash()) {
		t.Fatal("the block stayed an orphan after its parent came")
	}
	if ix.Best().Hash() != q3.BlockHash() {
		t.Fatal("the block did not become the tip")
	}
	sameHashes(t, "attach", slow.Attach, q3)
	if n := v.hashes(q3.BlockHash()); n != 1 {
		t.Fatalf("%d hashes for the block, want 1", n)
	}
}

// TestVerifierPanicFreesWaiters checks that callers waiting for a check
// whose verifier panics are told so instead of waiting for ever, and
// that the header can be checked again.
func TestVerifierPanicFreesWaiters(t *testing.T) {
	v := newGateVerifier()
	ix, g := newIndex(t, func(c *hc.Config) { c.Verifier = v })
	a1 := child(t, g, 1, "a1")
	v.panics = a1.BlockHash()
	release := v.hold(a1.BlockHash())
	panicked := make(chan interface{}, 1)
	go func() {
		defer func() { panicked <- recover() }()
		_, _ = ix.ProcessHeader(&a1.Header)
	}()
	<-v.entered
	waiter := processHeaderAsync(ix, &a1.Header)
	ix.AwaitFlightWaiters(a1.BlockHash(), 1)
	release()
	if <-panicked == nil {
		t.Fatal("the verifier did not panic")
	}
	r := <-waiter
	if r.err == nil {
		t.Fatal("the waiter took a header whose check panicked")
	}
	if _, isRule := hc.ErrorCodeOf(r.err); isRule {
		t.Fatalf("a verifier panic is reported as a rule error: %v", r.err)
	}
	v.mu.Lock()
	v.panics = chainhash.Hash{}
	v.mu.Unlock()
	if _, err := ix.ProcessHeader(&a1.Header); err != nil {
		t.Fatalf("checked again: %v", err)
	}
}
