package loadtest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// TestNotifyPrevHash reads the previous block's hash of the Stratum V1
// protocol's published mining.notify example: block
// 00000000440b921e1b77c6c0487ae5616de67f788f44ae2a5af6e2194d16b6f8 as the
// miners receive it.
func TestNotifyPrevHash(t *testing.T) {
	params := `["bf","4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000",` +
		`"01000000","ffffffff",[],"00000002","1c2ac4af","504e86b9",false]`
	j, err := ParseNotify(json.RawMessage(params))
	if err != nil {
		t.Fatal(err)
	}
	want := "00000000440b921e1b77c6c0487ae5616de67f788f44ae2a5af6e2194d16b6f8"
	if j.Prev.String() != want {
		t.Fatalf("prev %s, want %s", j.Prev, want)
	}
	if j.Version != 2 || j.Bits != 0x1c2ac4af || j.NTime != 0x504e86b9 {
		t.Fatalf("version %x bits %x ntime %x", j.Version, j.Bits, j.NTime)
	}
}

// notifyOf writes a block as a pool would send it, the coinbase split
// around the 8 bytes at offset cut (extranonce1 and extranonce2).
func notifyOf(t *testing.T, b *wire.MsgBlock, cut int) json.RawMessage {
	t.Helper()
	var cb bytes.Buffer
	if err := b.Transactions[0].SerializeNoWitness(&cb); err != nil {
		t.Fatal(err)
	}
	var txs []*btcutil.Tx
	for _, tx := range b.Transactions {
		txs = append(txs, btcutil.NewTx(tx))
	}
	store := blockchain.BuildMerkleTreeStore(txs, false)
	// The coinbase's branch: its sibling at each level.
	var branch []string
	width := (len(store) + 1) / 2
	for at, idx := 0, 0; width > 1; width /= 2 {
		sib := store[at+(idx^1)]
		if sib == nil {
			sib = store[at+idx]
		}
		branch = append(branch, hex.EncodeToString(sib[:]))
		at += width
		idx /= 2
	}
	prev := make([]byte, 32)
	copy(prev, b.Header.PrevBlock[:])
	for i := 0; i < 32; i += 4 {
		prev[i], prev[i+1], prev[i+2], prev[i+3] = prev[i+3], prev[i+2], prev[i+1], prev[i]
	}
	raw := cb.Bytes()
	p, err := json.Marshal([]any{"j1", hex.EncodeToString(prev), hex.EncodeToString(raw[:cut]),
		hex.EncodeToString(raw[cut+8:]), branch, fmt.Sprintf("%08x", uint32(b.Header.Version)),
		fmt.Sprintf("%08x", b.Header.Bits), fmt.Sprintf("%08x", b.Header.Timestamp.Unix()), true})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSolverRebuildsBlock rebuilds a block's header from its notify and
// the extranonces the coinbase holds.
func TestSolverRebuildsBlock(t *testing.T) {
	cbScript := []byte{0x03, 0x01, 0x02, 0x03, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0x01, 0x55}
	for ntx := 1; ntx <= 6; ntx++ {
		b := &wire.MsgBlock{Header: wire.BlockHeader{Version: 0x20000000,
			PrevBlock: chainhash.DoubleHashH([]byte("prev")), Timestamp: time.Unix(1_780_000_123, 0),
			Bits: 0x207fffff, Nonce: 77}}
		cb := wire.NewMsgTx(1)
		cb.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex},
			SignatureScript: cbScript, Sequence: wire.MaxTxInSequenceNum})
		cb.AddTxOut(wire.NewTxOut(5000, []byte{0x51}))
		b.AddTransaction(cb)
		for i := 1; i < ntx; i++ {
			tx := wire.NewMsgTx(2)
			tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.HashH([]byte{byte(i)})}})
			tx.AddTxOut(wire.NewTxOut(int64(i), []byte{0x51}))
			b.AddTransaction(tx)
		}
		var txs []*btcutil.Tx
		for _, tx := range b.Transactions {
			txs = append(txs, btcutil.NewTx(tx))
		}
		b.Header.MerkleRoot = blockchain.CalcMerkleRoot(txs, false)

		// The extranonces are the 8 bytes after the 0x08 push opcode: the
		// coinbase's version (4), input count (1), outpoint (36), script
		// length (1), then 4 bytes of height push and the opcode.
		cut := 4 + 1 + 36 + 1 + 5
		j, err := ParseNotify(notifyOf(t, b, cut))
		if err != nil {
			t.Fatal(err)
		}
		root := j.MerkleRoot([]byte{1, 2, 3, 4}, []byte{5, 6, 7, 8})
		if root != b.Header.MerkleRoot {
			t.Fatalf("%d txs: merkle root %s, want %s", ntx, root, b.Header.MerkleRoot)
		}
		h := j.Header(root, j.NTime, b.Header.Nonce)
		if h.BlockHash() != b.BlockHash() {
			t.Fatalf("%d txs: header hash %s, want %s", ntx, h.BlockHash(), b.BlockHash())
		}

		// A share the solver finds is the block with its extranonce2 and
		// nonce, and meets the target.
		target := TargetFromDifficulty(1.0 / (1 << 20))
		s := NewSolver(j, []byte{1, 2, 3, 4}, 4, 0x05060708, target)
		sh, _, ok := s.Next(1 << 16)
		if !ok {
			t.Fatal("no share")
		}
		if !bytes.Equal(sh.Extranonce2, []byte{5, 6, 7, 8}) {
			t.Fatalf("extranonce2 %x", sh.Extranonce2)
		}
		b.Header.Nonce = sh.Nonce
		if b.BlockHash() != sh.Hash || blockchain.HashToBig(&sh.Hash).Cmp(target) > 0 {
			t.Fatalf("share hash %s, block %s", sh.Hash, b.BlockHash())
		}
	}
}

func TestTargetFromDifficulty(t *testing.T) {
	if got := TargetFromDifficulty(1); got.Cmp(diff1) != 0 {
		t.Fatalf("difficulty 1: %x", got)
	}
	half := new(big.Int).Rsh(diff1, 1)
	if got := TargetFromDifficulty(2); got.Cmp(half) != 0 {
		t.Fatalf("difficulty 2: %x", got)
	}
	if got := TargetFromDifficulty(1e-30); got.Cmp(maxTarget) != 0 {
		t.Fatalf("tiny difficulty: %x", got)
	}
}
