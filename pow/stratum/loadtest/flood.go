package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The floods attack a server with bad input while a good miner keeps
// submitting; each reports what the server answered and whether the good
// miner was served throughout.

// GoodMiner submits valid shares from its own source address until
// stopped, one at a time, and counts the answers.
type GoodMiner struct {
	Accepted atomic.Int64
	Rejected atomic.Int64
	Failed   atomic.Int64 // no reply, or the connection ended
	lat      []time.Duration
	mu       sync.Mutex
	stop     chan struct{}
	done     chan struct{}
	err      error
}

// StartGoodMiner logs in from source index src of m and submits a share
// every interval (0: back to back).
func StartGoodMiner(m Miners, src int, interval time.Duration) (*GoodMiner, error) {
	c, err := m.Login(src)
	if err != nil {
		return nil, fmt.Errorf("good miner: %w", err)
	}
	if _, _, err := c.WaitJob(m.Timeout); err != nil {
		c.Close()
		return nil, fmt.Errorf("good miner: %w", err)
	}
	g := &GoodMiner{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(g.done)
		defer c.Close()
		var (
			solver *Solver
			job    *Job
			next   uint64 = 1 << 40 // extranonce2s apart from any Prepare
		)
		worker := m.User(src)
		for {
			select {
			case <-g.stop:
				return
			default:
			}
			en1, size, diff, j := c.State()
			if j != job {
				job = j
				solver = NewSolver(j, en1, size, next, TargetFromDifficulty(diff))
				next += 1 << 20
			}
			sh, _, ok := solver.Next(1 << 22)
			if !ok {
				g.err = fmt.Errorf("no share at difficulty %g", diff)
				return
			}
			r, err := c.Call("mining.submit", sh.SubmitParams(worker), m.Timeout)
			switch {
			case err != nil:
				g.Failed.Add(1)
				g.err = err
				return
			case r.OK():
				g.Accepted.Add(1)
			default:
				g.Rejected.Add(1)
			}
			g.mu.Lock()
			g.lat = append(g.lat, r.Latency)
			g.mu.Unlock()
			if interval > 0 {
				select {
				case <-g.stop:
					return
				case <-time.After(interval):
				}
			}
		}
	}()
	return g, nil
}

// Stop stops the miner and returns its latencies and why it stopped early
// (nil if it did not).
func (g *GoodMiner) Stop() (Percentiles, error) {
	close(g.stop)
	<-g.done
	g.mu.Lock()
	defer g.mu.Unlock()
	return Summarize(g.lat), g.err
}

// Snapshot returns the accepted count so far.
func (g *GoodMiner) Snapshot() int64 { return g.Accepted.Load() }

func (g *GoodMiner) String() string {
	return fmt.Sprintf("good miner: accepted %d, rejected %d, failed %d",
		g.Accepted.Load(), g.Rejected.Load(), g.Failed.Load())
}

// ConnFloodResult is what a flood of connections from one address got.
type ConnFloodResult struct {
	Tried    int
	LoggedIn int // subscribed and authorized
	Refused  int // dial failed, or closed before the login finished
	FirstErr error
}

func (r ConnFloodResult) String() string {
	return fmt.Sprintf("connections from one address: tried %d, logged in %d, refused or closed %d (first: %v)",
		r.Tried, r.LoggedIn, r.Refused, r.FirstErr)
}

// FloodConns opens n connections from one source address (m.Sources is
// ignored) and returns those that logged in; the caller closes them.
func FloodConns(ctx context.Context, m Miners, n int) (ConnFloodResult, []*Conn) {
	m.Sources = 1
	conns, failed, first := m.Open(ctx, n)
	return ConnFloodResult{Tried: n, LoggedIn: len(conns), Refused: failed, FirstErr: first}, conns
}

// ReplayResult counts the answers to one share submitted many times.
type ReplayResult struct {
	Times    int
	Accepted int
	ByCode   map[int]int
}

func (r ReplayResult) String() string {
	return fmt.Sprintf("one share submitted %d times: accepted %d, rejected by code %v (-2: unanswered, the connection was dropped)",
		r.Times, r.Accepted, r.ByCode)
}

// Replay logs in connection src, finds one share and submits it n times
// (pipelined).
func Replay(m Miners, src, n int) (ReplayResult, error) {
	res := ReplayResult{Times: n, ByCode: make(map[int]int)}
	c, err := m.Login(src)
	if err != nil {
		return res, err
	}
	defer c.Close()
	if _, _, err := c.WaitJob(m.Timeout); err != nil {
		return res, err
	}
	sh, _, err := Prepare(c, 1, 7, 1<<22)
	if err != nil {
		return res, err
	}
	var chs []<-chan Reply
	for i := 0; i < n; i++ {
		ch, err := c.Send("mining.submit", sh[0].SubmitParams(m.User(src)))
		if err != nil {
			// Dropped (the invalid-share ban): the rest go unanswered.
			res.ByCode[-2] += n - i
			break
		}
		chs = append(chs, ch)
	}
	for _, ch := range chs {
		select {
		case r := <-ch:
			if r.OK() {
				res.Accepted++
			} else {
				res.ByCode[r.Code()]++
			}
		case <-c.Done():
			res.ByCode[-2]++
		}
	}
	return res, nil
}

// SubmitFloodResult counts the answers to a flood of submits from one
// connection.
type SubmitFloodResult struct {
	Sent         int
	Accepted     int
	ByCode       map[int]int // -2: no answer (the connection ended)
	Disconnected bool
}

func (r SubmitFloodResult) String() string {
	return fmt.Sprintf("submit flood: sent %d, accepted %d, rejected by code %v (-2: unanswered), disconnected %v",
		r.Sent, r.Accepted, r.ByCode, r.Disconnected)
}

// FloodSubmits logs in connection src and writes n submits back to back
// without waiting for answers (each a fresh valid share when valid is
// true, else one with an extranonce2 a byte too long), then reads the
// answers.
func FloodSubmits(m Miners, src, n int, valid bool) (SubmitFloodResult, error) {
	res := SubmitFloodResult{ByCode: make(map[int]int)}
	c, err := m.Login(src)
	if err != nil {
		return res, err
	}
	defer c.Close()
	if _, _, err := c.WaitJob(m.Timeout); err != nil {
		return res, err
	}
	var shares []Share
	if valid {
		shares, _, err = Prepare(c, n, 1<<30, 1<<22)
		if err != nil {
			return res, err
		}
	} else {
		_, size, _, j := c.State()
		for i := 0; i < n; i++ {
			en2 := make([]byte, size+1) // one byte too many: malformed (20)
			en2[0] = byte(i >> 8)
			en2[len(en2)-1] = byte(i)
			shares = append(shares, Share{JobID: j.ID, Extranonce2: en2, NTime: j.NTime, Nonce: uint32(i)})
		}
	}
	var chs []<-chan Reply
	for _, sh := range shares {
		ch, err := c.Send("mining.submit", sh.SubmitParams(m.User(src)))
		if err != nil {
			res.Disconnected = true
			break
		}
		res.Sent++
		chs = append(chs, ch)
	}
	for _, ch := range chs {
		select {
		case r := <-ch:
			if r.OK() {
				res.Accepted++
			} else {
				res.ByCode[r.Code()]++
			}
		case <-c.Done():
			res.ByCode[-2]++
			res.Disconnected = true
		}
	}
	return res, nil
}

// GarbageResult counts connections that sent bad lines and how they ended.
type GarbageResult struct {
	Conns       int
	DialFailed  int
	Closed      int // the server closed the connection
	Answered    int // error answers read before the close
	StillOpen   int // open when the wait ended
	BytesPerCon int
}

func (r GarbageResult) String() string {
	return fmt.Sprintf("garbage: %d connections (%d failed to connect) sent %d bytes each; server closed %d (after %d error answers in all), still open %d",
		r.Conns, r.DialFailed, r.BytesPerCon, r.Closed, r.Answered, r.StillOpen)
}

// Garbage kinds.
const (
	GarbageLines = iota // non-JSON lines, then JSON that is not a request
	GarbageHuge         // one line far over any line limit, without a newline
)

// FloodGarbage opens n raw connections from source addresses of m and
// sends garbage of a kind; it waits (up to wait) for the server to close
// each, reading what it answers.
func FloodGarbage(m Miners, n, kind int, wait time.Duration) GarbageResult {
	m.defaults()
	var payload []byte
	switch kind {
	case GarbageHuge:
		payload = bytes.Repeat([]byte("A"), 1<<20)
	default:
		var b strings.Builder
		for i := 0; i < 40; i++ {
			switch i % 4 {
			case 0:
				b.WriteString("GET / HTTP/1.1\r\n")
			case 1:
				b.WriteString("\x00\x01\x02\xff garbage }{\n")
			case 2:
				b.WriteString(`{"id":1,"method":"mining.nonsense","params":[]}` + "\n")
			case 3:
				b.WriteString(`[1,2,3]` + "\n")
			}
		}
		payload = []byte(b.String())
	}
	res := GarbageResult{Conns: n, BytesPerCon: len(payload)}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	sem := make(chan struct{}, m.Dialers)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			d := net.Dialer{Timeout: m.Timeout, LocalAddr: &net.TCPAddr{IP: m.source(i)}}
			nc, err := d.Dial("tcp", m.Addr)
			if err != nil {
				mu.Lock()
				res.DialFailed++
				mu.Unlock()
				return
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(wait))
			go nc.Write(payload) // the server may close before reading it all
			answers, closed := drain(nc)
			mu.Lock()
			res.Answered += answers
			if closed {
				res.Closed++
			} else {
				res.StillOpen++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return res
}

// drain reads until the connection ends: closed is true when the server
// closed it (not the deadline).
func drain(nc net.Conn) (lines int, closed bool) {
	buf := make([]byte, 4096)
	for {
		k, err := nc.Read(buf)
		lines += bytes.Count(buf[:k], []byte{'\n'})
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return lines, false
			}
			return lines, true
		}
	}
}

// SlowResult counts slow connections and how they ended.
type SlowResult struct {
	Conns      int
	DialFailed int
	Closed     int
	StillOpen  int
	Lifetimes  Percentiles // from the dial to the server's close
}

func (r SlowResult) String() string {
	return fmt.Sprintf("slow connections: %d (%d failed to connect), closed by the server %d, still open %d; lived %v",
		r.Conns, r.DialFailed, r.Closed, r.StillOpen, r.Lifetimes)
}

// Slow kinds.
const (
	SlowSilent        = iota // connect and send nothing (half-open)
	SlowLoris                // send a request one byte at a time, never finishing the line
	SlowLorisLoggedIn        // log in, then the same
)

// FloodSlow opens n connections that are silent or slowloris, and waits
// (up to wait) for the server to close them.
func FloodSlow(m Miners, n, kind int, every, wait time.Duration) SlowResult {
	m.defaults()
	res := SlowResult{Conns: n}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	sem := make(chan struct{}, m.Dialers)
	var lives []time.Duration
	line := []byte(`{"id":1,"method":"mining.subscribe","params":["slowloris/1.0 ` + strings.Repeat("x", 200) + `"]}`)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			born := time.Now()
			var (
				nc  net.Conn
				lc  *Conn // the logged-in kind's client, whose reader reads nc
				err error
			)
			loris := kind != SlowSilent
			if kind == SlowLorisLoggedIn {
				// A miner that logged in, then never finishes a line.
				if lc, err = m.Login(i); err == nil {
					nc = lc.Raw()
					defer lc.Close()
					born = time.Now()
				}
			} else {
				d := net.Dialer{Timeout: m.Timeout, LocalAddr: &net.TCPAddr{IP: m.source(i)}}
				nc, err = d.Dial("tcp", m.Addr)
			}
			<-sem
			if err != nil {
				mu.Lock()
				res.DialFailed++
				mu.Unlock()
				return
			}
			defer nc.Close()
			deadline := time.Now().Add(wait)
			if lc == nil {
				nc.SetDeadline(deadline)
			}
			closed := make(chan bool, 1)
			if lc != nil {
				go func() {
					select {
					case <-lc.Done():
						closed <- true
					case <-time.After(time.Until(deadline)):
						closed <- false
					}
				}()
			} else {
				go func() {
					_, c := drain(nc)
					closed <- c
				}()
			}
			if loris {
				for k := 0; k < len(line) && time.Now().Before(deadline); k++ {
					if _, err := nc.Write(line[k : k+1]); err != nil {
						break
					}
					select {
					case <-time.After(every):
						continue
					case c := <-closed:
						closed <- c
					}
					break
				}
			}
			c := <-closed
			mu.Lock()
			if c {
				res.Closed++
				lives = append(lives, time.Since(born))
			} else {
				res.StillOpen++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Lifetimes = Summarize(lives)
	return res
}
