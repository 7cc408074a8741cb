package btcdwatch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/mainwatch"
)

const (
	// DefaultWindow is how many block requests are in flight during
	// catch-up.
	DefaultWindow = 32

	// DefaultCallTimeout bounds one RPC call.
	DefaultCallTimeout = 30 * time.Second
)

// Config locates the btcd node.
type Config struct {
	Host       string // host:port of btcd's RPC server
	User, Pass string
	Cert       []byte // btcd's RPC certificate (PEM); unused with DisableTLS
	DisableTLS bool
	Params     *chaincfg.Params

	// Window is how many requests catch-up keeps in flight (default
	// DefaultWindow). CallTimeout bounds each call (default
	// DefaultCallTimeout).
	Window      int
	CallTimeout time.Duration
}

// Source is a mainwatch.Source backed by btcd.
type Source struct {
	cfg    Config
	client *rpcclient.Client
	tip    chan struct{}
	ready  chan struct{} // closed once the first connection is made
	fatal  chan error    // receives the error that ends the first connect

	quit     chan struct{}
	wg       sync.WaitGroup
	stopOnce sync.Once

	mu        sync.Mutex
	connected bool
	verified  bool
	best      mainwatch.Cursor
	lastErr   string

	// notified is the block of the newest connect notification, and
	// fresh says that no Best has used it yet and no disconnect came
	// after it: Best then answers with it and spares a round trip.
	notified   mainwatch.Cursor
	notifiedAt time.Time
	fresh      bool

	// prefetch is the getblock for notified, asked for as the
	// notification arrived so that its round trip starts at once; Blocks
	// takes it when it wants that block, and a later notification
	// replaces it.
	prefetch *prefetched

	// conns counts connections to btcd; btcd forgets a connection's
	// filter when it closes. stopped is set by Stop.
	conns   uint64
	stopped bool

	// watch is the follower's list, from the first Blocks call; filter
	// mirrors it into btcd's transaction filter (filter.go), and preview
	// holds what btcd reported with an announcement the filter was
	// complete for.
	watch   *mainwatch.WatchList
	filter  filterState
	preview *preview

	// mempool receives the transactions btcd's mempool accepts that pass
	// the filter (relevanttxaccepted); see mempool.go.
	mempool chan *wire.MsgTx
	// mempoolChanged receives, without blocking, when btcd accepted any
	// transaction into its mempool (MempoolChanged).
	mempoolChanged chan struct{}
}

// prefetched is a getblock in flight for a notified block.
type prefetched struct {
	hash chainhash.Hash
	fut  rpcclient.FutureGetBlockResult
}

var _ mainwatch.Source = (*Source)(nil)

// New returns a btcd backend. Start connects it.
func New(cfg Config) (*Source, error) {
	if cfg.Params == nil {
		return nil, errors.New("btcdwatch: no chain parameters")
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	s := &Source{
		cfg:   cfg,
		tip:   make(chan struct{}, 1),
		ready: make(chan struct{}),
		fatal: make(chan error, 1),
		quit:  make(chan struct{}),
		best:  mainwatch.Cursor{Height: -1},

		mempool:        make(chan *wire.MsgTx, mempoolQueue),
		mempoolChanged: make(chan struct{}, 1),
	}
	handlers := &rpcclient.NotificationHandlers{
		// Handlers only signal, and queue the getblock of a block the
		// follower wants next; the follower does the rest.
		OnClientConnected: func() {
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			s.setConnected(true)
			s.signal()
			// btcd forgot the filter with the old connection: load
			// it again now, not at the next block, so that mempool
			// transactions keep coming (in the background).
			s.kickFilter()
		},
		OnRelevantTxAccepted: s.noteMempoolTx,
		OnFilteredBlockConnected: func(height int32, header *wire.BlockHeader, txs []*btcutil.Tx) {
			now, hash := time.Now(), header.BlockHash()
			previewed := s.notePreview(height, hash, header, txs, now)
			// A block on the follower's last best block is the one
			// it wants next: ask for it now rather than after the
			// follower wakes up (the call only queues the request).
			// During a catch-up the follower's pipeline asks instead.
			// A previewed block is asked for once the preview is
			// done, so that btcd's work on it does not compete with
			// what the follower does with the preview.
			s.mu.Lock()
			next := !previewed && height == s.best.Height+1 && header.PrevBlock == s.best.Hash
			s.mu.Unlock()
			var pre *prefetched
			if next {
				pre = &prefetched{hash: hash, fut: s.client.GetBlockAsync(&hash)}
			}
			s.mu.Lock()
			s.notified = mainwatch.Cursor{Height: height, Hash: hash}
			s.notifiedAt = now
			s.prefetch = pre
			s.fresh = true
			s.mu.Unlock()
			s.signal()
		},
		OnTxAccepted: func(*chainhash.Hash, btcutil.Amount) {
			select {
			case s.mempoolChanged <- struct{}{}:
			default:
			}
		},
		OnFilteredBlockDisconnected: func(int32, *wire.BlockHeader) {
			s.mu.Lock()
			s.fresh = false
			s.preview = nil
			s.mu.Unlock()
			s.signal()
		},
	}
	client, err := rpcclient.New(s.connConfig(false), handlers)
	if err != nil {
		return nil, fmt.Errorf("btcdwatch: %w", err)
	}
	s.client = client
	return s, nil
}

// connConfig is the rpcclient configuration of the source's connection,
// or, with probe set, of a one-off connection that never reconnects.
func (s *Source) connConfig(probe bool) *rpcclient.ConnConfig {
	return &rpcclient.ConnConfig{
		Host:                 s.cfg.Host,
		Endpoint:             "ws",
		User:                 s.cfg.User,
		Pass:                 s.cfg.Pass,
		Certificates:         s.cfg.Cert,
		DisableTLS:           s.cfg.DisableTLS,
		DisableConnectOnNew:  true,
		DisableAutoReconnect: probe,
	}
}

// ErrAuth says that btcd refused the RPC user name or password.
var ErrAuth = errors.New("btcd refused the RPC user name or password")

// ErrCert says that btcd's TLS certificate did not verify against the
// certificate the source was given.
var ErrCert = errors.New("btcd's TLS certificate does not match the given certificate")

// ErrNotTLS says that btcd did not answer the TLS handshake: it runs
// without TLS.
var ErrNotTLS = errors.New("btcd does not speak TLS on its RPC port")

// classify returns ErrAuth, ErrCert or ErrNotTLS wrapping err when a
// connection attempt failed for one of those reasons, and nil for any other
// failure (btcd down, restarting, unreachable), which is worth retrying.
func classify(err error) error {
	var (
		verifyErr   *tls.CertificateVerificationError
		unknownErr  x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidErr  x509.CertificateInvalidError
		notTLSError tls.RecordHeaderError
	)
	switch {
	case errors.Is(err, rpcclient.ErrInvalidAuth):
		return fmt.Errorf("%w: %v", ErrAuth, err)
	case errors.As(err, &verifyErr), errors.As(err, &unknownErr),
		errors.As(err, &hostErr), errors.As(err, &invalidErr):
		return fmt.Errorf("%w: %v", ErrCert, err)
	case errors.As(err, &notTLSError):
		return fmt.Errorf("%w: %v", ErrNotTLS, err)
	}
	return nil
}

// Start connects to btcd in the background, retrying while btcd cannot be
// reached. A first connection that btcd refuses (ErrAuth) or whose
// certificate does not verify (ErrCert, ErrNotTLS) is not retried: the
// error is sent on Fatal and the source connects no more.
func (s *Source) Start() error {
	s.wg.Add(1)
	go s.connectLoop()
	return nil
}

// Fatal returns a channel that receives the error that ended the first
// connection attempts, if btcd refused the credentials or certificate. It
// receives at most one error. Once connected, later refusals are only
// logged and retried by the reconnect loop, as btcd may be restarting.
func (s *Source) Fatal() <-chan error { return s.fatal }

// Stop closes the connection. It is safe to call more than once.
func (s *Source) Stop() error {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.stopped = true
		s.mu.Unlock()
		close(s.quit)
		s.client.Shutdown()
		s.wg.Wait()
		s.client.WaitForShutdown()
	})
	return nil
}

func (s *Source) connectLoop() {
	defer s.wg.Done()
	backoff := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := s.client.Connect(1)
		if err == nil {
			break
		}
		if fatal := classify(err); fatal != nil {
			err := fmt.Errorf("connect to btcd at %s: %w", s.cfg.Host, fatal)
			s.setErr(err)
			log.Errorf("%v", err)
			s.fatal <- err
			return
		}
		s.setErr(fmt.Errorf("connect to btcd at %s: %w", s.cfg.Host, err))
		log.Warnf("Cannot reach btcd at %s (attempt %d): %v; retrying in %v",
			s.cfg.Host, attempt, err, backoff)
		select {
		case <-s.quit:
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
	log.Infof("Connected to btcd at %s", s.cfg.Host)
	s.setConnected(true)
	close(s.ready)
	s.wg.Add(1)
	go s.watchRefusals()
	// Registered once; rpcclient registers again after each reconnect.
	if err := s.client.NotifyBlocks(); err != nil {
		log.Errorf("notifyblocks: %v", err)
	}
	// Every transaction btcd accepts wakes the header fee rebid
	// (MempoolChanged); the notification carries only a txid.
	if err := s.client.NotifyNewTransactions(false); err != nil {
		log.Errorf("notifynewtransactions: %v", err)
	}
	s.signal()
}

// watchRefusals runs once the source has connected. rpcclient reconnects a
// lost connection on its own, forever, without saying why an attempt
// failed; so while the connection is down, watchRefusals tries a
// connection of its own now and then, and when btcd refuses the
// credentials or the certificate (a btcd restarted with a new password or
// certificate) it logs an error and puts it in Status. The node keeps
// running and rpcclient keeps retrying: the operator fixes the options or
// btcd, and the source reconnects.
func (s *Source) watchRefusals() {
	defer s.wg.Done()
	const (
		firstDelay = 5 * time.Second
		maxDelay   = time.Minute
	)
	delay := firstDelay
	for {
		select {
		case <-s.quit:
			return
		case <-time.After(delay):
		}
		if !s.client.Disconnected() {
			delay = firstDelay
			continue
		}
		fatal := s.probe()
		if fatal != nil {
			err := fmt.Errorf("reconnect to btcd at %s: %w", s.cfg.Host, fatal)
			s.setErr(err)
			log.Errorf("%v; still retrying, next check in %v", err, delay)
		}
		delay = min(2*delay, maxDelay)
	}
}

// probe makes one connection of its own to btcd and returns what classify
// makes of its failure.
func (s *Source) probe() error {
	c, err := rpcclient.New(s.connConfig(true), nil)
	if err != nil {
		return nil
	}
	err = c.Connect(1)
	c.Shutdown()
	if err == nil {
		c.WaitForShutdown()
		return nil
	}
	return classify(err)
}

func (s *Source) signal() {
	select {
	case s.tip <- struct{}{}:
	default:
	}
}

func (s *Source) setConnected(ok bool) {
	s.mu.Lock()
	s.connected = ok
	if ok {
		s.lastErr = ""
	}
	s.mu.Unlock()
}

func (s *Source) setErr(err error) {
	s.mu.Lock()
	s.lastErr = err.Error()
	s.mu.Unlock()
}

// Name implements mainwatch.Source.
func (s *Source) Name() string { return "btcd" }

// TipChanged implements mainwatch.Source.
func (s *Source) TipChanged() <-chan struct{} { return s.tip }

// call waits for an rpcclient future under ctx and the call timeout. A
// future that outlives them is abandoned: rpcclient answers it once the
// connection returns or shuts down.
func call[T any](ctx context.Context, s *Source, what string, receive func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := receive()
		ch <- result{v, err}
	}()
	timer := time.NewTimer(s.cfg.CallTimeout)
	defer timer.Stop()
	var zero T
	select {
	case r := <-ch:
		if r.err != nil {
			if errors.Is(r.err, rpcclient.ErrClientNotConnected) ||
				errors.Is(r.err, rpcclient.ErrClientDisconnect) {
				s.setConnected(false)
			}
			return zero, fmt.Errorf("%s: %w", what, r.err)
		}
		return r.v, nil
	case <-timer.C:
		s.setConnected(!s.client.Disconnected())
		return zero, fmt.Errorf("%s: no answer from btcd in %v", what, s.cfg.CallTimeout)
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// waitReady waits for the first connection to btcd, for at most the call
// timeout.
func (s *Source) waitReady(ctx context.Context) error {
	select {
	case <-s.ready:
		return nil
	default:
	}
	timer := time.NewTimer(s.cfg.CallTimeout)
	defer timer.Stop()
	select {
	case <-s.ready:
		return nil
	case <-timer.C:
		return fmt.Errorf("not connected to btcd at %s", s.cfg.Host)
	case <-s.quit:
		return errors.New("btcdwatch: stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Best implements mainwatch.Source. The first call checks that btcd runs
// the node's network.
func (s *Source) Best(ctx context.Context) (mainwatch.Cursor, error) {
	if err := s.waitReady(ctx); err != nil {
		return mainwatch.Cursor{}, err
	}
	s.mu.Lock()
	verified := s.verified
	s.mu.Unlock()
	if !verified {
		genesis, err := s.HashAt(ctx, 0)
		if err != nil {
			return mainwatch.Cursor{}, err
		}
		if genesis != *s.cfg.Params.GenesisHash {
			return mainwatch.Cursor{}, fmt.Errorf("btcd at %s is on another "+
				"network: its genesis block is %v, %s's is %v", s.cfg.Host,
				genesis, s.cfg.Params.Name, s.cfg.Params.GenesisHash)
		}
		s.mu.Lock()
		s.verified = true
		s.mu.Unlock()
	}
	// A block just announced is the best block unless a reorg is under
	// way, and the follower checks that every block links to its tip.
	s.mu.Lock()
	if s.fresh {
		s.fresh = false
		s.best = s.notified
		cur := s.notified
		s.mu.Unlock()
		return cur, nil
	}
	s.mu.Unlock()

	type best struct {
		hash   *chainhash.Hash
		height int32
	}
	fut := s.client.GetBestBlockAsync()
	b, err := call(ctx, s, "getbestblock", func() (best, error) {
		hash, height, err := fut.Receive()
		return best{hash, height}, err
	})
	if err != nil {
		s.setErr(err)
		return mainwatch.Cursor{}, err
	}
	cur := mainwatch.Cursor{Height: b.height, Hash: *b.hash}
	s.mu.Lock()
	s.best = cur
	s.connected = true
	s.lastErr = ""
	s.mu.Unlock()
	return cur, nil
}

// HashAt implements mainwatch.Source.
func (s *Source) HashAt(ctx context.Context, height int32) (chainhash.Hash, error) {
	if err := s.waitReady(ctx); err != nil {
		return chainhash.Hash{}, err
	}
	fut := s.client.GetBlockHashAsync(int64(height))
	hash, err := call(ctx, s, fmt.Sprintf("getblockhash %d", height), fut.Receive)
	if err != nil {
		return chainhash.Hash{}, err
	}
	return *hash, nil
}

// SendTx implements mainwatch.Source.
func (s *Source) SendTx(ctx context.Context, tx *wire.MsgTx) error {
	if err := s.waitReady(ctx); err != nil {
		return err
	}
	// Queue the request on the caller's goroutine, so that it leaves
	// without waiting for another goroutine to be scheduled.
	fut := s.client.SendRawTransactionAsync(tx, false)
	_, err := call(ctx, s, "sendrawtransaction", fut.Receive)
	if err != nil && alreadyKnown(err) {
		// A rebroadcast raced this send, or the transaction is mined
		// already: either way btcd has it.
		return nil
	}
	return err
}

// alreadyKnown reports whether btcd refused a transaction only because it
// has it already, in its mempool or in a block. btcd says so in the
// message of a -26 (rejected) error; there is no code of its own.
func alreadyKnown(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "already have transaction") ||
		strings.Contains(msg, "transaction already exists")
}

// Status implements mainwatch.Source.
func (s *Source) Status() mainwatch.SourceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return mainwatch.SourceStatus{
		Backend:   "btcd",
		Connected: s.connected && !s.client.Disconnected(),
		Best:      s.best,
		Headers:   s.best.Height,
		Peers:     1,
		Err:       s.lastErr,
	}
}

// pending is one block on its way through the catch-up pipeline.
type pending struct {
	height  int32
	hashFut rpcclient.FutureGetBlockHashResult
	known   bool // hash came from Best, hashFut is unused
	hash    chainhash.Hash
	block   rpcclient.FutureGetBlockResult
	err     error
}

// Blocks implements mainwatch.Source with a two-stage request pipeline.
func (s *Source) Blocks(ctx context.Context, from, to int32, watch *mainwatch.WatchList,
	fn func(*mainwatch.Block) error) error {

	if from > to {
		return nil
	}
	if err := s.waitReady(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	if s.watch == nil && !s.stopped {
		s.watch = watch
		s.wg.Add(1)
		go s.followWatch(watch)
	}
	s.mu.Unlock()
	// Once the blocks are delivered, bring btcd's filter up to the
	// watch list, so that the next announcement can be previewed.
	defer s.kickFilter()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	hashes := make(chan pending, s.cfg.Window)
	blocks := make(chan pending, s.cfg.Window)

	// The tip's hash is known from the last Best: a follower that is one
	// block behind then needs a single getblock. The follower checks that
	// each block links to its tip, so a stale hint costs only a retry.
	s.mu.Lock()
	best := s.best
	notified, notifiedAt := s.notified, s.notifiedAt
	s.mu.Unlock()

	// The common case at the tip, one new block whose hash is known,
	// needs no pipeline: one getblock, without goroutine hand-offs.
	if from == to && from == best.Height {
		// The preview goes first, while the block is on its way, when
		// it holds every candidate of the block: the filter held the
		// list, and every output of a candidate pays a filtered script,
		// so that btcd sent their spends too.
		if pv := s.takePreview(best.Hash); pv != nil && watch == s.watch {
			txs, _, closed := watch.MatchTxs(pv.txs)
			if closed {
				err := fn(&mainwatch.Block{
					Height:    from,
					Hash:      best.Hash,
					Header:    pv.header,
					Txs:       txs,
					Announced: pv.at,
					Preview:   true,
				})
				if err != nil {
					return err
				}
			} else {
				log.Debugf("Block %d is not previewed: a candidate pays "+
					"a script outside btcd's filter", from)
			}
		}
		fut := s.takePrefetch(best.Hash)
		msg, err := call(ctx, s, fmt.Sprintf("getblock %v", best.Hash), fut.Receive)
		if err != nil {
			return err
		}
		return s.deliver(msg, from, best.Hash, watch, notified, notifiedAt, fn)
	}

	// Stage one: ask for hashes by height, without waiting for answers.
	go func() {
		defer close(hashes)
		for h := from; h <= to; h++ {
			p := pending{height: h}
			if h == best.Height {
				p.hash, p.known = best.Hash, true
			} else {
				p.hashFut = s.client.GetBlockHashAsync(int64(h))
			}
			select {
			case hashes <- p:
			case <-ctx.Done():
				return
			}
		}
	}()

	// Stage two: ask for each block as soon as its hash is known.
	go func() {
		defer close(blocks)
		for p := range hashes {
			if !p.known {
				p.hash, p.err = receiveHash(ctx, s, p.height, p.hashFut)
			}
			if p.err == nil {
				p.block = s.client.GetBlockAsync(&p.hash)
			}
			select {
			case blocks <- p:
			case <-ctx.Done():
				return
			}
			if p.err != nil {
				return
			}
		}
	}()

	next := from
	for p := range blocks {
		if p.err != nil {
			return p.err
		}
		if p.height != next {
			return fmt.Errorf("btcdwatch: pipeline out of order: %d, want %d",
				p.height, next)
		}
		msg, err := call(ctx, s, fmt.Sprintf("getblock %v", p.hash), p.block.Receive)
		if err != nil {
			return err
		}
		err = s.deliver(msg, p.height, p.hash, watch, notified, notifiedAt, fn)
		if err != nil {
			return err
		}
		next++
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if next <= to {
		return fmt.Errorf("btcdwatch: catch-up stopped at %d of %d", next, to)
	}
	return nil
}

// takePrefetch returns the getblock of the notification that named hash,
// or asks for the block now. A prefetch is used at most once.
func (s *Source) takePrefetch(hash chainhash.Hash) rpcclient.FutureGetBlockResult {
	s.mu.Lock()
	p := s.prefetch
	taken := p != nil && p.hash == hash
	if taken {
		s.prefetch = nil
	}
	s.mu.Unlock()
	if taken {
		return p.fut
	}
	return s.client.GetBlockAsync(&hash)
}

// deliver checks that btcd sent the block asked for, matches it against
// the watch list and hands it to fn. A block that a connect notification
// named carries the notification's time.
func (s *Source) deliver(msg *wire.MsgBlock, height int32, hash chainhash.Hash,
	watch *mainwatch.WatchList, notified mainwatch.Cursor, notifiedAt time.Time,
	fn func(*mainwatch.Block) error) error {

	if got := msg.BlockHash(); got != hash {
		return fmt.Errorf("btcd sent block %v for %v at height %d", got, hash, height)
	}
	txs, seen := watch.Match(msg)
	var announced time.Time
	if height == notified.Height && hash == notified.Hash {
		announced = notifiedAt
	}
	ids := make([]chainhash.Hash, len(msg.Transactions))
	for i, tx := range msg.Transactions {
		ids[i] = tx.TxHash()
	}
	return fn(&mainwatch.Block{
		Height:    height,
		Hash:      hash,
		Header:    msg.Header,
		Txs:       txs,
		Seen:      seen,
		TxIDs:     ids,
		Announced: announced,
	})
}

// receiveHash waits for a getblockhash future; the pipeline's own ctx ends
// it early.
func receiveHash(ctx context.Context, s *Source, height int32,
	fut rpcclient.FutureGetBlockHashResult) (chainhash.Hash, error) {

	hash, err := call(ctx, s, fmt.Sprintf("getblockhash %d", height), fut.Receive)
	if err != nil {
		return chainhash.Hash{}, err
	}
	return *hash, nil
}

// RawMempoolVerbose returns btcd's mempool, every transaction with its fee
// and virtual size (getrawmempool true), for the fee estimate of header
// transactions (feeest.Mempool).
func (s *Source) RawMempoolVerbose(ctx context.Context) (map[string]btcjson.GetRawMempoolVerboseResult, error) {
	if err := s.waitReady(ctx); err != nil {
		return nil, err
	}
	fut := s.client.GetRawMempoolVerboseAsync()
	return call(ctx, s, "getrawmempool", fut.Receive)
}

// MempoolChanged receives when btcd has accepted a transaction into its
// mempool since the last receive (at most one pending signal): the
// producer asks again for the fee rate of the next block (producer.Env).
func (s *Source) MempoolChanged() <-chan struct{} { return s.mempoolChanged }
