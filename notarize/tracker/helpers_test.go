package tracker

import (
	"encoding/binary"
	"errors"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/notarize"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/store"
)

// testParams returns dpowregtest's parameters (interval 5, 2 mainchain
// confirmations) with a second season: season 0 (dev notaries 0 to 4,
// threshold 3) from height 0, season 1 (dev notaries 3 to 7, threshold 3)
// from height 20.
func testParams() *chainparams.Params {
	p := chainparams.DpowRegtest
	np := *p.Notary
	keys := make([][33]byte, 5)
	for i := range keys {
		copy(keys[i][:], chainparams.DevNotaryKey(3+i).PubKey().SerializeCompressed())
	}
	np.Seasons = []chainparams.NotarySeason{p.Notary.Seasons[0],
		{StartHeight: 20, Pubkeys: keys, Threshold: 3}}
	if err := np.Check(); err != nil {
		panic(err)
	}
	p.Notary = &np
	return &p
}

// sideChain is a mutable notarize.Chain of block hashes by height.
type sideChain struct {
	mu     sync.Mutex
	hashes []chainhash.Hash
}

func (c *sideChain) BlockHashAt(h int32) (chainhash.Hash, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h < 0 || int(h) >= len(c.hashes) {
		return chainhash.Hash{}, false
	}
	return c.hashes[h], true
}

// grow extends the chain on branch 0 to tip height tip.
func (c *sideChain) grow(tip int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h := int32(len(c.hashes)); h <= tip; h++ {
		c.hashes = append(c.hashes, sideHash(0, h))
	}
}

// sideHash is the test chains' hash of the block at height h on branch b.
func sideHash(b byte, h int32) chainhash.Hash {
	var x [8]byte
	x[0] = b
	binary.BigEndian.PutUint32(x[4:], uint32(h))
	return chainhash.DoubleHashH(x[:])
}

// fetcher is a PrevoutFetcher over a map; down makes it fail.
type fetcher struct {
	mu    sync.Mutex
	outs  map[wire.OutPoint]*wire.TxOut
	down  bool
	calls int
}

var errDown = errors.New("backend down")

func (f *fetcher) Prevouts(tx *wire.MsgTx) ([]*wire.TxOut, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.down {
		return nil, errDown
	}
	prev := make([]*wire.TxOut, len(tx.TxIn))
	for i, in := range tx.TxIn {
		prev[i] = f.outs[in.PreviousOutPoint]
	}
	return prev, nil
}

// devKeys returns the dev notary keys of the given indexes.
func devKeys(idx ...int) []*btcec.PrivateKey {
	k := make([]*btcec.PrivateKey, len(idx))
	for i, n := range idx {
		k[i] = chainparams.DevNotaryKey(n)
	}
	return k
}

func p2wpkh(k *btcec.PrivateKey) []byte {
	var pub [33]byte
	copy(pub[:], k.PubKey().SerializeCompressed())
	return notarize.NotaryScript(pub)
}

// report is one reason the tracker reported.
type reported struct {
	txid  chainhash.Hash
	code  notarize.ErrorCode
	final bool
}

// harness is a tracker on a real store in a temp dir, fed mainchain
// blocks by hand.
type harness struct {
	t      *testing.T
	dir    string
	params *chainparams.Params
	db     *store.DB
	tr     *Tracker
	side   *sideChain
	fetch  *fetcher
	tip    store.BlockID
	seq    int // distinguishes fake outpoints
	mined  int // distinguishes mined blocks, so that a branch is new
	reps   []reported
}

func storeOptions() store.Options {
	return store.Options{Genesis: *chaincfg.RegressionNetParams.GenesisHash,
		Network: "regtest", LocalPrefixes: [][]byte{{KeyByte}}}
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, dir: t.TempDir(), params: testParams(),
		side:  &sideChain{},
		fetch: &fetcher{outs: make(map[wire.OutPoint]*wire.TxOut)}}
	h.open()
	t.Cleanup(func() { h.db.Close() })
	// The genesis block.
	gen := chaincfg.RegressionNetParams.GenesisBlock.Header
	h.connectBlock(&mainwatch.Block{Height: 0,
		Hash: *chaincfg.RegressionNetParams.GenesisHash, Header: gen})
	return h
}

// open opens the store and a new tracker, restored from it.
func (h *harness) open() {
	h.t.Helper()
	db, err := store.Open(h.dir, storeOptions())
	if err != nil {
		h.t.Fatal(err)
	}
	h.db = db
	tr, err := New(Config{Params: h.params, Side: h.side, Prevouts: h.fetch,
		DB: db, Report: func(txid chainhash.Hash, err error, final bool) {
			code, ok := notarize.Code(err)
			if !ok {
				h.t.Errorf("report of %v without a code: %v", txid, err)
			}
			h.reps = append(h.reps, reported{txid, code, final})
		}})
	if err != nil {
		h.t.Fatal(err)
	}
	h.tr = tr
	if err := db.View(func(r store.Reader) error {
		_, err := tr.Restore(r)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	if h.tip, err = db.Tip(); err != nil {
		h.t.Fatal(err)
	}
}

// reopen closes the store and opens it again with a new tracker, as a
// restart does.
func (h *harness) reopen() {
	h.t.Helper()
	if err := h.db.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.open()
}

func (h *harness) connectBlock(b *mainwatch.Block) {
	h.t.Helper()
	id := store.BlockID{Height: b.Height, Hash: b.Hash}
	err := h.db.ConnectBlock(id, b.Header.PrevBlock, func(w *store.Writer) error {
		return h.tr.ConnectBlock(w, b)
	})
	if err != nil {
		if derr := h.tr.DisconnectBlock(b.Height); derr != nil {
			h.t.Fatal(derr)
		}
		h.t.Fatalf("connect %v: %v", id, err)
	}
	h.tip = id
}

// mine connects a mainchain block on the tip with txs as its candidates.
func (h *harness) mine(txs ...*wire.MsgTx) {
	h.t.Helper()
	hdr := wire.BlockHeader{PrevBlock: h.tip.Hash, Nonce: uint32(h.tip.Height + 1),
		Bits: uint32(h.mined)}
	h.mined++
	b := &mainwatch.Block{Height: h.tip.Height + 1, Hash: hdr.BlockHash(), Header: hdr}
	for i, tx := range txs {
		b.Txs = append(b.Txs, mainwatch.Tx{Index: i + 1, MsgTx: tx})
	}
	h.connectBlock(b)
}

// undo disconnects the tip block.
func (h *harness) undo() {
	h.t.Helper()
	parent, err := h.db.DisconnectBlock(h.tip)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.tr.DisconnectBlock(h.tip.Height); err != nil {
		h.t.Fatal(err)
	}
	h.tip = parent
}

// payload returns the `N` output script of block (branch b, height) in
// the season the params put there.
func (h *harness) payload(b byte, height int32) []byte {
	h.t.Helper()
	season, _, ok := h.params.Notary.SeasonAt(height)
	if !ok {
		h.t.Fatalf("no season at %d", height)
	}
	s, err := notarize.EncodePayload(notarize.Payload{Height: height,
		Block: sideHash(b, height), Season: season}, h.params)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// rawPayload encodes an `N` payload with opreturn alone, past notarize's
// checks.
func (h *harness) rawPayload(height uint32, block chainhash.Hash, season uint16) []byte {
	h.t.Helper()
	s, err := opreturn.Encode(h.params.SidechainID, &opreturn.Notarization{
		Block: block, Height: height, Season: season})
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// ntx builds a notarization transaction with the output script nOut:
// one input per key, each spending a fresh 10,000 sat output to the key's
// P2WPKH script that the fetcher knows, a change output to the first
// key's script, each input signed with SIGHASH_ALL by its key.
func (h *harness) ntx(nOut []byte, keys []*btcec.PrivateKey) *wire.MsgTx {
	h.t.Helper()
	tx := wire.NewMsgTx(2)
	var prevs []*wire.TxOut
	for _, k := range keys {
		h.seq++
		op := wire.OutPoint{Hash: chainhash.HashH([]byte{byte(h.seq), byte(h.seq >> 8), 7}),
			Index: uint32(h.seq)}
		tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
		prev := wire.NewTxOut(10_000, p2wpkh(k))
		h.fetch.mu.Lock()
		h.fetch.outs[op] = prev
		h.fetch.mu.Unlock()
		prevs = append(prevs, prev)
	}
	tx.AddTxOut(wire.NewTxOut(0, nOut))
	tx.AddTxOut(wire.NewTxOut(int64(len(keys))*10_000-1_000, p2wpkh(keys[0])))
	h.sign(tx, prevs, keys, txscript.SigHashAll)
	return tx
}

// sign signs every input of tx with keys[i] and the sighash type ht.
func (h *harness) sign(tx *wire.MsgTx, prevs []*wire.TxOut, keys []*btcec.PrivateKey, ht txscript.SigHashType) {
	h.t.Helper()
	f := txscript.NewMultiPrevOutFetcher(nil)
	for i, in := range tx.TxIn {
		f.AddPrevOut(in.PreviousOutPoint, prevs[i])
	}
	hashes := txscript.NewTxSigHashes(tx, f)
	for i, k := range keys {
		w, err := txscript.WitnessSignature(tx, hashes, i, prevs[i].Value,
			prevs[i].PkScript, ht, k, true)
		if err != nil {
			h.t.Fatal(err)
		}
		tx.TxIn[i].Witness = w
	}
}

// lastHeight is the tracker's last notarized height, -1 for none.
func (h *harness) lastHeight() int32 {
	if r := h.tr.Last(); r != nil {
		return r.Height
	}
	return -1
}

// reportsOf returns the reports about txid.
func (h *harness) reportsOf(txid chainhash.Hash) []reported {
	var out []reported
	for _, r := range h.reps {
		if r.txid == txid {
			out = append(out, r)
		}
	}
	return out
}

// pendingCount counts the pending records in the store.
func (h *harness) pendingCount() int {
	h.t.Helper()
	n := 0
	if err := h.db.View(func(r store.Reader) error {
		return r.Iterate(keyPendingPrefix, func(_, _ []byte) error { n++; return nil })
	}); err != nil {
		h.t.Fatal(err)
	}
	return n
}
