package pool

import (
	"errors"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/store"
)

// Limits of a share's fields.
const (
	// MaxWorkerName is the longest worker name, in bytes.
	MaxWorkerName = 256
	// MaxPayoutScript is the longest payout script, in bytes.
	MaxPayoutScript = 520
)

// Share is an accepted share as the Stratum server hands it over.
type Share struct {
	// Worker is the worker's name, as it authorized.
	Worker string

	// Payout is the sidechain output script the worker's credits are
	// paid to. Credits are kept by payout script: two workers bound to
	// one address share a balance.
	Payout []byte

	// Work is the share's work, WorkForTarget(share target): the
	// expected number of hashes per share at its difficulty.
	Work *big.Int

	// NetWork is the work of the network target of the share's job
	// (WorkForBits of the template's bits). Work must not exceed it.
	NetWork *big.Int

	// Reward is what the job's coinbase pays the pool, in satoshis:
	// the subsidy plus the template's fees. It is a block's earnings
	// if the share finds one, and the basis of a share's PPS value.
	Reward int64

	// Time is when the server accepted the share (the pool's clock if
	// zero).
	Time time.Time

	// Height is the height of the block the job builds.
	Height int32

	// Block is the hash of the block the share found, nil if it found
	// none. The server sets it for a share that meets the network
	// target, whether or not the chain then takes the block.
	Block *chainhash.Hash
}

// check returns an ErrBadShare for a share the pool does not record.
func (s *Share) check() error {
	switch {
	case s.Worker == "":
		return poolError(ErrBadShare, "share without a worker name")
	case len(s.Worker) > MaxWorkerName:
		return poolError(ErrBadShare, "worker name of %d bytes is "+
			"longer than %d bytes", len(s.Worker), MaxWorkerName)
	case len(s.Payout) == 0:
		return poolError(ErrBadShare, "share of worker %q without a "+
			"payout script", s.Worker)
	case len(s.Payout) > MaxPayoutScript:
		return poolError(ErrBadShare, "payout script of %d bytes is "+
			"longer than %d bytes", len(s.Payout), MaxPayoutScript)
	case s.Work == nil || s.Work.Sign() <= 0:
		return poolError(ErrBadShare, "share of worker %q without work",
			s.Worker)
	case s.NetWork == nil || s.NetWork.Sign() <= 0:
		return poolError(ErrBadShare, "share of worker %q without the "+
			"network work", s.Worker)
	case s.Work.Cmp(s.NetWork) > 0:
		return poolError(ErrBadShare, "share of worker %q has more "+
			"work than the network target (share difficulty above "+
			"the network difficulty)", s.Worker)
	case s.NetWork.BitLen() > 257:
		return poolError(ErrBadShare, "share of worker %q: network "+
			"work above 2^256", s.Worker)
	case s.Reward < 0 || s.Reward > maxMoney:
		return poolError(ErrBadShare, "share of worker %q: job reward "+
			"%d satoshis outside 0 to %d", s.Worker, s.Reward,
			int64(maxMoney))
	case s.Height < 0:
		return poolError(ErrBadShare, "share of worker %q: negative "+
			"height %d", s.Worker, s.Height)
	}
	return nil
}

// Chain is what the pool needs to know of the sidechain: the node
// implements it on its chain state.
type Chain interface {
	// InBestChain reports whether the block is in the best chain, and
	// if so its height and confirmations (1 for the tip).
	InBestChain(hash chainhash.Hash) (height, confirmations int32, ok bool)

	// TipHeight returns the height of the best chain's tip.
	TipHeight() int32
}

// Payer pays the pool's payouts from the wallet the pool's coinbases pay:
// the node implements it with its wallet.
type Payer interface {
	// BuildPayout returns a signed transaction with every output of outs
	// (exact scripts and amounts), its fee and any change paid by the
	// wallet. It must not broadcast the transaction, and a transaction it
	// built but that is never sent must not keep the wallet from spending
	// its inputs.
	BuildPayout(outs []*wire.TxOut) (*wire.MsgTx, error)

	// Known reports whether the transaction is in the mempool or the
	// best chain.
	Known(txid chainhash.Hash) (bool, error)

	// Send broadcasts the transaction (sending one already known is not
	// an error).
	Send(tx *wire.MsgTx) error
}

// req is one AddShare waiting for its batch.
type req struct {
	share Share
	done  chan error
}

var reqPool = sync.Pool{New: func() any {
	return &req{done: make(chan error, 1)}
}}

// Store is what the pool needs of its store: a *store.DB opened with
// StoreOptions.
type Store interface {
	View(fn func(r store.Reader) error) error
	UpdateLocal(fn func(w *store.PlainWriter) error) error
	Sync() error
}

var _ Store = (*store.DB)(nil)

// Pool keeps the pool's shares and books. It is safe for concurrent use.
type Pool struct {
	cfg   Config
	db    Store
	payer Payer

	in   chan *req
	quit chan struct{}
	wg   sync.WaitGroup

	// closeMu is held for reading while a share is handed to the
	// committer, and for writing by Close.
	closeMu sync.RWMutex
	closed  bool

	// The committer goroutine owns lastSeq and carries.
	lastSeq uint64
	carries map[string]*carryRec

	// statsMu guards the statistics.
	statsMu  sync.Mutex
	stats    map[string]*workerStat
	poolRate rate
	accepted uint64
	rejects  map[int]uint64
	accrued  int64 // PPS credits in satoshis, all accounts
	// accruedBy is the PPS credit by payout script (a copy of the
	// carries' totals that Snapshot may read).
	accruedBy map[string]int64

	// mu guards the books: blocks, funding, payouts.
	mu       sync.Mutex
	blocks   []*blockRec
	bySeq    map[uint64]*blockRec
	byHash   map[chainhash.Hash]*blockRec
	fund     *funding
	payouts  []*payoutRec
	nextPay  uint64
	lastPay  int64
	settleCh chan struct{}
	// gen counts changes of the books that a split depends on (splits,
	// orphans, returns), so a split computed outside p.mu is applied
	// only if nothing changed meanwhile.
	gen uint64

	// payMu serializes payouts, pruneMu prunes.
	payMu   sync.Mutex
	pruneMu sync.Mutex
	// tip is the best chain's height at the last TipChanged (under mu),
	// lastPrune when maybePrune last pruned (unix nanoseconds, under mu).
	tip       int32
	lastPrune int64

	// commitMu is held by the committer from a batch's store write until
	// its blocks are in p.blocks, so that Audit takes a snapshot in which
	// every block is one the accountant knows.
	commitMu sync.Mutex

	// hook, if set (tests), is called at named points of a payout and
	// of a commit; an error from it stops there as a crash would.
	hook atomic.Pointer[func(point string) error]
}

// Open loads the pool's books from db and starts its committer. payer may
// be nil (Payout then fails). db is the pool's own store, opened with
// StoreOptions (LocalPrefixes at least).
func Open(db Store, cfg Config, payer Payer) (*Pool, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Pool{
		cfg:       cfg,
		db:        db,
		payer:     payer,
		in:        make(chan *req, 2*cfg.MaxBatch),
		quit:      make(chan struct{}),
		carries:   make(map[string]*carryRec),
		accruedBy: make(map[string]int64),
		stats:     make(map[string]*workerStat),
		bySeq:     make(map[uint64]*blockRec),
		byHash:    make(map[chainhash.Hash]*blockRec),
		fund:      &funding{cursor: 1},
		settleCh:  make(chan struct{}, 1),
	}
	p.poolRate.init(cfg.HashrateWindow)
	p.lastPrune = cfg.Now().UnixNano()
	if err := p.load(); err != nil {
		return nil, err
	}
	p.wg.Add(2)
	go p.committer()
	go p.accountant()
	p.kickSettle()
	log.Infof("Pool open: %v, fee %d bps, PPLNS window %v, %d shares, "+
		"%d blocks", cfg.Scheme, cfg.FeeBps, cfg.Window, p.lastSeq,
		len(p.blocks))
	return p, nil
}

// load reads the pool's records.
func (p *Pool) load() error {
	now := p.cfg.Now()
	return p.db.View(func(r store.Reader) error {
		v, err := r.Get(keyLastSeq)
		switch {
		case err == nil && len(v) == 8:
			p.lastSeq = beUint64(v)
		case err == nil:
			return poolError(ErrCorrupt, "pool share counter of %d "+
				"bytes", len(v))
		case !store.IsErrorCode(err, store.ErrNotFound):
			return wrapError(ErrStore, err, "reading the pool")
		}
		err = r.Iterate(keyCarryPrefix, func(k, v []byte) error {
			c, err := decodeCarry(v)
			if err != nil {
				return err
			}
			p.carries[string(k[len(keyCarryPrefix):])] = c
			p.accrued += c.accrued
			p.accruedBy[string(k[len(keyCarryPrefix):])] = c.accrued
			return nil
		})
		if err != nil {
			return err
		}
		err = r.Iterate(keyWorkerPrefix, func(k, v []byte) error {
			w, err := decodeWorker(v)
			if err != nil {
				return err
			}
			st := &workerStat{rec: *w}
			st.rate.init(p.cfg.HashrateWindow)
			p.stats[string(k[len(keyWorkerPrefix):])] = st
			p.accepted += w.accepted
			return nil
		})
		if err != nil {
			return err
		}
		err = r.Iterate(keyBlockPrefix, func(k, v []byte) error {
			seq := beUint64(k[len(keyBlockPrefix):])
			b, err := decodeBlock(seq, v)
			if err != nil {
				return err
			}
			p.blocks = append(p.blocks, b)
			p.bySeq[seq] = b
			p.byHash[b.hash] = b
			return nil
		})
		if err != nil {
			return err
		}
		v, err = r.Get(keyFunding)
		switch {
		case err == nil:
			if p.fund, err = decodeFunding(v); err != nil {
				return err
			}
		case !store.IsErrorCode(err, store.ErrNotFound):
			return wrapError(ErrStore, err, "reading the pool")
		}
		if p.fund.cursor == 0 {
			p.fund.cursor = 1
		}
		err = r.Iterate(keyPayoutPrefix, func(k, v []byte) error {
			id := beUint64(k[len(keyPayoutPrefix):])
			po, err := decodePayout(id, v)
			if err != nil {
				return err
			}
			p.payouts = append(p.payouts, po)
			return nil
		})
		if err != nil {
			return err
		}
		v, err = r.Get(keyPayoutMeta)
		switch {
		case err == nil:
			d := dec{b: v}
			p.nextPay, p.lastPay = d.u(), d.i()
			if err := d.done("payout state"); err != nil {
				return err
			}
		case !store.IsErrorCode(err, store.ErrNotFound):
			return wrapError(ErrStore, err, "reading the pool")
		}
		if p.nextPay == 0 {
			p.nextPay = 1
		}
		return p.loadRates(r, now)
	})
}

// loadRates refills the hashrate windows from the shares of the last
// HashrateWindow.
func (p *Pool) loadRates(r store.Reader, now time.Time) error {
	if p.lastSeq == 0 {
		return nil
	}
	from := now.Add(-p.cfg.HashrateWindow).UnixNano()
	return walkBack(r, p.lastSeq, func(s *shareRec) (bool, error) {
		if s.time < from {
			return false, nil
		}
		p.countRate(s.worker, s.time, s.work)
		return true, nil
	})
}

// Close stops the committer after it has committed every share handed to
// it, and the accountant. It does not close the store.
func (p *Pool) Close() error {
	p.closeMu.Lock()
	if p.closed {
		p.closeMu.Unlock()
		return nil
	}
	p.closed = true
	p.closeMu.Unlock()
	close(p.quit)
	p.wg.Wait()
	return nil
}

// AddShare records an accepted share and returns once it is committed to
// the store: the server answers "accepted" only after it returns nil.
// Many callers may call it at once; their shares are committed together
// (one store transaction per batch). How durable a committed share is is
// the store's: with StoreOptions (NoSync), it survives a crash or kill -9
// of the process at once and an OS crash once the store synced (every
// SyncInterval); a batch with a found block is synced before AddShare
// returns. It returns ErrBadShare
// for a share it refuses, ErrStore if the store failed (the share is not
// recorded) and ErrClosed after Close.
func (p *Pool) AddShare(s Share) error {
	if err := s.check(); err != nil {
		return err
	}
	if s.Time.IsZero() {
		s.Time = p.cfg.Now()
	}
	r := reqPool.Get().(*req)
	r.share = s
	p.closeMu.RLock()
	if p.closed {
		p.closeMu.RUnlock()
		reqPool.Put(r)
		return poolError(ErrClosed, "pool is closed")
	}
	p.in <- r
	p.closeMu.RUnlock()
	err := <-r.done
	r.share = Share{}
	reqPool.Put(r)
	return err
}

// committer commits the shares handed to AddShare, in batches.
func (p *Pool) committer() {
	defer p.wg.Done()
	batch := make([]*req, 0, p.cfg.MaxBatch)
	var timer *time.Timer
	for {
		var first *req
		select {
		case first = <-p.in:
		case <-p.quit:
			// Close waited for every sender: drain what is left.
			for {
				batch = batch[:0]
				for len(batch) < p.cfg.MaxBatch {
					select {
					case r := <-p.in:
						batch = append(batch, r)
						continue
					default:
					}
					break
				}
				if len(batch) == 0 {
					return
				}
				p.commit(batch)
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < p.cfg.MaxBatch {
			select {
			case r := <-p.in:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		if p.cfg.CommitDelay > 0 && len(batch) < p.cfg.MaxBatch {
			if timer == nil {
				timer = time.NewTimer(p.cfg.CommitDelay)
			} else {
				timer.Reset(p.cfg.CommitDelay)
			}
		wait:
			for len(batch) < p.cfg.MaxBatch {
				select {
				case r := <-p.in:
					batch = append(batch, r)
				case <-timer.C:
					break wait
				}
			}
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}
		p.commit(batch)
	}
}

// commit writes a batch of shares and answers their callers. A batch too
// big for one store transaction is written in halves.
func (p *Pool) commit(batch []*req) {
	err := p.write(batch)
	if store.IsErrorCode(err, store.ErrTooBig) && len(batch) > 1 {
		p.commit(batch[:len(batch)/2])
		p.commit(batch[len(batch)/2:])
		return
	}
	if err != nil {
		var perr *Error
		if !errors.As(err, &perr) {
			err = wrapError(ErrStore, err, "recording %d shares",
				len(batch))
		}
		log.Errorf("Pool: %v", err)
	}
	for _, r := range batch {
		r.done <- err
	}
}

// write writes a batch of shares in one store transaction and applies
// it. If it fails, nothing is applied.
func (p *Pool) write(batch []*req) error {
	recs := make([]shareRec, len(batch))
	carries := make(map[string]*carryRec)
	workers := make(map[string]*workerRec)
	var found []*blockRec
	var accrued int64
	seq := p.lastSeq
	p.statsMu.Lock()
	for i, r := range batch {
		s := &r.share
		seq++
		rec := &recs[i]
		*rec = shareRec{
			seq:     seq,
			time:    s.Time.UnixNano(),
			worker:  s.Worker,
			payout:  s.Payout,
			work:    s.Work,
			netWork: s.NetWork,
			reward:  s.Reward,
			height:  s.Height,
			block:   s.Block,
		}
		if p.cfg.Scheme == SchemePPS {
			c, ok := carries[string(s.Payout)]
			if !ok {
				c = &carryRec{}
				if old, ok := p.carries[string(s.Payout)]; ok {
					*c = *old
				}
				carries[string(s.Payout)] = c
			}
			rec.credit, c.carry = addCredit(c.carry,
				ppsCreditFixed(s.Reward, s.Work, s.NetWork,
					p.cfg.FeeBps))
			c.accrued += rec.credit
			accrued += rec.credit
		}
		w, ok := workers[s.Worker]
		if !ok {
			w = &workerRec{work: new(big.Int)}
			if st, ok := p.stats[s.Worker]; ok {
				w.accepted = st.rec.accepted
				w.work.Set(st.rec.work)
				w.last = st.rec.last
			}
			workers[s.Worker] = w
		}
		w.accepted++
		w.work.Add(w.work, s.Work)
		if rec.time > w.last {
			w.last = rec.time
		}
		if s.Block != nil {
			found = append(found, &blockRec{
				seq:     seq,
				hash:    *s.Block,
				height:  s.Height,
				reward:  s.Reward,
				found:   rec.time,
				worker:  s.Worker,
				netWork: new(big.Int).Set(s.NetWork),
				status:  BlockPending,
			})
		}
	}
	p.statsMu.Unlock()
	if len(found) > 0 {
		// A block is found once: a second share naming it (the server
		// should send none) is recorded as a share, not a block.
		seen := make(map[chainhash.Hash]bool)
		p.mu.Lock()
		kept := found[:0]
		for _, b := range found {
			if p.byHash[b.hash] != nil || seen[b.hash] {
				log.Warnf("Pool: share %d names block %v again; "+
					"counted once", b.seq, b.hash)
				continue
			}
			seen[b.hash] = true
			kept = append(kept, b)
		}
		p.mu.Unlock()
		found = kept
	}

	p.commitMu.Lock()
	defer p.commitMu.Unlock()
	err := p.db.UpdateLocal(func(w *store.PlainWriter) error {
		for i := range recs {
			err := w.Set(seqKey(keySharePrefix, recs[i].seq),
				recs[i].encode())
			if err != nil {
				return err
			}
		}
		for k, c := range carries {
			if err := w.Set(nameKey(keyCarryPrefix, []byte(k)),
				c.encode()); err != nil {
				return err
			}
		}
		for k, wr := range workers {
			if err := w.Set(nameKey(keyWorkerPrefix, []byte(k)),
				wr.encode()); err != nil {
				return err
			}
		}
		for _, b := range found {
			if err := w.Set(seqKey(keyBlockPrefix, b.seq),
				b.encode()); err != nil {
				return err
			}
		}
		if err := p.crash("commit"); err != nil {
			return err
		}
		return w.Set(keyLastSeq, be64(seq))
	})
	if err != nil {
		return err
	}
	if len(found) > 0 {
		// A found block's record (and the shares before it) reach the
		// disk before its miner hears "accepted": the store's periodic
		// sync would leave them to an OS crash for a while. A failed
		// sync leaves them committed, for the next sync.
		if err := p.db.Sync(); err != nil {
			log.Errorf("Pool: syncing the record of block %v: %v",
				found[0].hash, err)
		}
	}
	p.lastSeq = seq
	for k, c := range carries {
		p.carries[k] = c
	}
	p.statsMu.Lock()
	p.accrued += accrued
	for k, c := range carries {
		p.accruedBy[k] = c.accrued
	}
	p.accepted += uint64(len(batch))
	for k, wr := range workers {
		st, ok := p.stats[k]
		if !ok {
			st = &workerStat{}
			st.rate.init(p.cfg.HashrateWindow)
			p.stats[k] = st
		}
		st.rec = *wr
	}
	for i := range recs {
		p.countRateLocked(recs[i].worker, recs[i].time, recs[i].work)
	}
	p.statsMu.Unlock()
	if len(found) > 0 {
		p.mu.Lock()
		for _, b := range found {
			p.blocks = append(p.blocks, b)
			p.bySeq[b.seq] = b
			p.byHash[b.hash] = b
			log.Infof("Pool: worker %s found block %v at height %d "+
				"(share %d, reward %d satoshis)", b.worker, b.hash,
				b.height, b.seq, b.reward)
		}
		p.mu.Unlock()
		p.kickSettle()
	}
	return nil
}

// kickSettle wakes the accountant.
func (p *Pool) kickSettle() {
	select {
	case p.settleCh <- struct{}{}:
	default:
	}
}

// accountant splits the rewards of new blocks, outside the share path.
func (p *Pool) accountant() {
	defer p.wg.Done()
	for {
		select {
		case <-p.settleCh:
			if err := p.settle(); err != nil {
				log.Errorf("Pool: %v", err)
			}
		case <-p.quit:
			return
		}
	}
}

func be64(v uint64) []byte {
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b[:8] {
		v = v<<8 | uint64(c)
	}
	return v
}

// String returns a short description of a share, for logs.
func (s *Share) String() string {
	return fmt.Sprintf("share of %s at height %d", s.Worker, s.Height)
}
