package loadtest

import (
	"encoding/json"
	"testing"

	"github.com/mainstake/sidenode/pow/stratum/work"
	"github.com/mainstake/sidenode/sideblock"
)

// TestStockMinerBlockCommitsToBody gives a job of pow/stratum/work to this
// package's miner, which computes the header the way stock SHA-256d
// miners do (the coinbase's txid folded with each merkle branch hash), and
// checks that the header commits to the block's body as the sidechain
// reads it (§6: SHA256d(txRoot ‖ withdrawalRoot)), and that the block the
// job builds from the share is that header. A real miner (cpuminer) found
// blocks whose header the chain refused ("header merkle root …, body
// commits to …") when the branch stopped at the transactions' root.
func TestStockMinerBlockCommitsToBody(t *testing.T) {
	for _, txs := range []int{0, 1, 2, 5} {
		src := NewSource(txs, 0x207fffff)
		tmpl, err := src.Template()
		if err != nil {
			t.Fatal(err)
		}
		job, err := work.NewJob("1", tmpl, 4)
		if err != nil {
			t.Fatal(err)
		}
		params, err := json.Marshal(job.Notify(true))
		if err != nil {
			t.Fatal(err)
		}
		j, err := ParseNotify(params)
		if err != nil {
			t.Fatal(err)
		}
		en1 := []byte{0xde, 0xad, 0xbe, 0xef}
		sh, _, ok := NewSolver(j, en1, 4, 9, TargetFromDifficulty(1e-12)).Next(1 << 16)
		if !ok {
			t.Fatal("no share")
		}
		blk, err := job.Block(work.Share{Extranonce1: en1, Extranonce2: sh.Extranonce2,
			NTime: sh.NTime, Nonce: sh.Nonce}, 0)
		if err != nil {
			t.Fatal(err)
		}
		body := sideblock.CalcBlockMerkleRoot(blk.Transactions)
		if blk.Header.MerkleRoot != body {
			t.Errorf("%d txs: the job's block has header merkle root %s, its body commits to %s",
				txs, blk.Header.MerkleRoot, body)
		}
		stock := j.MerkleRoot(en1, sh.Extranonce2)
		if stock != body {
			t.Errorf("%d txs: a stock miner's header has merkle root %s, the body commits to %s "+
				"(the notify's merkle branch must end with the withdrawal root)", txs, stock, body)
		}
		if got := blk.Header.BlockHash(); got != sh.Hash {
			t.Errorf("%d txs: the job's block hashes to %s, the miner's header to %s", txs, got, sh.Hash)
		}
	}
}

func jsonNotify(job *work.Job) (json.RawMessage, error) {
	return json.Marshal(job.Notify(true))
}
