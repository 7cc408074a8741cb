package btcdwatch

import (
	"context"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/mainwatch"
)

// filterChunk is how many items one loadtxfilter call carries, well below
// btcd's limit on a websocket message.
const filterChunk = 10_000

// filterState is btcd's transaction filter on this connection, kept a
// superset of the watch list, and what it proves about announcements.
//
// btcd matches each connected block against the filter and sends the
// transactions that pay a filtered address or spend a filtered outpoint with
// the block's announcement. When the filter held every item of the watch
// list before btcd connected a block, those transactions include every one
// that the watch list matches in the block, and the announcement can be
// shown to the chain as a preview before getblock returns. The source knows
// that the filter was complete in time when, after loading the filter up to
// a version of the list, it asked btcd for its best block and got the new
// block's parent: btcd connected the new block after it answered, so after
// the filter was loaded. The list must also not have grown from then until
// the announcement arrived.
type filterState struct {
	conn    uint64           // the connection the filter was loaded on; 0: none
	version uint64           // the watch list version btcd's filter holds
	proven  mainwatch.Cursor // btcd's best block once it held version
	syncing bool             // runFilter is running
	again   bool             // and must run once more
	off     bool             // a watched script has no address: no previews
}

// preview is what btcd reported with the announcement of a block that the
// filter was complete for.
type preview struct {
	hash   chainhash.Hash
	header wire.BlockHeader
	txs    []*wire.MsgTx
	at     time.Time
}

// notePreview keeps the transactions of an announcement when the filter was
// complete for its block, and reports whether it did; it runs in the
// notification handler.
func (s *Source) notePreview(height int32, hash chainhash.Hash, header *wire.BlockHeader,
	txs []*btcutil.Tx, at time.Time) bool {

	s.mu.Lock()
	defer s.mu.Unlock()
	s.preview = nil
	f := &s.filter
	if s.watch == nil || f.off || f.conn == 0 || f.conn != s.conns ||
		height != f.proven.Height+1 || header.PrevBlock != f.proven.Hash ||
		s.watch.Version() != f.version {
		return false
	}
	pv := &preview{hash: hash, header: *header, at: at}
	for _, tx := range txs {
		pv.txs = append(pv.txs, tx.MsgTx())
	}
	s.preview = pv
	return true
}

// takePreview returns the preview of block hash, once.
func (s *Source) takePreview(hash chainhash.Hash) *preview {
	s.mu.Lock()
	defer s.mu.Unlock()
	pv := s.preview
	s.preview = nil
	if pv == nil || pv.hash != hash {
		return nil
	}
	return pv
}

// kickFilter brings btcd's filter up to the watch list in the background,
// and reads btcd's best block after it.
func (s *Source) kickFilter() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watch == nil || s.filter.off || s.stopped {
		return
	}
	if s.filter.syncing {
		s.filter.again = true
		return
	}
	s.filter.syncing = true
	s.wg.Add(1)
	go s.runFilter()
}

// followWatch brings btcd's filter up to the watch list when the list
// grows between deliveries (a new address of the wallet), so that btcd
// sends the mempool transactions that pay it; at most once per
// watchSettle, as a catch-up grows the list with every block.
func (s *Source) followWatch(watch *mainwatch.WatchList) {
	defer s.wg.Done()
	const watchSettle = time.Second
	for {
		select {
		case <-s.quit:
			return
		case <-watch.Changed():
		}
		s.kickFilter()
		select {
		case <-s.quit:
			return
		case <-time.After(watchSettle):
		}
	}
}

func (s *Source) runFilter() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		if err := s.syncFilter(ctx); err != nil {
			log.Debugf("Transaction filter: %v", err)
		}
		s.mu.Lock()
		if !s.filter.again || s.filter.off || s.stopped {
			s.filter.syncing = false
			s.mu.Unlock()
			return
		}
		s.filter.again = false
		s.mu.Unlock()
	}
}

// syncFilter loads what the watch list gained since the last load, or all
// of it on a new connection, then proves the filter with btcd's best block.
func (s *Source) syncFilter(ctx context.Context) error {
	s.mu.Lock()
	conn, watch := s.conns, s.watch
	loaded := s.filter.conn == conn && conn != 0
	from := s.filter.version
	s.mu.Unlock()

	var (
		adds []mainwatch.Addition
		v    uint64
		ok   bool
	)
	if loaded {
		adds, v, ok = watch.AdditionsSince(from)
	}
	reload := !loaded || !ok
	if reload {
		adds, v = watch.Snapshot()
	}
	addrs, ops, err := s.filterItems(adds)
	if err != nil {
		s.mu.Lock()
		s.filter.off = true
		s.mu.Unlock()
		log.Infof("Announcements are not previewed: %v", err)
		return err
	}
	// A reload goes out even when empty: it replaces the old filter.
	for first := true; (first && reload) || len(addrs) > 0 || len(ops) > 0; first = false {
		na := min(len(addrs), filterChunk)
		no := min(len(ops), filterChunk-na)
		fut := s.client.LoadTxFilterAsync(reload && first, addrs[:na], ops[:no])
		_, err := call(ctx, s, "loadtxfilter", func() (struct{}, error) {
			return struct{}{}, fut.Receive()
		})
		if err != nil {
			return err
		}
		addrs, ops = addrs[na:], ops[no:]
	}
	fut := s.client.GetBestBlockAsync()
	best, err := call(ctx, s, "getbestblock", func() (mainwatch.Cursor, error) {
		hash, height, err := fut.Receive()
		if err != nil {
			return mainwatch.Cursor{}, err
		}
		return mainwatch.Cursor{Height: height, Hash: *hash}, nil
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns != conn {
		// btcd lost the filter with the connection meanwhile.
		s.filter.conn = 0
		return nil
	}
	s.filter.conn, s.filter.version, s.filter.proven = conn, v, best
	return nil
}

// filterItems turns watch list additions into btcd filter items: each
// script as the addresses btcd extracts from an output that pays it.
func (s *Source) filterItems(adds []mainwatch.Addition) ([]btcutil.Address, []wire.OutPoint, error) {
	var (
		addrs []btcutil.Address
		ops   []wire.OutPoint
	)
	for _, a := range adds {
		if a.Script == nil {
			ops = append(ops, a.OutPoint)
			continue
		}
		_, as, _, err := txscript.ExtractPkScriptAddrs(a.Script, s.cfg.Params)
		if err != nil || len(as) == 0 {
			return nil, nil, fmt.Errorf("watched script %x has no address "+
				"for btcd's transaction filter", a.Script)
		}
		addrs = append(addrs, as...)
	}
	return addrs, ops, nil
}
