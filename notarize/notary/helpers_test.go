package notary

import (
	"context"
	"encoding/binary"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/notarize"
	"github.com/mainstake/sidenode/notarize/round"
	"github.com/mainstake/sidenode/p2p"
)

func testParams() *chainparams.Params {
	p := chainparams.PowDpowRegtest
	return &p
}

// fakeClock is a Clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// mainchain is a fake mainchain: its UTXO set, every transaction sent
// applies at once, and the notarizations it saw.
type mainchain struct {
	t      testing.TB
	params *chainparams.Params
	mu     sync.Mutex
	outs   map[wire.OutPoint]*wire.TxOut
	next   uint32
	last   *notarize.Notarization
	notars []*wire.MsgTx
	splits int
	sends  int

	// beforeSend, when set, sees each transaction sent before it
	// applies, with the lock held.
	beforeSend func(tx *wire.MsgTx)

	// hideSpends makes Spendable not see the spends of the transactions
	// sent, as btcd's gettxout does not see its mempool's;
	// spentInMempool holds them, and a transaction that spends one again
	// is refused.
	hideSpends     bool
	spentInMempool map[wire.OutPoint]bool
}

func newMainchain(t testing.TB, params *chainparams.Params) *mainchain {
	return &mainchain{t: t, params: params, outs: make(map[wire.OutPoint]*wire.TxOut)}
}

func (m *mainchain) fund(script []byte, value int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], m.next)
	m.outs[wire.OutPoint{Hash: chainhash.HashH(b[:])}] = wire.NewTxOut(value, script)
}

func (m *mainchain) Spendable(op wire.OutPoint) (*wire.TxOut, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.outs[op]
	return o, ok, nil
}

// SendTx applies tx when every input is unspent.
func (m *mainchain) SendTx(_ context.Context, tx *wire.MsgTx) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sends++
	if m.beforeSend != nil {
		m.beforeSend(tx)
	}
	for _, in := range tx.TxIn {
		if _, ok := m.outs[in.PreviousOutPoint]; !ok {
			return errSpent
		}
	}
	for _, in := range tx.TxIn {
		if m.spentInMempool[in.PreviousOutPoint] {
			return errSpent
		}
	}
	for _, in := range tx.TxIn {
		if m.hideSpends {
			// As btcd's gettxout: a spend in the mempool does
			// not show; the outputs stay "unspent".
			if m.spentInMempool == nil {
				m.spentInMempool = make(map[wire.OutPoint]bool)
			}
			m.spentInMempool[in.PreviousOutPoint] = true
			continue
		}
		delete(m.outs, in.PreviousOutPoint)
	}
	txid := tx.TxHash()
	for i, o := range tx.TxOut {
		if o.Value > 0 {
			m.outs[wire.OutPoint{Hash: txid, Index: uint32(i)}] = o
		}
	}
	if p, err := notarize.ParsePayload(tx.TxOut[0].PkScript, m.params); err == nil {
		m.notars = append(m.notars, tx)
		if m.last == nil || p.Height > m.last.Height {
			m.last = &notarize.Notarization{Height: p.Height, Block: p.Block,
				Season: p.Season, TxID: txid}
		}
	} else {
		m.splits++
	}
	return nil
}

func (m *mainchain) LastNotarization() *notarize.Notarization {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}

func (m *mainchain) count() (notars, splits int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.notars), m.splits
}

type errString string

func (e errString) Error() string { return string(e) }

const errSpent = errString("input spent")

// wallet holds dev notary keys; its outputs are the mainchain's.
type wallet struct {
	keys []*btcec.PrivateKey
	main *mainchain
}

func (w *wallet) NotaryKey(pub [33]byte) (*btcec.PrivateKey, bool) {
	for _, k := range w.keys {
		var mine [33]byte
		copy(mine[:], k.PubKey().SerializeCompressed())
		if mine == pub {
			return k, true
		}
	}
	return nil, false
}

func (w *wallet) Unspent(script []byte) ([]round.Output, error) {
	w.main.mu.Lock()
	defer w.main.mu.Unlock()
	var out []round.Output
	for op, o := range w.main.outs {
		if string(o.PkScript) == string(script) {
			out = append(out, round.Output{OutPoint: op, Value: o.Value})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return string(out[i].OutPoint.Hash[:]) < string(out[j].OutPoint.Hash[:]) ||
			out[i].OutPoint.Hash == out[j].OutPoint.Hash && out[i].OutPoint.Index < out[j].OutPoint.Index
	})
	return out, nil
}

// sidechain is a chain of made-up block hashes the test grows.
type sidechain struct {
	mu  sync.Mutex
	tip int32
}

type hashChain int32

func blockHash(h int32) chainhash.Hash {
	var x [4]byte
	binary.BigEndian.PutUint32(x[:], uint32(h))
	return chainhash.DoubleHashH(x[:])
}

func (c hashChain) BlockHashAt(h int32) (chainhash.Hash, bool) {
	if h < 0 || h > int32(c) {
		return chainhash.Hash{}, false
	}
	return blockHash(h), true
}

func (s *sidechain) Tip() (notarize.Chain, chainhash.Hash, int32, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return hashChain(s.tip), blockHash(s.tip), s.tip, true
}

func (s *sidechain) set(h int32) {
	s.mu.Lock()
	s.tip = h
	s.mu.Unlock()
}

// packet is an announcement in flight on the fake peer network.
type packet struct {
	from, to int
	hash     chainhash.Hash
}

// peerNet connects the nodes' relays in a full mesh: an announcement
// becomes a delivery of the bytes (as the p2p GetData would fetch them),
// queued and pumped by the test. Nodes offline neither send nor receive.
type peerNet struct {
	t       testing.TB
	mu      sync.Mutex
	relays  []*Relay
	online  []bool
	queue   []packet
	refused []error
}

type announcer struct {
	n    *peerNet
	from int
}

func (a announcer) Announce(items ...p2p.InvItem) {
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	if !a.n.online[a.from] {
		return
	}
	for _, it := range items {
		for to := range a.n.relays {
			if to != a.from {
				a.n.queue = append(a.n.queue, packet{a.from, to, it.Hash})
			}
		}
	}
}

// pump delivers until nothing is in flight.
func (n *peerNet) pump() {
	for {
		n.mu.Lock()
		if len(n.queue) == 0 {
			n.mu.Unlock()
			return
		}
		p := n.queue[0]
		n.queue = n.queue[1:]
		ok := n.online[p.from] && n.online[p.to]
		n.mu.Unlock()
		if !ok || n.relays[p.to].HaveRoundMessage(p.hash) {
			continue
		}
		raw, have := n.relays[p.from].RoundMessage(p.hash)
		if !have {
			continue
		}
		if err := n.relays[p.to].ReceiveRoundMessage(p2p.PeerID(p.from+1), raw); err != nil {
			n.mu.Lock()
			n.refused = append(n.refused, err)
			n.mu.Unlock()
		}
	}
}

// testNet is five notary nodes: runners, relays, one mainchain, one
// sidechain, one clock.
type testNet struct {
	t       testing.TB
	params  *chainparams.Params
	clock   *fakeClock
	main    *mainchain
	side    *sidechain
	net     *peerNet
	runners []*Runner
}

func newTestNet(t testing.TB, fundEach int64, funds int) *testNet {
	return newTestNetOn(t, testParams(), fundEach, funds)
}

// newTestNetOn is newTestNet on params: runner i holds notary i of every
// season (DevNotaryKey(i + 5*season)), each key funded.
func newTestNetOn(t testing.TB, params *chainparams.Params, fundEach int64, funds int) *testNet {
	tn := &testNet{t: t, params: params, clock: &fakeClock{now: time.Unix(1_800_000_000, 0)},
		main: newMainchain(t, params), side: &sidechain{}}
	n := len(params.Notary.Seasons[0].Pubkeys)
	tn.net = &peerNet{t: t, online: make([]bool, n)}
	for i := 0; i < n; i++ {
		var keys []*btcec.PrivateKey
		for season := range params.Notary.Seasons {
			key := chainparams.DevNotaryKey(i + 5*season)
			keys = append(keys, key)
			var pub [33]byte
			copy(pub[:], key.PubKey().SerializeCompressed())
			for j := 0; j < funds; j++ {
				tn.main.fund(notarize.NotaryScript(pub), fundEach)
			}
		}
		relay, err := NewRelay(RelayConfig{Params: params,
			TipHeight: func() int32 { _, _, h, _ := tn.side.Tip(); return h }})
		if err != nil {
			t.Fatal(err)
		}
		relay.SetPeers(announcer{tn.net, i})
		r, err := New(Config{Params: params, Sidechain: tn.side, Notarizations: tn.main,
			Wallet: &wallet{keys, tn.main}, UTXOs: tn.main, Backend: tn.main,
			Transport: relay, Clock: tn.clock, Timeout: time.Minute,
			SplitInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		relay.SetLocal(r)
		tn.net.relays = append(tn.net.relays, relay)
		tn.net.online[i] = true
		tn.runners = append(tn.runners, r)
	}
	return tn
}

// step runs one step of every online runner, pumps the network and
// drains the runners' broadcasts.
func (tn *testNet) step() {
	ctx := context.Background()
	for i, r := range tn.runners {
		if tn.net.online[i] {
			r.step(ctx)
		}
	}
	for round := 0; round < 4; round++ {
		tn.net.pump()
		for i, r := range tn.runners {
			for {
				select {
				case tx := <-r.sends:
					if tn.net.online[i] {
						r.broadcast(ctx, tx, "notarization")
					}
					continue
				default:
				}
				break
			}
		}
	}
}

func (tn *testNet) setOnline(i int, on bool) {
	tn.net.mu.Lock()
	tn.net.online[i] = on
	tn.net.mu.Unlock()
}

func scriptOf(i int) []byte {
	var pub [33]byte
	copy(pub[:], chainparams.DevNotaryKey(i).PubKey().SerializeCompressed())
	return notarize.NotaryScript(pub)
}
