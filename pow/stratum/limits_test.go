package stratum

import (
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pow/stratum/work"
)

// TestConnectionLimits: MaxConnsPerIP and MaxConnections refuse the
// connection over the limit; a closed one frees its slot.
func TestConnectionLimits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mod    func(*Config)
		reason string
	}{
		{"per IP", func(c *Config) { c.MaxConnsPerIP = 2 }, RefusedPerIP},
		{"total", func(c *Config) { c.MaxConnections = 2 }, RefusedTotal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.mod)
			a := h.dial()
			a.call("mining.extranonce.subscribe")
			b := h.dial()
			b.call("mining.extranonce.subscribe")
			c := h.dial()
			c.expectClosed()
			if r := h.waitDrop(); r != tc.reason {
				t.Fatalf("refused for %q, want %q", r, tc.reason)
			}
			a.nc.Close()
			h.waitDrop()
			d := h.dial()
			if m := d.call("mining.extranonce.subscribe"); string(m.Result) != "true" {
				t.Fatal("a freed slot was not reusable")
			}
		})
	}
}

// TestLineTooLong: a line over MaxLineSize disconnects once MaxLineSize
// bytes are buffered; the rest is never read.
func TestLineTooLong(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxLineSize = 1024; c.ReadBufferSize = 128 })
	c := h.dial()
	go func() {
		// Much more than the limit; the write fails once the server
		// closes, which is the point.
		_, _ = c.nc.Write([]byte(`{"id":1,"method":"mining.subscribe","params":["` + strings.Repeat("a", 1<<20)))
	}()
	c.expectClosed()
	if r := h.waitDrop(); r != DropLineTooLong {
		t.Fatalf("dropped for %q", r)
	}
	if n := h.srv.buffered.Load(); n != 0 {
		t.Fatalf("%d buffered bytes after the drop", n)
	}
	// A line just under the limit is handled, and the buffer shrinks
	// back after it.
	c2 := h.dial()
	ua := strings.Repeat("b", 900)
	if m := c2.call("mining.subscribe", ua); m.code() != 0 {
		t.Fatalf("long line under the limit: %s", m.Error)
	}
	if n := h.srv.buffered.Load(); n != 0 {
		t.Fatalf("%d buffered bytes after the line", n)
	}
}

// TestMaxBufferedBytes: a connection whose buffer growth would pass the
// server's total is dropped.
func TestMaxBufferedBytes(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.MaxLineSize = 4096
		c.ReadBufferSize = 64
		c.MaxBufferedBytes = 1000
	})
	c := h.dial()
	c.writeLine(`{"id":1,"method":"mining.subscribe","params":["` + strings.Repeat("a", 2000) + `"]}`)
	c.expectClosed()
	if r := h.waitDrop(); r != DropMemory {
		t.Fatalf("dropped for %q", r)
	}
}

// TestSubmitRate: the token bucket refuses submits over SubmitBurst until
// SubmitRate refills it.
func TestSubmitRate(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SubmitRate = 1; c.SubmitBurst = 2 })
	c := h.dial().handshake()
	for i := range 2 {
		if m := c.submit("sa1miner.rig", c.goodShare(uint32(i)*1000)); string(m.Result) != "true" {
			t.Fatalf("submit %d: %s", i, m.Error)
		}
	}
	m := c.submit("sa1miner.rig", c.goodShare(5000))
	if m.code() != 20 || !strings.Contains(string(m.Error), "rate") {
		t.Fatalf("third submit: %s", m.Error)
	}
	h.clock.Advance(time.Second)
	if m := c.submit("sa1miner.rig", c.goodShare(5000)); string(m.Result) != "true" {
		t.Fatalf("after a refill: %s", m.Error)
	}
}

// TestTimeouts: handshake, idle and partial-line (slowloris) timeouts on
// the injected clock; a connection within them stays.
func TestTimeouts(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.HandshakeTimeout = 10 * time.Second
		c.LineTimeout = 5 * time.Second
		c.IdleTimeout = time.Minute
	})

	// Handshake: one that never authorizes goes after 10 s.
	lazy := h.dial()
	lazy.subscribe("")
	good := h.dial().handshake()
	h.clock.Advance(9 * time.Second)
	h.srv.sweep()
	h.clock.Advance(2 * time.Second)
	h.srv.sweep()
	lazy.expectClosed()
	if r := h.waitDrop(); r != DropHandshake {
		t.Fatalf("dropped for %q", r)
	}

	// Slowloris: part of a line pending for more than 5 s.
	slow := h.dial().handshake()
	if _, err := slow.nc.Write([]byte(`{"id":99,"method":"mining.extranonce.subscribe","params":[]}` + "\n" + `{"id":100,"meth`)); err != nil {
		t.Fatal(err)
	}
	<-h.partial
	h.clock.Advance(4 * time.Second)
	h.srv.sweep()
	if m := good.call("mining.extranonce.subscribe"); m.code() != 0 {
		t.Fatal("good connection refused")
	}
	h.clock.Advance(2 * time.Second)
	h.srv.sweep()
	slow.expectClosed()
	if r := h.waitDrop(); r != DropSlowloris {
		t.Fatalf("dropped for %q", r)
	}

	// Idle: no accepted share or successful request for a minute.
	if m := good.call("mining.extranonce.subscribe"); m.code() != 0 {
		t.Fatal("good connection refused")
	}
	h.clock.Advance(59 * time.Second)
	h.srv.sweep()
	if m := good.submit("sa1miner.rig", good.goodShare(0)); string(m.Result) != "true" {
		t.Fatalf("share: %s", m.Error)
	}
	h.clock.Advance(59 * time.Second)
	h.srv.sweep()
	// A refused share does not keep a connection alive.
	bad := good.goodShare(0)
	if m := good.submit("sa1miner.rig", bad); m.code() != 22 {
		t.Fatalf("duplicate: code %d", m.code())
	}
	h.clock.Advance(2 * time.Second)
	h.srv.sweep()
	good.expectClosed()
	if r := h.waitDrop(); r != DropIdle {
		t.Fatalf("dropped for %q", r)
	}
}

// TestInvalidShareBan: after BanCheckThreshold checked submits with more
// than BanInvalidRatio invalid, the connection goes and its address is
// refused for BanDuration. Stale shares do not count.
func TestInvalidShareBan(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.BanCheckThreshold = 4
		c.BanInvalidRatio = 0.5
		c.BanDuration = time.Minute
	})
	// Stale shares only: no ban.
	c0 := h.dial().handshake()
	for i := range 8 {
		s := c0.goodShare(uint32(i) * 100)
		s.jobID = "stale"
		if m := c0.submit("sa1miner.rig", s); m.code() != 21 {
			t.Fatalf("code %d", m.code())
		}
	}
	c0.nc.Close()
	h.waitDrop()

	c := h.dial().handshake()
	target := work.TargetFromDifficulty(c.diff)
	// Two good, two bad: 50% is not above the ratio.
	for i := range 2 {
		if m := c.submit("sa1miner.rig", c.goodShare(uint32(i)*100)); string(m.Result) != "true" {
			t.Fatal(m.Error)
		}
		if m := c.submit("sa1miner.rig", c.find(uint32(i)*100, 1, 0, target, false)); m.code() != 23 {
			t.Fatal(m.Error)
		}
	}
	// Three bad, one good: banned.
	for i := range 3 {
		if m := c.submit("sa1miner.rig", c.find(1000+uint32(i)*100, 1, 0, target, false)); m.code() != 23 {
			t.Fatal(m.Error)
		}
	}
	c.submit("sa1miner.rig", c.goodShare(5000))
	c.expectClosed()
	if r := h.waitDrop(); r != DropBanned {
		t.Fatalf("dropped for %q", r)
	}
	d := h.dial()
	d.expectClosed()
	if r := h.waitDrop(); r != RefusedBannedIP {
		t.Fatalf("refused for %q", r)
	}
	h.clock.Advance(time.Minute)
	e := h.dial()
	if m := e.call("mining.extranonce.subscribe"); string(m.Result) != "true" {
		t.Fatal("still banned after BanDuration")
	}
}

// TestProtocolErrors: garbage, non-JSON, wrong types and unknown methods
// are answered with 20, and MaxProtocolErrors of them disconnect.
func TestProtocolErrors(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxProtocolErrors = 5 })
	c := h.dial()
	for _, line := range []string{
		"garbage",
		`{"id":1,"method":5}`,
		`{"id":2,"method":"mining.subscribe","params":{"a":1}}`,
		`{"id":3,"method":"mining.nosuch","params":[]}`,
	} {
		c.writeLine(line)
		m, err := c.read()
		if err != nil || m.code() != 20 {
			t.Fatalf("%s: code %d %v", line, m.code(), err)
		}
	}
	// Empty lines and answers to server requests are ignored.
	c.writeLine("\r")
	c.writeLine(`{"id":null,"result":true,"error":null}`)
	if m := c.call("mining.extranonce.subscribe"); string(m.Result) != "true" {
		t.Fatal("not answered after ignored lines")
	}
	c.writeLine("[1,2]")
	c.expectClosed()
	if r := h.waitDrop(); r != DropProtocol {
		t.Fatalf("dropped for %q", r)
	}
}

// bigTemplate is a template whose coinbase has many outputs, so that its
// notify line is about 170 kB.
func bigTemplate(t *testing.T, h int32, prev byte) *work.Template {
	tpl := template(t, h, prev, hardBits)
	for i := range 2000 {
		tpl.Coinbase.AddTxOut(&wire.TxOut{Value: int64(i), PkScript: append([]byte{txscript.OP_RETURN, 32}, make([]byte, 32)...)})
	}
	return tpl
}

// TestSlowClientIsolation: a client that never reads fills its own queue
// and is dropped; a fast client gets every job meanwhile, and every
// broadcast completes without waiting for the slow one.
func TestSlowClientIsolation(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxWriteQueue = 1 << 20 })
	slow := h.dial().handshake()
	fast := h.dial().handshake()
	_ = slow
	dropped := ""
	for i := 0; dropped == "" && i < 1000; i++ {
		e := h.newJob(bigTemplate(t, int32(20+i), byte(i)))
		n := fast.waitNote("mining.notify")
		if jsonString(t, n.Params[0]) != e.job.ID {
			t.Fatalf("fast client got job %s, want %s", n.Params[0], e.job.ID)
		}
		select {
		case dropped = <-h.drops:
		default:
		}
	}
	if dropped != DropQueueOverflow {
		t.Fatalf("slow client dropped for %q", dropped)
	}
	if s := h.srv.Snapshot(); s.Dropped[DropQueueOverflow] != 1 || s.Connections != 1 {
		t.Fatalf("snapshot %+v", s)
	}
}

// TestWriteStall: a client whose socket takes nothing for WriteTimeout is
// dropped even when its queue has room.
func TestWriteStall(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.MaxWriteQueue = 1 << 30
		c.WriteTimeout = 20 * time.Millisecond
	})
	slow := h.dial().handshake()
	_ = slow
	dropped := ""
	for i := 0; dropped == "" && i < 1000; i++ {
		h.newJob(bigTemplate(t, int32(20+i), byte(i)))
		select {
		case dropped = <-h.drops:
		default:
		}
	}
	if dropped == "" {
		dropped = h.waitDrop()
	}
	if dropped != DropWrite {
		t.Fatalf("dropped for %q", dropped)
	}
}

// TestConfigRefused: New names the field of a bad configuration.
func TestConfigRefused(t *testing.T) {
	for field, mod := range map[string]func(*Config){
		"Extranonce2Size": func(c *Config) { c.Extranonce2Size = 3 },
		"MaxLineSize":     func(c *Config) { c.MaxLineSize = 0 },
		"SubmitRate":      func(c *Config) { c.SubmitRate = 0 },
		"BanInvalidRatio": func(c *Config) { c.BanInvalidRatio = 2 },
		"ReadBufferSize":  func(c *Config) { c.ReadBufferSize = 1 << 20 },
		"Vardiff":         func(c *Config) { c.Vardiff.Min = 0 },
	} {
		cfg := DefaultConfig()
		mod(&cfg)
		_, err := New(cfg, &fakeSource{}, &fakeBlocks{}, nil, testAuth())
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v", field, err)
		}
	}
	if _, err := New(DefaultConfig(), &fakeSource{}, &fakeBlocks{}, nil, testAuth()); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}
