package poolrun

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/nodeapi"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/pool"
	"github.com/mainstake/sidenode/pow/powchain"
	"github.com/mainstake/sidenode/pow/stratum"
	"github.com/mainstake/sidenode/pow/stratum/work"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// Intervals of the pool's upkeep.
const (
	// poolTipPoll is how often the pool's blocks are checked against the
	// best chain, and the pool asked to pay, when no template change
	// came.
	poolTipPoll = 10 * time.Second

	// poolAuditCache is how long one audit of the pool's books answers
	// the API and the metrics while the books' snapshot shows no change.
	poolAuditCache = 5 * time.Second

	// rewardHeights is how many template heights stratumJobs remembers
	// the coinbase value of.
	rewardHeights = 16

	// foundBlocks is how many blocks found through Stratum stratumBlocks
	// remembers the coinbase value and height of.
	foundBlocks = 64
)

// stratumJobs is the pow chain as the Stratum server's JobSource.
type stratumJobs struct {
	pc      *powchain.Chain
	params  *chainparams.Params
	changed chan struct{}

	mu      sync.Mutex
	rewards map[int32]int64 // the newest template's coinbase value, by height
}

var _ stratum.JobSource = (*stratumJobs)(nil)

func newStratumJobs(pc *powchain.Chain, params *chainparams.Params) *stratumJobs {
	return &stratumJobs{pc: pc, params: params, changed: make(chan struct{}, 1),
		rewards: make(map[int32]int64)}
}

// Template implements stratum.JobSource: the pow chain's template, its
// time window from the median time past to the node's clock plus the
// future-time limit.
func (j *stratumJobs) Template() (*work.Template, error) {
	t, err := j.pc.MiningTemplate()
	if err != nil {
		return nil, err
	}
	hdr := t.Header
	if hdr.Timestamp.Before(t.MinTime) {
		hdr.Timestamp = t.MinTime
	}
	out := &work.Template{
		Height:   t.Height,
		Header:   hdr,
		MinTime:  t.MinTime,
		MaxTime:  hdr.Timestamp,
		Coinbase: t.Coinbase,
		Txs:      t.Transactions,
		Fees:     t.Fees,
	}
	if p := j.params.Pow; p != nil {
		out.MaxTime = hdr.Timestamp.Add(p.MaxFutureBlockTime)
		if era, ok := p.EraAt(t.Height); ok {
			out.SHA256d = era.Algorithm == chainparams.SHA256d
		}
	}
	var value int64
	for _, o := range t.Coinbase.TxOut {
		value += o.Value
	}
	j.mu.Lock()
	j.rewards[t.Height] = value
	for h := range j.rewards {
		if h <= t.Height-rewardHeights || h > t.Height+rewardHeights {
			delete(j.rewards, h)
		}
	}
	j.mu.Unlock()
	return out, nil
}

// reward returns the coinbase value of the newest template at height.
func (j *stratumJobs) reward(height int32) (int64, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	v, ok := j.rewards[height]
	return v, ok
}

// Changed implements stratum.JobSource.
func (j *stratumJobs) Changed() <-chan struct{} { return j.changed }

// run forwards the pow chain's template changes to Changed until ctx
// ends.
func (j *stratumJobs) run(ctx context.Context) {
	for {
		select {
		case <-j.pc.TemplateChanged():
			select {
			case j.changed <- struct{}{}:
			default:
			}
		case <-ctx.Done():
			return
		}
	}
}

// stratumBlocks is the pow chain's front door as the Stratum server's
// BlockSink: a block a share found is accepted as one mined here, and
// relayed.
type stratumBlocks struct {
	pc *powchain.Chain
	// announce relays a block accepted; nil relays nothing.
	announce func(chainhash.Hash)

	mu    sync.Mutex
	found map[chainhash.Hash]foundBlock
	order []chainhash.Hash
}

// foundBlock is what the pool's books need of a block found: its coinbase
// value and height.
type foundBlock struct {
	value  int64
	height int32
}

var _ stratum.BlockSink = (*stratumBlocks)(nil)

// SubmitBlock implements stratum.BlockSink.
func (s *stratumBlocks) SubmitBlock(b *headerchain.Block) error {
	hash := b.BlockHash()
	if len(b.Transactions) > 0 {
		f := foundBlock{height: -1}
		for _, o := range b.Transactions[0].TxOut {
			f.value += o.Value
		}
		if h, err := sideblock.ExtractCoinbaseHeight(b.Transactions[0]); err == nil {
			f.height = h
		}
		s.mu.Lock()
		if _, ok := s.found[hash]; !ok {
			s.found[hash] = f
			s.order = append(s.order, hash)
			if len(s.order) > foundBlocks {
				delete(s.found, s.order[0])
				s.order = s.order[1:]
			}
		}
		s.mu.Unlock()
	}
	hashes, err := s.pc.AcceptBlock(b)
	if err != nil {
		log.Errorf("Sideblock %v found through Stratum refused: %v", hash, err)
		return err
	}
	log.Infof("Sideblock %v found through Stratum (%d transactions)", hash,
		len(b.Transactions))
	if s.announce != nil {
		for _, h := range hashes {
			s.announce(h)
		}
	}
	return nil
}

// block returns what SubmitBlock kept of a block found.
func (s *stratumBlocks) block(hash chainhash.Hash) (foundBlock, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.found[hash]
	return f, ok
}

// poolShares hands the Stratum server's accepted shares to the pool's
// books (the server's ShareSink), and counts them for the share rate.
type poolShares struct {
	pool   *pool.Pool
	jobs   *stratumJobs
	blocks *stratumBlocks
	rate   shareRate
}

var _ stratum.ShareSink = (*poolShares)(nil)

// AcceptShare implements stratum.ShareSink: the share is committed to the
// pool's store before the miner hears it was accepted (§12.8 Durability).
func (s *poolShares) AcceptShare(sh *stratum.Share) error {
	ps := pool.Share{
		Worker:  sh.Worker,
		Payout:  sh.Payout.Script,
		Work:    pool.WorkForTarget(sh.ShareTarget),
		NetWork: pool.WorkForTarget(sh.NetTarget),
		Time:    sh.Time,
		Height:  sh.Height,
	}
	if v, ok := s.jobs.reward(sh.Height); ok {
		ps.Reward = v
	}
	// A block the chain refused earns nothing: its share counts as any.
	if sh.Block && sh.BlockErr == nil {
		h := sh.Hash
		ps.Block = &h
		if f, ok := s.blocks.block(h); ok {
			ps.Reward = f.value
		}
	}
	if err := s.pool.AddShare(ps); err != nil {
		log.Errorf("Pool: share of %s not recorded: %v", sh.Worker, err)
		return err
	}
	s.rate.add(sh.Time)
	return nil
}

// shareRate counts accepted shares over a sliding window of buckets.
type shareRate struct {
	mu     sync.Mutex
	window time.Duration
	slot   [rateSlots]int64
	count  [rateSlots]uint64
}

const rateSlots = 30

func (r *shareRate) width() int64 {
	w := int64(r.window) / rateSlots
	if w <= 0 {
		w = 1
	}
	return w
}

func (r *shareRate) add(t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := t.UnixNano() / r.width()
	i := int(s % rateSlots)
	if i < 0 {
		i += rateSlots
	}
	if r.slot[i] != s {
		r.slot[i], r.count[i] = s, 0
	}
	r.count[i]++
}

// perSecond returns the shares a second over the window ending at now.
func (r *shareRate) perSecond(now time.Time) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.width()
	cur := now.UnixNano() / w
	var n uint64
	for i := range r.slot {
		if s := r.slot[i]; s > cur-rateSlots && s <= cur {
			n += r.count[i]
		}
	}
	return float64(n) / (float64(w*rateSlots) / 1e9)
}

// poolChain is the best sidechain as the pool's Chain.
type poolChain struct {
	chain  *sideblock.Chain
	blocks *stratumBlocks
}

var _ pool.Chain = poolChain{}

// InBestChain implements pool.Chain.
func (c poolChain) InBestChain(hash chainhash.Hash) (height, confirmations int32, ok bool) {
	_, tip, ok := c.chain.Tip()
	if !ok {
		return 0, 0, false
	}
	height = -1
	if f, ok := c.blocks.block(hash); ok {
		height = f.height
	}
	if height < 0 {
		_, info, err := c.chain.Block(hash)
		if err != nil || info == nil {
			return 0, 0, false
		}
		height = info.Height
	}
	if height > tip {
		return 0, 0, false
	}
	if h, err := c.chain.HashAt(height); err != nil || h != hash {
		return 0, 0, false
	}
	return height, tip - height + 1, true
}

// TipHeight implements pool.Chain.
func (c poolChain) TipHeight() int32 {
	_, tip, ok := c.chain.Tip()
	if !ok {
		return -1
	}
	return tip
}

// Run is the running pool: the Stratum server, its listeners and the
// pool's books.
type Run struct {
	server  *stratum.Server
	books   *pool.Pool
	db      *store.DB // the pool's own store
	jobs    *stratumJobs
	shares  *poolShares
	params  *chainparams.Params
	chain   *sideblock.Chain
	payouts *payoutLog
	listen  []string

	cancel context.CancelFunc
	wg     sync.WaitGroup

	auditMu   sync.Mutex
	auditAt   time.Time
	auditKey  booksKey
	audit     *pool.Audit
	auditFail string
}

// booksKey sums up the books' state as their snapshot shows it: the
// audit read for one key answers for it.
type booksKey struct {
	blocks, pending, confirmed, orphaned int
	payouts, unsent                      int
	owed, immature, paid                 int64
}

func keyOf(st *pool.Stats) booksKey {
	k := booksKey{blocks: len(st.Blocks), pending: st.BlocksPending,
		confirmed: st.BlocksConfirmed, orphaned: st.BlocksOrphaned,
		payouts: st.Payouts, unsent: st.PayoutsUnsent}
	for _, a := range st.Accounts {
		k.owed += a.Owed
		k.immature += a.Immature
		k.paid += a.Paid
	}
	return k
}

// Port is one Stratum listener: the address to bind and its difficulty
// policy.
type Port struct {
	Addr string
	Port stratum.Port
}

// Config is what Start wires: the pow chain, the best sidechain, the
// pool's store and the wallet that pays, with the Stratum server's and the
// pool's configurations.
type Config struct {
	// Params are the network's parameters.
	Params *chainparams.Params

	// Pow is the pow chain: its templates make the jobs, its front door
	// takes the blocks found.
	Pow *powchain.Chain

	// Chain is the best sidechain the pool's blocks and payouts are
	// looked up in.
	Chain *sideblock.Chain

	// Store is the pool's own store. Start takes it over: it is closed
	// when Start fails and by Stop.
	Store *store.DB

	// Payer is the node's wallet, which the pool's coinbases pay and its
	// payouts spend from (nodeapi.SidePayer).
	Payer WalletPayer

	// Announce relays a block accepted from a miner to the peers; nil
	// relays nothing.
	Announce func(chainhash.Hash)

	// Stratum is the Stratum server's configuration, Ports its
	// listeners, Workers the named workers, by name, and
	// AllowAddressWorkers whether a worker may authorize as a payout
	// address.
	Stratum             stratum.Config
	Ports               []Port
	Workers             map[string]stratum.WorkerEntry
	AllowAddressWorkers bool

	// Pool is the pool's configuration; MinPayout (sat) is only logged.
	Pool      pool.Config
	MinPayout int64
}

// Start opens the pool's books on cfg.Store, starts the Stratum server on
// every port (bound before it returns, so that a taken port fails the
// start, naming it) and the upkeep that follows the best chain and pays.
// Its errors name the --stratum option.
func Start(ctx context.Context, cfg Config) (*Run, error) {
	pdb := cfg.Store
	payouts := &payoutLog{payer: cfg.Payer, built: make(map[chainhash.Hash]int64)}
	books, err := pool.Open(pdb, cfg.Pool, payouts)
	if err != nil {
		closeStore(pdb)
		return nil, fmt.Errorf("--stratum: the pool's books: %w", err)
	}
	jobs := newStratumJobs(cfg.Pow, cfg.Params)
	blocks := &stratumBlocks{pc: cfg.Pow, announce: cfg.Announce,
		found: make(map[chainhash.Hash]foundBlock)}
	scfg := cfg.Stratum
	shares := &poolShares{pool: books, jobs: jobs, blocks: blocks,
		rate: shareRate{window: scfg.HashrateWindow}}
	params := cfg.Params
	auth := &stratum.WorkerAuth{
		DecodeAddress: func(addr string) ([]byte, error) {
			a, err := btcutil.DecodeAddress(addr, params.Side)
			if err != nil || !a.IsForNet(params.Side) {
				return nil, fmt.Errorf("not a sidechain address of %s", params.Name)
			}
			return txscript.PayToAddrScript(a)
		},
		Workers:             cfg.Workers,
		AllowAddressWorkers: cfg.AllowAddressWorkers,
	}
	srv, err := stratum.New(scfg, jobs, blocks, shares, auth)
	if err != nil {
		books.Close()
		closeStore(pdb)
		return nil, fmt.Errorf("--stratum: %w", err)
	}
	var lns []net.Listener
	closeAll := func() {
		for _, ln := range lns {
			ln.Close()
		}
		books.Close()
		closeStore(pdb)
	}
	for _, p := range cfg.Ports {
		ln, err := net.Listen("tcp", p.Addr)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("--stratum %s: %w", p.Addr, err)
		}
		lns = append(lns, ln)
	}

	runCtx, cancel := context.WithCancel(ctx)
	r := &Run{server: srv, books: books, db: pdb, jobs: jobs, shares: shares,
		params: params, chain: cfg.Chain, payouts: payouts, cancel: cancel}
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		jobs.run(runCtx)
	}()
	go func() {
		defer r.wg.Done()
		r.upkeep(runCtx, cfg.Pow, poolChain{chain: cfg.Chain, blocks: blocks})
	}()
	for i, ln := range lns {
		port := cfg.Ports[i].Port
		r.listen = append(r.listen, ln.Addr().String())
		r.wg.Add(1)
		go func(ln net.Listener) {
			defer r.wg.Done()
			if err := srv.ServePort(runCtx, ln, port); err != nil {
				log.Errorf("Stratum server on %s stopped: %v", ln.Addr(), err)
			}
		}(ln)
		log.Infof("Stratum server listening on %s (start difficulty %v)",
			ln.Addr(), port.StartDifficulty)
	}
	log.Infof("Mining pool: %v, fee %d bps, window %v, minimum payout %d sat",
		cfg.Pool.Scheme, cfg.Pool.FeeBps,
		cfg.Pool.Window, cfg.MinPayout)
	return r, nil
}

// upkeep brings the pool's blocks up to date with the best chain, then
// asks the pool to pay (it pays at most every --poolpayoutinterval), at
// each template change (a new tip among them) and every poolTipPoll,
// until ctx ends.
func (r *Run) upkeep(ctx context.Context, pc *powchain.Chain, chain pool.Chain) {
	tips := time.NewTicker(poolTipPoll)
	defer tips.Stop()
	var lastErr string
	check := func() {
		if err := r.books.TipChanged(chain); err != nil {
			log.Errorf("Pool: following the best chain: %v", err)
		}
		res, err := r.books.MaybePay()
		switch {
		case err != nil:
			// The same refusal (coins not mature yet) at every tip is
			// logged once.
			if err.Error() != lastErr {
				log.Errorf("Pool: payout: %v", err)
			}
			lastErr = err.Error()
		case res.TxID != "":
			lastErr = ""
			log.Infof("Pool paid %d sat to %d workers in %s", res.Amount,
				res.Outputs, res.TxID)
		}
	}
	check()
	for {
		select {
		case <-ctx.Done():
			return
		case <-pc.TemplateChanged():
			check()
		case <-tips.C:
			check()
		}
	}
}

// Stop stops the Stratum server and the upkeep, then closes the pool's
// books once every share handed to them is committed. Safe on nil.
func (r *Run) Stop() {
	if r == nil {
		return
	}
	r.cancel()
	r.wg.Wait()
	if err := r.books.Close(); err != nil {
		log.Errorf("Pool: close: %v", err)
	}
	closeStore(r.db)
}

// API returns the running pool as the API and the metrics read it.
func (r *Run) API() nodeapi.Pool { return poolAPI{r: r} }

// closeStore closes the pool's store (syncing it), logging a failure.
func closeStore(db *store.DB) {
	if err := db.Close(); err != nil {
		log.Errorf("Pool: closing its store: %v", err)
	}
}
