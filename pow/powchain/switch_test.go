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
	"github.com/mainstake/sidenode/pow/miner"
	"github.com/mainstake/sidenode/pow/powchain"
	"github.com/mainstake/sidenode/sideblock"
)

// TestAlgorithmSwitch mines powswitchtest across its switches to RandomX
// (height 20) and Ethash (height 40) on one node, hands the blocks to
// another, and checks that both agree, and that a block whose SHA-256d
// meets the target but whose RandomX hash does not is refused.
func TestAlgorithmSwitch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a RandomX cache and an Ethash epoch")
	}
	p := &chainparams.PowSwitchtest
	a, b := newNodeOn(t, p), newNodeOn(t, p)
	for i := 0; i < 3; i++ {
		a.mainBlock()
		b.mainBlock()
	}
	value, err := powchain.PowValueFunc(p, a.pc.Index())
	if err != nil {
		t.Fatal(err)
	}
	mine := func() *headerchain.Block {
		a.clock = a.clock.Add(2e9)
		blk, height := templateBlock(t, a)
		target := blockchain.CompactToBig(blk.Header.Bits)
		for nonce := uint32(0); nonce < math.MaxUint32; nonce++ {
			blk.Header.Nonce = nonce
			v, err := value(&blk.Header, height)
			if err != nil {
				t.Fatal(err)
			}
			if v.Cmp(target) <= 0 {
				return blk
			}
		}
		t.Fatal("no nonce")
		return nil
	}
	var blocks []*headerchain.Block
	for i := 0; i < 45; i++ {
		if i == 19 {
			// The first RandomX block: one whose SHA-256d meets
			// the target and whose RandomX hash does not.
			bad := solveBadFor(t, a, value)
			for _, blk := range blocks {
				b.accept(blk)
			}
			if _, err := b.pc.AcceptBlock(bad); !errors.Is(err, headerchain.ErrHighHash) {
				t.Fatalf("a block whose RandomX hash misses the target: %v, want ErrHighHash", err)
			}
		}
		blk := mine()
		a.accept(blk)
		blocks = append(blocks, blk)
	}
	for _, blk := range blocks[19:] {
		b.accept(blk)
	}
	ta, ha := a.tip()
	tb, _ := b.tip()
	if ta != tb || ha != 45 {
		t.Fatalf("tips %v@%d and %v, want equal at 45", ta, ha, tb)
	}
	if a.stateHash() != b.stateHash() {
		t.Fatal("state hashes differ")
	}
}

// solveBadFor returns a block on a's tip whose SHA-256d meets its target
// and whose proof-of-work value at its height does not.
func solveBadFor(t *testing.T, a *node, value func(*wire.BlockHeader, int32) (*big.Int, error)) *headerchain.Block {
	t.Helper()
	blk, height := templateBlock(t, a)
	target := blockchain.CompactToBig(blk.Header.Bits)
	for nonce := uint32(0); nonce < 1000; nonce++ {
		blk.Header.Nonce = nonce
		h := blk.Header.BlockHash()
		if blockchain.HashToBig(&h).Cmp(target) > 0 {
			continue
		}
		v, err := value(&blk.Header, height)
		if err != nil {
			t.Fatal(err)
		}
		if v.Cmp(target) > 0 {
			return blk
		}
	}
	t.Fatal("no such nonce in 1000")
	return nil
}

// TestMinerAcrossSwitches runs the CPU miner on powswitchtest through
// its switches to RandomX and Ethash: past height 20 it hashes with the
// algorithm of the height, and every block it finds is accepted.
func TestMinerAcrossSwitches(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a RandomX cache and an Ethash epoch")
	}
	n := newNodeOn(t, &chainparams.PowSwitchtest)
	for i := 0; i < 3; i++ {
		n.mainBlock()
	}
	found := make(chan error, 1)
	m, err := miner.New(miner.Config{
		Threads:      1,
		PayoutScript: payout,
		Source:       n.pc,
		Now:          func() time.Time { return n.clock },
		Found: func(b *headerchain.Block) {
			if _, err := n.pc.AcceptBlock(b); err != nil {
				select {
				case found <- err:
				default:
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Start()
	defer m.Stop()
	go func() {
		for {
			select {
			case <-n.pc.TemplateChanged():
				m.NewWork()
			case <-found:
				return
			}
		}
	}()
	for {
		if _, h := n.tip(); h >= 42 {
			break
		}
		select {
		case err := <-found:
			t.Fatalf("a mined block was refused: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// templateBlock returns the block of a template on n's tip, with its
// merkle root and no nonce, and the height it is at.
func templateBlock(t *testing.T, n *node) (*headerchain.Block, int32) {
	t.Helper()
	tmpl, err := n.pc.BlockTemplate(payout)
	if err != nil {
		t.Fatal(err)
	}
	_, tip := n.tip()
	blk := &headerchain.Block{Header: tmpl.Header,
		Transactions: append([]*wire.MsgTx{tmpl.Coinbase.Copy()}, tmpl.Transactions...)}
	blk.Header.MerkleRoot = sideblock.CalcBlockMerkleRoot(blk.Transactions)
	return blk, tip + 1
}
