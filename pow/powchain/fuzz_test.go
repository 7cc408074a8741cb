package powchain_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/sideblock"
)

// fuzzBase is how many blocks the node of FuzzAcceptBlock holds before
// each input.
const fuzzBase = 4

// fuzzChain are the blocks FuzzAcceptBlock's inputs start from, mined
// once: fuzzBase+2 blocks on one branch, and a sibling of the last base
// block on another.
var fuzzChain struct {
	once    sync.Once
	blocks  []*headerchain.Block // heights 1 to fuzzBase+2
	sibling *headerchain.Block   // a second block at height fuzzBase
	clock   time.Time
}

func fuzzNode(t testing.TB) *node {
	p := &chainparams.PowRegtest
	n := &node{params: p, t: t, dir: t.TempDir(), mem: true,
		clock: time.Unix(p.Pow.GenesisTime, 0)}
	n.open()
	for i := 0; i < 4; i++ {
		n.mainBlock()
	}
	return n
}

func fuzzSetup(t testing.TB) {
	fuzzChain.once.Do(func() {
		n := fuzzNode(t)
		for i := 0; i < fuzzBase+2; i++ {
			if i == fuzzBase-1 {
				// The sibling: mined on the same parent a
				// second later.
				saved := n.clock
				n.clock = n.clock.Add(time.Second)
				fuzzChain.sibling = n.mine()
				n.clock = saved
			}
			blk := n.mine()
			n.accept(blk)
			fuzzChain.blocks = append(fuzzChain.blocks, blk)
		}
		fuzzChain.clock = n.clock
		n.close()
	})
	if len(fuzzChain.blocks) != fuzzBase+2 {
		t.Fatal("the fuzz chain was not mined")
	}
}

// wireBlock returns a block's 80-byte header and its body.
func wireBlock(t testing.TB, b *headerchain.Block) (header, body []byte) {
	var buf bytes.Buffer
	if err := b.Header.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	sb := &sideblock.Block{Header: sideblock.NewPowHeader(&b.Header), Transactions: b.Transactions}
	body, err := sb.BodyBytes()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), body
}

// Fuzz input modes, bits of the first argument.
const (
	// fuzzSeal recomputes the merkle root from the body (when it
	// decodes) and searches a nonce that meets the header's bits, so
	// that edits of the body reach the body and state rules.
	fuzzSeal = 1 << iota
	// fuzzRelink sets the parent to a base block picked by the
	// argument's high bits (fuzzRelinkShift).
	fuzzRelink

	fuzzRelinkShift = 4
)

// edited returns b with its coinbase's signature script replaced, sealed
// by the fuzz input (fuzzSeal).
func withCoinbaseScript(b *headerchain.Block, script []byte) *headerchain.Block {
	c := &headerchain.Block{Header: b.Header}
	for _, tx := range b.Transactions {
		c.Transactions = append(c.Transactions, tx.Copy())
	}
	c.Transactions[0].TxIn[0].SignatureScript = script
	return c
}

// FuzzAcceptBlock hands a node with fuzzBase mined blocks one hostile
// edit of a real block (header fields, body bytes, the coinbase's main
// reference, transactions) through Peers.AcceptBlock. Whatever the
// input, the node does not panic; every error is a rule error; its
// chain-state tip is the base tip, or the input itself when it was
// accepted, one above a base block; its state hash is what a full scan
// of the state gives; and the honest chain's next blocks still make the
// tip.
func FuzzAcceptBlock(f *testing.F) {
	fuzzSetup(f)
	blocks := fuzzChain.blocks
	next := blocks[fuzzBase] // height fuzzBase+1, on the base tip
	seeds := []*headerchain.Block{next, blocks[fuzzBase+1], blocks[fuzzBase-1],
		fuzzChain.sibling, blocks[0]}

	// Coinbase main references: unknown, above the mainchain, below
	// the parent's, malformed; a coinbase height that lies.
	ref, err := sideblock.ExtractMainRef(next.Transactions[0])
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range []sideblock.MainRef{
		{Height: ref.Height, Hash: chainhash.Hash{1}},
		{Height: ref.Height + 10, Hash: ref.Hash},
		{Height: 0, Hash: mainHash(0, 0)},
		{Height: -1, Hash: ref.Hash},
	} {
		script, err := sideblock.OwnClockCoinbaseScript(fuzzBase+1, r, nil)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, withCoinbaseScript(next, script))
	}
	script, err := sideblock.OwnClockCoinbaseScript(fuzzBase+7, ref, nil)
	if err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, withCoinbaseScript(next, script),
		withCoinbaseScript(next, []byte{1, 5}))

	// Transactions: the coinbase twice; a spend of an immature
	// coinbase; a spend of nothing; an output paying more than the
	// subsidy.
	dup := &headerchain.Block{Header: next.Header,
		Transactions: []*wire.MsgTx{next.Transactions[0], next.Transactions[0]}}
	spend := func(prev wire.OutPoint, value int64) *headerchain.Block {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(wire.NewTxIn(&prev, nil, nil))
		tx.AddTxOut(wire.NewTxOut(value, payout))
		return &headerchain.Block{Header: next.Header,
			Transactions: []*wire.MsgTx{next.Transactions[0], tx}}
	}
	rich := withCoinbaseScript(next, next.Transactions[0].TxIn[0].SignatureScript)
	rich.Transactions[0].TxOut[0].Value *= 2
	seeds = append(seeds, dup, rich,
		spend(wire.OutPoint{Hash: blocks[0].Transactions[0].TxHash()}, 1000),
		spend(wire.OutPoint{Hash: chainhash.Hash{7}, Index: 3}, 1000))

	for _, b := range seeds {
		h, body := wireBlock(f, b)
		f.Add(uint8(0), h, body)
		f.Add(uint8(fuzzSeal), h, body)
	}
	h, body := wireBlock(f, next)
	f.Add(uint8(fuzzSeal|fuzzRelink|2<<fuzzRelinkShift), h, body)
	f.Add(uint8(0), h[:79], body)
	f.Add(uint8(0), h, body[:len(body)-1])
	f.Add(uint8(fuzzSeal), h, append(append([]byte{}, body...), 0))

	// The base blocks by hash, with genesis.
	baseHeights := map[chainhash.Hash]int32{}
	for i, b := range blocks[:fuzzBase] {
		baseHeights[b.BlockHash()] = int32(i + 1)
	}

	f.Fuzz(func(t *testing.T, mode uint8, header, body []byte) {
		n := fuzzNode(t)
		n.clock = fuzzChain.clock
		n.accept(blocks[:fuzzBase]...)
		baseTip, baseHeight := n.tip()
		header = hostile(mode, header, body)

		err := n.pc.ForPeers().AcceptBlock(header, body)
		var re headerchain.RuleError
		if err != nil && !errors.As(err, &re) && !errors.Is(err, headerchain.ErrDuplicateBlock) {
			var se sideblock.RuleError
			if !errors.As(err, &se) {
				t.Fatalf("an input made a non-rule error: %v", err)
			}
		}
		tip, height := n.tip()
		switch {
		case tip == baseTip && height == baseHeight:
		case err == nil && len(header) == 80 && tip == chainhash.DoubleHashH(header):
			// Accepted, and chosen: its parent must be a base
			// block, one height below.
			var parent chainhash.Hash
			copy(parent[:], header[4:36])
			if h, ok := baseHeights[parent]; !ok || h+1 != height {
				t.Fatalf("the tip %v at %d is the input, whose parent %v is not a base block below it",
					tip, height, parent)
			}
			checkChosen(t, n, body, height)
		default:
			t.Fatalf("after an input (%v) the tip is %v at %d, want the base tip %v at %d or the input on it",
				err, tip, height, baseTip, baseHeight)
		}
		if err := n.db.VerifyStateHash(); err != nil {
			t.Fatal(err)
		}

		// The node still follows the honest chain: its next two
		// blocks make the tip (or the input does, at the same height
		// with a lower hash, as a valid copy of the last).
		for _, b := range blocks[fuzzBase:] {
			if _, err := n.pc.AcceptBlock(b); err != nil && !errors.Is(err, headerchain.ErrDuplicateBlock) {
				t.Fatalf("honest block %v after the input: %v", b.BlockHash(), err)
			}
		}
		tip, height = n.tip()
		if height != fuzzBase+2 || (tip != blocks[fuzzBase+1].BlockHash() && tip != chainhash.DoubleHashH(header)) {
			t.Fatalf("after the honest blocks the tip is %v at %d, want %v at %d",
				tip, height, blocks[fuzzBase+1].BlockHash(), fuzzBase+2)
		}
		if err := n.db.VerifyStateHash(); err != nil {
			t.Fatal(err)
		}
	})
}

// hostile applies the mode's fixes to header: a parent from the base
// blocks, then the merkle root of body and a nonce that meets its bits.
func hostile(mode uint8, header, body []byte) []byte {
	if len(header) != 80 {
		return header
	}
	header = append([]byte{}, header...)
	var h wire.BlockHeader
	if err := h.Deserialize(bytes.NewReader(header)); err != nil {
		return header
	}
	if mode&fuzzRelink != 0 {
		i := int(mode>>fuzzRelinkShift) % (fuzzBase + 1)
		if i == 0 {
			h.PrevBlock = *chainparams.PowRegtest.Main.GenesisHash
		} else {
			h.PrevBlock = fuzzChain.blocks[i-1].BlockHash()
		}
	}
	if mode&fuzzSeal != 0 {
		if txs, err := sideblock.DecodeBody(body); err == nil && len(txs) > 0 {
			h.MerkleRoot = sideblock.CalcBlockMerkleRoot(txs)
		}
		target := blockchain.CompactToBig(h.Bits)
		for nonce := uint32(0); nonce < 64 && target.Sign() > 0; nonce++ {
			h.Nonce = nonce
			hash := h.BlockHash()
			if blockchain.HashToBig(&hash).Cmp(target) <= 0 {
				break
			}
		}
	}
	var buf bytes.Buffer
	_ = h.Serialize(&buf)
	return buf.Bytes()
}

// checkChosen checks, by rules of its own, a block the fuzzed node made
// its tip at height (at most fuzzBase+1): no coinbase is mature yet, so
// the coinbase is its only transaction; it pays at most the subsidy the
// honest block at that height claims; it names its height; and its main
// reference is a block of the node's mainchain.
func checkChosen(t *testing.T, n *node, body []byte, height int32) {
	t.Helper()
	txs, err := sideblock.DecodeBody(body)
	if err != nil || len(txs) != 1 {
		t.Fatalf("the chosen input has %d transactions (%v), want its coinbase alone", len(txs), err)
	}
	var paid, subsidy int64
	for _, out := range txs[0].TxOut {
		paid += out.Value
	}
	for _, out := range fuzzChain.blocks[height-1].Transactions[0].TxOut {
		subsidy += out.Value
	}
	if paid > subsidy {
		t.Fatalf("the chosen input's coinbase pays %d, more than the subsidy %d", paid, subsidy)
	}
	if h, err := sideblock.ExtractCoinbaseHeight(txs[0]); err != nil || h != height {
		t.Fatalf("the chosen input's coinbase names height %d (%v), want %d", h, err, height)
	}
	ref, err := sideblock.ExtractMainRef(txs[0])
	if err != nil || ref.Height >= int32(len(n.hashes)) || n.hashes[ref.Height] != ref.Hash {
		t.Fatalf("the chosen input's main reference %v (%v) is not on the mainchain", ref, err)
	}
}
