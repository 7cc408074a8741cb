package sideblock_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/sideblock/blocktests"
	"github.com/mainstake/sidenode/store"
)

// mainSim drives a chain state with synthetic mainchain blocks, each
// connected through the store exactly as the node does: one batch per
// block, ConnectMainBlock inside it, Committed after it.
type mainSim struct {
	t      testing.TB
	db     *store.DB
	chain  *sideblock.Chain
	params *chainparams.Params
	hashes []chainhash.Hash // connected mainchain blocks by height
	fork   int              // changes the hashes of blocks connected after an undo

	// skipCommitted leaves out the Committed call after each block, as
	// a node that does not call it would.
	skipCommitted bool
}

func newMainSim(t testing.TB) *mainSim {
	t.Helper()
	db, err := store.Open("", store.Options{
		InMemory: true,
		Genesis:  *chaincfg.RegressionNetParams.GenesisHash,
		Network:  "regtest",
		// As the node: staged bodies are local, out of the state hash.
		LocalPrefixes: [][]byte{{sideblock.StagingKeyByte}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	params := blocktests.Params()
	chain, err := sideblock.NewChain(db, params)
	if err != nil {
		t.Fatal(err)
	}
	ms := &mainSim{t: t, db: db, chain: chain, params: params}
	ms.next(nil) // genesis
	return ms
}

// height returns the mainchain tip's height.
func (ms *mainSim) height() int32 { return int32(len(ms.hashes)) - 1 }

// publication returns the publication of block in mainchain block h.
func publication(h int32, block *sideblock.Block) *mainstake.Publication {
	return &mainstake.Publication{
		Height: h,
		TxID:   chainhash.DoubleHashH([]byte(fmt.Sprintf("pubtx/%d/%v", h, block.BlockHash()))),
		Header: opreturn.Header{
			PrevBlock:  block.Header.PrevBlock,
			MerkleRoot: block.Header.MerkleRoot,
		},
	}
}

// next connects the next mainchain block, publishing pub's header in it if
// pub is not nil.
func (ms *mainSim) next(pub *sideblock.Block) *sideblock.Result {
	ms.t.Helper()
	var p *mainstake.Publication
	h := ms.height() + 1
	if pub != nil {
		p = publication(h, pub)
	}
	return ms.nextPub(p)
}

// nextPub connects the next mainchain block with a publication as given.
func (ms *mainSim) nextPub(p *mainstake.Publication) *sideblock.Result {
	ms.t.Helper()
	h := ms.height() + 1
	hash := *chaincfg.RegressionNetParams.GenesisHash
	var prev chainhash.Hash
	if h > 0 {
		hash = chainhash.DoubleHashH([]byte(fmt.Sprintf("main/%d/%d", h, ms.fork)))
		prev = ms.hashes[h-1]
	}
	var res *sideblock.Result
	err := ms.db.ConnectBlock(store.BlockID{Height: h, Hash: hash}, prev,
		func(w *store.Writer) error {
			var err error
			res, err = ms.chain.ConnectMainBlock(w, h, p)
			return err
		})
	if err != nil {
		if derr := ms.chain.DisconnectMainBlock(h); derr != nil {
			ms.t.Fatal(derr)
		}
		ms.t.Fatalf("mainchain block %d: %v", h, err)
	}
	if !ms.skipCommitted {
		if err := ms.chain.Committed(); err != nil {
			ms.t.Fatalf("committed %d: %v", h, err)
		}
	}
	ms.hashes = append(ms.hashes, hash)
	return res
}

// advanceTo connects empty mainchain blocks until the tip is at height h.
func (ms *mainSim) advanceTo(h int32) {
	ms.t.Helper()
	for ms.height() < h {
		ms.next(nil)
	}
}

// undo disconnects the mainchain tip, as the node does on a reorg.
func (ms *mainSim) undo() {
	ms.t.Helper()
	h := ms.height()
	if _, err := ms.db.DisconnectBlock(store.BlockID{Height: h, Hash: ms.hashes[h]}); err != nil {
		ms.t.Fatal(err)
	}
	if err := ms.chain.DisconnectMainBlock(h); err != nil {
		ms.t.Fatal(err)
	}
	ms.hashes = ms.hashes[:h]
	ms.fork++
}

func (ms *mainSim) stage(blocks ...*sideblock.Block) {
	ms.t.Helper()
	for _, b := range blocks {
		if err := ms.chain.StageBody(b); err != nil {
			ms.t.Fatalf("stage %v: %v", b.BlockHash(), err)
		}
	}
}

// stageNext stages pub and publishes it in the next mainchain block.
func (ms *mainSim) stageNext(pub *sideblock.Block) *sideblock.Result {
	ms.t.Helper()
	ms.stage(pub)
	return ms.next(pub)
}

func (ms *mainSim) stateHash() chainhash.Hash {
	ms.t.Helper()
	h, err := ms.chain.StateHash()
	if err != nil {
		ms.t.Fatal(err)
	}
	return h
}

// dump returns every key and value the chain state writes in batches:
// the covered keys (0x40) and the local record of what this node found
// out about the bodies (0x41 'v', 'm', 'a').
func (ms *mainSim) dump() string {
	ms.t.Helper()
	return ms.dumpPrefixes([]byte{0x40}, []byte{sideblock.StagingKeyByte, 'v'},
		[]byte{sideblock.StagingKeyByte, 'm'}, []byte{sideblock.StagingKeyByte, 'a'})
}

// coveredDump returns every key and value the state hash covers.
func (ms *mainSim) coveredDump() string {
	ms.t.Helper()
	return ms.dumpPrefixes([]byte{0x40})
}

func (ms *mainSim) dumpPrefixes(prefixes ...[]byte) string {
	ms.t.Helper()
	var buf bytes.Buffer
	err := ms.db.View(func(r store.Reader) error {
		for _, p := range prefixes {
			err := r.Iterate(p, func(k, v []byte) error {
				fmt.Fprintf(&buf, "%x=%x\n", k, v)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		ms.t.Fatal(err)
	}
	return buf.String()
}

func (ms *mainSim) info(b *sideblock.Block) *sideblock.BlockInfo {
	ms.t.Helper()
	_, info, err := ms.chain.Block(b.BlockHash())
	if err != nil {
		ms.t.Fatalf("block %v: %v", b.BlockHash(), err)
	}
	if info == nil {
		ms.t.Fatalf("block %v is not published", b.BlockHash())
	}
	return info
}

func (ms *mainSim) requireTip(want *sideblock.Block, height int32) {
	ms.t.Helper()
	hash, h, ok := ms.chain.Tip()
	if want == nil {
		if ok {
			ms.t.Fatalf("tip %v at %d, want an empty chain", hash, h)
		}
		return
	}
	if !ok || hash != want.BlockHash() || h != height {
		ms.t.Fatalf("tip %v at %d (%v), want %v at %d", hash, h, ok,
			want.BlockHash(), height)
	}
}

func (ms *mainSim) requireStatus(b *sideblock.Block, s sideblock.BlockStatus, onBest bool) {
	ms.t.Helper()
	info := ms.info(b)
	if info.Status != s || info.OnBestChain != onBest {
		ms.t.Fatalf("block %v: %v on best %v, want %v on best %v",
			b.BlockHash(), info.Status, info.OnBestChain, s, onBest)
	}
}

func (ms *mainSim) requireMissing(want ...*sideblock.Block) {
	ms.t.Helper()
	got, err := ms.chain.MissingBodies()
	if err != nil {
		ms.t.Fatal(err)
	}
	set := make(map[chainhash.Hash]bool)
	for _, h := range got {
		set[h] = true
	}
	if len(got) != len(want) {
		ms.t.Fatalf("%d missing bodies, want %d", len(got), len(want))
	}
	for _, b := range want {
		if !set[b.BlockHash()] {
			ms.t.Fatalf("%v not missing", b.BlockHash())
		}
	}
}

func requireHashes(t testing.TB, what string, got []chainhash.Hash, want ...*sideblock.Block) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d blocks, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i].BlockHash() {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i].BlockHash())
		}
	}
}

func requireCode(t *testing.T, err error, code sideblock.ErrorCode) {
	t.Helper()
	got, ok := sideblock.ErrorCodeOf(err)
	if !ok || got != code {
		t.Fatalf("want %v, got %v", code, err)
	}
}

// spendable is an output the kit can sign for.
type spendable struct {
	op  wire.OutPoint
	out *wire.TxOut
}

func outputs(tx *wire.MsgTx) []spendable {
	out := make([]spendable, len(tx.TxOut))
	for i, o := range tx.TxOut {
		out[i] = spendable{wire.OutPoint{Hash: tx.TxHash(), Index: uint32(i)}, o}
	}
	return out
}

// kit builds sideblocks and signed transactions with one P2WPKH key.
type kit struct {
	t      testing.TB
	params *chainparams.Params
	key    *btcec.PrivateKey
	script []byte
	n      int
}

func newKit(t testing.TB) *kit {
	priv, _ := btcec.PrivKeyFromBytes(chainhash.DoubleHashB([]byte("chain test key")))
	script, err := txscript.NewScriptBuilder().AddOp(txscript.OP_0).
		AddData(btcutil.Hash160(priv.PubKey().SerializeCompressed())).Script()
	if err != nil {
		t.Fatal(err)
	}
	return &kit{t: t, params: blocktests.Params(), key: priv, script: script}
}

// block builds a block on prev at lottery height lh whose coinbase takes
// the subsidy plus fees; every block gets a coinbase of its own.
func (k *kit) block(prev chainhash.Hash, lh int32, fees int64, txs ...*wire.MsgTx) *sideblock.Block {
	k.t.Helper()
	k.n++
	cb, err := sideblock.NewCoinbaseTx(lh, []byte(fmt.Sprintf("kit%d", k.n)),
		wire.NewTxOut(k.params.SideSubsidy+fees, k.script))
	if err != nil {
		k.t.Fatal(err)
	}
	return sideblock.NewBlock(prev, append([]*wire.MsgTx{cb}, txs...))
}

// child builds a block on parent at lottery height lh.
func (k *kit) child(parent *sideblock.Block, lh int32, fees int64, txs ...*wire.MsgTx) *sideblock.Block {
	return k.block(parent.BlockHash(), lh, fees, txs...)
}

// spend returns a signed transaction spending ins into n equal outputs to
// the kit's key, less fee.
func (k *kit) spend(ins []spendable, fee int64, n int) *wire.MsgTx {
	k.t.Helper()
	tx := wire.NewMsgTx(2)
	var total int64
	prev := make(map[wire.OutPoint]*wire.TxOut)
	for _, in := range ins {
		tx.AddTxIn(wire.NewTxIn(&in.op, nil, nil))
		total += in.out.Value
		prev[in.op] = in.out
	}
	each := (total - fee) / int64(n)
	for i := 0; i < n; i++ {
		tx.AddTxOut(wire.NewTxOut(each, k.script))
	}
	// Dust from the division goes to the fee.
	fetcher := txscript.NewMultiPrevOutFetcher(prev)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, in := range ins {
		w, err := txscript.WitnessSignature(tx, hashes, i, in.out.Value,
			in.out.PkScript, txscript.SigHashAll, k.key, true)
		if err != nil {
			k.t.Fatal(err)
		}
		tx.TxIn[i].Witness = w
	}
	return tx
}

// fee returns the fee a kit transaction pays.
func fee(ins []spendable, tx *wire.MsgTx) int64 {
	var in, out int64
	for _, s := range ins {
		in += s.out.Value
	}
	for _, o := range tx.TxOut {
		out += o.Value
	}
	return in - out
}

// fixture is a sidechain with coins to spend: c0, published in mainchain
// block 1 (lottery height 0), and f1, published in block 101 (lottery
// height 100, when c0's coinbase has matured), which fans c0's coinbase out
// into ten outputs.
type fixture struct {
	k      *kit
	c0, f1 *sideblock.Block
	fan    []spendable
}

func newFixture(t testing.TB) *fixture {
	k := newKit(t)
	c0 := k.block(chainhash.Hash{}, 0, 0)
	cb := outputs(c0.Transactions[0])[:1]
	fanTx := k.spend(cb, 10_000, 10)
	f1 := k.child(c0, 100, fee(cb, fanTx), fanTx)
	return &fixture{k: k, c0: c0, f1: f1, fan: outputs(fanTx)}
}

// run replays the fixture on ms: the mainchain ends at height 101 with f1
// the sidechain tip (height 1).
func (f *fixture) run(ms *mainSim) {
	ms.t.Helper()
	ms.stageNext(f.c0)
	ms.advanceTo(100)
	res := ms.stageNext(f.f1)
	requireHashes(ms.t, "fixture", res.Connected, f.f1)
}

// storeReader is the store's snapshot reader.
type storeReader = store.Reader
