package watchtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/mainwatch"
)

// Backend starts one kind of mainwatch.Source against a harness.
type Backend struct {
	Name string

	// Start returns a started Source following h and a function that
	// stops it. dir is the backend's own state directory; a test passes
	// the same dir again to restart the backend.
	Start func(t testing.TB, h *btctest.Harness, dir string) (mainwatch.Source, func())
}

// syncTimeout bounds how long a backend may take to reach btcd's tip.
const syncTimeout = 3 * time.Minute

// Run runs the whole conformance suite against b.
func Run(t *testing.T, b Backend) {
	cases := []struct {
		name string
		fn   func(t *testing.T, b Backend)
	}{
		{"LinearSync", testLinearSync},
		{"RestartCatchUp", testRestartCatchUp},
		{"Reorg1", func(t *testing.T, b Backend) { testReorg(t, b, 1) }},
		{"Reorg6", func(t *testing.T, b Backend) { testReorg(t, b, 6) }},
		{"Reorg100", func(t *testing.T, b Backend) { testReorg(t, b, 100) }},
		{"ReorgWhileStopped", testReorgWhileStopped},
		{"WatchedScripts", testWatchedScripts},
		{"BroadcastConfirm", testBroadcastConfirm},
		{"SendDuringCatchUp", testSendDuringCatchUp},
		{"BackendUnreachable", testBackendUnreachable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, b) })
	}
}

// node is one follower of a backend, restartable on the same chain.
type node struct {
	t     *testing.T
	h     *btctest.Harness
	b     Backend
	dir   string
	chain *MemChain
	watch *mainwatch.WatchList

	src      mainwatch.Source
	stopSrc  func()
	follower *mainwatch.Follower
	cancel   context.CancelFunc
	done     chan error
}

func newNode(t *testing.T, h *btctest.Harness, b Backend) *node {
	n := &node{
		t:     t,
		h:     h,
		b:     b,
		dir:   t.TempDir(),
		chain: NewMemChain(),
		watch: mainwatch.NewWatchList(),
	}
	t.Cleanup(n.stop)
	return n
}

func (n *node) start() {
	n.t.Helper()
	n.src, n.stopSrc = n.b.Start(n.t, n.h, filepath.Join(n.dir, "backend"))
	n.follower = mainwatch.NewFollower(n.src, n.chain, n.watch, n.chain)
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.done = make(chan error, 1)
	go func() { n.done <- n.follower.Run(ctx) }()
}

func (n *node) stop() {
	if n.cancel == nil {
		return
	}
	n.cancel()
	if err := <-n.done; err != nil && !errors.Is(err, context.Canceled) {
		n.t.Errorf("follower ended with %v", err)
	}
	n.stopSrc()
	n.cancel = nil
	n.t.Logf("%s: %d blocks connected, %d disconnected, %d previewed (and checked)",
		n.b.Name, n.chain.Connects, n.chain.Disconnects, n.chain.Previews)
}

// waitSynced waits until the chain's tip is btcd's tip.
func (n *node) waitSynced() {
	n.t.Helper()
	deadline := time.Now().Add(syncTimeout)
	for {
		height, hash, err := n.h.Tip()
		if err != nil {
			n.t.Fatalf("btcd tip: %v", err)
		}
		tip, _ := n.chain.Tip()
		if tip.Height == height && tip.Hash == hash {
			return
		}
		select {
		case err := <-n.done:
			n.t.Fatalf("follower stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("not synced after %v: chain tip %v, btcd %d:%v (status %+v)",
				syncTimeout, tip, height, hash, n.follower.Status())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// assertSameChain compares every applied hash with btcd's best chain.
func (n *node) assertSameChain() {
	n.t.Helper()
	hashes := n.chain.Hashes()
	height, _, err := n.h.Tip()
	if err != nil {
		n.t.Fatal(err)
	}
	if len(hashes) != int(height)+1 {
		n.t.Fatalf("chain has %d blocks, btcd %d", len(hashes), height+1)
	}
	for i, got := range hashes {
		want, err := n.h.Client().GetBlockHash(int64(i))
		if err != nil {
			n.t.Fatal(err)
		}
		if got != *want {
			n.t.Fatalf("height %d: chain has %v, btcd %v", i, got, want)
		}
	}
}

func newHarness(t *testing.T, network string) *btctest.Harness {
	return btctest.NewForTest(t, btctest.Options{Network: network})
}

func generate(t *testing.T, h *btctest.Harness, n uint32) []*chainhash.Hash {
	t.Helper()
	hashes, err := h.Generate(n)
	if err != nil {
		t.Fatal(err)
	}
	return hashes
}

func testLinearSync(t *testing.T, b Backend) {
	h := newHarness(t, "regtest")
	generate(t, h, 150)
	n := newNode(t, h, b)
	n.start()
	n.waitSynced()
	n.assertSameChain()
	if c, d := n.chain.Counts(); c != 151 || d != 0 {
		t.Fatalf("connects %d disconnects %d, want 151 and 0", c, d)
	}
}

func testRestartCatchUp(t *testing.T, b Backend) {
	h := newHarness(t, "regtest")
	generate(t, h, 120)
	n := newNode(t, h, b)
	n.start()
	n.waitSynced()
	n.stop()

	generate(t, h, 30)
	n.start()
	n.waitSynced()
	n.assertSameChain()
	// Resuming from the cursor connects each block exactly once.
	if c, d := n.chain.Counts(); c != 151 || d != 0 {
		t.Fatalf("connects %d disconnects %d, want 151 and 0", c, d)
	}
}

func testReorg(t *testing.T, b Backend, depth uint32) {
	h := newHarness(t, "regtest")
	generate(t, h, 110)
	n := newNode(t, h, b)
	n.start()
	n.waitSynced()
	_, before := n.chain.Counts()

	if _, err := h.Reorg(depth, 1); err != nil {
		t.Fatal(err)
	}
	n.waitSynced()
	n.assertSameChain()
	if _, d := n.chain.Counts(); d-before != int(depth) {
		t.Fatalf("disconnected %d blocks, want %d", d-before, depth)
	}
}

func testReorgWhileStopped(t *testing.T, b Backend) {
	h := newHarness(t, "regtest")
	generate(t, h, 110)
	n := newNode(t, h, b)
	n.start()
	n.waitSynced()
	n.stop()

	if _, err := h.Reorg(6, 2); err != nil {
		t.Fatal(err)
	}
	n.start()
	n.waitSynced()
	n.assertSameChain()
	if c, d := n.chain.Counts(); d != 6 || c != 111+8 {
		t.Fatalf("connects %d disconnects %d, want %d and 6", c, d, 111+8)
	}
}

// key is a test key with its P2WPKH script.
type key struct {
	priv   *btcec.PrivateKey
	script []byte
}

func newKey(t testing.TB, h *btctest.Harness) key {
	priv, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	addr, err := btcutil.NewAddressWitnessPubKeyHash(
		btcutil.Hash160(priv.PubKey().SerializeCompressed()), h.Params)
	if err != nil {
		t.Fatal(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	return key{priv: priv, script: script}
}

// spend builds a transaction spending op (paying k.script, value) to pkScript
// minus a fixed fee.
func (k key) spend(t *testing.T, op wire.OutPoint, value int64, pkScript []byte) *wire.MsgTx {
	t.Helper()
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
	tx.AddTxOut(wire.NewTxOut(value-1000, pkScript))
	fetcher := txscript.NewCannedPrevOutputFetcher(k.script, value)
	wit, err := txscript.WitnessSignature(tx, txscript.NewTxSigHashes(tx, fetcher),
		0, value, k.script, txscript.SigHashAll, k.priv, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].Witness = wit
	return tx
}

func send(t *testing.T, h *btctest.Harness, script []byte, value int64) *wire.MsgTx {
	t.Helper()
	tx, err := h.Send([]*wire.TxOut{wire.NewTxOut(value, script)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// assertTxs checks that the block at hash was delivered with exactly want,
// at their positions in the block.
func (n *node) assertTxs(hash chainhash.Hash, want ...*wire.MsgTx) {
	n.t.Helper()
	block, err := n.h.Client().GetBlock(&hash)
	if err != nil {
		n.t.Fatal(err)
	}
	index := make(map[chainhash.Hash]int)
	for i, tx := range block.Transactions {
		index[tx.TxHash()] = i
	}
	got := n.chain.Txs(hash)
	if len(got) != len(want) {
		n.t.Fatalf("block %v: delivered %d transactions, want %d", hash, len(got), len(want))
	}
	for i, tx := range want {
		txid := tx.TxHash()
		if got[i].MsgTx.TxHash() != txid {
			n.t.Fatalf("block %v: tx %d is %v, want %v", hash, i, got[i].MsgTx.TxHash(), txid)
		}
		if got[i].Index != index[txid] {
			n.t.Fatalf("tx %v: index %d, want %d", txid, got[i].Index, index[txid])
		}
	}
}

func testWatchedScripts(t *testing.T, b Backend) {
	h := newHarness(t, "regtest")
	generate(t, h, 101)
	n := newNode(t, h, b)
	watched, other := newKey(t, h), newKey(t, h)
	n.watch.AddScript(watched.script)
	n.start()
	n.waitSynced()

	// An output to a watched script is delivered; one elsewhere is not.
	send(t, h, other.script, 40_000)
	pay := send(t, h, watched.script, 50_000)
	blk := generate(t, h, 1)[0]
	n.waitSynced()
	n.assertTxs(*blk, pay)

	// A spend of an output that a consumer put on the list is delivered.
	// So is a spend, in the same block, of any output of a delivered
	// transaction, whatever it pays, and a spend of that spend.
	n.watch.AddOutPoint(wire.OutPoint{Hash: pay.TxHash(), Index: 0}, watched.script)
	spendOld := watched.spend(t, wire.OutPoint{Hash: pay.TxHash(), Index: 0}, 50_000, other.script)
	parent := send(t, h, watched.script, 60_000)
	child := watched.spend(t, wire.OutPoint{Hash: parent.TxHash(), Index: 0}, 60_000, other.script)
	grandchild := other.spend(t, wire.OutPoint{Hash: child.TxHash(), Index: 0}, 60_000-1_000, other.script)
	for _, tx := range []*wire.MsgTx{spendOld, child, grandchild} {
		if _, err := h.Client().SendRawTransaction(tx, false); err != nil {
			t.Fatal(err)
		}
	}
	blk = generate(t, h, 1)[0]
	n.waitSynced()
	block, err := h.Client().GetBlock(blk)
	if err != nil {
		t.Fatal(err)
	}
	var want []*wire.MsgTx
	for _, tx := range block.Transactions {
		switch tx.TxHash() {
		case spendOld.TxHash(), parent.TxHash(), child.TxHash(), grandchild.TxHash():
			want = append(want, tx)
		}
	}
	if len(want) != 4 {
		t.Fatalf("block holds %d of the 4 transactions", len(want))
	}
	n.assertTxs(*blk, want...)

	// Matching puts nothing on the list: in a later block, a spend of
	// an output of a delivered transaction is not delivered unless a
	// consumer watches that output.
	late := other.spend(t, wire.OutPoint{Hash: grandchild.TxHash(), Index: 0}, 60_000-2_000, other.script)
	if _, err := h.Client().SendRawTransaction(late, false); err != nil {
		t.Fatal(err)
	}
	blk = generate(t, h, 1)[0]
	n.waitSynced()
	n.assertTxs(*blk)

	// Blocks without watched activity carry no transactions.
	blk = generate(t, h, 1)[0]
	n.waitSynced()
	n.assertTxs(*blk)
}

func testBroadcastConfirm(t *testing.T, b Backend) {
	h := newHarness(t, "regtest")
	generate(t, h, 101)
	n := newNode(t, h, b)
	n.start()
	n.waitSynced()

	other := newKey(t, h)
	tx, err := h.Fund([]*wire.TxOut{wire.NewTxOut(70_000, other.script)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	// Retry until the backend has a peer to send to.
	for {
		err = n.follower.Broadcast(ctx, tx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("broadcast: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	txid := tx.TxHash()
	waitMempool(t, h, txid)

	blk := generate(t, h, 1)[0]
	conf, err := n.follower.Confirmed(ctx, txid, 1)
	if err != nil {
		t.Fatal(err)
	}
	if conf.BlockHash != *blk || conf.Confirmations != 1 {
		t.Fatalf("confirmation %+v, want block %v with 1 confirmation", conf, blk)
	}
	generate(t, h, 2)
	if conf, err = n.follower.Confirmed(ctx, txid, 3); err != nil || conf.Confirmations != 3 {
		t.Fatalf("confirmation %+v %v, want 3 confirmations", conf, err)
	}

	// A reorg that removes its block takes the confirmation back; the
	// transaction returns to btcd's mempool and is mined again.
	if _, err := h.Reorg(3, 1); err != nil {
		t.Fatal(err)
	}
	n.waitSynced()
	conf, err = n.follower.Confirmed(ctx, txid, 1)
	if err != nil {
		t.Fatal(err)
	}
	if conf.BlockHash == *blk {
		t.Fatalf("confirmation still names the reorganized block %v", blk)
	}
	onChain, err := h.Client().GetBlockHash(int64(conf.Height))
	if err != nil || *onChain != conf.BlockHash {
		t.Fatalf("confirmation %+v is not on btcd's best chain", conf)
	}
}

// testSendDuringCatchUp sends transactions from several goroutines while
// the follower catches up through Blocks: Source.SendTx may be called
// concurrently with it.
func testSendDuringCatchUp(t *testing.T, b Backend) {
	h := newHarness(t, "regtest")
	generate(t, h, 105) // a mature coin for each transaction
	other := newKey(t, h)
	var txs []*wire.MsgTx
	for i := 0; i < 4; i++ {
		tx, err := h.Fund([]*wire.TxOut{wire.NewTxOut(int64(30_000+i), other.script)}, 2)
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	generate(t, h, 300)
	n := newNode(t, h, b)
	n.watch.AddScript(other.script)
	n.start()

	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	errs := make(chan error, len(txs))
	for _, tx := range txs {
		go func() {
			// Retry until the backend has a peer to send to.
			for {
				err := n.follower.Broadcast(ctx, tx)
				if err == nil || ctx.Err() != nil {
					errs <- err
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	for range txs {
		if err := <-errs; err != nil {
			t.Fatalf("broadcast during catch-up: %v", err)
		}
	}
	for _, tx := range txs {
		waitMempool(t, h, tx.TxHash())
	}
	n.waitSynced()
	n.assertSameChain()

	// Mined, every one of them is delivered and confirmed.
	blk := generate(t, h, 1)[0]
	n.waitSynced()
	for _, tx := range txs {
		conf, err := n.follower.Confirmed(ctx, tx.TxHash(), 1)
		if err != nil || conf.BlockHash != *blk {
			t.Fatalf("confirmation of %v: %+v, %v", tx.TxHash(), conf, err)
		}
	}
	if got := len(n.chain.Txs(*blk)); got != len(txs) {
		t.Fatalf("block delivered %d transactions, want %d", got, len(txs))
	}
}

func waitMempool(t *testing.T, h *btctest.Harness, txid chainhash.Hash) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		pool, err := h.Client().GetRawMempool()
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range pool {
			if *id == txid {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v never reached btcd's mempool", txid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testBackendUnreachable(t *testing.T, b Backend) {
	// Regtest loses its chain when btcd restarts; simnet keeps it.
	h := newHarness(t, "simnet")
	generate(t, h, 20)
	n := newNode(t, h, b)
	n.start()
	n.waitSynced()

	if err := h.Stop(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for n.follower.Status().Source.Connected {
		if time.Now().After(deadline) {
			t.Fatal("backend still reports a connection to a stopped btcd")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A follower that gave up while btcd was away would have returned:
	// waitSynced below fails on that, once btcd is back.

	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	generate(t, h, 5)
	n.waitSynced()
	n.assertSameChain()
}

// TempDir returns a directory for a backend that outlives one start.
func TempDir(t testing.TB, dir string) string {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}
