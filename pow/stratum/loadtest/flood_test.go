package loadtest

import (
	"context"
	"testing"
	"time"

	"github.com/mainstake/sidenode/pow/stratum"
)

// floodTestConfig has small limits, so that a test reaches each of them
// with few connections.
func floodTestConfig() stratum.Config {
	cfg := stratum.DefaultConfig()
	cfg.Vardiff.Min = 1e-10
	cfg.StartDifficulty = 1e-10
	cfg.JobRefresh = 0
	cfg.MaxConnsPerIP = 8
	cfg.MaxLineSize = 1024
	cfg.ReadBufferSize = 256
	cfg.MaxProtocolErrors = 3
	cfg.SubmitBurst = 20
	cfg.SubmitRate = 1e-3      // no token comes back during the test
	cfg.BanCheckThreshold = 10 // below the burst: a flood reaches the check
	cfg.BanInvalidRatio = 0.5
	cfg.LineTimeout = 200 * time.Millisecond
	cfg.HandshakeTimeout = 200 * time.Millisecond
	cfg.SweepInterval = 20 * time.Millisecond
	return cfg
}

// goodShare submits one fresh share from the good miner and fails the
// test unless it is accepted.
type goodMiner struct {
	t      *testing.T
	c      *Conn
	m      Miners
	solver *Solver
}

func newGoodMiner(t *testing.T, m Miners) *goodMiner {
	t.Helper()
	m.From = 249
	c, err := m.Login(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, _, err := c.WaitJob(m.Timeout); err != nil {
		t.Fatal(err)
	}
	en1, size, diff, j := c.State()
	return &goodMiner{t: t, c: c, m: m, solver: NewSolver(j, en1, size, 1<<40, TargetFromDifficulty(diff))}
}

func (g *goodMiner) share(after string) {
	g.t.Helper()
	sh, _, ok := g.solver.Next(1 << 20)
	if !ok {
		g.t.Fatal("good miner: no share")
	}
	r, err := g.c.Call("mining.submit", sh.SubmitParams(g.m.User(0)), g.m.Timeout)
	if err != nil || !r.OK() {
		g.t.Fatalf("after %s, the good miner's share: %v, result %s error %s", after, err, r.Result, r.Error)
	}
}

// TestFloods runs each bad-input flood at a bounded scale against a
// server with small limits, and checks by counts that each is answered by
// its limit, that no share is credited twice, and that a good miner from
// another address is served after each.
func TestFloods(t *testing.T) {
	cfg := floodTestConfig()
	l, err := StartLocal(cfg, 3, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	m := Miners{Addr: l.Addr, Sources: 1, Pass: "d=1e-10", Timeout: 20 * time.Second, Dialers: 16}
	good := newGoodMiner(t, m)
	good.share("the start")

	t.Run("one address", func(t *testing.T) {
		one := m
		one.From = 0
		res, conns := FloodConns(context.Background(), one, 60)
		defer CloseAll(conns)
		if res.LoggedIn > cfg.MaxConnsPerIP || res.LoggedIn+res.Refused != res.Tried {
			t.Fatalf("%v: more than the %d allowed", res, cfg.MaxConnsPerIP)
		}
		if res.LoggedIn < 1 {
			t.Fatalf("%v: none logged in", res)
		}
		good.share("60 connections from one address")
	})

	t.Run("replay", func(t *testing.T) {
		before := l.Sinks.Shares.Load()
		rp := m
		rp.From = 20
		res, err := Replay(rp, 0, 8)
		if err != nil {
			t.Fatal(err)
		}
		if res.Accepted != 1 || res.ByCode[22] != 7 {
			t.Fatalf("%v: want 1 accepted and 7 duplicates (22)", res)
		}
		if got := l.Sinks.Shares.Load() - before; got != 1 {
			t.Fatalf("the share sink took %d shares for one share replayed", got)
		}
		good.share("a replayed share")
	})

	t.Run("submit flood", func(t *testing.T) {
		fl := m
		fl.From = 10
		res, err := FloodSubmits(fl, 0, 200, true)
		if err != nil {
			t.Fatal(err)
		}
		// The bucket holds SubmitBurst tokens; the rest are refused
		// unchecked (20).
		if res.Accepted > cfg.SubmitBurst+1 || res.Accepted < 1 || res.ByCode[20] == 0 {
			t.Fatalf("%v: want at most the burst of %d accepted, the rest refused (20)", res, cfg.SubmitBurst)
		}
		// Malformed shares count against the ban: the connection is
		// dropped at the ban check and its address refused.
		fl.From = 11
		bad, err := FloodSubmits(fl, 0, 200, false)
		if err != nil {
			t.Fatal(err)
		}
		if bad.Accepted != 0 || !bad.Disconnected {
			t.Fatalf("malformed shares: %v: want none accepted and the connection dropped", bad)
		}
		if _, err := fl.Login(0); err == nil {
			t.Fatal("the banned address logged in again")
		}
		good.share("a submit flood")
	})

	t.Run("garbage", func(t *testing.T) {
		gb := m
		gb.From, gb.Sources = 30, 4
		res := FloodGarbage(gb, 20, GarbageLines, time.Minute)
		if res.Closed != res.Conns {
			t.Fatalf("%v: every connection sending garbage must be closed", res)
		}
		// Each bad line is answered until the one past the limit.
		if res.Answered > res.Conns*(cfg.MaxProtocolErrors+1) {
			t.Fatalf("%v: more error answers than %d per connection", res, cfg.MaxProtocolErrors+1)
		}
		gb.From = 40
		huge := FloodGarbage(gb, 8, GarbageHuge, time.Minute)
		if huge.Closed != huge.Conns {
			t.Fatalf("huge lines: %v: every connection must be closed", huge)
		}
		good.share("garbage and huge lines")
	})

	t.Run("slow", func(t *testing.T) {
		sl := m
		sl.From, sl.Sources = 50, 4
		silent := FloodSlow(sl, 20, SlowSilent, 0, time.Minute)
		if silent.Closed != silent.Conns {
			t.Fatalf("silent: %v", silent)
		}
		sl.From = 60
		loris := FloodSlow(sl, 20, SlowLoris, 20*time.Millisecond, time.Minute)
		if loris.Closed != loris.Conns {
			t.Fatalf("slowloris: %v", loris)
		}
		sl.From = 70
		logged := FloodSlow(sl, 8, SlowLorisLoggedIn, 20*time.Millisecond, time.Minute)
		if logged.Closed != logged.Conns {
			t.Fatalf("slowloris after logging in: %v", logged)
		}
		good.share("silent and slowloris connections")
	})

	// The server counts a drop just after it closes the socket: wait for
	// the counts to come in.
	reasons := []string{stratum.RefusedPerIP, stratum.DropBanned, stratum.DropProtocol,
		stratum.DropLineTooLong, stratum.DropHandshake, stratum.DropSlowloris}
	var sn stratum.Snapshot
	for deadline := time.Now().Add(30 * time.Second); ; {
		sn = l.Server.Snapshot()
		missing := sn.Dropped[stratum.DropSlowloris] < 8
		for _, r := range reasons {
			missing = missing || sn.Dropped[r] == 0
		}
		if !missing || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, reason := range reasons {
		if sn.Dropped[reason] == 0 {
			t.Errorf("the server counted no connection closed for %q: %v", reason, sn.Dropped)
		}
	}
	if sn.Dropped[stratum.DropSlowloris] < 8 {
		t.Errorf("slowloris connections that logged in were not dropped for their partial line: %v", sn.Dropped)
	}
}
