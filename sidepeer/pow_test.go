package sidepeer

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pow/headerchain"
)

// Markers the fake pow engine judges by.
const (
	forgedVersion = 666  // a header with too little work: ErrHighHash
	badBodyByte   = 0xee // a body whose merkle root is wrong
)

// fakePow is a linear pow chain in memory: headers extending its best
// header are taken, bodies of known headers too.
type fakePow struct {
	mu      sync.Mutex
	headers [][]byte // by height; 0 is genesis
	heights map[chainhash.Hash]int
	bodies  map[chainhash.Hash][]byte
	tip     int
	accepts int
}

func newFakePow() *fakePow {
	g := powHeader(chainhash.Hash{}, 0, 1)
	hash := chainhash.DoubleHashH(g)
	return &fakePow{headers: [][]byte{g},
		heights: map[chainhash.Hash]int{hash: 0},
		bodies:  map[chainhash.Hash][]byte{hash: {1}}}
}

// powHeader returns an 80-byte header on parent.
func powHeader(parent chainhash.Hash, nonce uint32, version int32) []byte {
	h := wire.BlockHeader{Version: version, PrevBlock: parent,
		Timestamp: time.Unix(1700000000+int64(nonce), 0), Bits: 0x207fffff, Nonce: nonce}
	var buf bytes.Buffer
	if err := h.Serialize(&buf); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// extend mines n blocks with bodies and returns the last header.
func (f *fakePow) extend(n int) []byte {
	var last []byte
	for i := 0; i < n; i++ {
		f.mu.Lock()
		parent := chainhash.DoubleHashH(f.headers[len(f.headers)-1])
		last = powHeader(parent, uint32(len(f.headers)), 1)
		f.mu.Unlock()
		if err := f.AcceptBlock(last, []byte{2, byte(i)}); err != nil {
			panic(err)
		}
	}
	return last
}

func ruleErr(c headerchain.ErrorCode) error {
	return headerchain.RuleError{ErrorCode: c, Description: c.String()}
}

func (f *fakePow) addHeaderLocked(hdr []byte) error {
	var h wire.BlockHeader
	if err := h.Deserialize(bytes.NewReader(hdr)); err != nil {
		return ruleErr(headerchain.ErrHighHash)
	}
	hash := h.BlockHash()
	if _, ok := f.heights[hash]; ok {
		return ruleErr(headerchain.ErrDuplicateBlock)
	}
	if h.Version == forgedVersion {
		return ruleErr(headerchain.ErrHighHash)
	}
	if h.PrevBlock != chainhash.DoubleHashH(f.headers[len(f.headers)-1]) {
		return ruleErr(headerchain.ErrUnknownParent)
	}
	f.heights[hash] = len(f.headers)
	f.headers = append(f.headers, bytes.Clone(hdr))
	return nil
}

func (f *fakePow) ProcessHeaders(headers [][]byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, hdr := range headers {
		err := f.addHeaderLocked(hdr)
		if errors.Is(err, headerchain.ErrDuplicateBlock) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (f *fakePow) AcceptBlock(header, body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accepts++
	hash := chainhash.DoubleHashH(header)
	if _, ok := f.bodies[hash]; ok {
		return ruleErr(headerchain.ErrDuplicateBlock)
	}
	if _, ok := f.heights[hash]; !ok {
		if err := f.addHeaderLocked(header); err != nil {
			return err
		}
	}
	if len(body) > 0 && body[0] == badBodyByte {
		return ruleErr(headerchain.ErrBadMerkleRoot)
	}
	f.bodies[hash] = bytes.Clone(body)
	for f.tip+1 < len(f.headers) && f.bodies[chainhash.DoubleHashH(f.headers[f.tip+1])] != nil {
		f.tip++
	}
	return nil
}

func (f *fakePow) Block(hash chainhash.Hash) ([]byte, []byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, ok := f.bodies[hash]
	if !ok {
		return nil, nil, false
	}
	return f.headers[f.heights[hash]], body, true
}

func (f *fakePow) HaveBlock(hash chainhash.Hash) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.bodies[hash]
	return ok
}

func (f *fakePow) Tip() (chainhash.Hash, int32, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return chainhash.DoubleHashH(f.headers[f.tip]), int32(f.tip), true
}

func (f *fakePow) Locator() []chainhash.Hash {
	f.mu.Lock()
	defer f.mu.Unlock()
	var loc []chainhash.Hash
	for i := len(f.headers) - 1; i > 0 && len(loc) < 10; i-- {
		loc = append(loc, chainhash.DoubleHashH(f.headers[i]))
	}
	return append(loc, chainhash.DoubleHashH(f.headers[0]))
}

func (f *fakePow) HeadersAfter(locator []chainhash.Hash, stop chainhash.Hash, max int) [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	start := 1
	for _, h := range locator {
		if i, ok := f.heights[h]; ok {
			start = i + 1
			break
		}
	}
	var out [][]byte
	for i := start; i < len(f.headers) && len(out) < max; i++ {
		out = append(out, f.headers[i])
		if chainhash.DoubleHashH(f.headers[i]) == stop {
			break
		}
	}
	return out
}

func (f *fakePow) NeedBodies(max int) []chainhash.Hash {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []chainhash.Hash
	for i := f.tip + 1; i < len(f.headers) && len(out) < max; i++ {
		if hash := chainhash.DoubleHashH(f.headers[i]); f.bodies[hash] == nil {
			out = append(out, hash)
		}
	}
	return out
}

func (f *fakePow) BestHeight() int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int32(len(f.headers) - 1)
}

func (f *fakePow) tipHeight() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tip
}

// TestPowVerdicts: what each pow engine error costs the peer that sent
// the data.
func TestPowVerdicts(t *testing.T) {
	badBody := headerchain.RuleError{ErrorCode: headerchain.ErrBadBody}
	for _, tc := range []struct {
		err     error
		score   uint32 // 0: no misbehavior
		connect bool   // wraps p2p.ErrHeadersDoNotConnect
		none    bool   // no error at all
	}{
		{err: nil, none: true},
		{err: ruleErr(headerchain.ErrDuplicateBlock), none: true},
		{err: ruleErr(headerchain.ErrUnknownParent), connect: true},
		{err: ruleErr(headerchain.ErrTooFarAhead), connect: true},
		{err: ruleErr(headerchain.ErrTimeTooNew)},
		{err: ruleErr(headerchain.ErrOrphanTooBig)},
		{err: errors.New("disk on fire")},
		{err: ruleErr(headerchain.ErrBadMerkleRoot), score: badBodyScore},
		{err: ruleErr(headerchain.ErrBlockTooHeavy), score: badBodyScore},
		{err: badBody, score: badBodyScore},
		{err: ruleErr(headerchain.ErrHighHash), score: badHeaderScore},
		{err: ruleErr(headerchain.ErrBadBits), score: badHeaderScore},
		{err: ruleErr(headerchain.ErrTimeTooOld), score: badHeaderScore},
		{err: ruleErr(headerchain.ErrTargetOutOfRange), score: badHeaderScore},
		{err: ruleErr(headerchain.ErrKnownInvalid), score: badHeaderScore},
		{err: ruleErr(headerchain.ErrBadCoinbaseHeight), score: badHeaderScore},
		{err: ruleErr(headerchain.ErrInvalidated), score: badHeaderScore},
	} {
		got := powVerdict(tc.err, "block")
		var me *p2p.MisbehaviorError
		switch {
		case tc.none:
			if got != nil {
				t.Errorf("%v: %v, want no error", tc.err, got)
			}
		case tc.score > 0:
			if !errors.As(got, &me) || me.Score != tc.score {
				t.Errorf("%v: %v, want score %d", tc.err, got, tc.score)
			}
		case got == nil || errors.As(got, &me):
			t.Errorf("%v: %v, want an error that is no misbehavior", tc.err, got)
		case errors.Is(got, p2p.ErrHeadersDoNotConnect) != tc.connect:
			t.Errorf("%v: %v, does-not-connect %v", tc.err, got, !tc.connect)
		}
	}
}

// TestPowHandler: under pow, blocks come from and go to the engine, an
// accepted one is announced, and the engine's errors cost what they say;
// a mainstake handler has no header sync.
func TestPowHandler(t *testing.T) {
	pow := newFakePow()
	peers := &fakePeers{}
	h := NewPow(pow, &fakePool{})
	h.SetPeers(peers)
	if h.HeaderSync() == nil || New(fakeChain{}, &fakePool{}).HeaderSync() != nil {
		t.Fatal("header sync is not the pow handler's alone")
	}
	h.RunFetcher(context.Background(), nil) // returns at once under pow

	genesis := chainhash.DoubleHashH(pow.headers[0])
	hdr := powHeader(genesis, 1, 1)
	if err := h.ReceiveBlock(1, hdr, []byte{5}); err != nil {
		t.Fatal(err)
	}
	hash := chainhash.DoubleHashH(hdr)
	if len(peers.announced) != 1 || peers.announced[0] != p2p.BlockItem(hash) {
		t.Fatalf("announced %v", peers.announced)
	}
	if gh, gb, ok := h.Block(hash); !ok || !bytes.Equal(gh, hdr) || !bytes.Equal(gb, []byte{5}) ||
		!h.HaveBlock(hash) {
		t.Fatal("the block is not served")
	}
	if best, height := h.Best(); best != hash || height != 1 {
		t.Fatalf("best %v at %d", best, height)
	}

	// A block the engine has: no error, nothing more to tell.
	if err := h.ReceiveBlock(1, hdr, []byte{5}); err != nil {
		t.Fatal(err)
	}

	var me *p2p.MisbehaviorError
	forged := powHeader(hash, 2, forgedVersion)
	if err := h.ReceiveBlock(1, forged, []byte{5}); !errors.As(err, &me) || me.Score != badHeaderScore {
		t.Fatalf("forged header: %v", err)
	}
	badBody := powHeader(hash, 3, 1)
	if err := h.ReceiveBlock(1, badBody, []byte{badBodyByte}); !errors.As(err, &me) || me.Score != badBodyScore {
		t.Fatalf("bad body: %v", err)
	}
	stray := powHeader(chainhash.Hash{9}, 4, 1)
	if err := h.ReceiveBlock(1, stray, []byte{5}); !errors.Is(err, p2p.ErrHeadersDoNotConnect) ||
		errors.As(err, &me) {
		t.Fatalf("unconnected block: %v", err)
	}
	if len(peers.announced) != 1 {
		t.Fatalf("announced a block the engine did not accept: %v", peers.announced)
	}

	sync := h.HeaderSync()
	if _, err := sync.ProcessHeaders(1, [][]byte{powHeader(hash, 5, forgedVersion)}); !errors.As(err, &me) ||
		me.Score != badHeaderScore {
		t.Fatalf("forged headers: %v", err)
	}
	// The header of the bad body stays (its body was a bad copy); one more
	// on it, after a known one, is taken, and both bodies are needed.
	next := powHeader(chainhash.DoubleHashH(badBody), 6, 1)
	if n, err := sync.ProcessHeaders(1, [][]byte{hdr, next}); n != 1 || err != nil {
		t.Fatalf("headers: %d accepted, %v", n, err)
	}
	if got := sync.NeedBodies(10); len(got) != 2 || sync.BestHeight() != 3 {
		t.Fatalf("need %v at header height %d", got, sync.BestHeight())
	}
}

// TestPowSyncOverPeers: a pow node with nothing but genesis syncs 300
// blocks from a peer through two p2p servers and the pow handlers.
func TestPowSyncOverPeers(t *testing.T) {
	ahead, behind := newFakePow(), newFakePow()
	ahead.extend(300)

	start := func(pow *fakePow, connect []string) *p2p.Server {
		h := NewPow(pow, &fakePool{txs: make(map[chainhash.Hash]*wire.MsgTx)})
		s, err := p2p.New(p2p.Config{
			Listen: []string{"127.0.0.1:0"}, Connect: connect,
			Network: "regtest", SidechainID: 7, Genesis: chainhash.Hash{1},
			Engine: p2p.EnginePoW, HeaderSync: h.HeaderSync(),
		}, h, nil)
		if err != nil {
			t.Fatal(err)
		}
		h.SetPeers(s)
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Stop() })
		return s
	}
	a := start(ahead, nil)
	start(behind, []string{a.ListenAddrs()[0].String()})

	deadline := time.Now().Add(60 * time.Second)
	for behind.tipHeight() != 300 {
		if time.Now().After(deadline) {
			t.Fatalf("synced %d of 300 blocks", behind.tipHeight())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, p := range a.Peers() {
		if p.BanScore != 0 {
			t.Fatalf("the syncing node earned ban score %d", p.BanScore)
		}
	}
}
