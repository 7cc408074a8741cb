package work_test

import (
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/stratum/work"
	"github.com/mainstake/sidenode/sideblock"
)

// TestWithdrawalRoot: with the template's withdrawal root, the branch a
// miner folds ends with it, and the block of a share commits to its body
// as the sidechain's rule wants: SHA256d(tx_root ‖ withdrawal_root), the
// root sideblock.CalcBlockMerkleRoot computes.
func TestWithdrawalRoot(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, ntxs := range []int{0, 1, 3} {
		tmpl := sideTemplate(t, rng, ntxs, 0x207fffff)
		txs := append([]*wire.MsgTx{tmpl.Coinbase}, tmpl.Txs...)
		wr := sideblock.WithdrawalRoot(sideblock.BlockWithdrawals(txs))
		tmpl.WithdrawalRoot = &wr
		job, err := work.NewJob("w", tmpl, 4)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(job.Branch); n == 0 || job.Branch[n-1] != wr {
			t.Fatalf("%d txs: branch %v does not end with the withdrawal root %v", ntxs, job.Branch, wr)
		}
		en1 := []byte{9, 8, 7, 6}
		m := newMiner(t, job.Notify(true), en1, 4)
		rng.Read(m.extranonce2)
		m.merkle()
		if !m.search(t, rng.Uint32(), work.TargetFromDifficulty(1.0/(1<<20))) {
			t.Fatal("no share found")
		}
		_, _, share, err := work.ParseSubmit(m.submit(t, "w", false, 0))
		if err != nil {
			t.Fatal(err)
		}
		share.Extranonce1 = en1
		res, err := job.Check(share, 0, work.TargetFromDifficulty(1.0/(1<<20)))
		if err != nil {
			t.Fatal(err)
		}
		if res.Hash != m.blockHash() {
			t.Fatalf("Check hashed %v, the miner (folding the branch) %v", res.Hash, m.blockHash())
		}
		blk, err := job.Block(share, 0)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := blk.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		dec, err := headerchain.DecodeBlock(raw)
		if err != nil {
			t.Fatal(err)
		}
		if want := sideblock.CalcBlockMerkleRoot(dec.Transactions); dec.Header.MerkleRoot != want {
			t.Fatalf("%d txs: header merkle root %v, the body commits to %v", ntxs,
				dec.Header.MerkleRoot, want)
		}
	}
}
