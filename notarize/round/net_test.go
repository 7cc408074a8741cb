package round

import (
	"encoding/binary"
	"sort"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/notarize"
)

// testParams is dpowregtest: 5 dev notaries, threshold 3, a notarization
// every 5 sideblocks at least 2 deep.
func testParams() *chainparams.Params {
	p := chainparams.DpowRegtest
	return &p
}

// sliceChain is a Chain of block hashes by height.
type sliceChain []chainhash.Hash

func (c sliceChain) BlockHashAt(h int32) (chainhash.Hash, bool) {
	if h < 0 || int(h) >= len(c) {
		return chainhash.Hash{}, false
	}
	return c[h], true
}

// testChain returns a chain of tip height tip.
func testChain(tip int32) sliceChain {
	c := make(sliceChain, tip+1)
	for h := range c {
		var x [4]byte
		binary.BigEndian.PutUint32(x[:], uint32(h))
		c[h] = chainhash.DoubleHashH(x[:])
	}
	return c
}

// fakeClock is a Clock the test moves.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

// utxoSet is the mainchain's unspent outputs, shared by all notaries.
type utxoSet struct {
	outs map[wire.OutPoint]*wire.TxOut
	next uint32
}

func newUTXOSet() *utxoSet { return &utxoSet{outs: make(map[wire.OutPoint]*wire.TxOut)} }

// fund adds an unspent output of value to script.
func (u *utxoSet) fund(script []byte, value int64) wire.OutPoint {
	u.next++
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], u.next)
	op := wire.OutPoint{Hash: chainhash.HashH(b[:]), Index: u.next % 3}
	u.outs[op] = wire.NewTxOut(value, script)
	return op
}

func (u *utxoSet) Spendable(op wire.OutPoint) (*wire.TxOut, bool, error) {
	o, ok := u.outs[op]
	return o, ok, nil
}

// testWallet holds one notary key; its outputs are the UTXO set's.
type testWallet struct {
	key  *btcec.PrivateKey
	utxo *utxoSet
}

func (w *testWallet) NotaryKey(pub [33]byte) (*btcec.PrivateKey, bool) {
	var mine [33]byte
	copy(mine[:], w.key.PubKey().SerializeCompressed())
	return w.key, mine == pub
}

func (w *testWallet) Unspent(script []byte) ([]Output, error) {
	var out []Output
	for op, o := range w.utxo.outs {
		if string(o.PkScript) == string(script) {
			out = append(out, Output{OutPoint: op, Value: o.Value})
		}
	}
	sort.Slice(out, func(i, j int) bool { return lessOutPoint(out[i].OutPoint, out[j].OutPoint) })
	return out, nil
}

// packet is a message in flight.
type packet struct {
	from int
	raw  []byte
}

// testNet runs notaries in process: an in-memory transport that gives
// every message to every online notary but its sender, one clock, one
// UTXO set.
type testNet struct {
	t        testing.TB
	params   *chainparams.Params
	clock    *fakeClock
	utxo     *utxoSet
	notaries []*Notary
	online   []bool
	queue    []packet
	sent     map[int][]*wire.MsgTx // broadcast, per notary
	refused  map[ErrorCode]int
	timeout  time.Duration

	// adversarial: messages in flight may be a misbehaving notary's, so
	// a refusal with a ban score is no test failure.
	adversarial bool
}

type netTransport struct {
	net  *testNet
	from int
}

func (tr *netTransport) Send(msg []byte) {
	tr.net.queue = append(tr.net.queue, packet{tr.from, append([]byte(nil), msg...)})
}

type netBroadcaster struct {
	net  *testNet
	from int
}

func (b *netBroadcaster) Broadcast(tx *wire.MsgTx) error {
	b.net.sent[b.from] = append(b.net.sent[b.from], tx)
	return nil
}

// newTestNet starts n dev notaries, each with utxos outputs of 50,000 sat.
func newTestNet(t testing.TB, n, utxos int) *testNet {
	return newTestNetParams(t, testParams(), n, utxos)
}

// bigParams is dpowregtest with one season of the dev notaries 0 to n-1,
// threshold k.
func bigParams(n, k int) *chainparams.Params {
	p := chainparams.DpowRegtest
	np := *p.Notary
	keys := make([][33]byte, n)
	for i := range keys {
		copy(keys[i][:], chainparams.DevNotaryKey(i).PubKey().SerializeCompressed())
	}
	np.Seasons = []chainparams.NotarySeason{{StartHeight: 0, Pubkeys: keys, Threshold: k}}
	if err := np.Check(); err != nil {
		panic(err)
	}
	p.Notary = &np
	return &p
}

// newTestNetParams starts n notaries of params's first season.
func newTestNetParams(t testing.TB, params *chainparams.Params, n, utxos int) *testNet {
	net := &testNet{t: t, params: params, clock: &fakeClock{now: time.Unix(1_700_000_000, 0)},
		utxo: newUTXOSet(), sent: make(map[int][]*wire.MsgTx),
		refused: make(map[ErrorCode]int), timeout: time.Minute}
	for i := 0; i < n; i++ {
		key := chainparams.DevNotaryKey(i)
		for j := 0; j < utxos; j++ {
			net.utxo.fund(scriptOf(key), 50_000)
		}
		nt, err := New(Config{Params: net.params, Timeout: net.timeout, FeeRate: 2,
			MaxFeeRate: 50, Transport: &netTransport{net, i}, Clock: net.clock,
			Wallet: &testWallet{key, net.utxo}, UTXOs: net.utxo,
			Broadcaster: &netBroadcaster{net, i}})
		if err != nil {
			t.Fatal(err)
		}
		net.notaries = append(net.notaries, nt)
		net.online = append(net.online, true)
	}
	return net
}

func scriptOf(k *btcec.PrivateKey) []byte {
	var pub [33]byte
	copy(pub[:], k.PubKey().SerializeCompressed())
	return notarize.NotaryScript(pub)
}

// tip gives every online notary the chain.
func (net *testNet) tip(chain sliceChain) {
	for i, nt := range net.notaries {
		if net.online[i] {
			nt.Tip(chain, int32(len(chain)-1), nil)
		}
	}
}

// step delivers the oldest message in flight; it reports false when none
// is.
func (net *testNet) step() bool {
	if len(net.queue) == 0 {
		return false
	}
	p := net.queue[0]
	net.queue = net.queue[1:]
	if !net.online[p.from] {
		return true
	}
	for i, nt := range net.notaries {
		if i == p.from || !net.online[i] {
			continue
		}
		if err := nt.Handle(p.raw); err != nil {
			code, _ := Code(err)
			net.refused[code]++
			if code.BanScore() > 0 && !net.adversarial {
				net.t.Errorf("notary %d refuses an honest message of notary %d "+
					"with a ban score: %v", i, p.from, err)
			}
		}
	}
	return true
}

// settle delivers messages until none is in flight.
func (net *testNet) settle() {
	for net.step() {
	}
}

// expire moves the clock past the attempt timeout and polls every online
// notary.
func (net *testNet) expire() {
	net.clock.now = net.clock.now.Add(net.timeout)
	for i, nt := range net.notaries {
		if net.online[i] {
			nt.Poll()
		}
	}
}

// final returns the notarization the online notaries completed, failing
// the test when they did not all complete the same one.
func (net *testNet) final() (*wire.MsgTx, bool) {
	var tx *wire.MsgTx
	for i, nt := range net.notaries {
		if !net.online[i] {
			continue
		}
		st := nt.Status()
		if st.Final == nil {
			return nil, false
		}
		if tx != nil && tx.TxHash() != st.Final.TxHash() {
			net.t.Fatalf("notaries completed different transactions")
		}
		tx = st.Final
	}
	return tx, tx != nil
}

// runRound settles and expires attempts until the online notaries hold a
// complete notarization, at most maxAttempts attempts; it returns the
// notarization and how many timeouts it took.
func (net *testNet) runRound(maxAttempts int) (*wire.MsgTx, int) {
	for a := 0; a < maxAttempts; a++ {
		net.settle()
		if tx, ok := net.final(); ok {
			return tx, a
		}
		net.expire()
	}
	net.t.Fatalf("no notarization after %d attempts", maxAttempts)
	return nil, 0
}

// check runs notarize.Check on tx against chain with the UTXO set's
// prevouts, as the mainchain would after enough confirmations.
func (net *testNet) check(tx *wire.MsgTx, chain sliceChain) *notarize.Notarization {
	net.t.Helper()
	c := notarize.Candidate{Tx: tx, Confirmations: net.params.Notary.MainConfirmations}
	for _, in := range tx.TxIn {
		prev, ok := net.utxo.outs[in.PreviousOutPoint]
		if !ok {
			net.t.Fatalf("input %v is not in the UTXO set", in.PreviousOutPoint)
		}
		c.Prevouts = append(c.Prevouts, prev)
	}
	n, err := notarize.Check(c, net.params, chain)
	if err != nil {
		net.t.Fatalf("the round's transaction does not count: %v", err)
	}
	return n
}

// mustTarget returns the round target of chain.
func mustTarget(t *testing.T, net *testNet, chain sliceChain) notarize.Payload {
	t.Helper()
	p, ok := notarize.RoundTarget(chain, int32(len(chain)-1), net.params, nil)
	if !ok {
		t.Fatal("no round target")
	}
	return p
}

// weightOf is tx's weight.
func weightOf(tx *wire.MsgTx) int64 {
	return blockchain.GetTransactionWeight(btcutil.NewTx(tx))
}
