package dashboard

import _ "embed"

//go:embed assets/panels/lottery.js
var lotteryJS []byte

//go:embed assets/panels/peg.js
var pegJS []byte

// MainstakePanels returns the mainstake engine's pages: the Lottery (its
// draws, missed slots, tickets and plots) and the Peg (the federation,
// the pegbox, deposits and withdrawals, the supply audit).
func MainstakePanels() []Panel {
	return []Panel{
		{ID: "lottery", Title: "Lottery", Script: lotteryJS},
		{ID: "peg", Title: "Peg", Script: pegJS},
	}
}

//go:embed assets/panels/pow.js
var powJS []byte

//go:embed assets/panels/pool.js
var poolJS []byte

// PowPanels returns the pow engine's pages: Mining (the hashrate, the
// tip's and the next block's difficulty, how far the chain is ahead of or
// behind its ASERT schedule, the next algorithm, the recent blocks), read
// from MiningService.GetMiningInfo, and Pool (the node's mining pool: its
// hashrate, shares and rejects by Stratum code, workers, blocks found
// with their status, and the audit), read from PoolService; on a node
// without a pool the Pool page says so. node/ passes it on pow networks
// only.
func PowPanels() []Panel {
	return []Panel{
		{ID: "pow", Title: "Mining", Script: powJS},
		{ID: "pool", Title: "Pool", Script: poolJS},
	}
}
