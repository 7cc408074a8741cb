package neutrinowatch

import (
	"fmt"
	"path/filepath"

	"github.com/btcsuite/btcd/btcutil/gcs/builder"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcwallet/walletdb"
	"github.com/lightninglabs/neutrino/headerfs"
)

// Names of neutrino's flat header files in the data directory.
const (
	blockHeadersFile  = "block_headers.bin"
	filterHeadersFile = "reg_filter_headers.bin"
)

// linkDepth is how many of the newest block headers checkStores follows
// back through their PrevBlock links.
const linkDepth = 2016

// checkStores opens neutrino's header stores in dir, as NewChainService
// will, and checks that they hold params' chain and agree with their index
// in db. neutrino repairs a header file that is ahead of its index by
// itself; anything else is refused here with the file named, instead of
// surfacing later as a panic inside one of neutrino's goroutines.
//
// The stores opened here are dropped afterwards; their files are closed
// when they are collected.
func checkStores(dir string, db walletdb.DB, params *chaincfg.Params) error {
	blockPath := filepath.Join(dir, blockHeadersFile)
	blocks, err := headerfs.NewBlockHeaderStore(dir, db, params)
	if err != nil {
		return fmt.Errorf("block headers %s: %w", blockPath, err)
	}
	genesis, err := blocks.FetchHeaderByHeight(0)
	if err != nil {
		return fmt.Errorf("block headers %s: genesis: %w", blockPath, err)
	}
	if hash := genesis.BlockHash(); hash != *params.GenesisHash {
		return fmt.Errorf("block headers %s start with block %v, not "+
			"the genesis block %v of %s", blockPath, hash,
			params.GenesisHash, params.Name)
	}
	tip, tipHeight, err := blocks.ChainTip()
	if err != nil {
		return fmt.Errorf("block headers %s: tip: %w", blockPath, err)
	}
	tipHash := tip.BlockHash()
	if height, err := blocks.HeightFromHash(&tipHash); err != nil || height != tipHeight {
		return fmt.Errorf("block headers %s: header %v at the tip height "+
			"%d is not indexed there in %s", blockPath, tipHash,
			tipHeight, DBName)
	}
	depth := min(tipHeight, linkDepth)
	headers, start, err := blocks.FetchHeaderAncestors(depth, &tipHash)
	if err != nil {
		return fmt.Errorf("block headers %s: read %d headers below the "+
			"tip: %w", blockPath, depth, err)
	}
	for i := 1; i < len(headers); i++ {
		if headers[i].PrevBlock != headers[i-1].BlockHash() {
			return fmt.Errorf("block headers %s: header at height %d "+
				"does not link to the one below it", blockPath,
				start+uint32(i))
		}
	}

	filterPath := filepath.Join(dir, filterHeadersFile)
	filters, err := headerfs.NewFilterHeaderStore(dir, db,
		headerfs.RegularFilter, params, nil)
	if err != nil {
		return fmt.Errorf("filter headers %s: %w", filterPath, err)
	}
	genesisFilter, err := builder.BuildBasicFilter(params.GenesisBlock, nil)
	if err != nil {
		return fmt.Errorf("genesis filter: %w", err)
	}
	want, err := builder.MakeHeaderForFilter(genesisFilter,
		params.GenesisBlock.Header.PrevBlock)
	if err != nil {
		return fmt.Errorf("genesis filter header: %w", err)
	}
	got, err := filters.FetchHeaderByHeight(0)
	if err != nil {
		return fmt.Errorf("filter headers %s: genesis: %w", filterPath, err)
	}
	if *got != want {
		return fmt.Errorf("filter headers %s start with %v, not the "+
			"genesis filter header %v of %s", filterPath, got, want,
			params.Name)
	}
	filterTip, filterHeight, err := filters.ChainTip()
	if err != nil {
		return fmt.Errorf("filter headers %s: tip: %w", filterPath, err)
	}
	if filterHeight > tipHeight {
		return fmt.Errorf("filter headers %s reach height %d, past the "+
			"block headers' tip %d", filterPath, filterHeight, tipHeight)
	}
	block, err := blocks.FetchHeaderByHeight(filterHeight)
	if err != nil {
		return fmt.Errorf("block headers %s: height %d: %w", blockPath,
			filterHeight, err)
	}
	blockHash := block.BlockHash()
	indexed, err := filters.FetchHeader(&blockHash)
	if err != nil || *indexed != *filterTip {
		return fmt.Errorf("filter headers %s: the tip at height %d is not "+
			"indexed under block %v in %s", filterPath, filterHeight,
			blockHash, DBName)
	}
	return nil
}
