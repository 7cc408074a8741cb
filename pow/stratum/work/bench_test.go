package work_test

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/pow/stratum/work"
)

// benchJob returns the job of block 277647 (213 transactions, a branch of
// 8 hashes, 4-byte extranonce2), a share of it and the block's header.
func benchJob(b *testing.B) (*work.Job, work.Share, []byte) {
	blk := block277647(b)
	cb := blk.Transactions[0].Copy()
	script := cb.TxIn[0].SignatureScript
	cb.TxIn[0].SignatureScript = script[:len(script)-9]
	tmpl := &work.Template{Header: blk.Header, MinTime: blk.Header.Timestamp,
		MaxTime: blk.Header.Timestamp, Coinbase: cb, Txs: blk.Transactions[1:], SHA256d: true,
		BitcoinMerkle: true}
	job, err := work.NewJob("b", tmpl, 4)
	if err != nil {
		b.Fatal(err)
	}
	s := work.Share{Extranonce1: script[len(script)-8 : len(script)-4],
		Extranonce2: script[len(script)-4:], NTime: job.MinTime, Nonce: blk.Header.Nonce}
	var buf bytes.Buffer
	if err := blk.Header.Serialize(&buf); err != nil {
		b.Fatal(err)
	}
	return job, s, buf.Bytes()
}

// BenchmarkCheck is a full share check on the job of block 277647: the
// coinbase rebuilt and hashed, the merkle root, the header's SHA-256d and
// the target comparison. Compare with BenchmarkBareSHA256d in the same
// run, or read BenchmarkCheckRatio's figure.
func BenchmarkCheck(b *testing.B) {
	job, s, _ := benchJob(b)
	target := work.TargetFromDifficulty(1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := job.Check(s, 0, target); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckRatio alternates batches of share checks and of bare
// header hashes on one OS thread, timing each by the thread's CPU time
// (on Linux), so that a shared machine's load weighs on neither, and
// reports how many bare SHA-256d a share check costs. The garbage
// collector's work on other threads (Check allocates 272 bytes) is not
// counted.
func BenchmarkCheckRatio(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	job, s, hdr := benchJob(b)
	target := work.TargetFromDifficulty(1024)
	const batch = 1024
	var tCheck, tBare time.Duration
	var h chainhash.Hash
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := threadCPU()
		for k := 0; k < batch; k++ {
			if _, err := job.Check(s, 0, target); err != nil {
				b.Fatal(err)
			}
		}
		mid := threadCPU()
		for k := 0; k < batch; k++ {
			h = chainhash.DoubleHashH(hdr)
		}
		end := threadCPU()
		tCheck += mid - start
		tBare += end - mid
	}
	_ = h
	if tBare > 0 {
		b.ReportMetric(float64(tCheck)/float64(tBare), "sha256d-equiv/check")
	}
	b.ReportMetric(float64(tCheck.Nanoseconds())/float64(b.N*batch), "cpu-ns/check")
	b.ReportMetric(float64(tBare.Nanoseconds())/float64(b.N*batch), "cpu-ns/sha256d")
}

// BenchmarkBareSHA256d is one SHA-256d of an 80-byte header.
func BenchmarkBareSHA256d(b *testing.B) {
	_, _, hdr := benchJob(b)
	b.ReportAllocs()
	b.ResetTimer()
	var h chainhash.Hash
	for i := 0; i < b.N; i++ {
		h = chainhash.DoubleHashH(hdr)
	}
	_ = h
}

// BenchmarkSeenAdd records b.N distinct shares in one set and reports the
// heap it holds per share.
func BenchmarkSeenAdd(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	seen := work.NewSeen(b.N)
	s := work.Share{Extranonce1: make([]byte, 4), Extranonce2: make([]byte, 8)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Nonce = uint32(i)
		s.NTime = uint32(i >> 32)
		if !seen.Add(s) {
			b.Fatal("a fresh share refused")
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(b.N), "heapB/share")
	runtime.KeepAlive(seen)
}
