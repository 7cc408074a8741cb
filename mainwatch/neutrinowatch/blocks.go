package neutrinowatch

import (
	"context"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/gcs"
	"github.com/btcsuite/btcd/btcutil/gcs/builder"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/lightninglabs/neutrino"
	"github.com/lightninglabs/neutrino/filterdb"

	"github.com/mainstake/sidenode/mainwatch"
)

const (
	// firstBatch is the filter batch a catch-up starts with; each batch
	// doubles up to Config.FilterBatch.
	firstBatch = 100

	// blockAhead bounds the blocks fetched ahead of the caller because
	// their filter matched the watch list as it was then.
	blockAhead = 8

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

// blockFetch is a block download started ahead of need.
type blockFetch struct {
	done  chan struct{}
	block *wire.MsgBlock
	err   error
}

// Blocks implements mainwatch.Source.
//
// A prefetcher walks the range ahead of the caller: it reads each hash and
// header from the header store and fetches the block's filter, in batches
// of up to FilterBatch filters per getcfilters message. The caller's side
// matches each filter against watch.Scripts() only after fn has returned
// for the block before, and downloads the block when it matches. To hide
// that download, the prefetcher also matches against a recent snapshot of
// the list and starts up to blockAhead downloads early; the caller uses
// them only when its own match agrees.
func (s *Source) Blocks(ctx context.Context, from, to int32, watch *mainwatch.WatchList,
	fn func(*mainwatch.Block) error) error {

	if from > to {
		return nil
	}
	if err := s.running(); err != nil {
		return err
	}
	err := s.blocks(ctx, from, to, watch, fn)
	if err != nil && ctx.Err() == nil {
		s.setErr(err)
	} else if err == nil {
		s.setErr(nil)
	}
	return err
}

func (s *Source) blocks(ctx context.Context, from, to int32, watch *mainwatch.WatchList,
	fn func(*mainwatch.Block) error) error {

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	items := make(chan item, s.cfg.FilterBatch)
	ahead := make(chan struct{}, blockAhead)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(items)
		s.prefetch(ctx, from, to, watch, items, ahead, &wg)
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
		block, err := s.deliver(ctx, it, watch, ahead)
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
func (s *Source) deliver(ctx context.Context, it item, watch *mainwatch.WatchList,
	ahead chan struct{}) (*mainwatch.Block, error) {

	if it.block != nil {
		// The slot frees once the caller has seen the download; a
		// download nobody needs finishes into the void.
		defer func() { <-ahead }()
	}
	b := &mainwatch.Block{Height: it.height, Hash: it.hash, Header: it.header}
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
func (s *Source) prefetch(ctx context.Context, from, to int32, watch *mainwatch.WatchList,
	out chan<- item, ahead chan struct{}, wg *sync.WaitGroup) {

	send := func(it item) bool {
		select {
		case out <- it:
			return true
		case <-ctx.Done():
			return false
		}
	}
	batch := min(firstBatch, s.cfg.FilterBatch)
	var snapshot [][]byte
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
			send(item{height: h, err: err})
			return
		}

		if (h-from)%refreshScripts == 0 {
			snapshot = watch.Scripts()
		}
		if it.filter != nil && len(snapshot) > 0 {
			key := builder.DeriveKey(&it.hash)
			if match, _ := it.filter.MatchAny(key, snapshot); match {
				select {
				case ahead <- struct{}{}:
					it.block = s.fetchAhead(ctx, h, it.hash, wg)
				default:
				}
			}
		}
		if !send(it) {
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
	opts := append(s.queryOptions(), neutrino.OptimisticBatch(),
		neutrino.MaxBatchSize(int64(batch)))
	f, err = call(ctx, s, what, func() (*gcs.Filter, error) {
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

// fetchBlock downloads the block hash at height.
func (s *Source) fetchBlock(ctx context.Context, height int32, hash chainhash.Hash) (*wire.MsgBlock, error) {
	what := fmt.Sprintf("block %d (%v)", height, hash)
	opts := s.queryOptions()
	block, err := call(ctx, s, what, func() (*btcutil.Block, error) {
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
func (s *Source) fetchAhead(ctx context.Context, height int32, hash chainhash.Hash,
	wg *sync.WaitGroup) *blockFetch {

	f := &blockFetch{done: make(chan struct{})}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(f.done)
		f.block, f.err = s.fetchBlock(ctx, height, hash)
	}()
	return f
}
