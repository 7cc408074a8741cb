package stratum

import (
	"bufio"
	"net"
	"runtime"
	"testing"
)

// TestConnectionFootprint holds footprintConns subscribed, authorized,
// idle connections and measures the heap and stacks they add, per
// connection (the clients' side, in the same process, is included: an
// upper bound). The bound is loose; the figure is logged (go test -v).
func TestConnectionFootprint(t *testing.T) {
	if testing.Short() {
		t.Skip("opens many connections")
	}
	const footprintConns = 1000
	h := newHarness(t, nil)
	measure := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse + ms.StackInuse
	}
	// Warm up: one connection, so that one-time costs are not counted.
	h.dial().handshake()
	before := measure()
	conns := make([]net.Conn, 0, footprintConns)
	for range footprintConns {
		nc, err := net.Dial("tcp", h.addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, nc)
		r := bufio.NewReaderSize(nc, 16)
		_, _ = nc.Write([]byte(`{"id":1,"method":"mining.subscribe","params":["m"]}` + "\n" +
			`{"id":2,"method":"mining.authorize","params":["sa1miner.rig","x"]}` + "\n"))
		// subscribe's answer, authorize's, set_difficulty, notify.
		for range 4 {
			err := bufio.ErrBufferFull
			for err == bufio.ErrBufferFull {
				_, err = r.ReadSlice('\n')
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	after := measure()
	per := float64(after-before) / footprintConns
	t.Logf("%d idle authorized connections: %.0f bytes each (heap + stacks, both ends)", footprintConns, per)
	if per > 32<<10 {
		t.Fatalf("%.0f bytes per connection", per)
	}
	for _, nc := range conns {
		nc.Close()
	}
}
