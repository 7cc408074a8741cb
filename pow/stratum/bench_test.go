package stratum

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
)

// BenchmarkSubmit measures submits answered over loopback by
// benchClients connections, each pipelining its submits (distinct
// nonces; about one in four meets the difficulty, the rest are answered
// 23 after the same full check). ns/op is per submit.
func BenchmarkSubmit(b *testing.B) {
	const benchClients = 8
	h := newHarness(b, func(c *Config) {
		c.SubmitRate, c.SubmitBurst = 1e9, 1<<30
		c.MaxSharesPerJob = 1 << 24
	})
	clients := make([]*client, benchClients)
	for i := range clients {
		clients[i] = h.dial().handshake()
	}
	b.ResetTimer()
	var wg sync.WaitGroup
	for i, c := range clients {
		n := b.N / benchClients
		if i == 0 {
			n += b.N % benchClients
		}
		wg.Add(2)
		jobID := jsonString(b, c.job[0])
		ntime := jsonString(b, c.job[7])
		en2 := hex.EncodeToString(make([]byte, c.en2Size))
		go func() {
			defer wg.Done()
			w := bufio.NewWriter(c.nc)
			for k := range n {
				fmt.Fprintf(w, `{"id":%d,"method":"mining.submit","params":["sa1miner.rig","%s","%s","%s","%08x"]}`+"\n",
					k, jobID, en2, ntime, uint32(i)<<24|uint32(k))
			}
			_ = w.Flush()
		}()
		go func() {
			defer wg.Done()
			for range n {
				if _, err := c.r.ReadSlice('\n'); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkHandleSubmit measures the server's own work for one submit
// line, without sockets: parse, checks, SHA-256d, duplicate set, share
// sink, statistics and the queued answer.
func BenchmarkHandleSubmit(b *testing.B) {
	src := &fakeSource{ch: make(chan struct{}, 1)}
	src.t = template(b, 10, 1, hardBits)
	cfg := testConfig()
	cfg.SubmitRate, cfg.SubmitBurst = 1e12, 1<<40
	cfg.MaxSharesPerJob = 1 << 30
	cfg.MaxWriteQueue = 1 << 30
	cfg.MaxBufferedBytes = 1 << 40
	srv, err := New(cfg, src, &fakeBlocks{}, nil, testAuth())
	if err != nil {
		b.Fatal(err)
	}
	srv.refreshJob()
	port := &Port{Vardiff: cfg.Vardiff, StartDifficulty: cfg.StartDifficulty}
	fc := &fuzzConn{in: bytes.NewReader(nil), chunk: 1}
	c := srv.admit(fc, port)
	c.handleLine([]byte(`{"id":1,"method":"mining.subscribe","params":[]}`))
	c.handleLine([]byte(`{"id":2,"method":"mining.authorize","params":["sa1miner.rig","x"]}`))
	c.flush()
	e := srv.currentJob()
	line := []byte(fmt.Sprintf(`{"id":3,"method":"mining.submit","params":["sa1miner.rig","%s","00000000","%08x","00000000"]}`,
		e.job.ID, uint32(baseTime.Unix())))
	nonceAt := bytes.LastIndex(line, []byte("00000000"))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		hex.Encode(line[nonceAt:nonceAt+8], []byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})
		c.handleLine(line)
		if i%64 == 0 {
			c.flush()
		}
	}
}
