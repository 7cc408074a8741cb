package stratum

import (
	"bytes"
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mainstake/sidenode/pow/stratum/vardiff"
)

// conn is one miner's connection. One goroutine reads it and handles its
// requests in order (readLoop); its writes go through a bounded queue that
// a writer drains as the socket takes the bytes. The writer is the reader
// itself for answers (after each read's lines are handled) and a goroutine
// that exists only while notifications are pending, so an idle connection
// costs one goroutine and a ReadBufferSize buffer.
type conn struct {
	srv    *Server
	nc     net.Conn
	ip     string
	remote string
	port   *Port

	// The write side, guarded by wmu. queued counts the bytes in wq,
	// inflight those taken by the writer and not yet written.
	wmu      sync.Mutex
	wq       [][]byte
	queued   int
	inflight int
	writing  bool
	closed   bool
	reason   string // why the connection was dropped

	// The reader's own state: no lock.
	buf       []byte
	extraBuf  int // bytes of buf beyond ReadBufferSize, counted in srv.buffered
	protoErrs int
	tokens    float64
	tokensAt  time.Time
	checked   int // submits since the last ban check
	invalid   int // of which refused (stale shares excepted)

	// The miner's state, guarded by mu (lock order: mu, then wmu).
	mu             sync.Mutex
	subscribed     bool
	en1            uint32
	en1b           []byte
	sessionID      string
	extranonceSub  bool
	versionRolling bool
	clientMask     uint32
	workers        []*authWorker
	diff           float64 // the difficulty in force
	oldDiff        float64 // the difficulty in force before the last change
	diffChangeSeq  uint64  // jobs with a lower seq accept min(oldDiff, diff)
	sentDiff       float64 // the last difficulty sent
	fixedDiff      bool    // d= in the password: no vardiff
	vd             *vardiff.State
	lastJobSeq     uint64 // the newest job sent

	// Read by the sweeper; Unix nanoseconds of the server's clock.
	connectedAt  int64
	lastActive   atomic.Int64
	partialSince atomic.Int64 // 0: no partial line pending
	handshaken   atomic.Bool
}

// authWorker is a worker authorized on a connection.
type authWorker struct {
	name   string
	payout Payout
	stats  *workerStats
}

// maxWorkersPerConn bounds the workers one connection may authorize.
const maxWorkersPerConn = 16

func newConn(s *Server, nc net.Conn, ip string, port *Port, now time.Time) *conn {
	c := &conn{
		srv:         s,
		nc:          nc,
		ip:          ip,
		remote:      nc.RemoteAddr().String(),
		port:        port,
		buf:         make([]byte, s.cfg.ReadBufferSize),
		tokens:      float64(s.cfg.SubmitBurst),
		tokensAt:    now,
		diff:        port.StartDifficulty,
		oldDiff:     port.StartDifficulty,
		connectedAt: now.UnixNano(),
	}
	c.lastActive.Store(now.UnixNano())
	return c
}

// readLoop reads lines and handles them until the connection fails or is
// dropped, then takes the connection out of the server.
func (c *conn) readLoop() {
	s := c.srv
	base := s.cfg.ReadBufferSize
	n := 0       // bytes in buf
	scanned := 0 // of which hold no newline
	for {
		if n == len(c.buf) {
			if len(c.buf) >= s.cfg.MaxLineSize {
				c.drop(DropLineTooLong)
				break
			}
			size := min(2*len(c.buf), s.cfg.MaxLineSize)
			if !s.reserve(size - len(c.buf)) {
				c.drop(DropMemory)
				break
			}
			c.extraBuf += size - len(c.buf)
			nb := make([]byte, size)
			copy(nb, c.buf[:n])
			c.buf = nb
		}
		m, err := c.nc.Read(c.buf[n:])
		if m > 0 {
			hadPartial := n > 0
			n += m
			start := 0
			for {
				i := bytes.IndexByte(c.buf[scanned:n], '\n')
				if i < 0 {
					scanned = n
					break
				}
				end := scanned + i
				c.handleLine(c.buf[start:end])
				start = end + 1
				scanned = start
				if c.isClosed() {
					break
				}
			}
			if c.isClosed() {
				break
			}
			if start > 0 {
				copy(c.buf, c.buf[start:n])
				n -= start
				scanned -= start
			}
			switch {
			case n == 0:
				c.partialSince.Store(0)
			case start > 0 || !hadPartial:
				c.partialSince.Store(s.now().UnixNano())
				if s.onPartial != nil {
					s.onPartial()
				}
			}
			if n <= base && len(c.buf) > base {
				nb := make([]byte, base)
				copy(nb, c.buf[:n])
				c.buf = nb
				s.release(c.extraBuf)
				c.extraBuf = 0
			}
			c.flush()
		}
		if err != nil {
			c.drop(DropReadError)
			break
		}
	}
	s.release(c.extraBuf)
	c.extraBuf = 0
	c.buf = nil

	s.remove(c)
	if s.onDrop != nil {
		c.wmu.Lock()
		reason := c.reason
		c.wmu.Unlock()
		s.onDrop(reason)
	}
}

// isClosed says whether the connection was dropped.
func (c *conn) isClosed() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.closed
}

// send queues lines for the miner. With async, a writer goroutine is
// started if none runs; without, the reader flushes after the lines of
// the read are handled. A queue that would pass MaxWriteQueue bytes, or
// the server's MaxBufferedBytes, drops the connection.
func (c *conn) send(async bool, lines ...[]byte) {
	size := 0
	for _, l := range lines {
		size += len(l)
	}
	c.wmu.Lock()
	if c.closed {
		c.wmu.Unlock()
		return
	}
	if c.queued+c.inflight+size > c.srv.cfg.MaxWriteQueue {
		c.wmu.Unlock()
		c.drop(DropQueueOverflow)
		return
	}
	if !c.srv.reserve(size) {
		c.wmu.Unlock()
		c.drop(DropMemory)
		return
	}
	c.wq = append(c.wq, lines...)
	c.queued += size
	start := async && !c.writing
	if start {
		c.writing = true
	}
	c.wmu.Unlock()
	if start {
		go c.writeLoop()
	}
}

// flush writes the queue from the reader's goroutine unless a writer
// goroutine is at it.
func (c *conn) flush() {
	c.wmu.Lock()
	if c.writing || c.closed || len(c.wq) == 0 {
		c.wmu.Unlock()
		return
	}
	c.writing = true
	c.wmu.Unlock()
	c.writeLoop()
}

// writeLoop writes the queue until it is empty. A write that makes no
// progress for WriteTimeout drops the connection.
func (c *conn) writeLoop() {
	for {
		c.wmu.Lock()
		if c.closed || len(c.wq) == 0 {
			c.writing = false
			c.wmu.Unlock()
			return
		}
		q := net.Buffers(c.wq)
		c.wq = nil
		n := c.queued
		c.inflight, c.queued = n, 0
		c.wmu.Unlock()

		_ = c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
		_, err := q.WriteTo(c.nc)

		c.wmu.Lock()
		c.inflight = 0
		c.wmu.Unlock()
		c.srv.release(n)
		if err != nil {
			c.drop(DropWrite)
			c.wmu.Lock()
			c.writing = false
			c.wmu.Unlock()
			return
		}
	}
}

// drop closes the connection once, for reason; the reader then takes it
// out of the server.
func (c *conn) drop(reason string) {
	c.wmu.Lock()
	if c.closed {
		c.wmu.Unlock()
		return
	}
	c.closed = true
	c.reason = reason
	queued := c.queued
	c.wq, c.queued = nil, 0
	c.wmu.Unlock()
	c.srv.release(queued)
	_ = c.nc.Close()
	c.srv.stats.dropped(reason)
	if reason != DropReadError && reason != DropShutdown {
		log.Debugf("Dropped %s: %s", c.remote, reason)
	}
}

// timedOut returns the timeout a connection is past at now, "" if none.
func (c *conn) timedOut(now time.Time) string {
	cfg := &c.srv.cfg
	t := now.UnixNano()
	if !c.handshaken.Load() && t-c.connectedAt > int64(cfg.HandshakeTimeout) {
		return DropHandshake
	}
	if p := c.partialSince.Load(); p != 0 && t-p > int64(cfg.LineTimeout) {
		return DropSlowloris
	}
	if t-c.lastActive.Load() > int64(cfg.IdleTimeout) {
		return DropIdle
	}
	return ""
}

// active notes a successful request or an accepted share.
func (c *conn) active() {
	c.lastActive.Store(c.srv.now().UnixNano())
}

// takeToken takes a submit token from the bucket, refilled at SubmitRate
// per second up to SubmitBurst.
func (c *conn) takeToken(now time.Time) bool {
	cfg := &c.srv.cfg
	if el := now.Sub(c.tokensAt); el > 0 {
		c.tokens = min(float64(cfg.SubmitBurst), c.tokens+el.Seconds()*cfg.SubmitRate)
		c.tokensAt = now
	}
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

// extranonce1 returns the connection's extranonce1 as bytes.
func en1Bytes(en1 uint32) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, en1)
	return b
}
