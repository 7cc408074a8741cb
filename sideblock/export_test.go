package sideblock

import (
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/store"
)

// SetBatchBudget lowers the per-mainchain-block bounds of fork choice for
// a test and returns a function that restores them.
func SetBatchBudget(blocks, bodyBytes int) (restore func()) {
	oldBlocks, oldBytes := maxBatchBlocks, maxBatchBodyBytes
	maxBatchBlocks, maxBatchBodyBytes = blocks, bodyBytes
	return func() { maxBatchBlocks, maxBatchBodyBytes = oldBlocks, oldBytes }
}

// Unstage deletes staged bodies, as if the node had never received them:
// fuzz targets reuse one chain state for many inputs.
func (c *Chain) Unstage(hashes ...chainhash.Hash) error {
	return c.db.Update(func(w *store.PlainWriter) error {
		for _, h := range hashes {
			if err := deleteStaged(w, h); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetScriptWorkers sets how many goroutines verify a block's scripts and
// returns a function that restores the number.
func SetScriptWorkers(n int) (restore func()) {
	old := scriptWorkers
	scriptWorkers = n
	return func() { scriptWorkers = old }
}

// SetMaxBodySize sets the body size CheckBlockSanity allows and returns a
// function that restores MaxBlockSize.
func SetMaxBodySize(n int) (restore func()) {
	old := maxBodySize
	maxBodySize = n
	return func() { maxBodySize = old }
}
