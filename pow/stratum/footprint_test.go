package stratum

import (
	"bufio"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestConnectionFootprint holds footprintConns subscribed, authorized,
// idle connections and measures the heap and stacks they add, per
// connection (the clients' side, in the same process, is included: an
// upper bound). The bound is loose; the figure is logged (go test -v).
// STRATUM_FOOTPRINT_CONNS sets the count (each costs two descriptors).
func TestConnectionFootprint(t *testing.T) {
	if testing.Short() {
		t.Skip("opens many connections")
	}
	footprintConns := 1000
	if v := os.Getenv("STRATUM_FOOTPRINT_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("STRATUM_FOOTPRINT_CONNS=%q is not a positive count", v)
		}
		footprintConns = n
	}
	h := newHarness(t, func(c *Config) { c.MaxConnsPerIP = c.MaxConnections })
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
	rssBefore := rss(t)
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
	per := float64(after-before) / float64(footprintConns)
	perRSS := float64(rss(t)-rssBefore) / float64(footprintConns)
	t.Logf("%d idle authorized connections: %.0f bytes each (heap + stacks, both ends); RSS %.0f bytes each",
		footprintConns, per, perRSS)
	if per > 32<<10 {
		t.Fatalf("%.0f bytes per connection", per)
	}
	for _, nc := range conns {
		nc.Close()
	}
}

// rss is the process's resident set size in bytes (0 where /proc is not
// there).
func rss(t *testing.T) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 {
				kb, err := strconv.ParseUint(f[0], 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	t.Log("no VmRSS in /proc/self/status")
	return 0
}
