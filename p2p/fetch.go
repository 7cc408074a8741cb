package p2p

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// fetcher is one FetchBlock call waiting for a block.
type fetcher struct {
	// wake is signalled whenever the state below changes.
	wake chan struct{}

	mu       sync.Mutex
	got      bool
	header   []byte
	body     []byte
	notFound map[PeerID]bool
}

// signal wakes the FetchBlock call without blocking.
func (f *fetcher) signal() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// state returns the block if it came, and whether peer id answered
// NotFound.
func (f *fetcher) state(id PeerID) (header, body []byte, got, notFound bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.header, f.body, f.got, f.notFound[id]
}

// FetchBlock asks peers for the block with the given hash and returns its
// header and body. It asks one peer at a time, those that announced the
// block first, then the others, moving on when a peer answers NotFound,
// goes away or stays silent for RequestTimeout. It returns an error
// wrapping ErrBlockNotFound when no peer served the block, ctx.Err() when
// ctx ends first, or ErrServerStopped. The header hashes to hash; whether
// the body matches the header is for the caller to check. The block is not
// passed to Handler.ReceiveBlock (unless a peer's announcement also asked
// for it).
func (s *Server) FetchBlock(ctx context.Context, hash chainhash.Hash) (header,
	body []byte, err error) {

	if !s.running() {
		return nil, nil, ErrServerStopped
	}
	f := &fetcher{wake: make(chan struct{}, 1), notFound: make(map[PeerID]bool)}
	s.addFetcher(hash, f)
	defer s.removeFetcher(hash, f)

	item := BlockItem(hash)
	peers := s.fetchCandidates(item)
	for _, p := range peers {
		if p.closed() {
			continue
		}
		if p.request(item, reqFetch) &&
			!p.queueWait(getDataMsg([]InvItem{item}), ctx.Done()) {
			p.takeRequest(item)
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			continue
		}
		header, body, err := s.waitFetch(ctx, f, p)
		if header != nil || err != nil {
			return header, body, err
		}
	}
	if header, body, got, _ := f.state(0); got {
		return header, body, nil
	}
	return nil, nil, fmt.Errorf("%w: %v (asked %d peers)", ErrBlockNotFound,
		hash, len(peers))
}

// waitFetch waits for the block after asking p. It returns the block, an
// error that ends the fetch, or neither when it is time for the next peer.
func (s *Server) waitFetch(ctx context.Context, f *fetcher, p *peer) (header,
	body []byte, err error) {

	timer := time.NewTimer(s.cfg.RequestTimeout)
	defer timer.Stop()
	for {
		header, body, got, notFound := f.state(p.id)
		switch {
		case got:
			return header, body, nil
		case notFound:
			log.Debugf("Peer %v does not have the block", p)
			return nil, nil, nil
		}
		select {
		case <-f.wake:
		case <-p.quit:
			return nil, nil, nil
		case <-timer.C:
			log.Debugf("Peer %v did not answer for the block within %v",
				p, s.cfg.RequestTimeout)
			return nil, nil, nil
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-s.quit:
			return nil, nil, ErrServerStopped
		}
	}
}

// fetchCandidates returns the peers to ask for it: those that announced it
// first, then the others, each group by PeerID.
func (s *Server) fetchCandidates(it InvItem) []*peer {
	var first, rest []*peer
	for _, p := range s.peerList() {
		if p.known.announced(it) {
			first = append(first, p)
		} else {
			rest = append(rest, p)
		}
	}
	return append(first, rest...)
}

// addFetcher registers f to receive the block with the given hash.
func (s *Server) addFetcher(hash chainhash.Hash, f *fetcher) {
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	m := s.fetchers[hash]
	if m == nil {
		m = make(map[*fetcher]struct{})
		s.fetchers[hash] = m
	}
	m[f] = struct{}{}
}

// removeFetcher unregisters f.
func (s *Server) removeFetcher(hash chainhash.Hash, f *fetcher) {
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	delete(s.fetchers[hash], f)
	if len(s.fetchers[hash]) == 0 {
		delete(s.fetchers, hash)
	}
}

// deliverBlock hands a requested block to the FetchBlock calls waiting for
// it.
func (s *Server) deliverBlock(hash chainhash.Hash, header, body []byte) {
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	for f := range s.fetchers[hash] {
		f.mu.Lock()
		if !f.got {
			f.got, f.header, f.body = true, header, body
		}
		f.mu.Unlock()
		f.signal()
	}
}

// deliverNotFound tells the FetchBlock calls waiting for a block that peer
// id does not have it.
func (s *Server) deliverNotFound(hash chainhash.Hash, id PeerID) {
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	for f := range s.fetchers[hash] {
		f.mu.Lock()
		f.notFound[id] = true
		f.mu.Unlock()
		f.signal()
	}
}
