package blocktests

import (
	"bytes"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/sideblock"
)

// TestInstance is one step of a generated test.
type TestInstance interface {
	blockTestInstance()
}

// AcceptedBlock is a block ProcessBlock must accept. IsMainChain says
// whether the index's best tip must be this block right after it.
type AcceptedBlock struct {
	Name        string
	Block       *headerchain.Block
	Height      int32
	IsMainChain bool
}

// OrphanBlock is a block whose parent the index does not know yet:
// ProcessBlock must keep it in the orphan pool.
type OrphanBlock struct {
	Name  string
	Block *headerchain.Block
}

// RejectedBlock is a block ProcessBlock must refuse with RejectCode.
type RejectedBlock struct {
	Name       string
	Block      *headerchain.Block
	RejectCode headerchain.ErrorCode
}

// ExpectedTip says which block the best tip must be at this point.
type ExpectedTip struct {
	Name string
	Hash chainhash.Hash
}

func (AcceptedBlock) blockTestInstance() {}
func (OrphanBlock) blockTestInstance()   {}
func (RejectedBlock) blockTestInstance() {}
func (ExpectedTip) blockTestInstance()   {}

// Bits are the bits of every block: regtest's pow limit.
var Bits = chaincfg.RegressionNetParams.PowLimitBits

// GenesisTime is the genesis block's timestamp; Now is the clock of the
// index the blocks are generated for.
var (
	GenesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	Now         = GenesisTime.Add(24 * time.Hour)
)

// MaxOrphanAhead is the orphan height limit of Config.
const MaxOrphanAhead = 16

// Spacing is the time between consecutive blocks, unless a step says
// otherwise.
const Spacing = 2 * time.Second

// Genesis returns the first block of the tree.
func Genesis() *headerchain.Block {
	cb := coinbase(0, "genesis", nil)
	b := &headerchain.Block{
		Header: wire.BlockHeader{
			Version:    1,
			MerkleRoot: sideblock.CalcBlockMerkleRoot([]*wire.MsgTx{cb}),
			Timestamp:  GenesisTime,
			Bits:       Bits,
		},
		Transactions: []*wire.MsgTx{cb},
	}
	return b
}

// Config returns the index configuration the tree is valid under.
func Config() headerchain.Config {
	chain := chainparams.Regtest
	return headerchain.Config{
		Params: headerchain.Params{
			PowLimit:       chaincfg.RegressionNetParams.PowLimit,
			MaxOrphanAhead: MaxOrphanAhead,
		},
		Chain:      &chain,
		Genesis:    Genesis(),
		Difficulty: headerchain.FixedBits(Bits),
		Now:        func() time.Time { return Now },
	}
}

// coinbase returns a coinbase for height, tagged so that every block's is
// unique, with the given extra outputs (or one zero OP_TRUE output).
func coinbase(height int32, tag string, outs []*wire.TxOut) *wire.MsgTx {
	if len(outs) == 0 {
		outs = []*wire.TxOut{wire.NewTxOut(0, []byte{txscript.OP_TRUE})}
	}
	tx, err := sideblock.NewCoinbaseTx(height, []byte(tag), outs...)
	must(err)
	return tx
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// generator builds the tree.
type generator struct {
	blocks  map[string]*headerchain.Block
	heights map[string]int32
	tip     string
	tests   []TestInstance
}

// change modifies a block being built, before it is mined.
type change struct {
	// body changes the transactions before the merkle root is set.
	body func(b *headerchain.Block, height int32)
	// header changes the header after the merkle root is set.
	header func(g *generator, h *wire.BlockHeader, parent string)
	// afterSolve changes the block after it is mined (and so keeps its
	// proof of work only if it leaves the header alone).
	afterSolve func(b *headerchain.Block)
	// highHash mines for a hash above the target instead of below.
	highHash bool
}

// nextBlock builds a block named name on parent: a coinbase for its height
// (or the height atHeight names), the time Spacing after the parent's,
// Bits, and a nonce that meets the target.
func (g *generator) nextBlock(name, parent string, changes ...change) *headerchain.Block {
	if _, dup := g.blocks[name]; dup {
		panic("duplicate block name " + name)
	}
	p := g.blocks[parent]
	if p == nil {
		panic("unknown parent " + parent)
	}
	height := g.heights[parent] + 1
	b := &headerchain.Block{
		Header: wire.BlockHeader{
			Version:   1,
			PrevBlock: p.BlockHash(),
			Timestamp: p.Header.Timestamp.Add(Spacing),
			Bits:      Bits,
		},
		Transactions: []*wire.MsgTx{coinbase(height, name, nil)},
	}
	for _, c := range changes {
		if c.body != nil {
			c.body(b, height)
		}
	}
	b.Header.MerkleRoot = sideblock.CalcBlockMerkleRoot(b.Transactions)
	high := false
	for _, c := range changes {
		if c.header != nil {
			c.header(g, &b.Header, parent)
		}
		high = high || c.highHash
	}
	solve(&b.Header, high)
	for _, c := range changes {
		if c.afterSolve != nil {
			c.afterSolve(b)
		}
	}
	g.blocks[name] = b
	g.heights[name] = height
	g.tip = name
	return b
}

// solve finds a nonce whose SHA-256d meets the header's target, or, with
// high, one whose hash is above it.
func solve(h *wire.BlockHeader, high bool) {
	target := blockchain.CompactToBig(h.Bits)
	for {
		hash := h.BlockHash()
		if (blockchain.HashToBig(&hash).Cmp(target) <= 0) != high {
			return
		}
		h.Nonce++
		if h.Nonce == 0 {
			panic("nonce space exhausted")
		}
	}
}

func (g *generator) accepted() {
	g.tests = append(g.tests, AcceptedBlock{Name: g.tip,
		Block: g.blocks[g.tip], Height: g.heights[g.tip], IsMainChain: true})
}

func (g *generator) acceptedBeside() {
	g.tests = append(g.tests, AcceptedBlock{Name: g.tip,
		Block: g.blocks[g.tip], Height: g.heights[g.tip]})
}

func (g *generator) orphaned() {
	g.tests = append(g.tests, OrphanBlock{Name: g.tip, Block: g.blocks[g.tip]})
}

// orphanedAs records an earlier built block as an orphan step.
func (g *generator) orphanedAs(name string) {
	g.tests = append(g.tests, OrphanBlock{Name: name, Block: g.blocks[name]})
}

func (g *generator) rejected(code headerchain.ErrorCode) {
	g.tests = append(g.tests, RejectedBlock{Name: g.tip,
		Block: g.blocks[g.tip], RejectCode: code})
}

// acceptedAs records an earlier built block as a step.
func (g *generator) acceptedAs(name string, main bool) {
	g.tests = append(g.tests, AcceptedBlock{Name: name,
		Block: g.blocks[name], Height: g.heights[name], IsMainChain: main})
}

func (g *generator) rejectedAs(name string, code headerchain.ErrorCode) {
	g.tests = append(g.tests, RejectedBlock{Name: name,
		Block: g.blocks[name], RejectCode: code})
}

func (g *generator) expectTip(name string) {
	g.tests = append(g.tests, ExpectedTip{Name: name,
		Hash: g.blocks[name].BlockHash()})
}

// Changes.

func withBits(bits uint32) change {
	return change{header: func(_ *generator, h *wire.BlockHeader, _ string) {
		h.Bits = bits
	}}
}

func withTime(t time.Time) change {
	return change{header: func(_ *generator, h *wire.BlockHeader, _ string) {
		h.Timestamp = t
	}}
}

func highHash() change { return change{highHash: true} }

func coinbaseHeight(height int32) change {
	return change{body: func(b *headerchain.Block, _ int32) {
		b.Transactions[0] = coinbase(height, "wrong height", nil)
	}}
}

func withTxs(txs ...*wire.MsgTx) change {
	return change{body: func(b *headerchain.Block, _ int32) {
		b.Transactions = append(b.Transactions, txs...)
	}}
}

// withBody replaces the body after mining, leaving the header (and its
// proof of work) alone.
func withBody(txs ...*wire.MsgTx) change {
	return change{afterSolve: func(b *headerchain.Block) {
		b.Transactions = txs
	}}
}

// withWeight pads the coinbase so that the block weighs exactly weight
// with sigs signature operations: an OP_RETURN output carrying a push of
// padding and then sigs OP_CHECKSIG opcodes (which count as signature
// operations though they never run). weight - sigs·384 must be a multiple
// of 4.
func withWeight(weight uint64, sigs int) change {
	return change{body: func(b *headerchain.Block, height int32) {
		if (weight-uint64(sigs)*headerchain.SignatureWeight)%
			headerchain.BaseSizeFactor != 0 {
			panic("weight not reachable")
		}
		wantSize := (weight - uint64(sigs)*headerchain.SignatureWeight) /
			headerchain.BaseSizeFactor
		pad := int(wantSize) - 1000
		for i := 0; i < 8; i++ {
			script := padScript(pad, sigs)
			b.Transactions[0] = coinbase(height, "heavy",
				[]*wire.TxOut{wire.NewTxOut(0, script)})
			size := headerchain.BaseSize(b)
			if size == wantSize {
				if got := headerchain.SignatureCount(b); got != uint64(sigs) {
					panic(fmt.Sprintf("%d signatures, want %d", got, sigs))
				}
				return
			}
			pad += int(wantSize) - int(size)
		}
		panic("could not reach the weight")
	}}
}

func padScript(pad, sigs int) []byte {
	s, err := txscript.NewScriptBuilder().
		AddOp(txscript.OP_RETURN).
		AddFullData(bytes.Repeat([]byte{0x5a}, pad)).Script()
	must(err)
	return append(s, bytes.Repeat([]byte{txscript.OP_CHECKSIG}, sigs)...)
}

// Generate returns the steps of the tree, in the order they must be
// processed.
func Generate() (tests []TestInstance, err error) {
	defer func() {
		if r := recover(); r != nil {
			tests = nil
			err = fmt.Errorf("blocktests: %v\n%s", r, debug.Stack())
		}
	}()
	g := &generator{
		blocks:  map[string]*headerchain.Block{"genesis": Genesis()},
		heights: map[string]int32{"genesis": 0},
	}
	g.scenarios()
	if len(g.tests) == 0 {
		return nil, errors.New("blocktests: no steps")
	}
	return g.tests, nil
}

// lowerHash reports whether a's hash is lower than b's as a number.
func lowerHash(a, b *headerchain.Block) bool {
	ha, hb := a.BlockHash(), b.BlockHash()
	return blockchain.HashToBig(&ha).Cmp(blockchain.HashToBig(&hb)) < 0
}
