package blocktests

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/sideblock"
)

// TestInstance is one step of a generated test: a block and what a
// validator must decide about it. It is AcceptedBlock or RejectedBlock.
type TestInstance interface {
	blockTestInstance()
}

// AcceptedBlock is a block that must pass CheckBlockSanity, CheckMint with
// the deposits of Deposits that are due at LotteryHeight and that its
// branch has not minted, and CheckConnectBlock at LotteryHeight against
// the state after its parent
// (Block.Header.PrevBlock; the zero hash is the empty state). It may extend
// any accepted block, not only the last one: a validator must follow forks.
type AcceptedBlock struct {
	Name          string
	Block         *sideblock.Block
	LotteryHeight int32
}

// RejectedBlock is a block that must fail with RejectCode, from
// CheckBlockSanity, CheckMint or CheckConnectBlock, checked as for
// AcceptedBlock.
type RejectedBlock struct {
	Name          string
	Block         *sideblock.Block
	LotteryHeight int32
	RejectCode    sideblock.ErrorCode
}

func (AcceptedBlock) blockTestInstance() {}
func (RejectedBlock) blockTestInstance() {}

// Subsidy is the SideSubsidy of the test network: the tests need coins long
// before the deposits of Deposits are due, and the coinbase is their only
// other source.
const Subsidy = 50 * btcutil.SatoshiPerBitcoin

// Params returns the network the generated blocks are valid on: regtest
// with a SideSubsidy of Subsidy.
func Params() *chainparams.Params {
	p := chainparams.Regtest
	p.SideSubsidy = Subsidy
	return &p
}

// spendableOut is an output the generator knows how to spend.
type spendableOut struct {
	op    wire.OutPoint
	value int64
}

// lockKind says how an output script is signed for.
type lockKind int

const (
	lockP2WPKH lockKind = iota
	lockP2TRKey
	lockP2TRScript
)

// lock is what the generator knows about one of its output scripts.
type lock struct {
	kind lockKind
	key  *btcec.PrivateKey // signing key (internal key for P2TR)

	// Taproot script trees: the root (for key path spends of a tree
	// output), the leaf, its signing key and its control block.
	root    []byte
	leaf    txscript.TapLeaf
	leafKey *btcec.PrivateKey
	control []byte
}

// generator builds the named block tree. Its helpers panic on internal
// errors; Generate recovers them.
type generator struct {
	params *chainparams.Params

	blocks  map[string]*sideblock.Block
	heights map[string]int32
	tip     string // the last block built
	tipH    int32  // its lottery height

	outs  map[wire.OutPoint]*wire.TxOut // every output ever generated
	locks map[string]*lock              // by pkScript
	pool  []spendableOut                // 1 BTC P2WPKH outputs, FIFO

	alice, bob *btcec.PrivateKey
	tests      []TestInstance
}

// key returns a deterministic private key for a name.
func key(name string) *btcec.PrivateKey {
	seed := sha256.Sum256([]byte("sideblock/blocktests/" + name))
	priv, _ := btcec.PrivKeyFromBytes(seed[:])
	return priv
}

func newGenerator(params *chainparams.Params) *generator {
	return &generator{
		params:  params,
		blocks:  make(map[string]*sideblock.Block),
		heights: make(map[string]int32),
		outs:    make(map[wire.OutPoint]*wire.TxOut),
		locks:   make(map[string]*lock),
		alice:   key("alice"),
		bob:     key("bob"),
	}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// p2wpkh returns the P2WPKH script of a key and remembers how to sign it.
func (g *generator) p2wpkh(k *btcec.PrivateKey) []byte {
	addr, err := sideblock.SideP2WPKHAddress(k.PubKey(), g.params)
	must(err)
	script, err := txscript.PayToAddrScript(addr)
	must(err)
	g.locks[string(script)] = &lock{kind: lockP2WPKH, key: k}
	return script
}

// p2trKey returns the BIP86 (key path only) P2TR script of a key.
func (g *generator) p2trKey(k *btcec.PrivateKey) []byte {
	addr, err := sideblock.SideP2TRAddress(k.PubKey(), nil, g.params)
	must(err)
	script, err := txscript.PayToAddrScript(addr)
	must(err)
	g.locks[string(script)] = &lock{kind: lockP2TRKey, key: k}
	return script
}

// p2trTree returns a P2TR script with internal key k and a tapscript tree of
// two leaves, `<leafKey> OP_CHECKSIG` and `OP_FALSE`. A spend of kind
// lockP2TRScript uses the first leaf; lockP2TRKey the tweaked key.
func (g *generator) p2trTree(k, leafKey *btcec.PrivateKey, kind lockKind) []byte {
	leafScript, err := txscript.NewScriptBuilder().
		AddData(schnorr.SerializePubKey(leafKey.PubKey())).
		AddOp(txscript.OP_CHECKSIG).Script()
	must(err)
	leaf := txscript.NewBaseTapLeaf(leafScript)
	other := txscript.NewBaseTapLeaf([]byte{txscript.OP_FALSE})
	tree := txscript.AssembleTaprootScriptTree(leaf, other)
	root := tree.RootNode.TapHash()
	ctrl := tree.LeafMerkleProofs[0].ToControlBlock(k.PubKey())
	ctrlBytes, err := ctrl.ToBytes()
	must(err)

	addr, err := sideblock.SideP2TRAddress(k.PubKey(), root[:], g.params)
	must(err)
	script, err := txscript.PayToAddrScript(addr)
	must(err)
	g.locks[string(script)] = &lock{
		kind: kind, key: k, root: root[:],
		leaf: leaf, leafKey: leafKey, control: ctrlBytes,
	}
	return script
}

// withdrawal returns a withdrawal output script.
func withdrawal(fee int64, dest []byte) []byte {
	s, err := sideblock.WithdrawalScript(fee, dest)
	must(err)
	return s
}

// mainP2WPKH, mainP2TR and mainP2PKH return mainchain destinations.
func (g *generator) mainP2WPKH(k *btcec.PrivateKey) []byte {
	addr, err := btcutil.NewAddressWitnessPubKeyHash(
		btcutil.Hash160(k.PubKey().SerializeCompressed()), g.params.Main)
	must(err)
	s, err := txscript.PayToAddrScript(addr)
	must(err)
	return s
}

func (g *generator) mainP2TR(k *btcec.PrivateKey) []byte {
	s, err := txscript.PayToTaprootScript(
		txscript.ComputeTaprootKeyNoScript(k.PubKey()))
	must(err)
	return s
}

func (g *generator) mainP2PKH(k *btcec.PrivateKey) []byte {
	addr, err := btcutil.NewAddressPubKeyHash(
		btcutil.Hash160(k.PubKey().SerializeCompressed()), g.params.Main)
	must(err)
	s, err := txscript.PayToAddrScript(addr)
	must(err)
	return s
}

// take returns the oldest unused 1 BTC output of the pool.
func (g *generator) take() spendableOut {
	if len(g.pool) == 0 {
		panic("spendable pool is empty")
	}
	out := g.pool[0]
	g.pool = g.pool[1:]
	return out
}

// outOf returns output vout of tx as a spendable output.
func outOf(tx *wire.MsgTx, vout uint32) spendableOut {
	return spendableOut{
		op:    wire.OutPoint{Hash: tx.TxHash(), Index: vout},
		value: tx.TxOut[vout].Value,
	}
}

// coinbaseOut returns output 0 of a generated block's coinbase.
func (g *generator) coinbaseOut(block string) spendableOut {
	return outOf(g.blocks[block].Transactions[0], 0)
}

// createTx returns a signed version 2 transaction spending ins to outs,
// every input with the final sequence number.
func (g *generator) createTx(ins []spendableOut, outs ...*wire.TxOut) *wire.MsgTx {
	return g.createTxWith(nil, ins, outs...)
}

// createTxWith is createTx with a function that changes the transaction
// before it is signed (lock time, sequence numbers, version).
func (g *generator) createTxWith(f func(*wire.MsgTx), ins []spendableOut, outs ...*wire.TxOut) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	for _, in := range ins {
		tx.AddTxIn(wire.NewTxIn(&in.op, nil, nil))
	}
	for _, out := range outs {
		tx.AddTxOut(out)
	}
	if f != nil {
		f(tx)
	}
	g.sign(tx)
	return tx
}

// spendTx returns a transaction that spends one output to alice, less fee.
func (g *generator) spendTx(in spendableOut, fee int64) *wire.MsgTx {
	return g.createTx([]spendableOut{in},
		wire.NewTxOut(in.value-fee, g.p2wpkh(g.alice)))
}

// sign (re)signs every input of tx whose previous output the generator
// created with a script it knows. Other inputs are left as they are.
func (g *generator) sign(tx *wire.MsgTx) {
	for i := range tx.TxIn {
		g.signInput(tx, i, nil)
	}
}

// resignWith signs input i of tx again with another key: the signing key of
// a P2WPKH or P2TR key path lock, the leaf key of a script path lock.
func (g *generator) resignWith(tx *wire.MsgTx, i int, k *btcec.PrivateKey) {
	g.signInput(tx, i, k)
}

// signInput signs input i of tx, with key k instead of the lock's own if k
// is not nil.
func (g *generator) signInput(tx *wire.MsgTx, i int, k *btcec.PrivateKey) {
	prevOuts := make(map[wire.OutPoint]*wire.TxOut)
	for _, in := range tx.TxIn {
		if out, ok := g.outs[in.PreviousOutPoint]; ok {
			prevOuts[in.PreviousOutPoint] = out
		}
	}
	in := tx.TxIn[i]
	prev, ok := prevOuts[in.PreviousOutPoint]
	if !ok {
		return
	}
	l, ok := g.locks[string(prev.PkScript)]
	if !ok {
		return
	}
	signKey, leafKey := l.key, l.leafKey
	if k != nil {
		signKey, leafKey = k, k
	}
	fetcher := txscript.NewMultiPrevOutFetcher(prevOuts)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	switch l.kind {
	case lockP2WPKH:
		w, err := txscript.WitnessSignature(tx, hashes, i, prev.Value,
			prev.PkScript, txscript.SigHashAll, signKey, true)
		must(err)
		in.Witness = w
	case lockP2TRKey:
		sig, err := txscript.RawTxInTaprootSignature(tx, hashes, i,
			prev.Value, prev.PkScript, l.root,
			txscript.SigHashDefault, signKey)
		must(err)
		in.Witness = wire.TxWitness{sig}
	case lockP2TRScript:
		sig, err := txscript.RawTxInTapscriptSignature(tx, hashes, i,
			prev.Value, prev.PkScript, l.leaf,
			txscript.SigHashDefault, leafKey)
		must(err)
		// Copies: tests change witnesses in place.
		in.Witness = wire.TxWitness{sig,
			append([]byte(nil), l.leaf.Script...),
			append([]byte(nil), l.control...)}
	}
}

// blockBuilder collects what the mutators of one nextBlock call ask for.
type blockBuilder struct {
	g      *generator
	height int32 // lottery height

	txs         []*wire.MsgTx // after the coinbase
	cbHeight    *int32        // coinbase height, if not height
	cbScript    []byte        // whole coinbase signature script, if set
	cbDelta     int64         // added to the coinbase's value
	cbOutputs   []*wire.TxOut // further coinbase outputs
	noCoinbase  bool
	dupCoinbase bool // the coinbase twice
	spendOwnCb  bool // a transaction spending the block's own coinbase
	noTxs       bool
	padTo       int // pad the body to this size
	corruptRoot bool
}

// mutator changes the block nextBlock builds.
type mutator func(*blockBuilder)

// withTxs adds transactions after the coinbase.
func withTxs(txs ...*wire.MsgTx) mutator {
	return func(b *blockBuilder) { b.txs = append(b.txs, txs...) }
}

// atHeight sets the lottery height the block is built for.
func atHeight(h int32) mutator {
	return func(b *blockBuilder) { b.height = h }
}

// coinbaseHeight makes the coinbase claim another lottery height.
func coinbaseHeight(h int32) mutator {
	return func(b *blockBuilder) { b.cbHeight = &h }
}

// coinbaseSigScript replaces the whole coinbase signature script.
func coinbaseSigScript(s []byte) mutator {
	return func(b *blockBuilder) { b.cbScript = s }
}

// coinbasePays adds delta to what the coinbase pays (fees + subsidy).
func coinbasePays(delta int64) mutator {
	return func(b *blockBuilder) { b.cbDelta += delta }
}

// coinbaseOutputs adds outputs to the coinbase.
func coinbaseOutputs(outs ...*wire.TxOut) mutator {
	return func(b *blockBuilder) { b.cbOutputs = append(b.cbOutputs, outs...) }
}

// withoutCoinbase leaves the coinbase out.
func withoutCoinbase() mutator {
	return func(b *blockBuilder) { b.noCoinbase = true }
}

// repeatCoinbase puts the coinbase in the block twice.
func repeatCoinbase() mutator {
	return func(b *blockBuilder) { b.dupCoinbase = true }
}

// spendOwnCoinbase adds a transaction that spends the block's own coinbase.
func spendOwnCoinbase() mutator {
	return func(b *blockBuilder) { b.spendOwnCb = true }
}

// withoutTransactions builds an empty body.
func withoutTransactions() mutator {
	return func(b *blockBuilder) { b.noTxs = true }
}

// corruptMerkleRoot flips a bit of the header's merkle root.
func corruptMerkleRoot() mutator {
	return func(b *blockBuilder) { b.corruptRoot = true }
}

// padBodyTo pads the body to exactly size bytes with an OP_RETURN output in
// the coinbase (which has no signature to redo).
func padBodyTo(size int) mutator {
	return func(b *blockBuilder) { b.padTo = size }
}

// fees returns what a transaction pays in fees, as far as the generator
// knows its inputs (unknown inputs count as zero; a negative fee as zero).
func (g *generator) fees(tx *wire.MsgTx) int64 {
	var in, out int64
	for _, txIn := range tx.TxIn {
		if prev, ok := g.outs[txIn.PreviousOutPoint]; ok {
			in += prev.Value
		}
	}
	for _, txOut := range tx.TxOut {
		out += txOut.Value
	}
	if in < out {
		return 0
	}
	return in - out
}

// nextBlock builds block name on parent ("" for none) and makes it the
// tip. By default it is built for the lottery height after the parent's,
// its coinbase claims that height and pays subsidy plus fees to alice.
func (g *generator) nextBlock(name, parent string, muts ...mutator) *sideblock.Block {
	if _, dup := g.blocks[name]; dup {
		panic(fmt.Sprintf("block name %q used twice", name))
	}
	var prevHash chainhash.Hash
	var prevHeight int32
	if parent != "" {
		pb, ok := g.blocks[parent]
		if !ok {
			panic(fmt.Sprintf("block %q: unknown parent %q", name, parent))
		}
		prevHash = pb.BlockHash()
		prevHeight = g.heights[parent]
	}
	b := &blockBuilder{g: g, height: prevHeight + 1}
	for _, m := range muts {
		m(b)
	}

	var fees int64
	for _, tx := range b.txs {
		fees += g.fees(tx)
	}
	cbHeight := b.height
	if b.cbHeight != nil {
		cbHeight = *b.cbHeight
	}
	// The block name as extra data makes every coinbase unique.
	cb, err := sideblock.NewCoinbaseTx(cbHeight, []byte(name),
		wire.NewTxOut(g.params.SideSubsidy+fees+b.cbDelta, g.p2wpkh(g.alice)))
	must(err)
	if b.cbScript != nil {
		cb.TxIn[0].SignatureScript = b.cbScript
	}
	for _, out := range b.cbOutputs {
		cb.AddTxOut(out)
	}

	var txs []*wire.MsgTx
	if !b.noCoinbase {
		txs = append(txs, cb)
	}
	if b.dupCoinbase {
		txs = append(txs, cb)
	}
	txs = append(txs, b.txs...)
	if b.spendOwnCb {
		g.outs[wire.OutPoint{Hash: cb.TxHash(), Index: 0}] = cb.TxOut[0]
		txs = append(txs, g.spendTx(outOf(cb, 0), 0))
	}
	if b.noTxs {
		txs = nil
	}
	if b.padTo > 0 {
		padBody(txs, b.padTo)
	}

	block := sideblock.NewBlock(prevHash, txs)
	if b.corruptRoot {
		block.Header.MerkleRoot[0] ^= 0x01
	}

	for _, tx := range block.Transactions {
		txid := tx.TxHash()
		for vout, out := range tx.TxOut {
			g.outs[wire.OutPoint{Hash: txid, Index: uint32(vout)}] = out
		}
	}
	g.blocks[name] = block
	g.heights[name] = b.height
	g.tip, g.tipH = name, b.height
	return block
}

// padBody adds an OP_RETURN output to txs[0] that brings the body to
// exactly size bytes.
func padBody(txs []*wire.MsgTx, size int) {
	cb := txs[0]
	out := wire.NewTxOut(0, []byte{txscript.OP_RETURN})
	cb.AddTxOut(out)
	bodySize := func() int {
		n := wire.VarIntSerializeSize(uint64(len(txs)))
		for _, tx := range txs {
			n += tx.SerializeSize()
		}
		return n
	}
	// The script length's varint grows with the script, so converge.
	for i := 0; i < 10; i++ {
		diff := size - bodySize()
		if diff == 0 {
			return
		}
		n := len(out.PkScript) + diff
		if n < 1 {
			panic("padBodyTo: body already larger than the target")
		}
		out.PkScript = append([]byte{txscript.OP_RETURN},
			bytes.Repeat([]byte{txscript.OP_0}, n-1)...)
	}
	panic("padBodyTo: cannot reach the target size")
}

// setTip makes a built block the tip again, for accepted or rejected.
func (g *generator) setTip(name string) {
	if _, ok := g.blocks[name]; !ok {
		panic(fmt.Sprintf("setTip: unknown block %q", name))
	}
	g.tip, g.tipH = name, g.heights[name]
}

// mutatedCopy makes block name a copy of block from, with the same header
// and a body that f changes, and makes it the tip: a body a peer altered on
// the way.
func (g *generator) mutatedCopy(name, from string, f func(*sideblock.Block)) {
	src := g.blocks[from]
	b := &sideblock.Block{
		Header:       src.Header,
		Transactions: append([]*wire.MsgTx(nil), src.Transactions...),
	}
	f(b)
	g.blocks[name] = b
	g.heights[name] = g.heights[from]
	g.tip, g.tipH = name, g.heights[from]
}

// accepted records that the tip must be accepted.
func (g *generator) accepted() {
	g.tests = append(g.tests, AcceptedBlock{
		Name: g.tip, Block: g.blocks[g.tip], LotteryHeight: g.tipH,
	})
}

// rejected records that the tip must be rejected with code.
func (g *generator) rejected(code sideblock.ErrorCode) {
	g.tests = append(g.tests, RejectedBlock{
		Name: g.tip, Block: g.blocks[g.tip], LotteryHeight: g.tipH,
		RejectCode: code,
	})
}

// Generate returns the test instances, in the order a validator must
// process them. Every rule of the sideblock package that a block can break
// has at least one rejected block, and the accepted blocks sit on both
// sides of every boundary that has one (maturity, coinbase value, lock
// times, sigops, block size, withdrawal dust).
func Generate() (tests []TestInstance, err error) {
	defer func() {
		if r := recover(); r != nil {
			tests = nil
			switch rt := r.(type) {
			case string:
				err = errors.New(rt)
			case runtime.Error:
				// A bug in the generator: keep the stack.
				err = fmt.Errorf("%v\n%s", rt, debug.Stack())
			case error:
				err = rt
			default:
				err = fmt.Errorf("%v", rt)
			}
		}
	}()
	g := newGenerator(Params())
	g.scenarios()
	return g.tests, nil
}

// MintHeight is the lottery height from which the test network's deposits
// are due: far above every other scenario, so that only the mint scenarios
// meet them.
const MintHeight = 1000

// Deposits returns the test network's mainchain deposits, in mint order.
// All of them are due from lottery height MintHeight on: a validator's
// Deposits.MaturedBy(h) is 0 below it and len(Deposits()) from it.
func Deposits() []sideblock.Deposit {
	g := newGenerator(Params())
	return g.deposits()
}

func (g *generator) deposits() []sideblock.Deposit {
	return []sideblock.Deposit{
		{Seq: 0, Value: 1_000_000, PkScript: g.p2wpkh(g.alice)},
		{Seq: 1, Value: 2_000_000, PkScript: g.p2wpkh(g.bob)},
		{Seq: 2, Value: 3_000_000, PkScript: g.p2trKey(g.alice)},
	}
}
