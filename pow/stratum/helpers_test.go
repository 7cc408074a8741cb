package stratum

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/stratum/work"
)

// Bits of test templates: easyBits makes nearly every share a block,
// hardBits (difficulty 1) none at the test's share difficulty.
const (
	easyBits = 0x207fffff
	hardBits = 0x1d00ffff
)

// testDiff is the test ports' difficulty: about one hash in four meets it.
const testDiff = 1e-9

var baseTime = time.Unix(1_700_000_000, 0)

// fakeClock is an injected clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeSource is a JobSource whose template the test sets.
type fakeSource struct {
	mu sync.Mutex
	t  *work.Template
	ch chan struct{}
}

func (f *fakeSource) Template() (*work.Template, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.t == nil {
		return nil, errors.New("no template yet")
	}
	return f.t, nil
}

func (f *fakeSource) Changed() <-chan struct{} { return f.ch }

func (f *fakeSource) set(t *work.Template) {
	f.mu.Lock()
	f.t = t
	f.mu.Unlock()
	f.ch <- struct{}{}
}

// fakeBlocks is a BlockSink recording blocks.
type fakeBlocks struct {
	blocks chan *headerchain.Block
}

func (f *fakeBlocks) SubmitBlock(b *headerchain.Block) error {
	f.blocks <- b
	return nil
}

// fakeShares is a ShareSink recording shares.
type fakeShares struct {
	mu     sync.Mutex
	shares []*Share
}

func (f *fakeShares) AcceptShare(s *Share) error {
	f.mu.Lock()
	f.shares = append(f.shares, s)
	f.mu.Unlock()
	return nil
}

func (f *fakeShares) all() []*Share {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*Share(nil), f.shares...)
}

// template returns a template of height h on prev with bits, with a few
// transactions.
func template(t testing.TB, h int32, prev byte, bits uint32) *work.Template {
	t.Helper()
	sig, err := txscript.NewScriptBuilder().AddInt64(int64(h)).AddData([]byte("ref")).Script()
	if err != nil {
		t.Fatal(err)
	}
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex}, SignatureScript: sig, Sequence: wire.MaxTxInSequenceNum})
	cb.AddTxOut(&wire.TxOut{Value: 50_0000_0000, PkScript: []byte{txscript.OP_TRUE}})
	var txs []*wire.MsgTx
	for i := range 3 {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{byte(i + 1), prev}}})
		tx.AddTxOut(&wire.TxOut{Value: int64(1000 + i), PkScript: []byte{txscript.OP_TRUE}})
		txs = append(txs, tx)
	}
	tpl := &work.Template{
		Height:   h,
		MinTime:  baseTime.Add(-time.Hour),
		MaxTime:  baseTime.Add(2 * time.Hour),
		Coinbase: cb,
		Txs:      txs,
		Fees:     []int64{1, 2, 3},
		SHA256d:  true,
	}
	tpl.Header = wire.BlockHeader{Version: 0x20000000, PrevBlock: chainhash.Hash{prev, 0xaa}, Bits: bits, Timestamp: baseTime}
	return tpl
}

// testAuth accepts workers named "<address>.<worker>" whose address starts
// with "sa1", and the configured worker "locked" with password "pw".
func testAuth() *WorkerAuth {
	return &WorkerAuth{
		DecodeAddress: func(a string) ([]byte, error) {
			if !strings.HasPrefix(a, "sa1") {
				return nil, errors.New("not a sidechain address")
			}
			return []byte("script:" + a), nil
		},
		Workers:             map[string]WorkerEntry{"locked": {Address: "sa1locked", Password: "pw"}},
		AllowAddressWorkers: true,
	}
}

// harness is a running server on loopback with fakes around it.
type harness struct {
	t      testing.TB
	srv    *Server
	addr   string
	src    *fakeSource
	blocks *fakeBlocks
	shares *fakeShares
	clock  *fakeClock
	drops  chan string
	jobs   chan *jobEntry

	// partial fires when a connection starts holding part of a line.
	partial chan struct{}
}

// testConfig is the tests' configuration: difficulty testDiff, a sweeper
// that only runs when the test calls sweep.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.StartDifficulty = testDiff
	cfg.Vardiff.Min = testDiff / 1000
	cfg.SweepInterval = time.Hour
	cfg.JobRefresh = 0
	cfg.BanCheckThreshold = 0
	return cfg
}

func newHarness(t testing.TB, mod func(*Config)) *harness {
	t.Helper()
	return newHarnessOn(t, mod, template(t, 10, 1, hardBits))
}

// newHarnessOn starts a server whose source gives tpl; with tpl nil, the
// source has no template yet and no first job is waited for.
func newHarnessOn(t testing.TB, mod func(*Config), tpl *work.Template) *harness {
	t.Helper()
	h := &harness{
		t:      t,
		src:    &fakeSource{ch: make(chan struct{}, 16)},
		blocks: &fakeBlocks{blocks: make(chan *headerchain.Block, 16)},
		shares: &fakeShares{},
		clock:  &fakeClock{t: baseTime},
		drops:  make(chan string, 1<<16),
		jobs:   make(chan *jobEntry, 64),

		partial: make(chan struct{}, 64),
	}
	h.src.t = tpl
	cfg := testConfig()
	cfg.Now = h.clock.Now
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg, h.src, h.blocks, h.shares, testAuth())
	if err != nil {
		t.Fatal(err)
	}
	srv.onDrop = func(r string) {
		// Never block a connection's end (a test with thousands of
		// connections does not read them all).
		select {
		case h.drops <- r:
		default:
		}
	}
	srv.onBroadcast = func(e *jobEntry) {
		// Never block the job loop (a test with a fast JobRefresh stops
		// reading).
		select {
		case h.jobs <- e:
		default:
		}
	}
	srv.onPartial = func() {
		select {
		case h.partial <- struct{}{}:
		default:
		}
	}
	h.srv = srv
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	// The first job is made before Serve accepts anyone.
	if tpl != nil {
		<-h.jobs
	}
	return h
}

// newJob sets a new template and waits until its job was broadcast.
func (h *harness) newJob(tpl *work.Template) *jobEntry {
	h.src.set(tpl)
	return <-h.jobs
}

// waitDrop waits for a connection to be dropped and returns the reason.
func (h *harness) waitDrop() string {
	return <-h.drops
}

// msg is any line from the server.
type msg struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
	Result json.RawMessage   `json:"result"`
	Error  json.RawMessage   `json:"error"`
}

// code returns the error code of an answer, 0 for none.
func (m *msg) code() int {
	var e []any
	if err := json.Unmarshal(m.Error, &e); err != nil || len(e) == 0 {
		return 0
	}
	f, _ := e[0].(float64)
	return int(f)
}

// client is a raw JSON-lines Stratum client.
type client struct {
	t      testing.TB
	nc     net.Conn
	r      *bufio.Reader
	nextID int
	notes  []msg // notifications read while waiting for answers

	en1     []byte
	en2Size int
	session string
	diff    float64
	job     []json.RawMessage // the last mining.notify params
	mask    uint32
}

func (h *harness) dial() *client {
	h.t.Helper()
	nc, err := net.Dial("tcp", h.addr)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { nc.Close() })
	return &client{t: h.t, nc: nc, r: bufio.NewReader(nc)}
}

func (c *client) writeLine(s string) {
	c.t.Helper()
	if _, err := c.nc.Write([]byte(s + "\n")); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read reads one line from the server, and notes notifications.
func (c *client) read() (msg, error) {
	line, err := c.r.ReadBytes('\n')
	if err != nil {
		return msg{}, err
	}
	var m msg
	if err := json.Unmarshal(line, &m); err != nil {
		c.t.Fatalf("server sent %q: %v", line, err)
	}
	if m.Method != "" {
		c.note(m)
	}
	return m, nil
}

// note applies a notification.
func (c *client) note(m msg) {
	switch m.Method {
	case "mining.set_difficulty":
		_ = json.Unmarshal(m.Params[0], &c.diff)
	case "mining.notify":
		c.job = m.Params
	case "mining.set_extranonce":
		var s string
		_ = json.Unmarshal(m.Params[0], &s)
		c.en1, _ = hex.DecodeString(s)
	}
	c.notes = append(c.notes, m)
}

// call sends a request and returns its answer.
func (c *client) call(method string, params ...any) msg {
	c.t.Helper()
	c.nextID++
	id := c.nextID
	p, _ := json.Marshal(params)
	c.writeLine(fmt.Sprintf(`{"id":%d,"method":%q,"params":%s}`, id, method, p))
	for {
		m, err := c.read()
		if err != nil {
			c.t.Fatalf("%s: %v", method, err)
		}
		if m.Method == "" && string(m.ID) == fmt.Sprint(id) {
			return m
		}
	}
}

// waitNote reads until a notification of method arrives.
func (c *client) waitNote(method string) msg {
	c.t.Helper()
	for {
		m, err := c.read()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", method, err)
		}
		if m.Method == method {
			return m
		}
	}
}

// expectClosed reads until the server closes the connection.
func (c *client) expectClosed() {
	c.t.Helper()
	for {
		if _, err := c.read(); err != nil {
			return
		}
	}
}

// subscribe subscribes (resuming session when not empty).
func (c *client) subscribe(session string) msg {
	c.t.Helper()
	params := []any{"testminer/1.0"}
	if session != "" {
		params = append(params, session)
	}
	m := c.call("mining.subscribe", params...)
	if m.code() != 0 {
		c.t.Fatalf("subscribe refused: %s", m.Error)
	}
	var res []json.RawMessage
	if err := json.Unmarshal(m.Result, &res); err != nil || len(res) != 3 {
		c.t.Fatalf("subscribe result %s", m.Result)
	}
	var details [][]string
	_ = json.Unmarshal(res[0], &details)
	c.session = details[0][1]
	var en1 string
	_ = json.Unmarshal(res[1], &en1)
	c.en1, _ = hex.DecodeString(en1)
	_ = json.Unmarshal(res[2], &c.en2Size)
	return m
}

// authorize authorizes worker and waits for the first job.
func (c *client) authorize(worker, pass string) {
	c.t.Helper()
	m := c.call("mining.authorize", worker, pass)
	if m.code() != 0 || string(m.Result) != "true" {
		c.t.Fatalf("authorize: %s %s", m.Result, m.Error)
	}
	c.waitNote("mining.notify")
}

// handshake subscribes and authorizes worker sa1miner.rig.
func (c *client) handshake() *client {
	c.subscribe("")
	c.authorize("sa1miner.rig", "x")
	return c
}

// share is a share the client found for its current job.
type share struct {
	jobID   string
	en2     []byte
	ntime   uint32
	nonce   uint32
	version uint32 // rolled bits, when mask != 0
	hash    *big.Int
}

func sha256d(b []byte) []byte {
	h := sha256.Sum256(b)
	h = sha256.Sum256(h[:])
	return h[:]
}

func jsonString(t testing.TB, raw json.RawMessage) string {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("%s is not a string", raw)
	}
	return s
}

// header builds the header of a share of the client's job the way a
// miner does: coinbase = coinb1 en1 en2 coinb2, merkle root up the
// branch, the previous hash's words swapped back.
func (c *client) header(en2 []byte, ntime, nonce, versionBits uint32) []byte {
	p := c.job
	coinb1, _ := hex.DecodeString(jsonString(c.t, p[2]))
	coinb2, _ := hex.DecodeString(jsonString(c.t, p[3]))
	var branch []string
	_ = json.Unmarshal(p[4], &branch)
	cb := append(append(append(append([]byte{}, coinb1...), c.en1...), en2...), coinb2...)
	root := sha256d(cb)
	for _, b := range branch {
		hb, _ := hex.DecodeString(b)
		root = sha256d(append(append([]byte{}, root...), hb...))
	}
	prevS, _ := hex.DecodeString(jsonString(c.t, p[1]))
	prev := make([]byte, 32)
	for i := 0; i < 32; i += 4 {
		binary.LittleEndian.PutUint32(prev[i:], binary.BigEndian.Uint32(prevS[i:]))
	}
	ver, _ := hex.DecodeString(jsonString(c.t, p[5]))
	bits, _ := hex.DecodeString(jsonString(c.t, p[6]))
	v := binary.BigEndian.Uint32(ver)
	if c.mask != 0 {
		v = v&^c.mask | versionBits&c.mask
	}
	hdr := make([]byte, 0, 80)
	hdr = binary.LittleEndian.AppendUint32(hdr, v)
	hdr = append(hdr, prev...)
	hdr = append(hdr, root...)
	hdr = binary.LittleEndian.AppendUint32(hdr, ntime)
	hdr = binary.LittleEndian.AppendUint32(hdr, binary.BigEndian.Uint32(bits))
	hdr = binary.LittleEndian.AppendUint32(hdr, nonce)
	return hdr
}

// hashInt is a header hash as a number.
func hashInt(h []byte) *big.Int {
	r := make([]byte, 32)
	for i := range h {
		r[31-i] = h[i]
	}
	return new(big.Int).SetBytes(r)
}

// find searches nonces from start for a share whose hash is at most
// target (good) or above it (!good).
func (c *client) find(start uint32, en2Byte byte, versionBits uint32, target *big.Int, good bool) share {
	c.t.Helper()
	en2 := make([]byte, c.en2Size)
	en2[0] = en2Byte
	ntimeS, _ := hex.DecodeString(jsonString(c.t, c.job[7]))
	ntime := binary.BigEndian.Uint32(ntimeS)
	for nonce := start; nonce < start+1_000_000; nonce++ {
		h := hashInt(sha256d(c.header(en2, ntime, nonce, versionBits)))
		if (h.Cmp(target) <= 0) == good {
			return share{jobID: jsonString(c.t, c.job[0]), en2: en2, ntime: ntime, nonce: nonce, version: versionBits, hash: h}
		}
	}
	c.t.Fatal("no share found")
	return share{}
}

// submit sends a share and returns the answer.
func (c *client) submit(worker string, s share) msg {
	c.t.Helper()
	params := []any{worker, s.jobID, hex.EncodeToString(s.en2), fmt.Sprintf("%08x", s.ntime), fmt.Sprintf("%08x", s.nonce)}
	if c.mask != 0 {
		params = append(params, fmt.Sprintf("%08x", s.version))
	}
	return c.call("mining.submit", params...)
}

// goodShare finds a share meeting the client's difficulty.
func (c *client) goodShare(start uint32) share {
	return c.find(start, 0, 0, work.TargetFromDifficulty(c.diff), true)
}
