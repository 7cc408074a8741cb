package loadtest

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Reply is the server's answer to one request.
type Reply struct {
	ID      uint64
	Result  json.RawMessage
	Error   json.RawMessage
	Latency time.Duration // from the request's write to the reply's read
}

// Code returns the Stratum error code of a reply, 0 if it has none.
func (r *Reply) Code() int {
	if len(r.Error) == 0 || string(r.Error) == "null" {
		return 0
	}
	var arr []json.RawMessage
	if json.Unmarshal(r.Error, &arr) == nil && len(arr) > 0 {
		var c int
		if json.Unmarshal(arr[0], &c) == nil {
			return c
		}
	}
	var obj struct {
		Code int `json:"code"`
	}
	if json.Unmarshal(r.Error, &obj) == nil && obj.Code != 0 {
		return obj.Code
	}
	return -1
}

// OK reports whether the reply is a true result without an error.
func (r *Reply) OK() bool {
	return r.Code() == 0 && string(r.Result) == "true"
}

// Conn is one miner connection.
type Conn struct {
	nc net.Conn

	wmu sync.Mutex
	bw  *bufio.Writer

	mu          sync.Mutex
	nextID      uint64
	pending     map[uint64]chan<- Reply
	sent        map[uint64]time.Time
	extranonce1 []byte
	en2Size     int
	difficulty  float64
	job         *Job
	jobs        map[string]*Job
	onJob       func(*Job)
	closed      error

	notifies atomic.Int64
	done     chan struct{}
}

// Dial connects from a loopback source address (nil: any) to addr.
func Dial(addr string, from net.IP, timeout time.Duration) (*Conn, error) {
	d := net.Dialer{Timeout: timeout}
	if from != nil {
		d.LocalAddr = &net.TCPAddr{IP: from}
	}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return NewConn(nc), nil
}

// NewConn runs the client on a connection.
func NewConn(nc net.Conn) *Conn {
	c := &Conn{
		nc:      nc,
		bw:      bufio.NewWriterSize(nc, 4096),
		pending: make(map[uint64]chan<- Reply),
		sent:    make(map[uint64]time.Time),
		jobs:    make(map[string]*Job),
		done:    make(chan struct{}),
	}
	go c.read()
	return c
}

// Raw returns the connection, for the floods.
func (c *Conn) Raw() net.Conn { return c.nc }

// Done is closed when the connection is closed or failed.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is why the connection ended (nil while it is open).
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// OnJob sets a function called (on the reading goroutine) with each job.
func (c *Conn) OnJob(f func(*Job)) {
	c.mu.Lock()
	c.onJob = f
	c.mu.Unlock()
}

type message struct {
	ID     *uint64         `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

func (c *Conn) read() {
	defer close(c.done)
	br := bufio.NewReaderSize(c.nc, 16<<10)
	var err error
	for {
		var line []byte
		line, err = br.ReadSlice('\n')
		if err != nil {
			break
		}
		now := time.Now()
		var m message
		if err = json.Unmarshal(line, &m); err != nil {
			err = fmt.Errorf("server sent %q: %w", line, err)
			break
		}
		if m.Method != "" {
			c.notification(&m, now)
			continue
		}
		if m.ID == nil {
			continue
		}
		c.mu.Lock()
		ch := c.pending[*m.ID]
		at := c.sent[*m.ID]
		delete(c.pending, *m.ID)
		delete(c.sent, *m.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- Reply{ID: *m.ID, Result: m.Result, Error: m.Error, Latency: now.Sub(at)}
		}
	}
	if err == nil {
		err = errors.New("closed")
	}
	c.mu.Lock()
	c.closed = err
	c.mu.Unlock()
	c.nc.Close()
}

func (c *Conn) notification(m *message, now time.Time) {
	switch m.Method {
	case "mining.notify":
		j, err := ParseNotify(m.Params)
		if err != nil {
			return
		}
		j.Received = now
		c.notifies.Add(1)
		c.mu.Lock()
		if j.Clean {
			c.jobs = make(map[string]*Job)
		}
		c.jobs[j.ID] = j
		c.job = j
		f := c.onJob
		c.mu.Unlock()
		if f != nil {
			f(j)
		}
	case "mining.set_difficulty":
		var p []float64
		if json.Unmarshal(m.Params, &p) == nil && len(p) > 0 {
			c.mu.Lock()
			c.difficulty = p[0]
			c.mu.Unlock()
		}
	case "mining.set_extranonce":
		var p []json.RawMessage
		if json.Unmarshal(m.Params, &p) == nil && len(p) >= 2 {
			var en1 string
			var size int
			if json.Unmarshal(p[0], &en1) == nil && json.Unmarshal(p[1], &size) == nil {
				if b, err := hex.DecodeString(en1); err == nil {
					c.mu.Lock()
					c.extranonce1, c.en2Size = b, size
					c.mu.Unlock()
				}
			}
		}
	}
}

// Send writes a request and returns a channel for its reply (buffered:
// nobody has to read it).
func (c *Conn) Send(method string, params any) (<-chan Reply, error) {
	ch := make(chan Reply, 1)
	c.mu.Lock()
	if c.closed != nil {
		err := c.closed
		c.mu.Unlock()
		return nil, err
	}
	c.nextID++
	id := c.nextID
	c.pending[id] = ch
	c.mu.Unlock()
	line, err := json.Marshal(struct {
		ID     uint64 `json:"id"`
		Method string `json:"method"`
		Params any    `json:"params"`
	}{id, method, params})
	if err != nil {
		return nil, err
	}
	line = append(line, '\n')
	c.wmu.Lock()
	c.mu.Lock()
	c.sent[id] = time.Now()
	c.mu.Unlock()
	_, err = c.bw.Write(line)
	if err == nil {
		err = c.bw.Flush()
	}
	c.wmu.Unlock()
	if err != nil {
		return nil, err
	}
	return ch, nil
}

// Call sends a request and waits for its reply.
func (c *Conn) Call(method string, params any, timeout time.Duration) (Reply, error) {
	ch, err := c.Send(method, params)
	if err != nil {
		return Reply{}, err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r, nil
	case <-c.done:
		return Reply{}, fmt.Errorf("%s: connection ended: %v", method, c.Err())
	case <-t.C:
		return Reply{}, fmt.Errorf("%s: no reply in %v", method, timeout)
	}
}

// WriteRaw writes bytes as they are (floods).
func (c *Conn) WriteRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.bw.Write(b); err != nil {
		return err
	}
	return c.bw.Flush()
}

// Subscribe sends mining.subscribe and reads extranonce1 and the
// extranonce2 size.
func (c *Conn) Subscribe(agent string, timeout time.Duration) error {
	r, err := c.Call("mining.subscribe", []any{agent}, timeout)
	if err != nil {
		return err
	}
	if r.Code() != 0 {
		return fmt.Errorf("subscribe refused: %s", r.Error)
	}
	var res []json.RawMessage
	if err := json.Unmarshal(r.Result, &res); err != nil || len(res) < 3 {
		return fmt.Errorf("subscribe result %s: want [subscriptions, extranonce1, extranonce2_size]", r.Result)
	}
	var en1 string
	var size int
	if err := json.Unmarshal(res[1], &en1); err != nil {
		return fmt.Errorf("subscribe extranonce1 %s: %w", res[1], err)
	}
	if err := json.Unmarshal(res[2], &size); err != nil {
		return fmt.Errorf("subscribe extranonce2_size %s: %w", res[2], err)
	}
	b, err := hex.DecodeString(en1)
	if err != nil {
		return fmt.Errorf("subscribe extranonce1 %q: %w", en1, err)
	}
	c.mu.Lock()
	c.extranonce1, c.en2Size = b, size
	c.mu.Unlock()
	return nil
}

// Authorize sends mining.authorize.
func (c *Conn) Authorize(user, pass string, timeout time.Duration) error {
	r, err := c.Call("mining.authorize", []any{user, pass}, timeout)
	if err != nil {
		return err
	}
	if !r.OK() {
		return fmt.Errorf("authorize %s refused: result %s error %s", user, r.Result, r.Error)
	}
	return nil
}

// State returns what the server last told the connection.
func (c *Conn) State() (en1 []byte, en2Size int, difficulty float64, job *Job) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.extranonce1, c.en2Size, c.difficulty, c.job
}

// Notifies counts the mining.notify messages received.
func (c *Conn) Notifies() int64 { return c.notifies.Load() }

// WaitJob waits until the connection holds a job and a difficulty.
func (c *Conn) WaitJob(timeout time.Duration) (*Job, float64, error) {
	deadline := time.Now().Add(timeout)
	for {
		_, _, d, j := c.State()
		if j != nil && d > 0 {
			return j, d, nil
		}
		if time.Now().After(deadline) {
			return nil, 0, fmt.Errorf("no job and difficulty in %v", timeout)
		}
		select {
		case <-c.done:
			return nil, 0, fmt.Errorf("connection ended waiting for a job: %v", c.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}
