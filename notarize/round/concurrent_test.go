package round

import (
	"sync"
	"testing"

	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
)

// lockedSink is a Transport and Broadcaster safe for concurrent use.
type lockedSink struct {
	mu   sync.Mutex
	msgs int
	txs  []*wire.MsgTx
}

func (s *lockedSink) Send([]byte) {
	s.mu.Lock()
	s.msgs++
	s.mu.Unlock()
}

func (s *lockedSink) Broadcast(tx *wire.MsgTx) error {
	s.mu.Lock()
	s.txs = append(s.txs, tx)
	s.mu.Unlock()
	return nil
}

// TestNotaryConcurrent: a round's messages handed to a notary from
// several goroutines at once, with Poll and Status beside them (the
// node's peer handlers and its timer): it finishes the same round, and
// the race detector sees no race.
func TestNotaryConcurrent(t *testing.T) {
	net := newTestNet(t, 5, 1)
	transcript := roundTranscript(t)
	sink := &lockedSink{}
	observer, err := New(Config{Params: net.params, Timeout: net.timeout, FeeRate: 2,
		MaxFeeRate: 50, Transport: sink, Clock: &fakeClock{now: net.clock.now},
		Wallet: &testWallet{chainparams.DevNotaryKey(7), net.utxo}, UTXOs: net.utxo,
		Broadcaster: sink})
	if err != nil {
		t.Fatal(err)
	}
	observer.Tip(testChain(12), 12, nil)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < len(transcript); i += 4 {
				_ = observer.Handle(transcript[i])
				observer.Poll()
				_ = observer.Status()
			}
		}(g)
	}
	wg.Wait()
	// Signatures that came before the set are kept and taken with it;
	// the messages of the other goroutines may come in any order.
	for _, raw := range transcript {
		_ = observer.Handle(raw)
	}
	st := observer.Status()
	if st.Final == nil || st.Me != -1 {
		t.Fatalf("observer: final %v, me %d", st.Final != nil, st.Me)
	}
	if len(sink.txs) != 1 || sink.msgs != 0 {
		t.Fatalf("%d broadcasts, %d messages sent by a non-notary", len(sink.txs), sink.msgs)
	}
}
