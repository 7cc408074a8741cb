package powchain_test

import (
	"errors"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/randomx"
	"github.com/mainstake/sidenode/sideblock"
)

// keySwitchSchedule rotates RandomX keys every 8 blocks with a lag of 2:
// blocks 11 to 18 take the ID of block 8 as their key, 19 to 26 that of
// block 16; blocks up to 10 that of genesis.
var keySwitchSchedule = randomx.Schedule{EpochBlocks: 8, Lag: 2}

// keySwitchParams is powswitchtest mining RandomX from height 4, and
// never Ethash.
func keySwitchParams() *chainparams.Params {
	p := chainparams.PowSwitchtest
	pow := *p.Pow
	pow.Schedule = nil
	for _, e := range p.Pow.Schedule {
		if e.Algorithm == chainparams.RandomX {
			e.FromHeight = 4
			pow.Schedule = append(pow.Schedule, e)
			break
		}
		pow.Schedule = append(pow.Schedule, e)
	}
	p.Pow = &pow
	p.Name = "powkeyswitchtest"
	return &p
}

func newKeySwitchNode(t *testing.T, p *chainparams.Params) *node {
	t.Helper()
	n := &node{params: p, t: t, dir: t.TempDir(), rx: keySwitchSchedule,
		clock: time.Unix(p.Pow.GenesisTime, 0)}
	n.open()
	for i := 0; i < 4; i++ {
		n.mainBlock()
	}
	return n
}

// template returns n's next block on its tip, unsolved, and its height.
func (n *node) template() (*headerchain.Block, int32) {
	n.t.Helper()
	n.clock = n.clock.Add(2 * time.Second)
	tmpl, err := n.pc.BlockTemplate(payout)
	if err != nil {
		n.t.Fatal(err)
	}
	_, height := n.tip()
	blk := &headerchain.Block{Header: tmpl.Header,
		Transactions: append([]*wire.MsgTx{tmpl.Coinbase.Copy()}, tmpl.Transactions...)}
	blk.Header.MerkleRoot = sideblock.CalcBlockMerkleRoot(blk.Transactions)
	return blk, height + 1
}

// solveWhere sets the first nonce of blk for which ok holds.
func solveWhere(t testing.TB, blk *headerchain.Block, ok func(target *big.Int) bool) *headerchain.Block {
	t.Helper()
	target := blockchain.CompactToBig(blk.Header.Bits)
	for nonce := uint32(0); nonce < math.MaxUint32; nonce++ {
		blk.Header.Nonce = nonce
		if ok(target) {
			return blk
		}
	}
	t.Fatal("no nonce")
	return nil
}

// meets reports whether value meets target; an error fails the test.
func meets(t testing.TB, value *big.Int, err error, target *big.Int) bool {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return value.Cmp(target) <= 0
}

// mineRX mines n's next block under the key of its own branch.
func (n *node) mineRX() *headerchain.Block {
	n.t.Helper()
	blk, height := n.template()
	return solveWhere(n.t, blk, func(target *big.Int) bool {
		v, err := n.pc.PowValue(&blk.Header, height)
		return meets(n.t, v, err, target)
	})
}

// TestRandomXKeySwitchInReorg: node a follows a branch that forks below
// a RandomX key switch (at height 11, keyed by block 8) and then hears of
// a heavier branch that crosses the same switch with a seed block of its
// own. It reorganizes to the heavier branch and ends with the state hash
// of node b, which only saw that branch; and a block on either branch is
// judged under that branch's key, never the other's: valid under its own
// key it is taken, valid only under the other branch's key it is refused
// with ErrHighHash.
func TestRandomXKeySwitchInReorg(t *testing.T) {
	if testing.Short() {
		t.Skip("builds RandomX caches")
	}
	p := keySwitchParams()
	a, b := newKeySwitchNode(t, p), newKeySwitchNode(t, p)

	// Heights 1 to 7 on both; RandomX from 4 under genesis' key.
	for i := 0; i < 7; i++ {
		blk := a.mineRX()
		a.accept(blk)
		b.accept(blk)
	}
	b.clock = a.clock.Add(time.Second) // b's blocks differ from a's
	// a's branch: heights 8 to 14; b's: 8 to 16, heavier.
	var branchA, branchB []*headerchain.Block
	for i := 0; i < 7; i++ {
		blk := a.mineRX()
		a.accept(blk)
		branchA = append(branchA, blk)
	}
	for i := 0; i < 9; i++ {
		blk := b.mineRX()
		b.accept(blk)
		branchB = append(branchB, blk)
	}
	keyA, keyB := branchA[0].BlockHash(), branchB[0].BlockHash() // blocks 8
	if keySwitchSchedule.SeedHeight(11) != 8 || keySwitchSchedule.SeedHeight(10) != 0 {
		t.Fatal("the schedule does not switch keys at height 11")
	}

	// A block at 15 on a's branch valid under a's key and not under
	// b's; one valid only under b's key; and a block at 17 on b's branch
	// valid only under a's key.
	underA := func(h *wire.BlockHeader, height int32) (*big.Int, error) {
		return a.pc.RandomXValueUnder(keyA, h, height)
	}
	underB := func(h *wire.BlockHeader, height int32) (*big.Int, error) {
		return b.pc.RandomXValueUnder(keyB, h, height)
	}
	onlyUnder := func(blk *headerchain.Block, height int32, good, bad func(*wire.BlockHeader, int32) (*big.Int, error)) *headerchain.Block {
		return solveWhere(t, blk, func(target *big.Int) bool {
			v, err := good(&blk.Header, height)
			if !meets(t, v, err, target) {
				return false
			}
			v, err = bad(&blk.Header, height)
			return !meets(t, v, err, target)
		})
	}
	tmplA, heightA := a.template()
	goodA := onlyUnder(tmplA, heightA, underA, underB)
	tmplA2 := &headerchain.Block{Header: tmplA.Header, Transactions: tmplA.Transactions}
	tmplA2.Header.Timestamp = tmplA2.Header.Timestamp.Add(time.Second)
	badA := onlyUnder(tmplA2, heightA, underB, underA)
	tmplB, heightB := b.template()
	badB := onlyUnder(tmplB, heightB, underA, underB)
	if heightA != 15 || heightB != 17 {
		t.Fatalf("extra blocks at %d and %d, want 15 and 17", heightA, heightB)
	}

	// The reorg: a takes b's branch.
	if tip, h := a.tip(); tip != branchA[6].BlockHash() || h != 14 {
		t.Fatalf("a's tip %v@%d before the reorg, want its own at 14", tip, h)
	}
	a.accept(branchB...)
	ta, ha := a.tip()
	tb, hb := b.tip()
	if ta != tb || ha != 16 || hb != 16 {
		t.Fatalf("tips %v@%d and %v@%d, want b's at 16 on both", ta, ha, tb, hb)
	}
	if a.stateHash() != b.stateHash() {
		t.Fatal("after the reorg a's state hash differs from b's")
	}

	for _, n := range []*node{a, b} {
		if _, err := n.pc.AcceptBlock(badB); !errors.Is(err, headerchain.ErrHighHash) {
			t.Fatalf("a block on the winning branch valid only under the losing branch's key: %v, want ErrHighHash", err)
		}
	}
	if _, err := a.pc.AcceptBlock(badA); !errors.Is(err, headerchain.ErrHighHash) {
		t.Fatalf("a block on the losing branch valid only under the winning branch's key: %v, want ErrHighHash", err)
	}
	stored, err := a.pc.AcceptBlock(goodA)
	if err != nil || len(stored) != 1 || stored[0] != goodA.BlockHash() {
		t.Fatalf("a block on the losing branch valid under its own key: stored %v, %v", stored, err)
	}
	if tip, _ := a.tip(); tip != tb {
		t.Fatalf("a's tip %v after a lighter block, want %v", tip, tb)
	}
	for _, n := range []*node{a, b} {
		n.mainBlock()
	}
	if a.stateHash() != b.stateHash() {
		t.Fatal("a's state hash differs from b's")
	}
}
