package nodeapi

import (
	"encoding/binary"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

func TestLinkLogBounded(t *testing.T) {
	var l linkLog
	key := func(i int) chainhash.Hash {
		var h chainhash.Hash
		binary.BigEndian.PutUint64(h[:], uint64(i)+1)
		return h
	}
	n := maxUndoneLinks + 10
	for i := 0; i < n; i++ {
		l.add(key(i), blockLink{height: int32(i), prev: key(i - 1)})
	}
	if len(l.links) != maxUndoneLinks || len(l.order) != maxUndoneLinks {
		t.Fatalf("%d links, %d keys; want %d", len(l.links), len(l.order), maxUndoneLinks)
	}
	for i := 0; i < 10; i++ {
		if _, ok := l.get(key(i)); ok {
			t.Fatalf("link %d was not dropped", i)
		}
	}
	for _, i := range []int{10, n / 2, n - 1} {
		link, ok := l.get(key(i))
		if !ok || link.height != int32(i) || link.prev != key(i-1) {
			t.Fatalf("link %d: %+v %v", i, link, ok)
		}
	}
	// Adding a known block again replaces it and drops nothing.
	l.add(key(n-1), blockLink{height: 7})
	if link, _ := l.get(key(n - 1)); link.height != 7 || len(l.links) != maxUndoneLinks {
		t.Fatalf("re-added link %+v, %d links", link, len(l.links))
	}
}

func TestChainEventsSignal(t *testing.T) {
	var e Events
	first := e.changedChan()
	if first != e.changedChan() {
		t.Fatal("two channels for one state")
	}
	e.Notify()
	select {
	case <-first:
	default:
		t.Fatal("notify did not close the channel")
	}
	second := e.changedChan()
	select {
	case <-second:
		t.Fatal("the new channel is closed")
	default:
	}
}
