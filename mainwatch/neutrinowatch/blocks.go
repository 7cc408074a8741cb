package neutrinowatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/gcs"
	"github.com/btcsuite/btcd/btcutil/gcs/builder"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/lightninglabs/neutrino"
	"github.com/lightninglabs/neutrino/banman"
	"github.com/lightninglabs/neutrino/filterdb"

	"github.com/mainstake/sidenode/mainwatch"
)

const (
	// firstBatch is the filter batch a catch-up starts with; each batch
	// doubles up to Config.FilterBatch.
	firstBatch = 100

	// blockAhead bounds the blocks fetched ahead of the caller because
	// their filter matched the watch list as it was then: the getdata
	// requests in flight, and the blocks held for the caller.
	blockAhead = 16

	// refreshScripts is how many blocks the prefetcher matches against
	// one snapshot of the watch list.
	refreshScripts = 32
)

// item is one block on its way from the prefetcher to the caller.
type item struct {
	height int32
	hash   chainhash.Hash
	header wire.BlockHeader
	filter *gcs.Filter // nil for the genesis block
	block  *blockFetch // fetched ahead, or nil
	err    error
}

// blockFetch is a block download started ahead of need. It holds one of
// the blockAhead slots until it has finished and the caller has passed it.
type blockFetch struct {
	done  chan struct{}
	block *wire.MsgBlock
	err   error

	slots chan struct{}
	refs  atomic.Int32 // the download and the caller
}

// release gives up one of the two holds on the fetch's slot.
func (f *blockFetch) release() {
	if f.refs.Add(-1) == 0 {
		<-f.slots
	}
}

// Blocks implements mainwatch.Source.
//
// Three stages run at once. A prefetcher walks the range ahead of the
// caller: it reads each hash and header from the header store and fetches
// the block's filter, in batches of up to FilterBatch filters per
// getcfilters message. A speculator matches each filter against a recent
// snapshot of the watch list and starts downloading the blocks that match,
// up to blockAhead ahead of the caller. The caller's stage matches each
// filter against watch.Scripts() only after fn has returned for the block
// before; when it matches, it uses the download started ahead, or
// downloads the block now.
func (s *Source) Blocks(ctx context.Context, from, to int32, watch *mainwatch.WatchList,
	fn func(*mainwatch.Block) error) error {

	if from > to {
		return nil
	}
	if err := s.running(); err != nil {
		return err
	}
	// Status reports the source's own failures, not the caller's.
	callerErr := false
	err := s.blocks(ctx, from, to, watch, func(b *mainwatch.Block) error {
		err := fn(b)
		callerErr = err != nil
		return err
	})
	switch {
	case err == nil:
		s.setFetchErr(nil)
	case !callerErr && ctx.Err() == nil:
		s.setFetchErr(err)
	}
	return err
}

func (s *Source) blocks(ctx context.Context, from, to int32, watch *mainwatch.WatchList,
	fn func(*mainwatch.Block) error) error {

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	filtered := make(chan item, s.cfg.FilterBatch)
	items := make(chan item, blockAhead)
	ahead := make(chan struct{}, blockAhead)
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(filtered)
		s.prefetch(ctx, from, to, filtered)
	}()
	go func() {
		defer wg.Done()
		defer close(items)
		s.speculate(ctx, watch, filtered, items, ahead, &wg)
	}()

	for next := from; next <= to; next++ {
		var (
			it item
			ok bool
		)
		select {
		case it, ok = <-items:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !ok {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fmt.Errorf("neutrinowatch: prefetch ended at %d of %d", next, to)
		}
		if it.err != nil {
			return it.err
		}
		if it.height != next {
			return fmt.Errorf("neutrinowatch: prefetch out of order: %d, want %d",
				it.height, next)
		}
		block, err := s.deliver(ctx, it, watch)
		if err != nil {
			return err
		}
		if err := fn(block); err != nil {
			return err
		}
	}
	return nil
}

// deliver matches one block against the watch list as it is now and builds
// what the caller receives.
func (s *Source) deliver(ctx context.Context, it item, watch *mainwatch.WatchList) (*mainwatch.Block, error) {

	if it.block != nil {
		defer it.block.release()
	}
	b := &mainwatch.Block{Height: it.height, Hash: it.hash, Header: it.header}
	s.mu.Lock()
	if s.best.Height == it.height && s.best.Hash == it.hash {
		b.Announced = s.bestAt
	}
	s.mu.Unlock()
	scripts := watch.Scripts()
	if len(scripts) == 0 {
		return b, nil
	}

	var msg *wire.MsgBlock
	if it.filter == nil {
		// Peers serve no filter for the genesis block, and it needs
		// no download.
		msg = s.cfg.Params.GenesisBlock
	} else {
		key := builder.DeriveKey(&it.hash)
		match, err := it.filter.MatchAny(key, scripts)
		if err != nil {
			return nil, fmt.Errorf("neutrinowatch: match filter of block "+
				"%d (%v): %w", it.height, it.hash, err)
		}
		if !match {
			return b, nil
		}
		if f := it.block; f != nil {
			select {
			case <-f.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			msg, err = f.block, f.err
		}
		if msg == nil {
			// Not fetched ahead, or that fetch failed: one more try.
			msg, err = s.fetchBlock(ctx, it.height, it.hash)
		}
		if err != nil {
			return nil, err
		}
	}
	if got := msg.BlockHash(); got != it.hash {
		return nil, fmt.Errorf("neutrinowatch: got block %v for %v at height %d",
			got, it.hash, it.height)
	}
	b.Header = msg.Header
	b.Txs, b.Seen = watch.Match(msg)
	return b, nil
}

// prefetch sends the blocks from..to, with their filters, to out in order.
// It stops at the first error, which it sends as the last item.
func (s *Source) prefetch(ctx context.Context, from, to int32, out chan<- item) {
	batch := min(firstBatch, s.cfg.FilterBatch)
	for h := from; h <= to; h++ {
		it, err := s.header(h)
		if err == nil && h > 0 {
			var fetched bool
			it.filter, fetched, err = s.filter(ctx, h, it.hash, int(min(int64(batch), int64(to-h)+1)))
			if fetched {
				batch = min(batch*2, s.cfg.FilterBatch)
			}
		}
		if err != nil {
			it = item{height: h, err: err}
		}
		select {
		case out <- it:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// speculate passes the prefetched blocks on to out, starting the download
// of those whose filter matches a recent snapshot of the watch list. It
// keeps at most blockAhead downloads running or waiting for the caller.
func (s *Source) speculate(ctx context.Context, watch *mainwatch.WatchList,
	in <-chan item, out chan<- item, ahead chan struct{}, wg *sync.WaitGroup) {

	var (
		snapshot [][]byte
		n        int
	)
	for it := range in {
		if it.filter != nil {
			if n%refreshScripts == 0 {
				snapshot = watch.Scripts()
			}
			n++
			key := builder.DeriveKey(&it.hash)
			if len(snapshot) > 0 {
				if match, _ := it.filter.MatchAny(key, snapshot); match {
					select {
					case ahead <- struct{}{}:
					case <-ctx.Done():
						return
					}
					it.block = s.fetchAhead(ctx, it.height, it.hash, ahead, wg)
				}
			}
		}
		select {
		case out <- it:
		case <-ctx.Done():
			return
		}
	}
}

// header reads the hash and header at height from the header store.
func (s *Source) header(height int32) (item, error) {
	header, err := s.cs.BlockHeaders.FetchHeaderByHeight(uint32(height))
	if err != nil {
		return item{}, fmt.Errorf("neutrino header at %d: %w", height, err)
	}
	return item{height: height, hash: header.BlockHash(), header: *header}, nil
}

// filter returns the regular filter of the block hash at height. A filter
// missing from neutrino's cache is fetched over the network together with
// the next batch-1 filters, which land in the cache; fetched reports that.
func (s *Source) filter(ctx context.Context, height int32, hash chainhash.Hash,
	batch int) (f *gcs.Filter, fetched bool, err error) {

	key := neutrino.FilterCacheKey{BlockHash: hash, FilterType: filterdb.RegularFilter}
	if c, err := s.cs.FilterCache.Get(key); err == nil && c != nil && c.Filter != nil {
		return c.Filter, false, nil
	}

	// neutrino sizes a batch by its own filter tip; asking past it, as a
	// reorg can make us do, sends an empty request that is never answered.
	best, err := s.cs.BestBlock()
	if err != nil {
		return nil, false, fmt.Errorf("neutrino best block: %w", err)
	}
	if height > best.Height {
		return nil, false, fmt.Errorf("neutrinowatch: block %d is past the "+
			"filter header tip %d", height, best.Height)
	}

	what := fmt.Sprintf("filter of block %d (%v)", height, hash)
	if s.filterCalls.Load() > 0 && s.cs.ConnectedCount() > 0 {
		// An abandoned query holds neutrino's filter lock, which every
		// GetCFilter waits for. (With no peer, the wait below for one
		// is as good.)
		f, err = s.filterDirect(ctx, height, hash)
		if err != nil {
			return nil, true, fmt.Errorf("%s: %w", what, err)
		}
		return f, true, nil
	}
	opts := append(s.queryOptions(), neutrino.OptimisticBatch(),
		neutrino.MaxBatchSize(int64(batch)))
	f, err = call(ctx, s, what, hash, func() (*gcs.Filter, error) {
		s.filterCalls.Add(1)
		defer s.filterCalls.Add(-1)
		return s.cs.GetCFilter(hash, wire.GCSFilterRegular, opts...)
	})
	if err != nil {
		return nil, true, err
	}
	if f == nil {
		return nil, true, fmt.Errorf("%s: neutrino returned none", what)
	}
	return f, true, nil
}

// filterDirect fetches the regular filter of the block hash at height from
// the connected peers in turn, bypassing neutrino's GetCFilter, and checks
// it against the filter headers as GetCFilter does; a good filter goes into
// neutrino's filter cache. It serves while an abandoned query, about a
// block a reorg took away, still holds neutrino's filter lock: such a query
// goes on until its last try times out (2s, 4s and 8s with the default
// NumRetries) when no peer has the block any more, as btcd does not for a
// block it invalidated, and every GetCFilter waits for it.
func (s *Source) filterDirect(ctx context.Context, height int32, hash chainhash.Hash) (*gcs.Filter, error) {
	if height < 1 {
		return nil, fmt.Errorf("neutrinowatch: no filter to fetch at height %d", height)
	}
	prev, err := s.cs.RegFilterHeaders.FetchHeaderByHeight(uint32(height - 1))
	if err != nil {
		return nil, fmt.Errorf("filter header at %d: %w", height-1, err)
	}
	want, err := s.cs.RegFilterHeaders.FetchHeaderByHeight(uint32(height))
	if err != nil {
		return nil, fmt.Errorf("filter header at %d: %w", height, err)
	}
	peers := s.cs.Peers()
	if len(peers) == 0 {
		return nil, ErrNoPeers
	}
	var errs []error
	for i := range peers {
		peer := peers[(int(height)+i)%len(peers)]
		f, err := s.filterFromPeer(ctx, peer, height, hash, *prev, *want)
		if err == nil {
			key := neutrino.FilterCacheKey{BlockHash: hash, FilterType: filterdb.RegularFilter}
			if _, err := s.cs.FilterCache.Put(key, &neutrino.CacheableFilter{Filter: f}); err != nil {
				log.Debugf("Cache filter of block %d: %v", height, err)
			}
			return f, nil
		}
		if ctx.Err() != nil || errors.Is(err, ErrStopped) || errors.Is(err, errLeftChain) {
			return nil, err
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// filterFromPeer asks peer for the regular filter of the block hash at
// height and waits, up to peerQueryTimeout, for one whose filter header,
// made on prev, is want.
func (s *Source) filterFromPeer(ctx context.Context, peer *neutrino.ServerPeer, height int32,
	hash, prev, want chainhash.Hash) (*gcs.Filter, error) {

	msgs, cancel := peer.SubscribeRecvMsg()
	defer cancel()
	peer.QueueMessage(wire.NewMsgGetCFilters(wire.GCSFilterRegular, uint32(height), &hash), nil)
	timer := time.NewTimer(peerQueryTimeout)
	defer timer.Stop()
	for {
		moved := s.movedChan()
		if !s.onChain(hash) {
			return nil, errLeftChain
		}
		select {
		case msg := <-msgs:
			m, ok := msg.(*wire.MsgCFilter)
			if !ok || m.BlockHash != hash || m.FilterType != wire.GCSFilterRegular {
				continue
			}
			f, err := gcs.FromNBytes(builder.DefaultP, builder.DefaultM, m.Data)
			if err != nil {
				return nil, fmt.Errorf("peer %v sent a malformed filter: %w", peer.Addr(), err)
			}
			got, err := builder.MakeHeaderForFilter(f, prev)
			if err != nil {
				return nil, fmt.Errorf("peer %v sent a filter: %w", peer.Addr(), err)
			}
			if got != want {
				return nil, fmt.Errorf("peer %v sent a filter that does not "+
					"match the filter header %v", peer.Addr(), want)
			}
			return f, nil
		case <-moved:
		case <-peer.OnDisconnect():
			return nil, fmt.Errorf("peer %v disconnected", peer.Addr())
		case <-timer.C:
			return nil, fmt.Errorf("peer %v sent no filter within %v", peer.Addr(), peerQueryTimeout)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.quit:
			return nil, ErrStopped
		}
	}
}

// fetchBlock downloads the block hash at height.
func (s *Source) fetchBlock(ctx context.Context, height int32, hash chainhash.Hash) (*wire.MsgBlock, error) {
	what := fmt.Sprintf("block %d (%v)", height, hash)
	opts := s.queryOptions()
	block, err := call(ctx, s, what, hash, func() (*btcutil.Block, error) {
		return s.cs.GetBlock(hash, opts...)
	})
	if err != nil {
		return nil, err
	}
	msg := block.MsgBlock()
	if got := msg.BlockHash(); got != hash {
		return nil, fmt.Errorf("neutrinowatch: got block %v for %v at height %d",
			got, hash, height)
	}
	return msg, nil
}

// fetchAhead starts downloading a block the caller will probably need. wg
// tracks the download, which ends with ctx.
//
// neutrino's GetBlock hands a peer one query at a time, so downloads ahead
// ask a peer directly: each sends its own getdata, and up to blockAhead
// of them are in flight on the connection at once. A download that fails
// here is repeated through GetBlock when the caller needs the block.
func (s *Source) fetchAhead(ctx context.Context, height int32, hash chainhash.Hash,
	slots chan struct{}, wg *sync.WaitGroup) *blockFetch {

	f := &blockFetch{done: make(chan struct{}), slots: slots}
	f.refs.Store(2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer f.release()
		defer close(f.done)
		f.block, f.err = s.fetchDirect(ctx, height, hash)
		if f.err != nil {
			log.Debugf("Download ahead of block %d (%v): %v", height, hash, f.err)
		}
	}()
	return f
}

// fetchDirect asks one connected peer, picked by height, for the block
// hash and checks the answer as neutrino's GetBlock does; a peer that sends
// an invalid block is banned.
func (s *Source) fetchDirect(ctx context.Context, height int32, hash chainhash.Hash) (*wire.MsgBlock, error) {
	peers := s.cs.Peers()
	if len(peers) == 0 {
		return nil, ErrNoPeers
	}
	peer := peers[int(height)%len(peers)]
	msgs, cancel := peer.SubscribeRecvMsg()
	defer cancel()
	getData := wire.NewMsgGetData()
	_ = getData.AddInvVect(wire.NewInvVect(wire.InvTypeWitnessBlock, &hash))
	peer.QueueMessageWithEncoding(getData, nil, wire.WitnessEncoding)

	timer := time.NewTimer(s.cfg.QueryTimeout)
	defer timer.Stop()
	for {
		select {
		case msg := <-msgs:
			switch m := msg.(type) {
			case *wire.MsgBlock:
				if m.BlockHash() != hash {
					continue
				}
				block := btcutil.NewBlock(m)
				err := blockchain.CheckBlockSanity(block, s.cfg.Params.PowLimit,
					s.timeSource)
				if err == nil {
					err = blockchain.ValidateWitnessCommitment(block)
				}
				if err != nil {
					if banErr := s.cs.BanPeer(peer.Addr(), banman.InvalidBlock); banErr != nil {
						log.Errorf("Cannot ban peer %v: %v", peer.Addr(), banErr)
					}
					return nil, fmt.Errorf("peer %v sent an invalid block %v: %w",
						peer.Addr(), hash, err)
				}
				return m, nil
			case *wire.MsgNotFound:
				for _, inv := range m.InvList {
					if inv.Hash == hash {
						return nil, fmt.Errorf("peer %v does not have block %v",
							peer.Addr(), hash)
					}
				}
			}
		case <-peer.OnDisconnect():
			return nil, fmt.Errorf("peer %v disconnected", peer.Addr())
		case <-timer.C:
			return nil, fmt.Errorf("peer %v did not send block %v within %v",
				peer.Addr(), hash, s.cfg.QueryTimeout)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.quit:
			return nil, ErrStopped
		}
	}
}
