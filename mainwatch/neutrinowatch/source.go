package neutrinowatch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/btcsuite/btcwallet/walletdb"
	_ "github.com/btcsuite/btcwallet/walletdb/bdb" // registers the "bdb" driver
	"github.com/lightninglabs/neutrino"
	"github.com/lightninglabs/neutrino/headerfs"

	"github.com/mainstake/sidenode/mainwatch"
)

const (
	// DBName is the walletdb (bbolt) file neutrino keeps its indexes,
	// ban list and, with PersistFilters, its filters in.
	DBName = "neutrino.db"

	// DefaultQueryTimeout bounds one filter batch or block fetch.
	DefaultQueryTimeout = 30 * time.Second

	// DefaultNumRetries is how often neutrino sends one query before it
	// gives up. Its first try waits 2s for an answer, each retry twice
	// as long as the one before.
	DefaultNumRetries = 3

	// DefaultFilterBatch is how many filters one getcfilters message asks
	// for, the most the protocol allows.
	DefaultFilterBatch = wire.MaxGetCFiltersReqRange

	// DefaultDBTimeout bounds the wait for the lock on neutrino.db, which
	// another process may hold.
	DefaultDBTimeout = 10 * time.Second

	// pollInterval is how often the tip is polled for TipChanged and
	// Status.
	pollInterval = 200 * time.Millisecond

	// sendTimeout bounds how long SendTx waits for a peer to take the
	// transaction.
	sendTimeout = 5 * time.Second

	// maxCalls bounds the neutrino queries in flight at once, including
	// ones a cancelled Blocks left behind.
	maxCalls = 16

	// stopWait bounds how long Stop waits for abandoned queries to end
	// before it closes the database under them.
	stopWait = 10 * time.Second
)

var (
	// ErrNotStarted is returned by calls that need peers before Start.
	ErrNotStarted = errors.New("neutrinowatch: not started")

	// ErrStopped is returned by calls made after Stop.
	ErrStopped = errors.New("neutrinowatch: stopped")

	// ErrNoPeers is returned by SendTx when no peer is connected.
	ErrNoPeers = errors.New("neutrinowatch: no connected peers")

	// errLeftChain is returned for a query about a block that a reorg
	// took off neutrino's header chain while the query ran.
	errLeftChain = errors.New("the block left the header chain")
)

// Config configures the light client.
type Config struct {
	// DataDir holds neutrino's state: neutrino.db, block_headers.bin,
	// reg_filter_headers.bin and peers.json. It is created if missing.
	// Use one directory per network.
	DataDir string
	Params  *chaincfg.Params

	// ConnectPeers are the only peers used (--neutrino.connect). When
	// empty, AddPeers (--neutrino.addpeer) are kept connected besides the
	// peers neutrino finds itself (none on regtest and simnet).
	ConnectPeers []string
	AddPeers     []string

	// QueryTimeout bounds one filter batch or block fetch, retries
	// included (default DefaultQueryTimeout). A fetch that outlives it
	// fails Blocks; the follower retries from its cursor.
	QueryTimeout time.Duration

	// NumRetries is how often neutrino sends one query (default
	// DefaultNumRetries).
	NumRetries uint8

	// FilterBatch is the most filters asked for in one message, 1 to
	// 1000 (default DefaultFilterBatch). Catch-up starts with smaller
	// batches so the first blocks arrive soon.
	FilterBatch int

	// PersistFilters keeps every fetched filter in neutrino.db, so that
	// a resync after a restart needs no filter downloads.
	PersistFilters bool

	// FilterCacheSize and BlockCacheSize are neutrino's in-memory caches
	// in bytes (default neutrino's: 30 MB and 40 MB). The filter cache
	// should hold a whole batch.
	FilterCacheSize uint64
	BlockCacheSize  uint64

	// DBTimeout bounds the wait for neutrino.db's file lock (default
	// DefaultDBTimeout).
	DBTimeout time.Duration
}

// Source is a mainwatch.Source backed by an embedded neutrino light client.
type Source struct {
	cfg    Config
	dbPath string
	db     walletdb.DB
	cs     *neutrino.ChainService
	super  *supervisor

	// filterCalls counts the GetCFilter calls running, abandoned ones
	// included.
	filterCalls atomic.Int32

	// headerStore is cs.BlockHeaders, which onChain reads.
	headerStore headerLookup

	// timeSource is the clock blocks fetched directly are checked
	// against.
	timeSource blockchain.MedianTimeSource

	tip   chan struct{}
	quit  chan struct{}
	slots chan struct{}
	wg    sync.WaitGroup // the poll loop
	calls sync.WaitGroup // neutrino queries in flight

	stopOnce sync.Once
	stopErr  error

	mu       sync.Mutex
	started  bool
	stopped  bool
	best     mainwatch.Cursor
	bestAt   time.Time // when best was first seen
	head     chainhash.Hash
	moved    chan struct{} // closed when the header tip moves
	headers  int32
	peers    int
	tipErr   string // from the last poll of the tips
	fetchErr string // from the last Blocks
}

var _ mainwatch.Source = (*Source)(nil)

// New opens the light client's state in cfg.DataDir and creates the
// neutrino ChainService. Start connects it to peers.
func New(cfg Config) (*Source, error) {
	if cfg.Params == nil {
		return nil, errors.New("neutrinowatch: no chain parameters")
	}
	if cfg.DataDir == "" {
		return nil, errors.New("neutrinowatch: no data directory")
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = DefaultQueryTimeout
	}
	if cfg.NumRetries == 0 {
		cfg.NumRetries = DefaultNumRetries
	}
	if cfg.FilterBatch <= 0 || cfg.FilterBatch > wire.MaxGetCFiltersReqRange {
		cfg.FilterBatch = DefaultFilterBatch
	}
	if cfg.DBTimeout <= 0 {
		cfg.DBTimeout = DefaultDBTimeout
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("neutrinowatch: create data directory: %w", err)
	}

	s := &Source{
		cfg:    cfg,
		dbPath: filepath.Join(cfg.DataDir, DBName),
		tip:    make(chan struct{}, 1),
		quit:   make(chan struct{}),
		slots:  make(chan struct{}, maxCalls),

		timeSource: blockchain.NewMedianTime(),
		best:       mainwatch.Cursor{Height: -1},
		moved:      make(chan struct{}),
	}
	peers := cfg.ConnectPeers
	if len(peers) == 0 {
		peers = cfg.AddPeers
	}
	s.super = newSupervisor(peers, cfg.Params.DefaultPort)
	db, err := guard(s.dbPath, func() (walletdb.DB, error) {
		return walletdb.Create("bdb", s.dbPath, true, cfg.DBTimeout)
	})
	if err != nil {
		return nil, fmt.Errorf("neutrinowatch: open %s: %w", s.dbPath, err)
	}
	s.db = db

	// Check the header files before neutrino starts goroutines that
	// panic on a broken store, and before it has peers to give them to.
	_, err = guard(cfg.DataDir, func() (struct{}, error) {
		return struct{}{}, checkStores(cfg.DataDir, db, cfg.Params)
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("neutrinowatch: %w (remove the directory "+
			"%s to resync from scratch)", err, cfg.DataDir)
	}

	cs, err := guard(cfg.DataDir, func() (*neutrino.ChainService, error) {
		return neutrino.NewChainService(neutrino.Config{
			DataDir:         cfg.DataDir,
			Database:        db,
			ChainParams:     *cfg.Params,
			ConnectPeers:    cfg.ConnectPeers,
			AddPeers:        cfg.AddPeers,
			FilterCacheSize: cfg.FilterCacheSize,
			BlockCacheSize:  cfg.BlockCacheSize,
			PersistToDisk:   cfg.PersistFilters,
			Dialer:          s.super.dial,
		})
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("neutrinowatch: chain state in %s: %w",
			cfg.DataDir, err)
	}
	s.cs, s.headerStore = cs, cs.BlockHeaders
	s.refresh(false)
	return s, nil
}

// guard runs f, which reads path, turning a panic, or a memory fault in a
// corrupt memory-mapped file, into an error.
func guard[T any](path string, f func() (T, error)) (v T, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("corrupt data in %s: %v", path, r)
		}
	}()
	return f()
}

// Start connects to peers and begins syncing headers and filter headers in
// the background; it does not wait for them.
func (s *Source) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return ErrStopped
	}
	if s.started {
		return nil
	}
	if err := s.cs.Start(); err != nil {
		return fmt.Errorf("neutrinowatch: start: %w", err)
	}
	s.started = true
	s.super.start(s.cs)
	peers := s.cfg.ConnectPeers
	if len(peers) == 0 {
		peers = s.cfg.AddPeers
	}
	log.Infof("Neutrino started in %s on %s at filter tip %v, header tip "+
		"%d; peers %v", s.cfg.DataDir, s.cfg.Params.Name, s.best,
		s.headers, peers)
	s.wg.Add(1)
	go s.pollLoop()
	return nil
}

// Stop stops the ChainService, waits for queries still in flight and closes
// the database. It is safe to call more than once, and without Start.
func (s *Source) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Source) stop() error {
	s.mu.Lock()
	started := s.started
	s.stopped = true
	close(s.quit)
	s.mu.Unlock()

	var errs []error
	if started {
		s.super.stop()
	} else {
		// NewChainService already runs a goroutine per configured
		// peer that only the service's Stop ends, and Stop waits
		// for goroutines that only Start runs.
		if err := s.cs.Start(); err != nil {
			errs = append(errs, err)
		}
	}
	// The poll loop may be waiting on neutrino's peer handler, which
	// the service's Stop releases; so it is waited for afterwards.
	if err := s.cs.Stop(); err != nil {
		errs = append(errs, fmt.Errorf("stop neutrino: %w", err))
	}
	s.wg.Wait()

	// Queries left behind by a cancelled Blocks end on the service's
	// shutdown; the database must outlive them.
	done := make(chan struct{})
	go func() {
		s.calls.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(stopWait):
		log.Warnf("Neutrino queries still running %v after shutdown", stopWait)
	}
	if err := s.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close %s: %w", s.dbPath, err))
	}
	log.Infof("Neutrino stopped")
	return errors.Join(errs...)
}

// running returns nil while the source is started and not stopped.
func (s *Source) running() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.stopped:
		return ErrStopped
	case !s.started:
		return ErrNotStarted
	}
	return nil
}

// pollLoop keeps the cached tip and peer count fresh and signals
// TipChanged when the filter-header tip moves. Polling the header stores is
// cheap and, unlike a block subscription, cannot fall behind or be dropped.
func (s *Source) pollLoop() {
	defer s.wg.Done()
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		s.refresh(true)
		select {
		case <-s.quit:
			return
		case <-ticker.C:
		}
	}
}

// refresh reads the tips, and with peers the peer count, into the cache.
func (s *Source) refresh(peers bool) {
	var (
		cur     mainwatch.Cursor
		headers int32
		head    chainhash.Hash
		npeers  = -1
	)
	best, err := s.cs.BestBlock()
	if err == nil {
		cur = mainwatch.Cursor{Height: best.Height, Hash: best.Hash}
		var (
			header *wire.BlockHeader
			height uint32
		)
		header, height, err = s.cs.BlockHeaders.ChainTip()
		if err == nil {
			headers, head = int32(height), header.BlockHash()
		}
	}
	if peers {
		npeers = int(s.cs.ConnectedCount())
	}

	s.mu.Lock()
	changed := false
	if err != nil {
		s.tipErr = fmt.Sprintf("read chain tip: %v", err)
	} else {
		changed = cur != s.best
		if changed {
			s.bestAt = time.Now()
		}
		if head != s.head {
			close(s.moved)
			s.moved = make(chan struct{})
		}
		s.best, s.headers, s.head, s.tipErr = cur, headers, head, ""
	}
	if npeers >= 0 {
		s.peers = npeers
	}
	s.mu.Unlock()
	if changed {
		log.Debugf("Filter header tip %v, block header tip %d", cur, headers)
		s.signal()
	}
}

func (s *Source) signal() {
	select {
	case s.tip <- struct{}{}:
	default:
	}
}

func (s *Source) setFetchErr(err error) {
	s.mu.Lock()
	if err == nil {
		s.fetchErr = ""
	} else {
		s.fetchErr = err.Error()
	}
	s.mu.Unlock()
}

// Name implements mainwatch.Source.
func (s *Source) Name() string { return "neutrino" }

// TipChanged implements mainwatch.Source. It is signalled when the tip up
// to which both headers and filter headers are synced moves.
func (s *Source) TipChanged() <-chan struct{} { return s.tip }

// Best implements mainwatch.Source: the highest block whose header and
// filter header are both synced. It is the genesis block until neutrino has
// synced from a peer.
func (s *Source) Best(ctx context.Context) (mainwatch.Cursor, error) {
	if err := ctx.Err(); err != nil {
		return mainwatch.Cursor{}, err
	}
	best, err := s.cs.BestBlock()
	if err != nil {
		return mainwatch.Cursor{}, fmt.Errorf("neutrino best block: %w", err)
	}
	return mainwatch.Cursor{Height: best.Height, Hash: best.Hash}, nil
}

// HashAt implements mainwatch.Source from the block header store.
func (s *Source) HashAt(ctx context.Context, height int32) (chainhash.Hash, error) {
	if err := ctx.Err(); err != nil {
		return chainhash.Hash{}, err
	}
	if height < 0 {
		return chainhash.Hash{}, fmt.Errorf("neutrinowatch: no block at height %d", height)
	}
	hash, err := s.cs.GetBlockHash(int64(height))
	if err != nil {
		return chainhash.Hash{}, fmt.Errorf("neutrino block hash at %d: %w", height, err)
	}
	return *hash, nil
}

// SendTx implements mainwatch.Source. It writes the transaction straight to
// every connected peer and returns once one of them has it, without
// neutrino's wait for rejections. A peer that refuses the transaction
// does not make SendTx fail; the follower sends it again after each block
// until it confirms.
func (s *Source) SendTx(ctx context.Context, tx *wire.MsgTx) error {
	if err := s.running(); err != nil {
		return err
	}
	var peers []*neutrino.ServerPeer
	for _, p := range s.cs.Peers() {
		if p.Connected() {
			peers = append(peers, p)
		}
	}
	if len(peers) == 0 {
		return ErrNoPeers
	}
	done := make(chan struct{}, len(peers))
	for _, p := range peers {
		// Peers serve us witness data, so they take it from us too.
		p.QueueMessageWithEncoding(tx, done, wire.WitnessEncoding)
	}
	timer := time.NewTimer(sendTimeout)
	defer timer.Stop()
	select {
	case <-done:
		log.Debugf("Sent transaction %v to %d peers", tx.TxHash(), len(peers))
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.quit:
		return ErrStopped
	case <-timer.C:
		return fmt.Errorf("neutrinowatch: transaction %v not sent to any "+
			"of %d peers within %v", tx.TxHash(), len(peers), sendTimeout)
	}
}

// Status implements mainwatch.Source from the values the poll loop keeps;
// it never blocks on neutrino.
func (s *Source) Status() mainwatch.SourceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := mainwatch.SourceStatus{
		Backend:   "neutrino",
		Connected: s.started && !s.stopped && s.peers > 0,
		Best:      s.best,
		Headers:   s.headers,
		Peers:     s.peers,
		Err:       s.fetchErr,
	}
	if st.Err == "" {
		st.Err = s.tipErr
	}
	switch {
	case s.stopped:
		st.Peers, st.Err = 0, ErrStopped.Error()
	case !s.started:
		st.Err = ErrNotStarted.Error()
	}
	return st
}

// call runs a neutrino query about the block hash, which takes no context,
// and waits for it under ctx and the query timeout. A query that outlives
// them goes on in the background, bounded by maxCalls and ended by Stop;
// what it fetches lands in neutrino's caches for the retry.
//
// A query is also abandoned as soon as a reorg takes its block off the
// header chain: a peer that has left that block's branch may never answer
// for it (btcd serves no filter for a block it invalidated), and the
// caller had better learn of the reorg now than at the timeout.
func call[T any](ctx context.Context, s *Source, what string, hash chainhash.Hash,
	query func() (T, error)) (T, error) {
	var zero T
	timer := time.NewTimer(s.cfg.QueryTimeout)
	defer timer.Stop()
	timeout := func() error {
		return fmt.Errorf("%s: no answer from peers within %v", what, s.cfg.QueryTimeout)
	}

	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-s.quit:
		return zero, ErrStopped
	case <-timer.C:
		return zero, timeout()
	}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		<-s.slots
		return zero, ErrStopped
	}
	s.calls.Add(1)
	s.mu.Unlock()

	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		defer s.calls.Done()
		defer func() { <-s.slots }()
		v, err := query()
		ch <- result{v, err}
	}()
	for {
		moved := s.movedChan()
		if !s.onChain(hash) {
			return zero, fmt.Errorf("%s: %w", what, errLeftChain)
		}
		select {
		case r := <-ch:
			if r.err != nil {
				return zero, fmt.Errorf("%s: %w", what, r.err)
			}
			return r.v, nil
		case <-moved:
		case <-ctx.Done():
			return zero, ctx.Err()
		case <-s.quit:
			return zero, ErrStopped
		case <-timer.C:
			return zero, timeout()
		}
	}
}

// movedChan returns the channel that is closed when the header tip next
// moves.
func (s *Source) movedChan() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.moved
}

// headerLookup finds a block header by hash, as neutrino's header store
// does.
type headerLookup interface {
	FetchHeader(hash *chainhash.Hash) (*wire.BlockHeader, uint32, error)
}

// onChain reports whether hash is on neutrino's header chain: a reorg
// deletes the headers it takes off. An error reading the store counts as
// on the chain: the query's own bounds hold.
func (s *Source) onChain(hash chainhash.Hash) bool {
	_, _, err := s.headerStore.FetchHeader(&hash)
	if err == nil {
		return true
	}
	return !errors.Is(err, headerfs.ErrHashNotFound)
}

// queryOptions bound one neutrino query. neutrino.Timeout does not reach
// GetCFilter and GetBlock in this neutrino version (their work manager
// starts each try at 2s and doubles it), so NumRetries is the bound that
// counts, and call adds the overall QueryTimeout.
func (s *Source) queryOptions() []neutrino.QueryOption {
	return []neutrino.QueryOption{
		neutrino.NumRetries(s.cfg.NumRetries),
		neutrino.Timeout(s.cfg.QueryTimeout),
	}
}
