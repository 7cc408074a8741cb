package stratum

import (
	"bufio"
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
