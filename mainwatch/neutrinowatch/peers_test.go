package neutrinowatch

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/lightninglabs/neutrino"
	"github.com/lightninglabs/neutrino/headerfs"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/mainwatch"
)

// TestReorgReconnect follows btcd through reorgs made with invalidateblock
// and a longer branch. Part way through each, btcd's best chain has less
// work than neutrino's, and neutrino drops the peer for announcing it.
// neutrino's own redial is pushed an hour out, so only the supervisor can
// bring the peer back; the source must reach every new tip, and the
// supervisor must have seen the peer lost. The test logs how long each
// reorg took to follow.
func TestReorgReconnect(t *testing.T) {
	retry := neutrino.ConnectionRetryInterval
	neutrino.ConnectionRetryInterval = time.Hour // read by NewChainService
	t.Cleanup(func() { neutrino.ConnectionRetryInterval = retry })

	h := btctest.NewForTest(t, btctest.Options{})
	generate(t, h, 110)
	src := newSource(t, h, t.TempDir(), []string{h.P2PAddr}, nil)
	// atTip waits for the source to reach btcd's tip; only a hang trips
	// the guard.
	atTip := func(what string) time.Duration {
		t.Helper()
		start := time.Now()
		height, hash, err := h.Tip()
		if err != nil {
			t.Fatal(err)
		}
		guard := time.After(syncTimeout)
		for {
			best, err := src.Best(context.Background())
			if err == nil && best.Height == height && best.Hash == hash {
				return time.Since(start)
			}
			select {
			case <-guard:
				t.Fatalf("%s: the source never reached btcd's tip %d (%v): "+
					"at %v, status %+v", what, height, hash, best, src.Status())
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	atTip("initial sync")
	var longest time.Duration
	for i := range 3 {
		if _, err := h.Reorg(2, 1); err != nil {
			t.Fatal(err)
		}
		took := atTip("reorg")
		longest = max(longest, took)
		t.Logf("reorg %d followed in %v", i+1, took.Round(time.Millisecond))
		generate(t, h, 1)
		atTip("block after the reorg")
	}
	outages, redials := src.super.stats()
	t.Logf("peer lost %d times, %d tries to reconnect; longest reorg %v",
		outages, redials, longest.Round(time.Millisecond))
	if outages == 0 || redials == 0 {
		t.Fatalf("the peer was lost %d times and redialled %d times: "+
			"the reorgs did not take it away", outages, redials)
	}
}

// TestDialOnce: the dialer holds at most one connection to an address,
// counting one being dialled, and dials again once it is closed.
func TestDialOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	sv := newSupervisor(nil, "8333")
	addr := ln.Addr()
	first, err := sv.dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sv.dial(addr); !errors.Is(err, errConnected) {
		t.Fatalf("second dial: %v, want errConnected", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	_ = first.Close() // a second close releases nothing more
	again, err := sv.dial(addr)
	if err != nil {
		t.Fatalf("dial after close: %v", err)
	}
	if _, err := sv.dial(addr); !errors.Is(err, errConnected) {
		t.Fatalf("dial beside the new connection: %v, want errConnected", err)
	}
	_ = again.Close()

	// A dial in flight counts.
	block := make(chan struct{})
	sv.dialer = func(network, a string) (net.Conn, error) {
		<-block
		return net.Dial(network, a)
	}
	done := make(chan error, 1)
	go func() {
		c, err := sv.dial(addr)
		if err == nil {
			defer c.Close()
		}
		done <- err
	}()
	for {
		sv.mu.Lock()
		n := sv.open[addr.String()]
		sv.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := sv.dial(addr); !errors.Is(err, errConnected) {
		t.Fatalf("dial beside one in flight: %v, want errConnected", err)
	}
	close(block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// fakeHeaders is a header store that knows a set of hashes.
type fakeHeaders struct {
	mu    sync.Mutex
	known map[chainhash.Hash]bool
}

func (f *fakeHeaders) FetchHeader(hash *chainhash.Hash) (*wire.BlockHeader, uint32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.known[*hash] {
		return nil, 0, headerfs.ErrHashNotFound
	}
	return &wire.BlockHeader{}, 1, nil
}

func (f *fakeHeaders) set(hash chainhash.Hash, known bool) {
	f.mu.Lock()
	f.known[hash] = known
	f.mu.Unlock()
}

// moveTip does what the poll loop does when the header tip moves.
func (s *Source) moveTip() {
	s.mu.Lock()
	close(s.moved)
	s.moved = make(chan struct{})
	s.mu.Unlock()
}

// TestCallLeftChain: a query whose block a reorg takes off the header chain
// is abandoned when the tip moves, while one whose block stays goes on to
// its answer. The query timeout is an hour: only a hang trips the guard.
func TestCallLeftChain(t *testing.T) {
	stale, kept := chainhash.Hash{1}, chainhash.Hash{2}
	headers := &fakeHeaders{known: map[chainhash.Hash]bool{stale: true, kept: true}}
	s := &Source{
		cfg:         Config{QueryTimeout: time.Hour},
		quit:        make(chan struct{}),
		slots:       make(chan struct{}, maxCalls),
		moved:       make(chan struct{}),
		headerStore: headers,
		best:        mainwatch.Cursor{Height: -1},
	}
	answer := make(chan struct{})
	defer close(answer)
	query := func() (int, error) {
		<-answer
		return 7, nil
	}
	type result struct {
		v   int
		err error
	}
	run := func(hash chainhash.Hash) chan result {
		ch := make(chan result, 1)
		go func() {
			v, err := call(context.Background(), s, "filter", hash, query)
			ch <- result{v, err}
		}()
		return ch
	}
	staleDone, keptDone := run(stale), run(kept)
	headers.set(stale, false)
	s.moveTip()
	select {
	case r := <-staleDone:
		if !errors.Is(r.err, errLeftChain) {
			t.Fatalf("query about a block that left the chain: %v, %v; "+
				"want errLeftChain", r.v, r.err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the query about a block that left the chain hung")
	}
	select {
	case r := <-keptDone:
		t.Fatalf("the query about a block still on the chain ended: %v, %v", r.v, r.err)
	default:
	}
	answer <- struct{}{}
	answer <- struct{}{} // the abandoned query ends too
	select {
	case r := <-keptDone:
		if r.err != nil || r.v != 7 {
			t.Fatalf("query about a block still on the chain: %v, %v", r.v, r.err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the query about a block still on the chain hung")
	}
	s.calls.Wait()
}

// TestFilterDirect: a filter fetched straight from a peer is the one
// neutrino's GetCFilter returns, and one that does not match the filter
// header is refused.
func TestFilterDirect(t *testing.T) {
	h := btctest.NewForTest(t, btctest.Options{})
	hashes := generate(t, h, 20)
	src := newSource(t, h, t.TempDir(), []string{h.P2PAddr}, nil)
	guard := time.After(syncTimeout)
	for src.Status().Best.Height < 20 || src.Status().Peers == 0 {
		select {
		case <-guard:
			t.Fatalf("not synced: %+v", src.Status())
		case <-time.After(10 * time.Millisecond):
		}
	}
	ctx := context.Background()
	for _, height := range []int32{1, 7, 20} {
		hash := *hashes[height-1]
		direct, err := src.filterDirect(ctx, height, hash)
		if err != nil {
			t.Fatalf("filter of block %d: %v", height, err)
		}
		viaNeutrino, err := src.cs.GetCFilter(hash, wire.GCSFilterRegular)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := direct.NBytes()
		b, _ := viaNeutrino.NBytes()
		if string(a) != string(b) {
			t.Fatalf("filter of block %d differs from neutrino's", height)
		}
	}
	prev, err := src.cs.RegFilterHeaders.FetchHeaderByHeight(6)
	if err != nil {
		t.Fatal(err)
	}
	peer := src.cs.Peers()[0]
	if _, err := src.filterFromPeer(ctx, peer, 7, *hashes[6], *prev, chainhash.Hash{1}); err == nil {
		t.Fatal("a filter that does not match its filter header was taken")
	}
}

// fakeConnector records ConnectNode calls and refuses the first refuse of
// them.
type fakeConnector struct {
	calls  int
	refuse int
}

func (f *fakeConnector) ConnectNode(string, bool) error {
	f.calls++
	if f.refuse > 0 {
		f.refuse--
		return errors.New("peer exists as a permanent peer")
	}
	return nil
}

// TestSuperviseSchedule walks the supervisor's decisions for one peer on
// an injected clock: a lost stable connection is redialled at once, then
// after 250ms, 500ms, ... up to 15s; neutrino's refusals are retried
// after 20ms without counting as tries; a connection that lasted less
// than 250ms does not start a fresh series.
func TestSuperviseSchedule(t *testing.T) {
	const key = "127.0.0.1:18444"
	sv := newSupervisor([]string{key}, "18444")
	cs := &fakeConnector{}
	sv.cs = cs
	set := func(open bool) {
		if open {
			sv.open[key] = 1
		} else {
			delete(sv.open, key)
		}
	}
	t0 := time.Unix(1_000_000, 0)
	p := &peerState{addr: key, since: t0, next: t0.Add(redialFirst)}
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	want := func(step string, calls int) {
		t.Helper()
		if cs.calls != calls {
			t.Fatalf("%s: %d connects, want %d", step, cs.calls, calls)
		}
	}

	set(true)
	sv.check(p, at(0))
	want("up at start", 0)
	set(false)
	sv.check(p, at(time.Second))
	want("lost after a second up", 1)
	sv.check(p, at(time.Second+redialFirst-time.Millisecond))
	want("before the second try", 1)
	sv.check(p, at(time.Second+redialFirst))
	want("second try", 2)
	sv.check(p, at(time.Second+redialFirst+2*redialFirst))
	want("third try", 3)
	if got := p.next.Sub(at(time.Second + 3*redialFirst)); got != 4*redialFirst {
		t.Fatalf("wait before the fourth try %v, want %v", got, 4*redialFirst)
	}
	for range 20 {
		sv.check(p, p.next)
	}
	last := p.next
	sv.check(p, last)
	if got := p.next.Sub(last); got != redialMax {
		t.Fatalf("wait after many tries %v, want the cap %v", got, redialMax)
	}

	// Up right after that try, then lost within 250ms: the series goes
	// on, and the next try waits for its turn.
	set(true)
	now := last.Add(time.Millisecond)
	sv.check(p, now)
	calls, tries := cs.calls, p.tries
	set(false)
	sv.check(p, now.Add(stableAfter/2))
	if cs.calls != calls || p.tries != tries {
		t.Fatalf("a connection lost after %v: %d connects at once, tries %d, want %d",
			stableAfter/2, cs.calls-calls, p.tries, tries)
	}
	sv.check(p, last.Add(redialMax))
	calls++
	if cs.calls != calls {
		t.Fatalf("no try when the series' wait was over")
	}

	// Back for a while, then lost: at once again, and a refusal is
	// asked again after refusedWait without counting as a try.
	set(true)
	now = now.Add(time.Minute)
	sv.check(p, now)
	set(false)
	cs.refuse = 1
	now = now.Add(time.Minute)
	sv.check(p, now)
	if cs.calls != calls+1 || p.tries != 0 || p.next != now.Add(refusedWait) {
		t.Fatalf("after a refusal: %d connects, tries %d, next in %v",
			cs.calls-calls, p.tries, p.next.Sub(now))
	}
	sv.check(p, now.Add(refusedWait))
	if cs.calls != calls+2 || p.tries != 1 {
		t.Fatalf("after the retry: %d connects, tries %d", cs.calls-calls, p.tries)
	}
	outages, redials := sv.stats()
	if outages != 3 || redials != cs.calls {
		t.Fatalf("stats: %d outages, %d redials; want 3 and %d", outages, redials, cs.calls)
	}
}
