package sideblock

import (
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/store"
)

// MintingBlockAt returns the index entry of the best chain's block that
// minted deposit seq, as r shows it; ok is false while the best chain has
// not minted it. It walks back from the tip, reading each block's mint
// transaction, so it costs one body read per best-chain block from the
// tip down to the minting block: cheap for a recent deposit.
func MintingBlockAt(r store.Reader, seq uint64) (info *BlockInfo, ok bool, err error) {
	found, err := MintingBlocksAt(r, []uint64{seq})
	if err != nil {
		return nil, false, err
	}
	got, ok := found[seq]
	if !ok {
		return nil, false, nil
	}
	return &got, true, nil
}

// MintingBlocksAt returns, for each deposit of seqs that the best chain
// has minted as r shows it, the index entry of the block that minted it;
// the deposits not yet minted are absent from the map. It finds them all
// in one walk back from the tip, which stops at the block that minted the
// lowest of them: a page of deposits costs what its oldest deposit costs
// alone.
func MintingBlocksAt(r store.Reader, seqs []uint64) (map[uint64]BlockInfo, error) {
	found := make(map[uint64]BlockInfo, len(seqs))
	tip, err := readTip(r)
	if err != nil || tip.height < 0 {
		return found, err
	}
	// want holds the minted deposits still to find; lowest is the
	// smallest of them, where the walk stops.
	want := make(map[uint64]bool, len(seqs))
	var lowest uint64
	for _, seq := range seqs {
		if seq >= tip.minted {
			continue
		}
		if len(want) == 0 || seq < lowest {
			lowest = seq
		}
		want[seq] = true
	}
	if len(want) == 0 {
		return found, nil
	}
	// minted counts the deposits minted by the blocks up to hash.
	minted, hash := tip.minted, tip.hash
	for hash != (chainhash.Hash{}) {
		rec, ok, err := getRecord(r, hash)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("sideblock: best-chain block %v "+
				"has no index entry", hash)
		}
		sb, ok, err := loadStaged(r, hash)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("sideblock: best-chain block %v "+
				"has no body", hash)
		}
		block, err := sb.block()
		if err != nil {
			return nil, fmt.Errorf("sideblock: best-chain block %v: %w",
				hash, err)
		}
		n := mintedBy(block)
		if n > minted {
			return nil, fmt.Errorf("sideblock: block %v mints %d "+
				"deposits, more than the %d counted up to it", hash, n, minted)
		}
		// This block mints the deposits minted-n to minted-1.
		if n > 0 {
			if uint64(len(want)) <= n {
				for seq := range want {
					if seq >= minted-n {
						found[seq] = rec.BlockInfo
						delete(want, seq)
					}
				}
			} else {
				for seq := minted - n; seq < minted; seq++ {
					if want[seq] {
						found[seq] = rec.BlockInfo
						delete(want, seq)
					}
				}
			}
		}
		if minted-n <= lowest {
			return found, nil
		}
		minted -= n
		hash = rec.PrevBlock
	}
	return nil, fmt.Errorf("sideblock: deposit %d is counted as "+
		"minted, but no best-chain block mints it", lowest)
}
