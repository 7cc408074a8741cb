package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SourceAddr returns loopback source address number k: 127.0.0.1 to
// 127.0.0.250, then 127.0.1.1, ...
func SourceAddr(k int) net.IP {
	return net.IPv4(127, 0, byte(k/250), byte(1+k%250))
}

// Miners is how the connections log in.
type Miners struct {
	Addr    string
	Sources int                // loopback source addresses to spread over (0: 1)
	From    int                // the first of them, as SourceAddr(From)
	User    func(i int) string // worker name of connection i
	Pass    string             // e.g. "d=0.0001" for a fixed difficulty
	Suggest float64            // >0: send mining.suggest_difficulty first
	Timeout time.Duration      // per request
	Agent   string             // the user agent in mining.subscribe
	Dialers int                // connections opened at once (0: 64)
}

func (m *Miners) defaults() {
	if m.Timeout == 0 {
		m.Timeout = 10 * time.Second
	}
	if m.Agent == "" {
		m.Agent = "stratumload/1.0"
	}
	if m.Dialers == 0 {
		m.Dialers = 64
	}
	if m.User == nil {
		m.User = func(i int) string { return fmt.Sprintf("load.%d", i) }
	}
}

// source is the source address of connection i.
func (m *Miners) source(i int) net.IP {
	return SourceAddr(m.From + i%max(1, m.Sources))
}

// Login dials connection i, subscribes and authorizes it.
func (m *Miners) Login(i int) (*Conn, error) {
	m.defaults()
	c, err := Dial(m.Addr, m.source(i), m.Timeout)
	if err != nil {
		return nil, err
	}
	if m.Suggest > 0 {
		if _, err := c.Send("mining.suggest_difficulty", []any{m.Suggest}); err != nil {
			c.Close()
			return nil, err
		}
	}
	if err := c.Subscribe(m.Agent, m.Timeout); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.Authorize(m.User(i), m.Pass, m.Timeout); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Open logs n connections in (Dialers at a time) and returns those that
// made it, with the first error of those that did not.
func (m *Miners) Open(ctx context.Context, n int) ([]*Conn, int, error) {
	m.defaults()
	conns := make([]*Conn, n)
	var (
		mu       sync.Mutex
		firstErr error
		failed   int
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	for w := 0; w < m.Dialers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				c, err := m.Login(i)
				if err != nil {
					mu.Lock()
					failed++
					if firstErr == nil {
						firstErr = fmt.Errorf("connection %d: %w", i, err)
					}
					mu.Unlock()
					continue
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	out := conns[:0]
	for _, c := range conns {
		if c != nil {
			out = append(out, c)
		}
	}
	return out, failed, firstErr
}

// CloseAll closes connections.
func CloseAll(conns []*Conn) {
	for _, c := range conns {
		c.Close()
	}
}

// RunConfig is a share run: every connection submits prepared shares,
// InFlight at a time, until they run out or Duration is up.
type RunConfig struct {
	Miners
	Conns         int
	SharesPerConn int
	Duration      time.Duration
	InFlight      int     // closed loop: submits outstanding per connection (0: 1)
	Rate          float64 // >0: open loop, this many submits per second per connection
	MaxTries      int     // headers tried per share before giving up (0: 1<<16)
	// Started, when set, is called just before the first submit, and
	// Stopped just after the last answer (to read a server's CPU time).
	Started, Stopped func()
}

// RunResult is what a share run measured.
type RunResult struct {
	Conns       int
	Failed      int // connections that did not log in
	FirstErr    error
	Difficulty  float64
	Tries       float64 // headers hashed per share while preparing
	Prepared    int
	PrepareTime time.Duration
	Submitted   int
	Accepted    int
	Rejected    map[int]int // by Stratum code (-1: no code, -2: no reply)
	Elapsed     time.Duration
	Latencies   Percentiles
	Offered     float64 // open loop: submits per second asked of all connections
	Dropped     int     // connections that ended during the run
	Notifies    int64   // mining.notify received by all connections during the run
	Resolved    int     // shares searched during the run, for a job newer than the prepared ones
}

// SharesPerSec is the accepted shares per second.
func (r *RunResult) SharesPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Accepted) / r.Elapsed.Seconds()
}

func (r *RunResult) String() string {
	var rej []string
	for code, n := range r.Rejected {
		rej = append(rej, fmt.Sprintf("%d:%d", code, n))
	}
	sort.Strings(rej)
	s := fmt.Sprintf("connections %d (failed %d, dropped during the run %d), share difficulty %g (%.1f headers/share), "+
		"prepared %d shares in %v (%d more searched during the run for newer jobs); submitted %d, accepted %d, rejected {%s} in %v: %.0f accepted shares/s; "+
		"submit-to-reply latency %s",
		r.Conns, r.Failed, r.Dropped, r.Difficulty, r.Tries, r.Prepared, r.PrepareTime.Round(time.Millisecond),
		r.Resolved, r.Submitted, r.Accepted, strings.Join(rej, " "), r.Elapsed.Round(time.Millisecond), r.SharesPerSec(), r.Latencies)
	s += fmt.Sprintf("; %d jobs notified during the run (%.1f per connection)", r.Notifies,
		float64(r.Notifies)/float64(max(1, r.Conns)))
	if r.Offered > 0 {
		s += fmt.Sprintf(" (open loop: %.0f submits/s offered)", r.Offered)
	} else {
		s += " (closed loop)"
	}
	if r.FirstErr != nil {
		s += fmt.Sprintf("; first login error: %v", r.FirstErr)
	}
	return s
}

// Percentiles summarizes latencies.
type Percentiles struct {
	N                  int
	P50, P90, P99, Max time.Duration
}

// Summarize sorts ds and reads its percentiles.
func Summarize(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
	return Percentiles{N: len(ds), P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: ds[len(ds)-1]}
}

func (p Percentiles) String() string {
	return fmt.Sprintf("n=%d p50=%v p90=%v p99=%v max=%v", p.N, p.P50, p.P90, p.P99, p.Max)
}

// Prepare finds n shares for a connection's current job at its current
// difficulty, with extranonce2 starting at start.
func Prepare(c *Conn, n int, start uint64, maxTries int) ([]Share, int, error) {
	en1, size, diff, job := c.State()
	if job == nil {
		return nil, 0, errors.New("no job")
	}
	if size < 1 {
		return nil, 0, fmt.Errorf("extranonce2 size %d", size)
	}
	s := NewSolver(job, en1, size, start, TargetFromDifficulty(diff))
	out := make([]Share, 0, n)
	total := 0
	for len(out) < n {
		sh, tries, ok := s.Next(maxTries)
		total += tries
		if !ok {
			return out, total, fmt.Errorf("no share in %d headers at difficulty %g", maxTries, diff)
		}
		out = append(out, sh)
	}
	return out, total, nil
}

// Run logs in the connections, prepares shares for each, then submits
// them all at once and measures.
func Run(ctx context.Context, cfg RunConfig) (*RunResult, []*Conn, error) {
	cfg.defaults()
	if cfg.InFlight <= 0 {
		cfg.InFlight = 1
	}
	if cfg.MaxTries <= 0 {
		cfg.MaxTries = 1 << 16
	}
	res := &RunResult{Rejected: make(map[int]int)}
	conns, failed, firstErr := cfg.Open(ctx, cfg.Conns)
	res.Conns, res.Failed, res.FirstErr = len(conns), failed, firstErr
	if len(conns) == 0 {
		return res, nil, fmt.Errorf("no connection logged in: %v", firstErr)
	}
	for _, c := range conns {
		if _, _, err := c.WaitJob(cfg.Timeout); err != nil {
			return res, conns, err
		}
	}
	_, _, res.Difficulty, _ = conns[0].State()

	// Prepare the shares on every core, before the clock starts.
	start := time.Now()
	shares := make([][]Share, len(conns))
	var (
		next  atomic.Int64
		tries atomic.Int64
		wg    sync.WaitGroup
		emu   sync.Mutex
		perr  error
	)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(conns) {
					return
				}
				sh, t, err := Prepare(conns[i], cfg.SharesPerConn, 0, cfg.MaxTries)
				tries.Add(int64(t))
				if err != nil {
					emu.Lock()
					perr = err
					emu.Unlock()
				}
				shares[i] = sh
			}
		}()
	}
	wg.Wait()
	res.PrepareTime = time.Since(start)
	if perr != nil {
		return res, conns, fmt.Errorf("preparing shares: %w", perr)
	}
	for _, s := range shares {
		res.Prepared += len(s)
	}
	res.Tries = float64(tries.Load()) / float64(max(1, res.Prepared))

	// Submit.
	runCtx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	type tally struct {
		submitted, accepted, dropped int
		resolved                     int
		rejected                     map[int]int
		lat                          []time.Duration
	}
	tallies := make([]tally, len(conns))
	if cfg.Started != nil {
		cfg.Started()
	}
	var notifies0 int64
	for _, c := range conns {
		notifies0 += c.Notifies()
	}
	begin := time.Now()
	var interval time.Duration
	if cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) / cfg.Rate)
	}
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &tallies[i]
			t.rejected = make(map[int]int)
			t.lat = make([]time.Duration, 0, len(shares[i]))
			slots := cfg.InFlight
			if interval > 0 {
				slots = len(shares[i]) + 1 // open loop: the rate paces, not the answers
			}
			sem := make(chan struct{}, slots)
			pending := make(chan (<-chan Reply), len(shares[i]))
			var dead atomic.Bool
			collected := make(chan struct{})
			// The answers come back in order: one collector reads them.
			go func() {
				defer close(collected)
				for ch := range pending {
					if dead.Load() {
						t.rejected[-2]++
						continue
					}
					select {
					case r := <-ch:
						t.lat = append(t.lat, r.Latency)
						if r.OK() {
							t.accepted++
						} else {
							t.rejected[r.Code()]++
						}
					case <-c.Done():
						t.rejected[-2]++
						dead.Store(true)
					case <-time.After(cfg.Timeout):
						t.rejected[-2]++
						dead.Store(true)
					}
					<-sem
				}
			}()
			worker := cfg.User(i)
			// Spread the connections' first submits over one interval.
			next := begin.Add(time.Duration(int64(interval) * int64(i) / int64(len(conns))))
			var solver *Solver
			for _, sh := range shares[i] {
				if runCtx.Err() != nil || dead.Load() {
					break
				}
				// The server moved to a new job (a full duplicate set, a
				// new template): search it now, as a miner would.
				if en1, size, diff, cur := c.State(); cur != nil && cur.ID != sh.JobID {
					if solver == nil || solver.Job != cur {
						solver = NewSolver(cur, en1, size, 0, TargetFromDifficulty(diff))
					}
					if nsh, _, ok := solver.Next(cfg.MaxTries); ok {
						sh = nsh
						t.resolved++
					}
				}
				if interval > 0 {
					if d := time.Until(next); d > 0 {
						time.Sleep(d)
					}
					next = next.Add(interval)
				}
				select {
				case sem <- struct{}{}:
				case <-runCtx.Done():
				}
				if runCtx.Err() != nil {
					break
				}
				ch, err := c.Send("mining.submit", sh.SubmitParams(worker))
				if err != nil {
					dead.Store(true)
					break
				}
				t.submitted++
				pending <- ch
			}
			close(pending)
			<-collected
			if dead.Load() {
				t.dropped = 1
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(begin)
	if cfg.Stopped != nil {
		cfg.Stopped()
	}
	for _, c := range conns {
		res.Notifies += c.Notifies()
	}
	res.Notifies -= notifies0
	var all []time.Duration
	for _, t := range tallies {
		res.Submitted += t.submitted
		res.Accepted += t.accepted
		res.Dropped += t.dropped
		res.Resolved += t.resolved
		for k, v := range t.rejected {
			res.Rejected[k] += v
		}
		all = append(all, t.lat...)
	}
	res.Latencies = Summarize(all)
	res.Offered = cfg.Rate * float64(len(conns))
	return res, conns, nil
}

// NotifyResult is the time from a new template to the last connection
// holding its job.
type NotifyResult struct {
	Conns   int
	Got     int // connections that received the new job
	First   time.Duration
	Median  time.Duration
	Last    time.Duration
	Timeout bool
}

func (r NotifyResult) String() string {
	s := fmt.Sprintf("%d of %d connections received the new job: first after %v, median %v, last %v",
		r.Got, r.Conns, r.First, r.Median, r.Last)
	if r.Timeout {
		s += " (timed out waiting for the rest)"
	}
	return s
}

// MeasureNotify calls trigger (which makes the server's template change)
// and waits until every connection holds a job other than the one it held
// before, or timeout.
func MeasureNotify(conns []*Conn, trigger func(), timeout time.Duration) NotifyResult {
	type got struct {
		i  int
		at time.Time
	}
	ch := make(chan got, len(conns))
	for i, c := range conns {
		_, _, _, old := c.State()
		var once sync.Once
		c.OnJob(func(j *Job) {
			if old == nil || j.ID != old.ID {
				once.Do(func() { ch <- got{i, j.Received} })
			}
		})
	}
	t0 := time.Now()
	trigger()
	res := NotifyResult{Conns: len(conns)}
	var ds []time.Duration
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for len(ds) < len(conns) {
		select {
		case g := <-ch:
			ds = append(ds, g.at.Sub(t0))
			continue
		case <-timer.C:
			res.Timeout = true
		}
		break
	}
	for _, c := range conns {
		c.OnJob(nil)
	}
	res.Got = len(ds)
	if len(ds) > 0 {
		p := Summarize(ds)
		res.First, res.Median, res.Last = ds[0], p.P50, p.Max
	}
	return res
}
