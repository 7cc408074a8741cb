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
	tip, err := readTip(r)
	if err != nil || tip.height < 0 || seq >= tip.minted {
		return nil, false, err
	}
	// minted counts the deposits minted by the blocks up to hash.
	minted, hash := tip.minted, tip.hash
	for hash != (chainhash.Hash{}) {
		rec, ok, err := getRecord(r, hash)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			return nil, false, fmt.Errorf("sideblock: best-chain block %v "+
				"has no index entry", hash)
		}
		sb, ok, err := loadStaged(r, hash)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			return nil, false, fmt.Errorf("sideblock: best-chain block %v "+
				"has no body", hash)
		}
		block, err := sb.block()
		if err != nil {
			return nil, false, fmt.Errorf("sideblock: best-chain block %v: %w",
				hash, err)
		}
		n := mintedBy(block)
		if n > minted {
			return nil, false, fmt.Errorf("sideblock: block %v mints %d "+
				"deposits, more than the %d counted up to it", hash, n, minted)
		}
		if minted-n <= seq {
			info := rec.BlockInfo
			return &info, true, nil
		}
		minted -= n
		hash = rec.PrevBlock
	}
	return nil, false, fmt.Errorf("sideblock: deposit %d is counted as "+
		"minted, but no best-chain block mints it", seq)
}
