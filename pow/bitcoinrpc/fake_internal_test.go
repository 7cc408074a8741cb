package bitcoinrpc

import (
	"context"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/sideblock"
)

// fakeMining is a Mining whose template a test controls.
type fakeMining struct {
	mu        sync.Mutex
	tmpl      *api.BlockTemplate
	changed   chan struct{} // closed when the template changes
	waiting   chan struct{} // receives when a long poll starts to wait
	calls     map[string]int
	submitted [][]byte
	result    *api.SubmitResult
}

func newFakeMining(t testing.TB) *fakeMining {
	t.Helper()
	ref := sideblock.MainRef{Height: 3, Hash: chainhash.DoubleHashH([]byte("main/3"))}
	script, err := sideblock.OwnClockCoinbaseScript(5, ref, make([]byte, 8))
	if err != nil {
		t.Fatal(err)
	}
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{}, wire.MaxPrevOutIndex), script, nil))
	cb.AddTxOut(wire.NewTxOut(5000, []byte{txscript.OP_TRUE}))
	spend := wire.NewMsgTx(2)
	spend.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{1}, 0), nil, nil))
	spend.AddTxOut(wire.NewTxOut(900, []byte{txscript.OP_TRUE}))
	now := time.Unix(1_700_000_000, 0)
	return &fakeMining{
		tmpl: &api.BlockTemplate{
			Header: wire.BlockHeader{Version: 0x20000000, PrevBlock: chainhash.Hash{9},
				Bits: 0x207fffff, Timestamp: now},
			Height: 5, Target: big.NewInt(1 << 40), MinTime: now.Add(-time.Minute),
			MaxTime:       now.Add(2 * time.Hour),
			Coinbase:      api.TemplateTx{Tx: cb, Fee: 100},
			CoinbaseValue: 5000,
			Txs:           []api.TemplateTx{{Tx: spend, Fee: 100, Weight: 400}},
			LongPollID:    "id1", WeightLimit: 4_000_000, SizeLimit: 1_000_000, SigOpLimit: 80_000,
		},
		changed: make(chan struct{}),
		calls:   make(map[string]int),
		result:  &api.SubmitResult{Accepted: true},
	}
}

func (f *fakeMining) BlockTemplate(ctx context.Context, id string) (*api.BlockTemplate, error) {
	f.mu.Lock()
	f.calls[id]++
	t, changed, waiting := f.tmpl, f.changed, f.waiting
	f.mu.Unlock()
	if id == "" || id != t.LongPollID {
		return t, nil
	}
	if waiting != nil {
		waiting <- struct{}{}
	}
	select {
	case <-changed:
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.tmpl, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// change gives the fake a new template and wakes its long polls.
func (f *fakeMining) change(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := *f.tmpl
	t.LongPollID = id
	f.tmpl = &t
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeMining) SubmitBlock(_ context.Context, raw []byte) (*api.SubmitResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.submitted = append(f.submitted, raw)
	return f.result, nil
}

func (f *fakeMining) MiningInfo(context.Context, int) (*api.MiningInfo, error) {
	return &api.MiningInfo{Tip: api.MinedBlock{Height: 4, Hash: chainhash.Hash{9}},
		Difficulty: 2, HashPS: 10}, nil
}

type fakeChain struct{}

func (fakeChain) BlockHash(_ context.Context, height int32) (chainhash.Hash, bool, error) {
	if height > 4 {
		return chainhash.Hash{}, false, nil
	}
	return chainhash.Hash{byte(height)}, true, nil
}

func (fakeChain) ChainState(context.Context) (*ChainState, error) {
	return &ChainState{Blocks: 4, Headers: 4, BestHash: chainhash.Hash{9},
		MedianTime: time.Unix(1_700_000_000, 0), ChainWork: big.NewInt(10)}, nil
}

// testServer is a server on fakes with a clock the test moves.
type testServer struct {
	*Server
	mining *fakeMining
	clock  time.Time
}

func newTestServer(t testing.TB, tweak func(*Config)) *testServer {
	t.Helper()
	ts := &testServer{mining: newFakeMining(t), clock: time.Unix(1_700_000_000, 0)}
	cfg := Config{User: "u", Pass: "p", Params: &chainparams.PowRegtest,
		Mining: ts.mining, Chain: fakeChain{}, Version: "1.2.3",
		Now: func() time.Time { return ts.clock }}
	if tweak != nil {
		tweak(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = s
	return ts
}

// post serves body with the credentials given and returns the recorder.
func (ts *testServer) post(body, user, pass string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.RemoteAddr = "192.0.2.1:4000"
	if user != "" || pass != "" {
		r.SetBasicAuth(user, pass)
	}
	w := httptest.NewRecorder()
	ts.ServeHTTP(w, r)
	return w
}

// block returns a block in the node's encoding with the given
// transactions after a coinbase.
func testBlock(t testing.TB, txs ...*wire.MsgTx) []byte {
	t.Helper()
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{}, wire.MaxPrevOutIndex), []byte{0x55, 0x01}, nil))
	cb.AddTxOut(wire.NewTxOut(0, []byte{txscript.OP_TRUE}))
	b := &headerchain.Block{Transactions: append([]*wire.MsgTx{cb}, txs...)}
	raw, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

type httptestRecorder = httptest.ResponseRecorder

func httptestRequest(method, body string) *http.Request {
	r := httptest.NewRequest(method, "/", strings.NewReader(body))
	r.RemoteAddr = "192.0.2.1:4000"
	return r
}

func recorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
