// Command stratumload is the Stratum server's load generator: it measures
// a server (pow/stratum) with many miner connections over loopback and
// attacks it with bad input, and prints the figures. It never dials
// anything but loopback addresses, and every mode is bounded in
// connections and time.
//
// Modes (-mode):
//
//	shares   connections submit prepared valid shares as fast as the
//	         server answers: accepted shares/s and submit-to-reply latency
//	notify   the time from a new template to the last connection holding
//	         its job
//	hold     how many connections the server holds at once, with its RSS
//	flood    the bad-input floods while a good miner submits
//	serve    only the server, with load settings, until -duration is up
//	         (to run the generator in another process: -addr)
//	realminer a real Stratum miner binary (-miner or SIDENODE_REAL_MINER)
//	         against the server on a powregtest chain in this process
//
// Without -addr, the modes start the server in this process on
// 127.0.0.1:0 with a synthetic job source (HardBits: no share is a block).
// With -pool DIR, a server this process starts hands accepted shares to a
// pool (pow/pool) on a store of its own in DIR, as the node does, instead
// of only counting them (-poolsyncwrites: with a disk flush per commit).
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/mainstake/sidenode/pow/stratum"
	"github.com/mainstake/sidenode/pow/stratum/loadtest"
)

type options struct {
	mode        string
	addr        string
	listen      string
	serverPID   int
	conns       int
	sources     int
	duration    time.Duration
	shares      int
	inflight    int
	rate        float64
	diff        float64
	txs         int
	rounds      int
	miner       string
	threads     int
	minerDiff   float64
	cpuprof     string
	floodLimits bool
	memprof     string
	poolDir     string
	poolSync    bool
}

var stderr = os.Stderr

func main() {
	var o options
	flag.StringVar(&o.mode, "mode", "shares", "shares, notify, hold, flood, serve or realminer")
	flag.StringVar(&o.addr, "addr", "", "a server to load at this loopback address (default: one in this process)")
	flag.StringVar(&o.listen, "listen", "127.0.0.1:0", "serve mode: the address to listen on")
	flag.IntVar(&o.serverPID, "serverpid", 0, "with -addr: the server's process id, to read its RSS")
	flag.IntVar(&o.conns, "conns", 1000, "connections")
	flag.IntVar(&o.sources, "sources", 64, "loopback source addresses 127.0.0.1.. to spread the connections over")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "the longest a mode runs (its measured part)")
	flag.IntVar(&o.shares, "shares", 500, "shares mode: shares prepared per connection")
	flag.IntVar(&o.inflight, "inflight", 1, "shares mode: submits outstanding per connection")
	flag.Float64Var(&o.rate, "rate", 0, "shares mode: submits per second per connection (open loop; 0: closed loop with -inflight)")
	flag.Float64Var(&o.diff, "diff", 1e-10, "share difficulty (the server's floor; the miners ask for it with d=)")
	flag.IntVar(&o.txs, "txs", 15, "transactions in the synthetic template besides the coinbase")
	flag.IntVar(&o.rounds, "rounds", 5, "notify mode: new templates to time")
	flag.StringVar(&o.miner, "miner", os.Getenv("SIDENODE_REAL_MINER"), "realminer mode: the miner binary (cpuminer's minerd)")
	flag.IntVar(&o.threads, "threads", 1, "realminer mode: miner threads")
	flag.Float64Var(&o.minerDiff, "minerdiff", 0.001, "realminer mode: the server's start difficulty and floor")
	flag.StringVar(&o.cpuprof, "cpuprofile", "", "write a CPU profile of this process to the file")
	flag.StringVar(&o.memprof, "memprofile", "", "write a heap profile of this process to the file at the end")
	flag.BoolVar(&o.floodLimits, "floodlimits", false, "serve mode: the flood mode's limits (the defaults with short timeouts) instead of the load settings")
	flag.StringVar(&o.poolDir, "pool", "", "serve mode and a server in this process: record accepted shares in a pool (pow/pool) on a store of its own in this dir, as the node does")
	flag.BoolVar(&o.poolSync, "poolsyncwrites", false, "with -pool: every commit of the pool's store waits for the disk (the node's pool does not)")
	flag.Parse()
	if o.conns > 50000 || o.duration > time.Hour {
		fatalf("-conns is at most 50000 and -duration at most 1h")
	}
	if o.addr != "" && !loopback(o.addr) {
		fatalf("-addr %s is not a loopback address: the generator only loads loopback servers", o.addr)
	}
	poolOpts.dir, poolOpts.sync = o.poolDir, o.poolSync
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Printf("machine: %d CPUs (GOMAXPROCS %d), load average %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), loadavg())
	if o.cpuprof != "" {
		f, err := os.Create(o.cpuprof)
		if err != nil {
			fatalf("-cpuprofile: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fatalf("-cpuprofile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	if o.memprof != "" {
		defer func() {
			f, err := os.Create(o.memprof)
			if err == nil {
				err = pprof.WriteHeapProfile(f)
				f.Close()
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "-memprofile: %v\n", err)
			}
		}()
	}
	var err error
	switch o.mode {
	case "shares":
		err = runShares(ctx, o)
	case "notify":
		err = runNotify(ctx, o)
	case "hold":
		err = runHold(ctx, o)
	case "flood":
		err = runFlood(ctx, o)
	case "serve":
		err = runServe(ctx, o)
	case "realminer":
		err = runRealMiner(ctx, o)
	default:
		err = fmt.Errorf("-mode %q: want shares, notify, hold, flood, serve or realminer", o.mode)
	}
	fmt.Printf("load average after: %s\n", loadavg())
	if err != nil {
		pprof.StopCPUProfile()
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "stratumload: "+format+"\n", args...)
	os.Exit(1)
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// rssMB reads a process's resident set from /proc (0: this process).
func rssMB(pid int) float64 {
	p := "/proc/self/status"
	if pid > 0 {
		p = fmt.Sprintf("/proc/%d/status", pid)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return -1
}

// cpuTime reads a process's user and system CPU time from /proc (0: this
// process).
func cpuTime(pid int) time.Duration {
	p := "/proc/self/stat"
	if pid > 0 {
		p = fmt.Sprintf("/proc/%d/stat", pid)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return 0
	}
	// The command name may hold spaces: the fields start after its ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// server is a server in this process with a synthetic job source.
type server struct {
	*loadtest.Local
	src   *loadtest.Source
	sinks *loadtest.Sinks
	addr  string
	pool  *poolSink // nil without -pool
}

func startServer(_ context.Context, cfg stratum.Config, txs int, listen string) (*server, error) {
	var ps *poolSink
	var shares stratum.ShareSink
	if poolOpts.dir != "" {
		var err error
		if ps, err = openPoolSink(poolOpts.dir, poolOpts.sync); err != nil {
			return nil, err
		}
		shares = ps
		fmt.Printf("accepted shares go to a pool on its own store in %s (commits wait for the disk: %v)\n",
			poolOpts.dir, poolOpts.sync)
	}
	l, err := loadtest.StartLocalShares(cfg, txs, listen, shares)
	if err != nil {
		if ps != nil {
			ps.close()
		}
		return nil, err
	}
	return &server{Local: l, src: l.Source, sinks: l.Sinks, addr: l.Addr, pool: ps}, nil
}

// poolOpts are -pool and -poolsyncwrites, for startServer.
var poolOpts struct {
	dir  string
	sync bool
}

func (s *server) close() {
	s.Close()
	if s.pool != nil {
		s.pool.close()
	}
}

// stats prints the server's own counters.
func (s *server) stats() string {
	st := snapshotString(s.Server.Snapshot())
	if s.pool != nil {
		st += fmt.Sprintf("; pool recorded %d shares", s.pool.shares.Load())
	}
	return st
}

func snapshotString(sn stratum.Snapshot) string {
	return fmt.Sprintf("server stats: connections %d, accepted %d, rejected by code %v, blocks %d (refused %d), "+
		"bans %d, closed/refused connections by reason %v", sn.Connections, sn.Accepted, sn.Rejected, sn.Blocks,
		sn.BlocksRefused, sn.Bans, sn.Dropped)
}

// target returns the address to load and a function that stops what was
// started for it.
func target(ctx context.Context, o options, cfg stratum.Config) (string, *server, error) {
	if o.addr != "" {
		return o.addr, nil, nil
	}
	s, err := startServer(ctx, cfg, o.txs, "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	fmt.Printf("server in this process on %s (synthetic template with %d transactions)\n", s.addr, o.txs)
	return s.addr, s, nil
}

func miners(o options, addr string) loadtest.Miners {
	return loadtest.Miners{Addr: addr, Sources: o.sources, Pass: fmt.Sprintf("d=%g", o.diff), Timeout: 30 * time.Second}
}

func runShares(ctx context.Context, o options) error {
	addr, s, err := target(ctx, o, loadtest.LoadConfig(o.diff))
	if err != nil {
		return err
	}
	if s != nil {
		defer s.close()
	}
	var cpu0, cpu1, self0, self1 time.Duration
	res, conns, err := loadtest.Run(ctx, loadtest.RunConfig{Miners: miners(o, addr), Conns: o.conns,
		SharesPerConn: o.shares, Duration: o.duration, InFlight: o.inflight, Rate: o.rate,
		Started: func() { cpu0, self0 = cpuTime(o.serverPID), cpuTime(0) },
		Stopped: func() { cpu1, self1 = cpuTime(o.serverPID), cpuTime(0) }})
	defer loadtest.CloseAll(conns)
	fmt.Println(res)
	if res.Accepted > 0 && res.Elapsed > 0 {
		if o.serverPID > 0 {
			fmt.Printf("CPU during the run: server %v (%.2f cores, %.1f µs per accepted share), generator %v (%.2f cores)\n",
				cpu1-cpu0, (cpu1-cpu0).Seconds()/res.Elapsed.Seconds(),
				float64((cpu1-cpu0).Microseconds())/float64(res.Accepted),
				self1-self0, (self1-self0).Seconds()/res.Elapsed.Seconds())
		} else {
			fmt.Printf("CPU during the run: this process (server and generator) %v (%.2f cores, %.1f µs per accepted share)\n",
				self1-self0, (self1-self0).Seconds()/res.Elapsed.Seconds(),
				float64((self1-self0).Microseconds())/float64(res.Accepted))
		}
	}
	if s != nil {
		handed := s.sinks.Shares.Load()
		if s.pool != nil {
			handed = s.pool.shares.Load()
		}
		fmt.Printf("server: shares handed to the share sink %d, blocks %d; process RSS %.0f MB\n%s\n",
			handed, s.sinks.Blocks.Load(), rssMB(0), s.stats())
	} else if o.serverPID > 0 {
		fmt.Printf("server process RSS %.0f MB\n", rssMB(o.serverPID))
	}
	return err
}

func runNotify(ctx context.Context, o options) error {
	if o.addr != "" {
		return fmt.Errorf("notify mode makes the template change itself: run it without -addr")
	}
	addr, s, err := target(ctx, o, loadtest.LoadConfig(o.diff))
	if err != nil {
		return err
	}
	defer s.close()
	m := miners(o, addr)
	conns, failed, first := m.Open(ctx, o.conns)
	defer loadtest.CloseAll(conns)
	fmt.Printf("%d connections logged in (%d failed: %v)\n", len(conns), failed, first)
	for _, c := range conns {
		if _, _, err := c.WaitJob(30 * time.Second); err != nil {
			return err
		}
	}
	for r := 0; r < o.rounds && ctx.Err() == nil; r++ {
		res := loadtest.MeasureNotify(conns, s.src.NewTip, o.duration)
		fmt.Printf("new tip %d: %v\n", r+1, res)
	}
	return nil
}

func runHold(ctx context.Context, o options) error {
	cfg := loadtest.LoadConfig(o.diff)
	addr, s, err := target(ctx, o, cfg)
	if err != nil {
		return err
	}
	if s != nil {
		defer s.close()
	}
	pid := o.serverPID
	before := rssMB(pid)
	m := miners(o, addr)
	m.Dialers = 256
	start := time.Now()
	conns, failed, first := m.Open(ctx, o.conns)
	defer loadtest.CloseAll(conns)
	took := time.Since(start)
	for _, c := range conns {
		if _, _, err := c.WaitJob(30 * time.Second); err != nil {
			fmt.Printf("a connection has no job: %v\n", err)
			break
		}
	}
	who := "server process"
	if s != nil {
		who = "this process (server and generator)"
	}
	fmt.Printf("held %d connections (%d failed, first: %v), logged in within %v; %s RSS %.0f MB before, %.0f MB holding them\n",
		len(conns), failed, first, took.Round(time.Millisecond), who, before, rssMB(pid))
	// Hold them for the duration, then count the ones still open.
	select {
	case <-ctx.Done():
	case <-time.After(o.duration):
	}
	open := 0
	for _, c := range conns {
		if c.Err() == nil {
			open++
		}
	}
	fmt.Printf("after %v: %d still open; %s RSS %.0f MB\n", o.duration, open, who, rssMB(pid))
	return nil
}

func runServe(ctx context.Context, o options) error {
	cfg := loadtest.LoadConfig(o.diff)
	if o.floodLimits {
		cfg = floodConfig(o.diff)
	}
	s, err := startServer(ctx, cfg, o.txs, o.listen)
	if err != nil {
		return err
	}
	defer s.close()
	fmt.Printf("serving on %s (pid %d) for %v\n", s.addr, os.Getpid(), o.duration)
	end := time.After(o.duration)
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-end:
			return nil
		case <-tick.C:
			fmt.Printf("RSS %.0f MB, goroutines %d; %s\n", rssMB(0), runtime.NumGoroutine(), s.stats())
		}
	}
}
