package loadtest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/pow/stratum/work"
)

// benchShares prepares n distinct shares of a job at the easiest target.
func benchShares(b *testing.B, job *work.Job, n int) ([]byte, []Share) {
	b.Helper()
	p, err := jsonNotify(job)
	if err != nil {
		b.Fatal(err)
	}
	j, err := ParseNotify(p)
	if err != nil {
		b.Fatal(err)
	}
	en1 := []byte{1, 2, 3, 4}
	s := NewSolver(j, en1, job.Extranonce2Size, 0, maxTarget)
	out := make([]Share, n)
	for i := range out {
		sh, _, ok := s.Next(1)
		if !ok {
			b.Fatal("no share at the largest target")
		}
		out[i] = sh
	}
	return en1, out
}

func benchJob(b *testing.B, txs int) *work.Job {
	b.Helper()
	tmpl, err := NewSource(txs, HardBits).Template()
	if err != nil {
		b.Fatal(err)
	}
	job, err := work.NewJob("1", tmpl, 4)
	if err != nil {
		b.Fatal(err)
	}
	return job
}

// BenchmarkShareCheck measures the in-process share check (work.Job.Check:
// the coinbase, its merkle root through a branch of 4 hashes, the header,
// SHA-256d and the target) against one bare SHA-256d of an 80-byte header,
// both in the same run, and reports the ratio (check/bare).
func BenchmarkShareCheck(b *testing.B) {
	job := benchJob(b, 15)
	en1, shares := benchShares(b, job, 4096)
	var hdr bytes.Buffer
	h := job.Template.Header
	if err := h.Serialize(&hdr); err != nil {
		b.Fatal(err)
	}
	raw := hdr.Bytes()
	var bare, check time.Duration
	var sink chainhash.Hash
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		raw[76] = byte(i)
		sink = chainhash.DoubleHashH(raw)
		t1 := time.Now()
		sh := &shares[i%len(shares)]
		_, err := job.Check(work.Share{Extranonce1: en1, Extranonce2: sh.Extranonce2, NTime: sh.NTime,
			Nonce: sh.Nonce}, 0, maxTarget)
		t2 := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		bare += t1.Sub(t0)
		check += t2.Sub(t1)
	}
	_ = sink
	b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "bare-ns/op")
	b.ReportMetric(float64(check.Nanoseconds())/float64(b.N), "check-ns/op")
	b.ReportMetric(float64(check)/float64(bare), "check/bare")
	b.ReportMetric(float64(b.N)/check.Seconds(), "checks/s")
}

// BenchmarkSubmit measures the server's whole submit path for one
// connection over loopback (the line read, the JSON, the check, the
// duplicate set, the statistics, the share sink, the answer written),
// 64 submits in flight, against one bare SHA-256d of a header timed in
// the same run.
func BenchmarkSubmit(b *testing.B) {
	cfg := LoadConfig(1e-10)
	l, err := StartLocal(cfg, 15, "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	m := Miners{Addr: l.Addr, Pass: "d=1e-10", Timeout: 30 * time.Second}
	c, err := m.Login(0)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.WaitJob(m.Timeout); err != nil {
		b.Fatal(err)
	}
	shares, _, err := Prepare(c, b.N, 0, 1<<16)
	if err != nil {
		b.Fatal(err)
	}
	worker := m.User(0)

	// The baseline: b.N bare SHA-256d of a header.
	raw := make([]byte, 80)
	start := time.Now()
	for i := 0; i < b.N; i++ {
		raw[76], raw[77] = byte(i), byte(i>>8)
		chainhash.DoubleHashH(raw)
	}
	bare := time.Since(start)

	b.ResetTimer()
	start = time.Now()
	window := make(chan (<-chan Reply), 64)
	done := make(chan error, 1)
	go func() {
		for ch := range window {
			r := <-ch
			if !r.OK() {
				done <- fmt.Errorf("share refused: %s", r.Error)
				for range window {
				}
				return
			}
		}
		done <- nil
	}()
	for i := range shares {
		ch, err := c.Send("mining.submit", shares[i].SubmitParams(worker))
		if err != nil {
			b.Fatal(err)
		}
		window <- ch
	}
	close(window)
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/took.Seconds(), "shares/s")
	b.ReportMetric(float64(took)/float64(bare), "submit/bare")
}
