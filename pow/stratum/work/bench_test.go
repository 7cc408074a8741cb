package work_test

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/pow/stratum/work"
)

// BenchmarkCheck is a full share check on the job of block 277647 (213
// transactions, a branch of 8 hashes, 4-byte extranonce2): the coinbase
// rebuilt and hashed, the merkle root, the header's SHA-256d and the
// target comparison. Compare with BenchmarkBareSHA256d in the same run.
func BenchmarkCheck(b *testing.B) {
	blk := block277647(b)
	cb := blk.Transactions[0].Copy()
	script := cb.TxIn[0].SignatureScript
	cb.TxIn[0].SignatureScript = script[:len(script)-9]
	tmpl := &work.Template{Header: blk.Header, MinTime: blk.Header.Timestamp,
		MaxTime: blk.Header.Timestamp, Coinbase: cb, Txs: blk.Transactions[1:], SHA256d: true}
	job, err := work.NewJob("b", tmpl, 4)
	if err != nil {
		b.Fatal(err)
	}
	s := work.Share{Extranonce1: script[len(script)-8 : len(script)-4],
		Extranonce2: script[len(script)-4:], NTime: job.MinTime, Nonce: blk.Header.Nonce}
	target := work.TargetFromDifficulty(1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := job.Check(s, 0, target); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareSHA256d is one SHA-256d of an 80-byte header.
func BenchmarkBareSHA256d(b *testing.B) {
	blk := block277647(b)
	var buf bytes.Buffer
	if err := blk.Header.Serialize(&buf); err != nil {
		b.Fatal(err)
	}
	hdr := buf.Bytes()
	b.ReportAllocs()
	b.ResetTimer()
	var h chainhash.Hash
	for i := 0; i < b.N; i++ {
		h = chainhash.DoubleHashH(hdr)
	}
	_ = h
}
