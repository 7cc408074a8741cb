package sideblock

import (
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// fakeTxs returns n distinct transactions.
func fakeTxs(n int) []*wire.MsgTx {
	txs := make([]*wire.MsgTx, n)
	for i := range txs {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: uint32(i)}, nil, nil))
		tx.AddTxOut(wire.NewTxOut(int64(i), nil))
		txs[i] = tx
	}
	return txs
}

// TestMerkleRootMatchesBitcoin checks the hash tree used for withdrawals
// against btcd's transaction merkle tree, and every branch of it.
func TestMerkleRootMatchesBitcoin(t *testing.T) {
	for n := 1; n <= 33; n++ {
		txs := fakeTxs(n)
		leaves := make([]chainhash.Hash, n)
		for i, tx := range txs {
			leaves[i] = tx.TxHash()
		}
		want := blockchain.CalcMerkleRoot(utilTxs(txs), false)
		store := blockchain.BuildMerkleTreeStore(utilTxs(txs), false)
		if got := merkleRoot(leaves); got != want || *store[len(store)-1] != want {
			t.Fatalf("n=%d: root %v, btcd %v", n, got, want)
		}
		if got := CalcTxRoot(txs); got != want {
			t.Fatalf("n=%d: CalcTxRoot %v, btcd %v", n, got, want)
		}
		for i := range leaves {
			br := merkleBranch(leaves, i)
			if len(br.Hashes) != merkleDepth(n) {
				t.Fatalf("n=%d i=%d: depth %d, want %d", n, i,
					len(br.Hashes), merkleDepth(n))
			}
			if br.Root(leaves[i]) != want {
				t.Fatalf("n=%d i=%d: branch does not hash to root", n, i)
			}
			if root, ok := br.root(leaves[i], n); !ok || root != want {
				t.Fatalf("n=%d i=%d: strict branch check fails", n, i)
			}
		}
	}
	if merkleRoot(nil) != (chainhash.Hash{}) || CalcTxRoot(nil) != (chainhash.Hash{}) {
		t.Fatal("empty root is not zero")
	}
}

// testWithdrawals returns n withdrawals as a block would list them.
func testWithdrawals(n int) []Withdrawal {
	dest := append([]byte{0x00, 0x14}, make([]byte, 20)...)
	ws := make([]Withdrawal, n)
	for i := range ws {
		ws[i] = Withdrawal{
			OutPoint: wire.OutPoint{
				Hash:  chainhash.DoubleHashH([]byte(fmt.Sprint(i))),
				Index: uint32(i),
			},
			Value:    int64(100_000 + i),
			Fee:      int64(i),
			PkScript: dest,
			Index:    uint32(i),
			Count:    uint32(n),
		}
	}
	return ws
}

// TestVerifyWithdrawal proves every withdrawal of trees of many sizes.
func TestVerifyWithdrawal(t *testing.T) {
	txRoot := chainhash.DoubleHashH([]byte("txs"))
	for n := 1; n <= 17; n++ {
		ws := testWithdrawals(n)
		root := HeaderMerkleRoot(txRoot, WithdrawalRoot(ws))
		for i := range ws {
			br, err := WithdrawalBranch(ws, i)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyWithdrawal(br, &ws[i], txRoot, root); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
		}
	}
}

// TestVerifyWithdrawalRejects checks that altered proofs fail.
func TestVerifyWithdrawalRejects(t *testing.T) {
	txRoot := chainhash.DoubleHashH([]byte("txs"))
	ws := testWithdrawals(5)
	root := HeaderMerkleRoot(txRoot, WithdrawalRoot(ws))
	br4, _ := WithdrawalBranch(ws, 4)
	br1, _ := WithdrawalBranch(ws, 1)

	// The last of five leaves is paired with itself; a "sixth" leaf at
	// index 5 with leaf 4's content has the same root in a plain Bitcoin
	// tree.
	dupLeaf := ws[4]
	dupLeaf.Index = 5
	dupBranch := br4
	dupBranch.Index = 5
	if dupBranch.Root(ws[4].LeafHash()) != WithdrawalRoot(ws) {
		t.Fatal("test premise: the duplicate position hashes to the root")
	}

	cases := []struct {
		name   string
		branch MerkleBranch
		leaf   func(w Withdrawal) Withdrawal
		txRoot chainhash.Hash
	}{
		{"changed value", br1, func(w Withdrawal) Withdrawal { w.Value++; return w }, txRoot},
		{"changed destination", br1, func(w Withdrawal) Withdrawal {
			w.PkScript = append([]byte{0x00, 0x14}, make([]byte, 19)...)
			w.PkScript = append(w.PkScript, 1)
			return w
		}, txRoot},
		{"nonstandard destination", br1, func(w Withdrawal) Withdrawal { w.PkScript = []byte{0x51}; return w }, txRoot},
		{"changed count", br1, func(w Withdrawal) Withdrawal { w.Count = 6; return w }, txRoot},
		{"index beyond count", dupBranch, func(Withdrawal) Withdrawal { return dupLeaf }, txRoot},
		{"zero count", br1, func(w Withdrawal) Withdrawal { w.Count = 0; return w }, txRoot},
		{"branch for another index", br4, func(w Withdrawal) Withdrawal { return w }, txRoot},
		{"short branch", MerkleBranch{Index: 1, Hashes: br1.Hashes[:2]}, func(w Withdrawal) Withdrawal { return w }, txRoot},
		{"long branch", MerkleBranch{Index: 1, Hashes: append(append([]chainhash.Hash{}, br1.Hashes...), txRoot)}, func(w Withdrawal) Withdrawal { return w }, txRoot},
		{"wrong txRoot", br1, func(w Withdrawal) Withdrawal { return w }, chainhash.Hash{}},
	}
	for _, c := range cases {
		leaf := c.leaf(ws[1])
		err := VerifyWithdrawal(c.branch, &leaf, c.txRoot, root)
		if !IsErrorCode(err, ErrBadWithdrawalProof) {
			t.Errorf("%s: want ErrBadWithdrawalProof, got %v", c.name, err)
		}
	}

	// A wrong sibling where the path must pair a node with itself.
	bad := MerkleBranch{Index: 4, Hashes: append([]chainhash.Hash{}, br4.Hashes...)}
	bad.Hashes[0] = txRoot
	if err := VerifyWithdrawal(bad, &ws[4], txRoot, root); !IsErrorCode(err, ErrBadWithdrawalProof) {
		t.Errorf("odd-level sibling: %v", err)
	}

	if _, err := WithdrawalBranch(ws, 5); !IsErrorCode(err, ErrBadWithdrawalProof) {
		t.Errorf("branch out of range: %v", err)
	}
	if _, err := WithdrawalBranch(ws, -1); !IsErrorCode(err, ErrBadWithdrawalProof) {
		t.Errorf("branch out of range: %v", err)
	}
}

// TestLeafHashLayout pins the leaf preimage.
func TestLeafHashLayout(t *testing.T) {
	w := testWithdrawals(3)[2]
	var pre []byte
	pre = append(pre, 0, 0, 0, 3, 0, 0, 0, 2)
	pre = append(pre, w.OutPoint.Hash[:]...)
	pre = append(pre, 0, 0, 0, 2)
	pre = append(pre, 0, 0, 0, 0, 0, 0x01, 0x86, 0xa2) // 100002
	pre = append(pre, 0, 0, 0, 0, 0, 0, 0, 2)
	pre = append(pre, byte(len(w.PkScript)))
	pre = append(pre, w.PkScript...)
	if w.LeafHash() != chainhash.DoubleHashH(pre) {
		t.Fatal("leaf hash layout changed")
	}
	if len(pre) <= 64 {
		t.Fatal("a leaf preimage must be longer than an inner node's")
	}
}

// TestBlockMerkleRoot checks the header commitment of a body with and
// without withdrawals.
func TestBlockMerkleRoot(t *testing.T) {
	txs := fakeTxs(3)
	txRoot := CalcTxRoot(txs)
	want := chainhash.DoubleHashH(append(txRoot[:], make([]byte, 32)...))
	if got := CalcBlockMerkleRoot(txs); got != want {
		t.Fatalf("no withdrawals: %v, want %v", got, want)
	}

	dest := append([]byte{0x00, 0x14}, make([]byte, 20)...)
	script, err := WithdrawalScript(7, dest)
	if err != nil {
		t.Fatal(err)
	}
	txs[1].AddTxOut(wire.NewTxOut(5000, script))
	txs[2].AddTxOut(wire.NewTxOut(6000, script))
	ws := BlockWithdrawals(txs)
	if len(ws) != 2 || ws[0].OutPoint.Hash != txs[1].TxHash() ||
		ws[0].OutPoint.Index != 1 || ws[1].Value != 6000 ||
		ws[1].Fee != 7 || ws[1].Index != 1 || ws[1].Count != 2 {
		t.Fatalf("withdrawals %+v", ws)
	}
	wRoot := blockchain.HashMerkleBranches(
		ptr(ws[0].LeafHash()), ptr(ws[1].LeafHash()))
	txRoot = blockchain.CalcMerkleRoot(utilTxs(txs), false)
	want = chainhash.DoubleHashH(append(txRoot[:], wRoot[:]...))
	if got := CalcBlockMerkleRoot(txs); got != want {
		t.Fatalf("with withdrawals: %v, want %v", got, want)
	}
}

func ptr(h chainhash.Hash) *chainhash.Hash { return &h }
