package sideblock

// SetBatchBudget lowers the per-mainchain-block bounds of fork choice for
// a test and returns a function that restores them.
func SetBatchBudget(blocks, bodyBytes int) (restore func()) {
	oldBlocks, oldBytes := maxBatchBlocks, maxBatchBodyBytes
	maxBatchBlocks, maxBatchBodyBytes = blocks, bodyBytes
	return func() { maxBatchBlocks, maxBatchBodyBytes = oldBlocks, oldBytes }
}
