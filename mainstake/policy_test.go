package mainstake

import (
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/mempool"
	"github.com/btcsuite/btcd/wire"
)

// defaultMinRelayTxFee is btcd's default minimum relay fee, which also
// sets its dust thresholds.
const defaultMinRelayTxFee = mempool.DefaultMinRelayTxFee

// isDust is btcd's dust rule at a given relay fee.
func isDust(out *wire.TxOut, minRelayTxFee btcutil.Amount) bool {
	return mempool.IsDust(out, minRelayTxFee)
}

// checkStandard applies btcd's relay policy at its defaults
// (mempool.CheckTransactionStandard, transaction versions 1 and 2) for a
// block at height 800,000: known script forms, at most one null data
// output with at most 80 bytes of data, no dust, finality, weight.
func checkStandard(tx *wire.MsgTx) error {
	return mempool.CheckTransactionStandard(btcutil.NewTx(tx), 800_000,
		time.Unix(1_700_000_000, 0), defaultMinRelayTxFee, 2)
}
