package main

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/mainstake/sidenode/pow/stratum"
	"github.com/mainstake/sidenode/pow/stratum/loadtest"
)

// floodConfig is the default configuration with the timeouts a flood run
// can wait out, and the share floor of the run.
func floodConfig(diff float64) stratum.Config {
	cfg := stratum.DefaultConfig()
	cfg.Vardiff.Min = diff
	cfg.StartDifficulty = diff
	cfg.HandshakeTimeout = 3 * time.Second
	cfg.LineTimeout = 3 * time.Second
	cfg.SweepInterval = 250 * time.Millisecond
	cfg.JobRefresh = 0
	return cfg
}

// memWatch samples an RSS until stopped and keeps the largest.
type memWatch struct {
	pid  int
	mu   sync.Mutex
	max  float64
	stop chan struct{}
	done chan struct{}
}

func watchMem(pid int) *memWatch {
	w := &memWatch{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			w.sample()
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *memWatch) sample() {
	r := rssMB(w.pid)
	w.mu.Lock()
	if r > w.max {
		w.max = r
	}
	w.mu.Unlock()
}

// peak returns the largest RSS since the last call and starts again.
func (w *memWatch) peak() float64 {
	w.sample()
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.max
	w.max = 0
	return m
}

func (w *memWatch) close() {
	close(w.stop)
	<-w.done
}

func runFlood(ctx context.Context, o options) error {
	cfg := floodConfig(o.diff)
	addr, s, err := target(ctx, o, cfg)
	if err != nil {
		return err
	}
	if s != nil {
		defer s.close()
		fmt.Printf("server limits: %d connections per IP, %d in all, line %d bytes, submit rate %g/s (burst %d), "+
			"%d protocol errors, ban above %.0f%% invalid of %d, handshake %v, line %v, idle %v\n",
			cfg.MaxConnsPerIP, cfg.MaxConnections, cfg.MaxLineSize, cfg.SubmitRate, cfg.SubmitBurst,
			cfg.MaxProtocolErrors, cfg.BanInvalidRatio*100, cfg.BanCheckThreshold, cfg.HandshakeTimeout,
			cfg.LineTimeout, cfg.IdleTimeout)
	}
	who := "server process"
	if s != nil {
		who = "this process (server and generator)"
	}
	mem := watchMem(o.serverPID)
	defer mem.close()
	base := rssMB(o.serverPID)
	m := miners(o, addr)
	m.Sources = 1
	// The good miner mines from 127.0.0.250, a share every 20 ms.
	good := m
	good.From = 249
	g, err := loadtest.StartGoodMiner(good, 0, 20*time.Millisecond)
	if err != nil {
		return err
	}
	stage := func(name string, f func() string) {
		before := g.Snapshot()
		start := time.Now()
		out := f()
		runtime.GC()
		fmt.Printf("%-14s %s\n%-14s took %v; %s peak RSS %.0f MB (%.0f MB at the start of the run), now %.0f MB; good miner accepted %d shares meanwhile (%v)\n",
			name+":", out, "", time.Since(start).Round(time.Millisecond), who, mem.peak(), base, rssMB(o.serverPID),
			g.Snapshot()-before, g)
	}
	n := o.conns

	stage("one address", func() string {
		one := m
		one.From = 0
		one.Dialers = 256
		res, conns := loadtest.FloodConns(ctx, one, n)
		loadtest.CloseAll(conns)
		return res.String()
	})
	stage("submit flood", func() string {
		fl := m
		fl.From = 10
		valid, err := loadtest.FloodSubmits(fl, 0, 5000, true)
		if err != nil {
			return err.Error()
		}
		fl.From = 11
		invalid, err := loadtest.FloodSubmits(fl, 0, 5000, false)
		if err != nil {
			return err.Error()
		}
		return "valid shares: " + valid.String() + "; malformed shares: " + invalid.String()
	})
	stage("replay", func() string {
		rp := m
		rp.From = 20
		res, err := loadtest.Replay(rp, 0, 1000)
		if err != nil {
			return err.Error()
		}
		return res.String()
	})
	stage("garbage", func() string {
		gb := m
		gb.From, gb.Sources, gb.Dialers = 30, 50, 256
		lines := loadtest.FloodGarbage(gb, n, loadtest.GarbageLines, 15*time.Second)
		gb.From = 80
		huge := loadtest.FloodGarbage(gb, n/10, loadtest.GarbageHuge, 15*time.Second)
		return lines.String() + "; huge lines: " + huge.String()
	})
	stage("slow", func() string {
		sl := m
		sl.From, sl.Sources, sl.Dialers = 130, 50, 256
		silent := loadtest.FloodSlow(sl, n, loadtest.SlowSilent, 0, 20*time.Second)
		sl.From = 180
		loris := loadtest.FloodSlow(sl, n, loadtest.SlowLoris, 500*time.Millisecond, 20*time.Second)
		sl.From = 230
		sl.Sources = 19
		logged := loadtest.FloodSlow(sl, min(n, 1000), loadtest.SlowLorisLoggedIn, 500*time.Millisecond, 20*time.Second)
		return "silent: " + silent.String() + "; slowloris: " + loris.String() + "; slowloris after logging in: " + logged.String()
	})
	lat, err := g.Stop()
	fmt.Printf("good miner over the whole run: %v, latency %v, stopped early: %v\n", g, lat, err)
	if s != nil {
		fmt.Printf("server: shares handed to the share sink %d\n%s\n", s.sinks.Shares.Load(), s.stats())
	}
	return nil
}
