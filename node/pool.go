package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/nodeapi"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/pool"
	"github.com/mainstake/sidenode/pow/powchain"
	"github.com/mainstake/sidenode/pow/stratum"
	"github.com/mainstake/sidenode/pow/stratum/work"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// The node's mining pool (--stratum): the Stratum server (pow/stratum)
// takes jobs from the pow chain's template, hands blocks to its front
// door and relays them, and every accepted share to the pool's books
// (pow/pool), which follow the best chain for the blocks' status and pay
// the workers from the node's wallet. This file adapts the node's parts
// to the two packages' interfaces, runs them, and reads both for the API
// and the metrics (poolAPI, a nodeapi.Pool).

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
	pc    *powchain.Chain
	peers *p2p.Server

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
	if s.peers != nil {
		for _, h := range hashes {
			s.peers.Announce(p2p.BlockItem(h))
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

// poolRun is the running pool: the Stratum server, its listeners and the
// pool's books.
type poolRun struct {
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

// poolEnv is what startPool wires.
type poolEnv struct {
	cfg    *Config
	params *chainparams.Params
	db     *store.DB
	pc     *powchain.Chain
	chain  *sideblock.Chain
	peers  *p2p.Server
	payer  *nodeapi.SidePayer // nil: the pool cannot pay
}

// startPool opens the pool's books, starts the Stratum server on every
// --stratum address (bound before it returns, so that a taken port fails
// the start, naming it) and the upkeep that follows the best chain and
// pays. It returns nil without --stratum.
func startPool(ctx context.Context, e poolEnv) (*poolRun, error) {
	cfg := e.cfg
	opts, err := cfg.poolOptions()
	if err != nil {
		return nil, err
	}
	if len(opts.ports) == 0 {
		return nil, nil
	}
	if e.pc == nil {
		return nil, fmt.Errorf("--stratum: --network=%s runs the %v engine; "+
			"a mining pool is for pow networks", cfg.Network, e.params.Engine)
	}
	if e.payer == nil {
		return nil, errors.New("--stratum needs the node's wallet: the pool's " +
			"coinbases pay its sidechain address and its payouts spend from it " +
			"(create one with sidecli create, or start with --wallet options)")
	}
	pdb, err := openPoolStore(cfg, e.params, e.db)
	if err != nil {
		return nil, err
	}
	payouts := &payoutLog{payer: e.payer, built: make(map[chainhash.Hash]payoutEntry)}
	books, err := pool.Open(pdb, opts.pool, payouts)
	if err != nil {
		closePoolStore(pdb)
		return nil, fmt.Errorf("--stratum: the pool's books: %w", err)
	}
	jobs := newStratumJobs(e.pc, e.params)
	blocks := &stratumBlocks{pc: e.pc, peers: e.peers, found: make(map[chainhash.Hash]foundBlock)}
	scfg := cfg.stratumConfig()
	shares := &poolShares{pool: books, jobs: jobs, blocks: blocks,
		rate: shareRate{window: scfg.HashrateWindow}}
	params := e.params
	auth := &stratum.WorkerAuth{
		DecodeAddress: func(addr string) ([]byte, error) {
			a, err := btcutil.DecodeAddress(addr, params.Side)
			if err != nil || !a.IsForNet(params.Side) {
				return nil, fmt.Errorf("not a sidechain address of %s", params.Name)
			}
			return txscript.PayToAddrScript(a)
		},
		Workers:             opts.workers,
		AllowAddressWorkers: !cfg.StratumNoAddressWorkers,
	}
	srv, err := stratum.New(scfg, jobs, blocks, shares, auth)
	if err != nil {
		books.Close()
		closePoolStore(pdb)
		return nil, fmt.Errorf("--stratum: %w", err)
	}
	var lns []net.Listener
	closeAll := func() {
		for _, ln := range lns {
			ln.Close()
		}
		books.Close()
		closePoolStore(pdb)
	}
	for _, p := range opts.ports {
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("--stratum %s: %w", p.addr, err)
		}
		lns = append(lns, ln)
	}

	runCtx, cancel := context.WithCancel(ctx)
	r := &poolRun{server: srv, books: books, db: pdb, jobs: jobs, shares: shares,
		params: params, chain: e.chain, payouts: payouts, cancel: cancel}
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		jobs.run(runCtx)
	}()
	go func() {
		defer r.wg.Done()
		r.upkeep(runCtx, e.pc, poolChain{chain: e.chain, blocks: blocks})
	}()
	for i, ln := range lns {
		port := opts.ports[i].port
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
		opts.pool.Scheme, opts.pool.FeeBps,
		opts.pool.Window, cfg.PoolMinPayout)
	return r, nil
}

// upkeep brings the pool's blocks up to date with the best chain, then
// asks the pool to pay (it pays at most every --poolpayoutinterval), at
// each template change (a new tip among them) and every poolTipPoll,
// until ctx ends.
func (r *poolRun) upkeep(ctx context.Context, pc *powchain.Chain, chain pool.Chain) {
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
func (r *poolRun) Stop() {
	if r == nil {
		return
	}
	r.cancel()
	r.wg.Wait()
	if err := r.books.Close(); err != nil {
		log.Errorf("Pool: close: %v", err)
	}
	closePoolStore(r.db)
}

// openPoolStore opens the pool's own store in PoolDir (pool.StoreOptions:
// commits wait for no disk flush; synced every --poolsyncinterval and at
// close). Pool records left in the node's state store by a version that
// kept them there are not read: the pool starts from its own store, and
// says so once.
func openPoolStore(cfg *Config, params *chainparams.Params, state *store.DB) (*store.DB, error) {
	opts := pool.StoreOptions(cfg.Network, *params.Main.GenesisHash)
	opts.SyncInterval = cfg.PoolSyncInterval
	db, err := store.Open(cfg.PoolDir(), opts)
	if err != nil {
		return nil, fmt.Errorf("--stratum: the pool's store: %w", wrongNetworkError(cfg, err))
	}
	old := false
	err = state.View(func(r store.Reader) error {
		return r.Iterate([]byte{pool.KeyByte}, func(k, v []byte) error {
			old = true
			return store.ErrStopIteration
		})
	})
	if err != nil {
		log.Warnf("Pool: looking for pool records in the node's state: %v", err)
	} else if old {
		log.Warnf("Pool: the node's state store (%s) holds pool records "+
			"written before the pool had a store of its own; they are "+
			"ignored (left in place, out of the state hash): the pool's "+
			"books are those in %s", cfg.StateDir(), cfg.PoolDir())
	}
	return db, nil
}

// closePoolStore closes the pool's store (syncing it), logging a failure.
func closePoolStore(db *store.DB) {
	if err := db.Close(); err != nil {
		log.Errorf("Pool: closing its store: %v", err)
	}
}

// poolAPI is the running pool as the API and the metrics read it
// (nodeapi.Pool): the Stratum server's figures and the books' snapshot
// and audit.
type poolAPI struct{ r *poolRun }

var _ nodeapi.Pool = poolAPI{}

// auditNow returns the books' audit, and its own failure beyond the
// lines ("" if none): one read at most poolAuditCache old while the
// books' snapshot shows the same blocks, statuses, balances and payouts.
func (r *poolRun) auditNow() (*pool.Audit, string, error) {
	st := r.books.Snapshot()
	key := keyOf(&st)
	r.auditMu.Lock()
	defer r.auditMu.Unlock()
	if r.audit != nil && key == r.auditKey && time.Since(r.auditAt) < poolAuditCache {
		return r.audit, r.auditFail, nil
	}
	a, err := r.books.Audit()
	fail := ""
	switch {
	case err != nil && a != nil && pool.IsErrorCode(err, pool.ErrAudit):
		fail = err.Error()
		log.Warnf("Pool: %v", err)
	case err != nil:
		return nil, "", err
	}
	r.audit, r.auditFail, r.auditAt, r.auditKey = a, fail, time.Now(), key
	return a, fail, nil
}

func blockStatus(s pool.BlockStatus) nodeapi.PoolBlockStatus {
	switch s {
	case pool.BlockPending:
		return nodeapi.PoolBlockPending
	case pool.BlockConfirmed:
		return nodeapi.PoolBlockConfirmed
	case pool.BlockOrphaned:
		return nodeapi.PoolBlockOrphaned
	}
	return 0
}

// rejects returns the server's rejects by code.
func rejects(m map[int]uint64) nodeapi.ShareRejects {
	return nodeapi.ShareRejects{
		Other:         m[int(work.CodeOther)],
		Stale:         m[int(work.CodeStale)],
		Duplicate:     m[int(work.CodeDuplicate)],
		LowDifficulty: m[int(work.CodeLowDifficulty)],
		Unauthorized:  m[int(work.CodeUnauthorized)],
		NotSubscribed: m[int(work.CodeNotSubscribed)],
	}
}

// PoolStats implements nodeapi.Pool.
func (p poolAPI) PoolStats(context.Context) (*nodeapi.PoolStats, error) {
	r := p.r
	snap := r.server.Snapshot()
	books := r.books.Snapshot()
	st := &nodeapi.PoolStats{
		Connections:     snap.Connections,
		HashPS:          snap.Hashrate,
		HashrateWindow:  snap.HashrateWindow,
		SharesPerSecond: r.shares.rate.perSecond(snap.Time),
		Accepted:        snap.Accepted,
		Rejects:         rejects(snap.Rejected),
		Scheme:          books.Scheme.String(),
		CommissionPPM:   books.FeeBps * 100,
		Listen:          append([]string(nil), r.listen...),
	}
	for _, w := range snap.Workers {
		if w.Connections > 0 {
			st.Workers++
		}
	}
	for _, a := range books.Accounts {
		st.Owed += a.Owed + a.Immature
		st.Paid += a.Paid
	}
	return st, nil
}

// PoolWorkers implements nodeapi.Pool: the server's workers (connected,
// or with a share in the hashrate window) and the books' (every worker
// with a share recorded), with the balances of their payout address.
func (p poolAPI) PoolWorkers(context.Context) ([]nodeapi.PoolWorker, error) {
	r := p.r
	snap := r.server.Snapshot()
	books := r.books.Snapshot()
	accounts := make(map[string]pool.AccountStats, len(books.Accounts))
	for _, a := range books.Accounts {
		accounts[string(a.Payout)] = a
	}
	byName := make(map[string]*nodeapi.PoolWorker)
	var out []nodeapi.PoolWorker
	for _, w := range snap.Workers {
		pw := nodeapi.PoolWorker{Name: w.Name, HashPS: w.Hashrate,
			Accepted: w.Accepted, Rejects: rejects(w.Rejected),
			LastShare: w.LastShare, Connections: w.Connections}
		if w.Accepted > 0 {
			pw.Difficulty = w.AcceptedDifficulty / float64(w.Accepted)
		}
		if a, err := btcutil.DecodeAddress(w.Address, r.params.Side); err == nil {
			pw.Payout = a
			if script, err := txscript.PayToAddrScript(a); err == nil {
				if acct, ok := accounts[string(script)]; ok {
					pw.Owed, pw.Paid = acct.Owed+acct.Immature, acct.Paid
				}
			}
		}
		out = append(out, pw)
	}
	for i := range out {
		byName[out[i].Name] = &out[i]
	}
	for _, w := range books.Workers {
		if pw, ok := byName[w.Name]; ok {
			// The books count every share ever; the server since start.
			pw.Accepted = max(pw.Accepted, w.Accepted)
			if w.LastShare.After(pw.LastShare) {
				pw.LastShare = w.LastShare
			}
			continue
		}
		out = append(out, nodeapi.PoolWorker{Name: w.Name, HashPS: w.Hashrate,
			Accepted: w.Accepted, LastShare: w.LastShare})
	}
	return out, nil
}

// PoolBlocks implements nodeapi.Pool.
func (p poolAPI) PoolBlocks(context.Context) ([]nodeapi.PoolBlock, error) {
	books := p.r.books.Snapshot()
	out := make([]nodeapi.PoolBlock, len(books.Blocks))
	for i, b := range books.Blocks {
		out[i] = nodeapi.PoolBlock{Height: b.Height, Hash: b.Hash, Reward: b.Reward,
			Status: blockStatus(b.Status), Worker: b.Worker, Time: b.Found}
	}
	return out, nil
}

// PoolAudit implements nodeapi.Pool: the books' audit, each line as the
// store holds it (the adapter checks them again).
func (p poolAPI) PoolAudit(context.Context) ([]nodeapi.PoolAuditLine, string, error) {
	a, problem, err := p.r.auditNow()
	if err != nil {
		return nil, "", err
	}
	out := make([]nodeapi.PoolAuditLine, len(a.Blocks))
	for i, b := range a.Blocks {
		out[i] = nodeapi.PoolAuditLine{Height: b.Height, Hash: b.Hash,
			Status: blockStatus(b.Status), Earned: b.Earned, Paid: b.Paid,
			Owed: b.Owed, Fee: b.Fee}
	}
	return out, problem, nil
}

// PoolPayouts implements nodeapi.Pool: the payouts the node sent since
// it started, each with the best chain's block that holds it, and the
// workers of each payout address.
func (p poolAPI) PoolPayouts(context.Context) ([]nodeapi.PoolPayout, error) {
	r := p.r
	sent := r.payouts.list()
	names := make(map[string][]string)
	for _, w := range r.server.Snapshot().Workers {
		names[w.Address] = append(names[w.Address], w.Name)
	}
	out := make([]nodeapi.PoolPayout, len(sent))
	for i, e := range sent {
		txid := e.tx.TxHash()
		po := nodeapi.PoolPayout{TxID: txid, Time: e.time, Height: -1, Fee: e.fee}
		if ct, ok, err := r.chain.ConfirmedTx(txid); err == nil && ok {
			po.Height = ct.Block.Height
		}
		for _, o := range e.outs {
			out := nodeapi.PoolPayoutOutput{Amount: o.Value}
			if _, addrs, _, err := txscript.ExtractPkScriptAddrs(o.PkScript, r.params.Side); err == nil && len(addrs) == 1 {
				out.Payout = addrs[0]
				out.Worker = strings.Join(names[addrs[0].EncodeAddress()], ",")
			}
			po.Outputs = append(po.Outputs, out)
		}
		out[i] = po
	}
	return out, nil
}

// maxPayoutLog bounds the payouts payoutLog keeps, and maxBuiltPayouts
// those built and not sent yet.
const (
	maxPayoutLog    = 10_000
	maxBuiltPayouts = 64
)

// payoutLog is the pool's Payer: the node's wallet (nodeapi.SidePayer),
// keeping what each payout it sent since the node started paid, for
// PoolService.
type payoutLog struct {
	payer walletPayer

	mu    sync.Mutex
	built map[chainhash.Hash]payoutEntry
	sent  []payoutEntry
}

// walletPayer is the node's wallet as payoutLog pays through it
// (nodeapi.SidePayer).
type walletPayer interface {
	pool.Payer
	Fee(tx *wire.MsgTx) (int64, bool)
}

// payoutEntry is one payout: its transaction, the outputs the pool asked
// for (without the wallet's change), its fee and when it was sent.
type payoutEntry struct {
	tx   *wire.MsgTx
	outs []*wire.TxOut
	fee  int64
	time time.Time
}

var _ pool.Payer = (*payoutLog)(nil)

// BuildPayout implements pool.Payer.
func (l *payoutLog) BuildPayout(outs []*wire.TxOut) (*wire.MsgTx, error) {
	tx, err := l.payer.BuildPayout(outs)
	if err != nil {
		return nil, err
	}
	fee, _ := l.payer.Fee(tx)
	e := payoutEntry{tx: tx, fee: fee}
	for _, o := range outs {
		e.outs = append(e.outs, wire.NewTxOut(o.Value, o.PkScript))
	}
	l.mu.Lock()
	if len(l.built) >= maxBuiltPayouts {
		l.built = make(map[chainhash.Hash]payoutEntry)
	}
	l.built[tx.TxHash()] = e
	l.mu.Unlock()
	return tx, nil
}

// Known implements pool.Payer.
func (l *payoutLog) Known(txid chainhash.Hash) (bool, error) { return l.payer.Known(txid) }

// Send implements pool.Payer, and logs the payout once.
func (l *payoutLog) Send(tx *wire.MsgTx) error {
	txid := tx.TxHash()
	l.mu.Lock()
	e, built := l.built[txid]
	l.mu.Unlock()
	if !built {
		// Sent again after a restart: every output counts, and the
		// fee is what the node's coins tell.
		e = payoutEntry{tx: tx, outs: tx.TxOut}
		e.fee, _ = l.payer.Fee(tx)
	}
	if err := l.payer.Send(tx); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.built, txid)
	for _, s := range l.sent {
		if s.tx.TxHash() == txid {
			return nil
		}
	}
	e.time = time.Now()
	l.sent = append(l.sent, e)
	if len(l.sent) > maxPayoutLog {
		l.sent = l.sent[len(l.sent)-maxPayoutLog:]
	}
	return nil
}

// list returns the payouts sent, oldest first.
func (l *payoutLog) list() []payoutEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]payoutEntry(nil), l.sent...)
}
