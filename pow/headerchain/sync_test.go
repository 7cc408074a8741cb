package headerchain_test

import (
	"errors"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	hc "github.com/mainstake/sidenode/pow/headerchain"
)

// syncFixture is an index holding the headers of a main chain a (heights
// 1 to 30) and of a lighter branch b forking off a at height 12 (heights
// 13 to 16), and no bodies.
type syncFixture struct {
	ix *hc.Index
	g  *hc.Block
	a  []*hc.Block // a[i] at height i+1
	b  []*hc.Block // b[i] at height 13+i
}

func newSyncFixture(t *testing.T) *syncFixture {
	t.Helper()
	ix, g := newIndex(t, nil)
	f := &syncFixture{ix: ix, g: g}
	f.a = chainOf(t, g, 1, 30, "a")
	f.b = chainOf(t, f.a[11], 13, 4, "b")
	for _, c := range [][]*hc.Block{f.a, f.b} {
		if n, err := ix.ProcessHeaders(headersOf(c)); err != nil || n != len(c) {
			t.Fatalf("%d headers, %v", n, err)
		}
	}
	return f
}

// at returns the block of chain a at height h (genesis at 0).
func (f *syncFixture) at(h int32) *hc.Block {
	if h == 0 {
		return f.g
	}
	return f.a[h-1]
}

func sameHeaders(t *testing.T, what string, got []wire.BlockHeader, want ...*hc.Block) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d headers, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i].BlockHash() != want[i].BlockHash() {
			t.Fatalf("%s[%d]: %v, want %v", what, i, got[i].BlockHash(),
				want[i].BlockHash())
		}
	}
}

// TestBestHeader checks that the best header chain runs ahead of the best
// linked chain, and follows the most work among headers.
func TestBestHeader(t *testing.T) {
	f := newSyncFixture(t)
	if got := f.ix.BestHeader().Hash(); got != f.a[29].BlockHash() {
		t.Fatalf("best header %v, want a30", got)
	}
	if f.ix.Best().Height() != 0 {
		t.Fatal("the best chain moved without bodies")
	}
	// Branch b overtakes a by headers.
	more := chainOf(t, f.b[3], 17, 15, "b+")
	if _, err := f.ix.ProcessHeaders(headersOf(more)); err != nil {
		t.Fatal(err)
	}
	if got := f.ix.BestHeader().Hash(); got != more[14].BlockHash() {
		t.Fatalf("best header %v, want the tip of b", got)
	}
	// A header on b's tip whose body names another height: the best
	// header goes back when the body condemns it.
	w := child(t, more[14], 99, "w") // at height 32
	if _, err := f.ix.ProcessHeader(&w.Header); err != nil {
		t.Fatal(err)
	}
	if f.ix.BestHeader().Hash() != w.BlockHash() {
		t.Fatal("the best header is not the new header")
	}
	if _, err := f.ix.ProcessBlock(w); !errors.Is(err, hc.ErrBadCoinbaseHeight) {
		t.Fatalf("body at the wrong height: %v", err)
	}
	if got := f.ix.BestHeader().Hash(); got != more[14].BlockHash() {
		t.Fatalf("best header %v after its body failed, want the tip of b", got)
	}
	// b's first block fails to connect: a is the best again.
	if _, err := f.ix.Invalidate(f.b[0].BlockHash()); err != nil {
		t.Fatal(err)
	}
	if got := f.ix.BestHeader().Hash(); got != f.a[29].BlockHash() {
		t.Fatalf("best header %v after b was invalidated, want a30", got)
	}
}

// TestLocator checks the locator's heights: ten one by one, then doubling
// steps, genesis last.
func TestLocator(t *testing.T) {
	f := newSyncFixture(t)
	want := []int32{30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 19, 15, 7, 0}
	loc := f.ix.Locator()
	if len(loc) != len(want) {
		t.Fatalf("locator of %d hashes, want %d", len(loc), len(want))
	}
	for i, h := range want {
		if loc[i] != f.at(h).BlockHash() {
			t.Fatalf("locator[%d] is not the block at height %d", i, h)
		}
	}
	ix, g := newIndex(t, nil)
	if loc := ix.Locator(); len(loc) != 1 || loc[0] != g.BlockHash() {
		t.Fatal("the genesis index's locator is not the genesis block")
	}
}

// TestHeadersAfter answers getheaders from a peer whose locator runs
// through our lighter branch b before meeting our best header chain.
func TestHeadersAfter(t *testing.T) {
	f := newSyncFixture(t)
	// The peer's chain is b: its locator names b's blocks (which we hold
	// but are not on our best header chain), then a12 and below.
	loc := []chainhash.Hash{f.b[3].BlockHash(), f.b[2].BlockHash(),
		f.b[1].BlockHash(), f.b[0].BlockHash(), f.a[11].BlockHash(),
		f.a[10].BlockHash(), f.g.BlockHash()}
	var none chainhash.Hash
	sameHeaders(t, "from the fork", f.ix.HeadersAfter(loc, none, 100), f.a[12:]...)
	sameHeaders(t, "max", f.ix.HeadersAfter(loc, none, 5), f.a[12:17]...)
	sameHeaders(t, "stop", f.ix.HeadersAfter(loc, f.a[19].BlockHash(), 100), f.a[12:20]...)

	// Unknown hashes are skipped; none known: from the genesis block.
	unknown := chainhash.Hash{1}
	sameHeaders(t, "unknown locator", f.ix.HeadersAfter([]chainhash.Hash{unknown}, none, 3),
		f.a[:3]...)
	sameHeaders(t, "our own locator", f.ix.HeadersAfter(f.ix.Locator(), none, 10))
	if got := f.ix.HeadersAfter(loc, none, 0); len(got) != 0 {
		t.Fatal("max 0 gave headers")
	}
	// A stop hash off the chain is never met.
	sameHeaders(t, "stop elsewhere", f.ix.HeadersAfter(loc, f.b[3].BlockHash(), 3), f.a[12:15]...)
}

// TestNeedBodies checks which bodies a syncing node asks for next.
func TestNeedBodies(t *testing.T) {
	f := newSyncFixture(t)
	want := func(what string, max int, hs ...int32) {
		t.Helper()
		got := f.ix.NeedBodies(max)
		if len(got) != len(hs) {
			t.Fatalf("%s: %d hashes, want %d", what, len(got), len(hs))
		}
		for i, h := range hs {
			if got[i] != f.at(h).BlockHash() {
				t.Fatalf("%s[%d]: not the block at height %d", what, i, h)
			}
		}
	}
	want("no bodies", 4, 1, 2, 3, 4)
	for _, h := range []int32{1, 2, 4} {
		process(t, f.ix, f.at(h))
	}
	want("holes", 3, 3, 5, 6)

	// The best chain moves onto b (bodies up to b16), a lighter branch
	// than a's headers: bodies are wanted from where they part.
	rest := append([]*hc.Block{f.a[2]}, f.a[4:12]...)
	for _, blk := range append(rest, f.b...) {
		process(t, f.ix, blk)
	}
	if f.ix.Best().Hash() != f.b[3].BlockHash() {
		t.Fatal("the best chain is not b")
	}
	want("after the fork", 2, 13, 14)
	for _, blk := range f.a[12:] {
		process(t, f.ix, blk)
	}
	want("all there", 10)
}

// TestProcessHeaders checks the batch form: duplicates pass, the first
// failure stops the batch and says where.
func TestProcessHeaders(t *testing.T) {
	ix, g := newIndex(t, nil)
	c := chainOf(t, g, 1, 6, "c")
	if n, err := ix.ProcessHeaders(headersOf(c[:3])); err != nil || n != 3 {
		t.Fatalf("%d, %v", n, err)
	}
	// Overlapping: the first three are known.
	if n, err := ix.ProcessHeaders(headersOf(c)); err != nil || n != 6 {
		t.Fatalf("overlapping batch: %d, %v", n, err)
	}
	d := chainOf(t, c[5], 7, 5, "d")
	hs := headersOf(d)
	hs[2].Bits-- // d9 has wrong bits
	n, err := ix.ProcessHeaders(hs)
	if !errors.Is(err, hc.ErrBadBits) || n != 2 {
		t.Fatalf("bad third header: %d, %v", n, err)
	}
	if ix.Lookup(d[1].BlockHash()) == nil || ix.Lookup(hs[2].BlockHash()) != nil ||
		ix.Lookup(d[3].BlockHash()) != nil {
		t.Fatal("the batch stored the wrong headers")
	}
	if ix.BestHeader().Hash() != d[1].BlockHash() {
		t.Fatal("best header is not the last header taken")
	}
	// A batch that does not connect.
	if n, err := ix.ProcessHeaders(headersOf(d[3:])); !errors.Is(err, hc.ErrUnknownParent) || n != 0 {
		t.Fatalf("unconnected batch: %d, %v", n, err)
	}
	if n, err := ix.ProcessHeaders(nil); n != 0 || err != nil {
		t.Fatalf("empty batch: %d, %v", n, err)
	}
}
