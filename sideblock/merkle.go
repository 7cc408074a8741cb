package sideblock

import (
	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// CalcTxRoot returns the Bitcoin merkle root of the transactions' txids
// (blockchain.CalcMerkleRoot without witnesses), or the zero hash for no
// transactions (a body no valid block has).
func CalcTxRoot(txs []*wire.MsgTx) chainhash.Hash {
	return calcTxRoot(utilTxs(txs))
}

func calcTxRoot(txs []*btcutil.Tx) chainhash.Hash {
	if len(txs) == 0 {
		return chainhash.Hash{}
	}
	return blockchain.CalcMerkleRoot(txs, false)
}

// HeaderMerkleRoot returns the header's hashMerkleRoot for the two roots:
// SHA256d(txRoot ‖ withdrawalRoot).
func HeaderMerkleRoot(txRoot, withdrawalRoot chainhash.Hash) chainhash.Hash {
	return blockchain.HashMerkleBranches(&txRoot, &withdrawalRoot)
}

// CalcBlockMerkleRoot returns the hashMerkleRoot that commits to txs:
// HeaderMerkleRoot(CalcTxRoot(txs), WithdrawalRoot(BlockWithdrawals(txs))).
func CalcBlockMerkleRoot(txs []*wire.MsgTx) chainhash.Hash {
	return calcBlockMerkleRoot(utilTxs(txs))
}

func calcBlockMerkleRoot(txs []*btcutil.Tx) chainhash.Hash {
	txRoot := calcTxRoot(txs)
	return HeaderMerkleRoot(txRoot, WithdrawalRoot(blockWithdrawals(txs)))
}

// MerkleBranch is the path from a leaf to the root of a Bitcoin-style merkle
// tree: the sibling at each level, bottom up, and the leaf's index, whose
// bits (lowest first) tell at each level whether the path is the right
// child.
type MerkleBranch struct {
	Index  uint32
	Hashes []chainhash.Hash
}

// Root returns the root that the branch and leaf hash to.
func (b MerkleBranch) Root(leaf chainhash.Hash) chainhash.Hash {
	cur := leaf
	idx := b.Index
	for i := range b.Hashes {
		sib := b.Hashes[i]
		if idx&1 == 1 {
			cur = blockchain.HashMerkleBranches(&sib, &cur)
		} else {
			cur = blockchain.HashMerkleBranches(&cur, &sib)
		}
		idx >>= 1
	}
	return cur
}

// root is Root for a tree of count leaves; it also checks that wherever the
// path is the last node of an odd level, the sibling is the node itself.
// The caller checks the branch's length.
func (b MerkleBranch) root(leaf chainhash.Hash, count int) (chainhash.Hash, bool) {
	cur := leaf
	pos := int(b.Index)
	width := count
	for i := range b.Hashes {
		sib := b.Hashes[i]
		switch {
		case pos&1 == 1:
			cur = blockchain.HashMerkleBranches(&sib, &cur)
		case pos == width-1:
			if sib != cur {
				return chainhash.Hash{}, false
			}
			cur = blockchain.HashMerkleBranches(&cur, &cur)
		default:
			cur = blockchain.HashMerkleBranches(&cur, &sib)
		}
		pos >>= 1
		width = (width + 1) / 2
	}
	return cur, true
}

// merkleDepth returns the number of levels above the leaves in a tree of n
// leaves: 0 for one leaf.
func merkleDepth(n int) int {
	d := 0
	for w := n; w > 1; w = (w + 1) / 2 {
		d++
	}
	return d
}

// merkleRoot returns the Bitcoin-style merkle root of leaves (an odd level
// pairs its last node with itself), or the zero hash if there are none.
func merkleRoot(leaves []chainhash.Hash) chainhash.Hash {
	if len(leaves) == 0 {
		return chainhash.Hash{}
	}
	level := append([]chainhash.Hash(nil), leaves...)
	for len(level) > 1 {
		level = nextLevel(level)
	}
	return level[0]
}

// merkleBranch returns the branch of leaf i; 0 ≤ i < len(leaves).
func merkleBranch(leaves []chainhash.Hash, i int) MerkleBranch {
	b := MerkleBranch{Index: uint32(i)}
	level := append([]chainhash.Hash(nil), leaves...)
	pos := i
	for len(level) > 1 {
		sib := pos ^ 1
		if sib >= len(level) {
			sib = pos
		}
		b.Hashes = append(b.Hashes, level[sib])
		level = nextLevel(level)
		pos >>= 1
	}
	return b
}

// nextLevel hashes a level of a merkle tree into the level above it.
func nextLevel(level []chainhash.Hash) []chainhash.Hash {
	next := make([]chainhash.Hash, (len(level)+1)/2)
	for j := range next {
		left := &level[2*j]
		right := left
		if 2*j+1 < len(level) {
			right = &level[2*j+1]
		}
		next[j] = blockchain.HashMerkleBranches(left, right)
	}
	return next
}
