package bitcoinrpc

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/headerchain"
)

// Mining is the node's mining as the server needs it: api.MiningBackend's
// methods, which nodeapi.Adapter implements. The template, its long polls
// and BIP22's reasons for a refused block all come from there; this
// package only speaks bitcoind's dialect of them.
type Mining interface {
	// BlockTemplate returns the template on the best tip; given the
	// current template's long poll id it waits until the template
	// changes or ctx ends.
	BlockTemplate(ctx context.Context, longPollID string) (*api.BlockTemplate, error)

	// SubmitBlock judges a block in the node's encoding (the 80-byte
	// header and the body).
	SubmitBlock(ctx context.Context, raw []byte) (*api.SubmitResult, error)

	// MiningInfo returns the chain's mining figures with the newest
	// recent blocks.
	MiningInfo(ctx context.Context, recent int) (*api.MiningInfo, error)
}

// Chain is the sidechain's best chain, for getbestblockhash,
// getblockchaininfo, getblockcount and getblockhash.
type Chain interface {
	ChainState(ctx context.Context) (*ChainState, error)

	// BlockHash returns the hash of the best chain's block at height;
	// false when the best chain has no block there.
	BlockHash(ctx context.Context, height int32) (chainhash.Hash, bool, error)
}

// ChainState is the best chain as getblockchaininfo shows it.
type ChainState struct {
	// Blocks is the height of the best block, BestHash its hash.
	Blocks   int32
	BestHash chainhash.Hash

	// Headers is the height of the best header the node knows, which
	// may be ahead of Blocks while bodies are missing.
	Headers int32

	// MedianTime is the best block's median time past.
	MedianTime time.Time

	// ChainWork is the best chain's cumulative work.
	ChainWork *big.Int
}

// Mempool counts the transactions waiting to be mined (getmininginfo's
// pooledtx).
type Mempool interface {
	Count() int
}

// Defaults of Config's limits.
const (
	DefaultMaxConcurrent = 32
	DefaultMaxLongPolls  = 16
	DefaultMaxConns      = 64
	DefaultMaxBatch      = 64
	DefaultLongPollWait  = 60 * time.Second
	DefaultReadTimeout   = 30 * time.Second
	DefaultIdleTimeout   = 120 * time.Second

	// DefaultMaxBodyBytes fits a submitblock of the largest block in
	// hex, and room for the call around it.
	DefaultMaxBodyBytes = 2*headerchain.MaxBlockWeight/headerchain.BaseSizeFactor + 64<<10

	// readHeaderTimeout bounds reading a request's headers, before the
	// credentials are known.
	readHeaderTimeout = 10 * time.Second

	// writeSlack is how much longer than a long poll's wait a response
	// may take to be written.
	writeSlack = 30 * time.Second
)

// Auth backoff: after the nth wrong password in a row from an address,
// that address is refused for authBackoffBase·2^(n−1), at most
// authBackoffMax, whatever it sends; a right password ends it.
const (
	authBackoffBase = 250 * time.Millisecond
	authBackoffMax  = 30 * time.Second

	// maxAuthTracked bounds the addresses the backoff remembers.
	maxAuthTracked = 10000
)

// Config configures a Server.
type Config struct {
	// Listen is the address to listen on (host:port).
	Listen string

	// User and Pass are the HTTP basic credentials every call must
	// carry; both are required.
	User, Pass string

	// Params are the network's: its name is the chain's, its sidechain
	// parameters decide which addresses validateaddress accepts.
	Params *chainparams.Params

	Mining  Mining
	Chain   Chain
	Mempool Mempool // nil: pooledtx is 0

	// Version is the node's version ("0.1.0-dev"), for getnetworkinfo.
	Version string

	// Now is the clock of the auth backoff; nil is time.Now.
	Now func() time.Time

	// Limits; zero means the default.
	MaxConcurrent int   // calls served at once; more get HTTP 503
	MaxLongPolls  int   // of MaxConcurrent, long polls waiting at once
	MaxConns      int   // connections open at once; more wait to be accepted
	MaxBatch      int   // calls in one batch
	MaxBodyBytes  int64 // request body; larger gets HTTP 413

	// LongPollWait is the longest a long poll waits for a new template
	// before it answers with the current one.
	LongPollWait time.Duration

	// ReadTimeout bounds reading a request, IdleTimeout a kept-alive
	// connection's wait for the next one. Writing may take
	// LongPollWait and 30 s more.
	ReadTimeout, IdleTimeout time.Duration
}

func (c *Config) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxConcurrent, DefaultMaxConcurrent)
	def(&c.MaxLongPolls, DefaultMaxLongPolls)
	def(&c.MaxConns, DefaultMaxConns)
	def(&c.MaxBatch, DefaultMaxBatch)
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.LongPollWait <= 0 {
		c.LongPollWait = DefaultLongPollWait
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Server is the bitcoind-compatible JSON-RPC server.
type Server struct {
	cfg Config

	userHash, passHash [sha256.Size]byte

	work  chan struct{} // a slot per call being served
	polls chan struct{} // a slot per long poll waiting

	auth *authLimiter

	methods map[string]method

	ctx    context.Context // ends with Stop: long polls end with it
	cancel context.CancelFunc

	mu   sync.Mutex
	http *http.Server
	ln   net.Listener
	done chan struct{}
}

// New checks the configuration and returns a server that is not
// listening yet.
func New(cfg Config) (*Server, error) {
	cfg.setDefaults()
	switch {
	case cfg.User == "" || cfg.Pass == "":
		return nil, errors.New("the bitcoind-compatible RPC server needs " +
			"credentials: set --btcrpcuser and --btcrpcpass")
	case cfg.Params == nil || cfg.Params.Side == nil:
		return nil, errors.New("bitcoinrpc: no network parameters")
	case cfg.Mining == nil || cfg.Chain == nil:
		return nil, errors.New("bitcoinrpc: no mining or chain to serve")
	case cfg.MaxLongPolls >= cfg.MaxConcurrent:
		return nil, fmt.Errorf("bitcoinrpc: %d long polls leave no room in %d "+
			"concurrent calls", cfg.MaxLongPolls, cfg.MaxConcurrent)
	}
	s := &Server{
		cfg:      cfg,
		userHash: sha256.Sum256([]byte(cfg.User)),
		passHash: sha256.Sum256([]byte(cfg.Pass)),
		work:     make(chan struct{}, cfg.MaxConcurrent),
		polls:    make(chan struct{}, cfg.MaxLongPolls),
		auth:     newAuthLimiter(cfg.Now),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.methods = s.methodTable()
	return s, nil
}

// Start listens on Config.Listen and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("bitcoind-compatible RPC server: listen on %s: %w", s.cfg.Listen, err)
	}
	return s.Serve(ln)
}

// Serve serves on ln in the background, at most MaxConns connections at
// once.
func (s *Server) Serve(ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: min(s.cfg.ReadTimeout, readHeaderTimeout),
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.ReadTimeout + s.cfg.LongPollWait + writeSlack,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
		ErrorLog:          nil,
	}
	ln = newLimitListener(ln, s.cfg.MaxConns)
	s.mu.Lock()
	s.http, s.ln, s.done = srv, ln, make(chan struct{})
	s.mu.Unlock()
	go func() {
		defer close(s.done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Errorf("bitcoind-compatible RPC server stopped: %v", err)
		}
	}()
	log.Infof("bitcoind-compatible RPC server listening on %v", ln.Addr())
	return nil
}

// Addr returns the address the server listens on, nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Stop ends the long polls, then the server, waiting up to 5 s for calls
// in flight.
func (s *Server) Stop() {
	s.cancel()
	s.mu.Lock()
	srv, done := s.http, s.done
	s.mu.Unlock()
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
	<-done
}

// ServeHTTP serves one HTTP request: POST only, with the credentials, in
// a free slot, within the body limit.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "JSONRPC server handles only POST requests", http.StatusMethodNotAllowed)
		return
	}
	host := remoteHost(r.RemoteAddr)
	if wait := s.auth.blocked(host); wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		http.Error(w, "too many wrong credentials: wait", http.StatusTooManyRequests)
		return
	}
	if !s.authorized(r) {
		s.auth.failed(host)
		log.Warnf("bitcoind-compatible RPC: wrong credentials from %s", host)
		w.Header().Set("WWW-Authenticate", `Basic realm="jsonrpc"`)
		http.Error(w, "wrong credentials", http.StatusUnauthorized)
		return
	}
	s.auth.succeeded(host)
	select {
	case s.work <- struct{}{}:
		defer func() { <-s.work }()
	default:
		http.Error(w, "Work queue depth exceeded", http.StatusServiceUnavailable)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, fmt.Sprintf("request body over %d bytes", s.cfg.MaxBodyBytes),
				http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "reading the request failed", http.StatusBadRequest)
		return
	}
	status, out := s.handleBody(r.Context(), body)
	if out == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(out)
	_, _ = w.Write([]byte{'\n'})
}

// authorized checks the basic credentials in constant time: both hashes
// are compared whatever the first gives.
func (s *Server) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(pass))
	return subtle.ConstantTimeCompare(u[:], s.userHash[:])&
		subtle.ConstantTimeCompare(p[:], s.passHash[:]) == 1
}

// handleBody answers a body: the HTTP status and the JSON to write, nil
// for no content (notifications only).
func (s *Server) handleBody(ctx context.Context, body []byte) (int, []byte) {
	calls, errs, batch, err := decodeBody(body, s.cfg.MaxBatch)
	if err != nil {
		out, _ := json.Marshal(&response{err: err})
		if err.Code == codeInvalidRequest {
			return http.StatusBadRequest, out
		}
		return http.StatusInternalServerError, out
	}
	var resps []*response
	for i := range calls {
		resp := s.call(ctx, &calls[i], errs[i])
		if resp != nil {
			resps = append(resps, resp)
		}
	}
	if batch {
		if len(resps) == 0 {
			return http.StatusNoContent, nil
		}
		out, mErr := json.Marshal(resps)
		if mErr != nil {
			return http.StatusInternalServerError, internalError(mErr)
		}
		return http.StatusOK, out
	}
	if len(resps) == 0 {
		return http.StatusNoContent, nil
	}
	out, mErr := json.Marshal(resps[0])
	if mErr != nil {
		return http.StatusInternalServerError, internalError(mErr)
	}
	return httpStatus(resps[0]), out
}

func internalError(err error) []byte {
	out, _ := json.Marshal(&response{err: errorf(codeInternal, "Internal error: %v", err)})
	return out
}

// httpStatus is bitcoind's status for a single call's answer: 200 for
// JSON-RPC 2.0 and for results; for a 1.0 error, 404 for an unknown
// method, 400 for an invalid request, 500 for the rest.
func httpStatus(r *response) int {
	if r.v2 || r.err == nil {
		return http.StatusOK
	}
	switch r.err.Code {
	case codeMethodNotFound:
		return http.StatusNotFound
	case codeInvalidRequest:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// call runs one call; nil for a notification.
func (s *Server) call(ctx context.Context, req *request, decodeErr *rpcError) *response {
	resp := &response{v2: req.V2, id: req.ID}
	if decodeErr != nil {
		resp.err = decodeErr
		return resp
	}
	m, ok := s.methods[req.Method]
	if !ok {
		resp.err = errorf(codeMethodNotFound, "Method not found")
	} else {
		resp.result, resp.err = m(ctx, req.Params)
	}
	if req.notification() {
		return nil
	}
	return resp
}

// remoteHost is the host of a remote address, the address itself if it
// has no port.
func remoteHost(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// authLimiter keeps the auth backoff of each remote host.
type authLimiter struct {
	mu    sync.Mutex
	now   func() time.Time
	hosts map[string]*authFailures
}

type authFailures struct {
	n     int
	until time.Time
}

func newAuthLimiter(now func() time.Time) *authLimiter {
	return &authLimiter{now: now, hosts: make(map[string]*authFailures)}
}

// blocked returns how long host must still wait; 0 if it may try.
func (l *authLimiter) blocked(host string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.hosts[host]
	if !ok {
		return 0
	}
	if wait := f.until.Sub(l.now()); wait > 0 {
		return wait
	}
	return 0
}

// failed counts a wrong password from host and starts its wait. When the
// table is full of hosts still waiting, a new host is not remembered: the
// table stays bounded, and it is that host that goes without a backoff.
func (l *authLimiter) failed(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f, ok := l.hosts[host]
	if !ok {
		if len(l.hosts) >= maxAuthTracked {
			for h, g := range l.hosts {
				if !g.until.After(now) {
					delete(l.hosts, h)
				}
			}
			if len(l.hosts) >= maxAuthTracked {
				return
			}
		}
		f = &authFailures{}
		l.hosts[host] = f
	}
	f.n++
	wait := authBackoffMax
	if f.n <= 8 {
		wait = min(authBackoffBase<<(f.n-1), authBackoffMax)
	}
	f.until = now.Add(wait)
}

// succeeded forgets host's failures.
func (l *authLimiter) succeeded(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hosts, host)
}

// limitListener accepts at most n connections at once: Accept waits for
// one to close.
type limitListener struct {
	net.Listener
	slots chan struct{}
	done  chan struct{}
	once  sync.Once
}

func newLimitListener(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
