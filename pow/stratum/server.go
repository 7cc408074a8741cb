package stratum

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mainstake/sidenode/pow/stratum/vardiff"
	"github.com/mainstake/sidenode/pow/stratum/work"
)

// Port is the difficulty policy of one listening port.
type Port struct {
	Vardiff         vardiff.Config
	StartDifficulty float64
}

// Server is a Stratum V1 server. Make it with New, then call Serve (or
// ServePort) once per listener.
type Server struct {
	cfg    Config
	now    func() time.Time
	src    JobSource
	blocks BlockSink
	shares ShareSink
	auth   Authorizer

	startOnce sync.Once
	bg        sync.WaitGroup

	// mu guards the connection table, the per-IP counts, the bans, the
	// sessions and the extranonce1s in use.
	mu        sync.Mutex
	conns     map[*conn]struct{}
	perIP     map[string]int
	bans      map[string]time.Time
	sessions  map[string]*session // resumable: disconnected, not expired
	sessOrder []string            // resumable session ids, oldest first (may hold stale ids)
	en1InUse  map[uint32]struct{} // live connections and resumable sessions
	en1Next   uint32

	// refreshMu makes one job at a time; jobsMu guards the job table.
	refreshMu sync.Mutex
	jobsMu    sync.RWMutex
	jobs      map[string]*jobEntry
	jobOrder  []*jobEntry // oldest first, at most MaxJobs
	cur       *jobEntry
	jobSeq    uint64

	// refresh asks the job loop for a new job (a job's duplicate set is
	// filling).
	refresh     chan struct{}
	jobRequests atomic.Uint64 // calls of requestJob, for tests
	// templateMissing is set while the source gives no template: the
	// job loop asks again soon, and the warning is logged once.
	templateMissing atomic.Bool

	versionMask atomic.Uint32
	buffered    atomic.Int64 // bytes counted against MaxBufferedBytes

	stats *stats

	// hooks for tests: called when a connection is dropped (after the
	// drop is counted) and when a job has been sent to every client.
	onDrop      func(reason string)
	onBroadcast func(j *jobEntry)
	onPartial   func()
}

// session is a resumable subscription: its extranonce1 and difficulty.
type session struct {
	id          string
	extranonce1 uint32
	difficulty  float64
	expires     time.Time
}

// jobEntry is one job the server gave out.
type jobEntry struct {
	job     *work.Job
	seq     uint64
	seen    *work.Seen
	netDiff float64
	notify  [2][]byte // the notify line, clean false and true

	// refreshAt is the duplicate set's size at which the job asks for
	// the next one (3/4 of MaxSharesPerJob); refreshAsked is set once it
	// asked.
	refreshAt    int
	refreshAsked atomic.Bool
}

// New returns a server with the given configuration and collaborators.
// shares may be nil (accepted shares are then only counted).
func New(cfg Config, src JobSource, blocks BlockSink, shares ShareSink, auth Authorizer) (*Server, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if src == nil || blocks == nil || auth == nil {
		return nil, errors.New("stratum: a job source, a block sink and an authorizer are required")
	}
	s := &Server{
		cfg:      cfg,
		now:      cfg.Now,
		src:      src,
		blocks:   blocks,
		shares:   shares,
		auth:     auth,
		conns:    make(map[*conn]struct{}),
		perIP:    make(map[string]int),
		bans:     make(map[string]time.Time),
		sessions: make(map[string]*session),
		en1InUse: make(map[uint32]struct{}),
		jobs:     make(map[string]*jobEntry),
		refresh:  make(chan struct{}, 1),
	}
	if s.now == nil {
		s.now = time.Now
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	s.en1Next = binary.BigEndian.Uint32(b[:])
	s.versionMask.Store(cfg.VersionMask)
	s.stats = newStats(cfg.HashrateWindow)
	return s, nil
}

// Serve accepts miners on ln with the configuration's default port policy
// until ctx ends or ln fails. See ServePort.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.ServePort(ctx, ln, Port{Vardiff: s.cfg.Vardiff, StartDifficulty: s.cfg.StartDifficulty})
}

// ServePort accepts miners on ln with port's difficulty policy until ctx
// ends or ln fails; it closes ln and the connections it accepted before
// returning. The first call also starts the server's job loop and its
// timeout sweeper, which stop when that call's ctx ends (and that call
// waits for them).
func (s *Server) ServePort(ctx context.Context, ln net.Listener, port Port) error {
	if err := checkVardiff("Port.Vardiff", port.Vardiff); err != nil {
		return err
	}
	if port.StartDifficulty <= 0 {
		return fmt.Errorf("stratum: Port.StartDifficulty must be positive, got %v", port.StartDifficulty)
	}
	started := false
	s.startOnce.Do(func() {
		started = true
		s.refreshJob()
		s.bg.Add(2)
		go s.jobLoop(ctx)
		go s.sweepLoop(ctx)
	})

	var wg sync.WaitGroup
	mine := make(map[*conn]struct{})
	var mineMu sync.Mutex
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()

	var err error
	for {
		nc, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				var ne net.Error
				if errors.As(aerr, &ne) && ne.Timeout() {
					continue
				}
				err = aerr
			}
			break
		}
		c := s.admit(nc, &port)
		if c == nil {
			continue
		}
		mineMu.Lock()
		mine[c] = struct{}{}
		mineMu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.readLoop()
			mineMu.Lock()
			delete(mine, c)
			mineMu.Unlock()
		}()
	}
	_ = ln.Close()
	mineMu.Lock()
	for c := range mine {
		c.drop(DropShutdown)
	}
	mineMu.Unlock()
	wg.Wait()
	if started && ctx.Err() != nil {
		s.bg.Wait()
	}
	return err
}

// admit applies the connection limits and bans to a new connection and
// returns its conn, or closes it and returns nil.
func (s *Server) admit(nc net.Conn, port *Port) *conn {
	ip := remoteIP(nc)
	now := s.now()
	s.mu.Lock()
	reason := ""
	if until, ok := s.bans[ip]; ok {
		if now.Before(until) {
			reason = RefusedBannedIP
		} else {
			delete(s.bans, ip)
		}
	}
	switch {
	case reason != "":
	case len(s.conns) >= s.cfg.MaxConnections:
		reason = RefusedTotal
	case s.perIP[ip] >= s.cfg.MaxConnsPerIP:
		reason = RefusedPerIP
	}
	if reason != "" {
		s.mu.Unlock()
		_ = nc.Close()
		s.stats.dropped(reason)
		log.Debugf("Refused %v: %s", nc.RemoteAddr(), reason)
		if s.onDrop != nil {
			s.onDrop(reason)
		}
		return nil
	}
	c := newConn(s, nc, ip, port, now)
	s.conns[c] = struct{}{}
	s.perIP[ip]++
	s.mu.Unlock()
	s.stats.connections.Add(1)
	return c
}

// remove takes a closed connection out of the tables and keeps its
// subscription resumable.
func (s *Server) remove(c *conn) {
	now := s.now()
	c.mu.Lock()
	subscribed, en1, sid, diff := c.subscribed, c.en1, c.sessionID, c.diff
	workers := c.workers
	c.workers = nil
	c.mu.Unlock()
	c.wmu.Lock()
	reason := c.reason
	c.wmu.Unlock()

	s.mu.Lock()
	delete(s.conns, c)
	if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
	switch {
	case subscribed && reason == DropExtranonce:
		// Dropped to get a new extranonce1: not resumable.
		delete(s.en1InUse, en1)
	case subscribed:
		s.keepSessionLocked(&session{id: sid, extranonce1: en1, difficulty: diff,
			expires: now.Add(s.cfg.SessionTTL)})
	}
	s.mu.Unlock()
	s.stats.connections.Add(-1)
	for _, w := range workers {
		w.stats.conns.Add(-1)
	}
}

// keepSessionLocked makes a session resumable, evicting the oldest when
// the table is full. s.mu is held.
func (s *Server) keepSessionLocked(ss *session) {
	for len(s.sessions) >= s.cfg.MaxSessions && len(s.sessOrder) > 0 {
		old := s.sessOrder[0]
		s.sessOrder = s.sessOrder[1:]
		if o, ok := s.sessions[old]; ok {
			delete(s.sessions, old)
			delete(s.en1InUse, o.extranonce1)
		}
	}
	s.sessions[ss.id] = ss
	s.sessOrder = append(s.sessOrder, ss.id)
	s.en1InUse[ss.extranonce1] = struct{}{}
}

// subscribe gives c a subscription: the resumed session when sid names a
// resumable one, else a new session id and extranonce1. It returns the
// session and whether it was resumed.
func (s *Server) subscribe(sid string) (ss session, resumed bool, err error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.sessions[sid]; ok && sid != "" {
		delete(s.sessions, sid)
		if now.Before(old.expires) {
			// Its extranonce1 stays in use, now by the live connection.
			return *old, true, nil
		}
		delete(s.en1InUse, old.extranonce1)
	}
	for i := 0; ; i++ {
		if i == 1<<16 {
			return session{}, false, errExtranonceSpace
		}
		s.en1Next++
		if _, used := s.en1InUse[s.en1Next]; !used {
			break
		}
	}
	en1 := s.en1Next
	s.en1InUse[en1] = struct{}{}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return session{id: hex.EncodeToString(b[:]), extranonce1: en1}, false, nil
}

// releaseExtranonce frees an extranonce1 that no session holds any more.
func (s *Server) releaseExtranonce(en1 uint32) {
	s.mu.Lock()
	delete(s.en1InUse, en1)
	s.mu.Unlock()
}

// reserve counts n more buffered bytes against MaxBufferedBytes; it
// refuses (counting nothing) when the total would exceed it.
func (s *Server) reserve(n int) bool {
	if s.buffered.Add(int64(n)) > s.cfg.MaxBufferedBytes {
		s.buffered.Add(-int64(n))
		return false
	}
	return true
}

// release returns n buffered bytes.
func (s *Server) release(n int) {
	s.buffered.Add(-int64(n))
}

// ban refuses ip for BanDuration.
func (s *Server) ban(ip string) {
	now := s.now()
	s.mu.Lock()
	if len(s.bans) >= s.cfg.MaxBans {
		for k, until := range s.bans {
			if !now.Before(until) {
				delete(s.bans, k)
			}
		}
	}
	if len(s.bans) < s.cfg.MaxBans {
		s.bans[ip] = now.Add(s.cfg.BanDuration)
	}
	s.mu.Unlock()
}

// connsSnapshot returns the open connections.
func (s *Server) connsSnapshot() []*conn {
	s.mu.Lock()
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	s.mu.Unlock()
	return out
}

// remoteIP is the IP part of a connection's remote address.
func remoteIP(nc net.Conn) string {
	addr := nc.RemoteAddr()
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	if addr == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return host
}

// sweepLoop checks the timeouts every SweepInterval.
func (s *Server) sweepLoop(ctx context.Context) {
	defer s.bg.Done()
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sweep()
		}
	}
}

// sweep drops connections past a timeout, lets vardiff lower the
// difficulty of miners that send no shares, and forgets expired sessions,
// bans and idle workers.
func (s *Server) sweep() {
	now := s.now()
	var netDiff float64
	if e := s.currentJob(); e != nil {
		netDiff = e.netDiff
	}
	for _, c := range s.connsSnapshot() {
		if reason := c.timedOut(now); reason != "" {
			c.drop(reason)
			continue
		}
		c.idleVardiff(now, netDiff)
	}
	s.mu.Lock()
	for id, ss := range s.sessions {
		if !now.Before(ss.expires) {
			delete(s.sessions, id)
			delete(s.en1InUse, ss.extranonce1)
		}
	}
	if len(s.sessOrder) > 2*len(s.sessions)+64 {
		kept := s.sessOrder[:0]
		for _, id := range s.sessOrder {
			if _, ok := s.sessions[id]; ok {
				kept = append(kept, id)
			}
		}
		s.sessOrder = kept
	}
	for ip, until := range s.bans {
		if !now.Before(until) {
			delete(s.bans, ip)
		}
	}
	s.mu.Unlock()
	s.stats.prune(now)
}
