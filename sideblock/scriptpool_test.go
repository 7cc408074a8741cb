package sideblock_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/sideblock"
)

// TestScriptFailureDeterministic checks that a block with two bad inputs
// always fails on the first one in block order, however many goroutines
// verify its scripts: the first bad input (a signature over other data)
// takes a signature check to fail, the second (no witness at all) fails
// at once, so a pool that reported whichever failure came first would
// name the second.
func TestScriptFailureDeterministic(t *testing.T) {
	k := newKit(t)
	view := sideblock.NewMemUtxoView()
	var coins []spendable
	for i := 0; i < 8; i++ {
		op := wire.OutPoint{Hash: chainhash.HashH([]byte(fmt.Sprintf("coin %d", i)))}
		out := wire.NewTxOut(100_000, k.script)
		view.AddUtxo(op, &sideblock.Utxo{Value: out.Value, PkScript: out.PkScript})
		coins = append(coins, spendable{op, out})
	}
	// tx1: input 0 good, input 1 good, then the outputs change under
	// the signatures: every input fails its signature check.
	tx1 := k.spend(coins[0:2], 1000, 1)
	tx1.TxOut[0].Value--
	// tx2: good, then input 1 loses its witness.
	tx2 := k.spend(coins[2:4], 1000, 1)
	tx2.TxIn[1].Witness = nil
	// Good transactions after them keep the workers busy.
	var txs = []*wire.MsgTx{tx1, tx2}
	for i := 4; i < 8; i++ {
		txs = append(txs, k.spend(coins[i:i+1], 1000, 1))
	}
	block := k.block(chainhash.Hash{}, 1, 0, txs...)
	if err := sideblock.CheckBlockSanity(block, k.params); err != nil {
		t.Fatal(err)
	}

	for _, workers := range []int{1, 2, 4, 8} {
		restore := sideblock.SetScriptWorkers(workers)
		for run := 0; run < 50; run++ {
			_, _, err := sideblock.CheckConnectBlock(block, 1, view, k.params)
			var rerr sideblock.RuleError
			if !errors.As(err, &rerr) || rerr.ErrorCode != sideblock.ErrScriptValidation {
				restore()
				t.Fatalf("%d workers: got %v, want %v", workers, err,
					sideblock.ErrScriptValidation)
			}
			// The description is the only place that names the
			// input.
			if !strings.HasPrefix(rerr.Description, "input 0 of transaction 1 ") {
				restore()
				t.Fatalf("%d workers, run %d: failed on %q, want input 0 "+
					"of transaction 1", workers, run, rerr.Description)
			}
		}
		restore()
	}
}
