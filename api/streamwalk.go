package api

import (
	"context"
	"fmt"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// chainPage is one read of a chain: Disconnected, or Connected.
type chainPage[E any] struct {
	disconnected *E
	connected    []E
}

// chainWalk is the chain a subscription stream walks, R naming its blocks
// and E being what the backend reads of them.
type chainWalk[R, E any] struct {
	tip   func(ctx context.Context) (R, error)
	after func(ctx context.Context, cursor R, limit int) (chainPage[E], error)
	ref   func(e *E) R

	// undo checks that the backend disconnected d from the stream's
	// position pos and returns the position before d.
	undo func(d *E, pos R) (R, error)
}

// sidechainWalk walks the best sidechain.
func sidechainWalk(b SubscriptionBackend) chainWalk[SideRef, SideEvent] {
	return chainWalk[SideRef, SideEvent]{
		tip: b.SideTip,
		after: func(ctx context.Context, cursor SideRef, limit int) (chainPage[SideEvent], error) {
			r, err := b.SideBlocksAfter(ctx, cursor, limit)
			if err != nil {
				return chainPage[SideEvent]{}, err
			}
			return chainPage[SideEvent]{r.Disconnected, r.Connected}, nil
		},
		ref: (*SideEvent).Ref,
		undo: func(d *SideEvent, pos SideRef) (SideRef, error) {
			if d.Height != pos.Height || d.Height < 0 {
				return pos, fmt.Errorf("backend disconnected block %v at "+
					"height %d from position %d", d.Hash, d.Height, pos.Height)
			}
			return SideRef{Height: d.Height - 1, Hash: d.PrevBlock}, nil
		},
	}
}

// mainchainWalk walks the node's mainchain.
func mainchainWalk(b SubscriptionBackend) chainWalk[MainRef, Draw] {
	return chainWalk[MainRef, Draw]{
		tip: b.MainTip,
		after: func(ctx context.Context, cursor MainRef, limit int) (chainPage[Draw], error) {
			r, err := b.DrawsAfter(ctx, cursor, limit)
			if err != nil {
				return chainPage[Draw]{}, err
			}
			return chainPage[Draw]{r.Disconnected, r.Connected}, nil
		},
		ref: (*Draw).Ref,
		undo: func(d *Draw, pos MainRef) (MainRef, error) {
			if d.Height != pos.Height || d.Height <= 0 {
				return pos, fmt.Errorf("backend undid block %v at height "+
					"%d from position %d", d.BlockHash, d.Height, pos.Height)
			}
			return MainRef{Height: d.Height - 1, Hash: d.PrevBlock}, nil
		},
	}
}

// optCursor parses a request's cursor c, when it has one.
func optCursor[C, R any](c *C, parse func(*C) (R, error)) (*R, error) {
	if c == nil {
		return nil, nil
	}
	ref, err := parse(c)
	if err != nil {
		return nil, err
	}
	return &ref, nil
}

// streamSends are the events of one subscription stream. Errors of send
// calls end the stream as they are.
type streamSends[R, E any] struct {
	state        func(tip R) error
	disconnected func(d *E) error

	// connected sends block e; it returns false, with no error, when e
	// left the chain since it was read, to read again from the last
	// block sent.
	connected func(e *E) (sent bool, err error)
}

// blockItems returns the connected function of a stream that sends each
// block with its items, which in reads, by send; method names the stream
// in in's errors.
func blockItems[R, E, T any](ctx context.Context, method string, ref func(*E) R,
	in func(context.Context, R) ([]T, bool, error), send func(block R, items []T) error) func(*E) (bool, error) {

	return func(e *E) (bool, error) {
		block := ref(e)
		items, onChain, err := in(ctx, block)
		if err != nil {
			return false, toStatus(method, err)
		}
		if !onChain {
			// The block left the chain since the page was read:
			// read again from the last block sent.
			return false, nil
		}
		return true, send(block, items)
	}
}

// serveStream serves a subscription stream of method for the caller of
// ctx: it admits the stream, reads the first page from cursor if there is
// one, so that a cursor the node cannot follow fails the stream before it
// sends anything, sends the state event with the tip, then follows walk
// from cursor, or from the tip, sending every block disconnected from and
// connected to the stream's position. cursor is the request's cursor,
// parsed by parse; its errors are the caller's.
func serveStream[C, R, E any](ctx context.Context, s *Server, method string,
	c *C, parse func(*C) (R, error), walk chainWalk[R, E], send streamSends[R, E]) error {

	cursor, err := optCursor(c, parse)
	if err != nil {
		return toStatus(method, err)
	}
	r := callerRole(ctx)
	quit, err := s.subs.enter(r)
	if err != nil {
		return err
	}
	defer s.subs.leave(r)

	b := s.backend
	changed := b.Changed()
	var first *chainPage[E]
	if cursor != nil {
		p, err := walk.after(ctx, *cursor, streamPageSize)
		if err != nil {
			return toStatus(method, err)
		}
		first = &p
	}
	tip, err := walk.tip(ctx)
	if err != nil {
		return toStatus(method, err)
	}
	if err := send.state(tip); err != nil {
		return err
	}
	pos := tip
	if cursor != nil {
		pos = *cursor
	}
	return follow(ctx, quit, b.Changed, changed, func() (bool, error) {
		var p chainPage[E]
		if first != nil {
			p, first = *first, nil
		} else {
			var err error
			if p, err = walk.after(ctx, pos, streamPageSize); err != nil {
				return false, toStatus(method, err)
			}
		}
		if d := p.disconnected; d != nil {
			prev, err := walk.undo(d, pos)
			if err != nil {
				return false, toStatus(method, err)
			}
			err = send.disconnected(d)
			pos = prev
			return true, err
		}
		for i := range p.connected {
			sent, err := send.connected(&p.connected[i])
			if err != nil {
				return false, err
			}
			if !sent {
				return true, nil
			}
			pos = walk.ref(&p.connected[i])
		}
		return len(p.connected) >= streamPageSize, nil
	})
}

// mainRefProto returns r as the API's mainchain block reference.
func mainRefProto(r MainRef) *apiv1.MainchainBlockRef {
	out := &apiv1.MainchainBlockRef{Height: r.Height}
	if r.Height >= 0 {
		out.Hash = r.Hash.String()
	}
	return out
}

// sideRefProto returns r as the API's sidechain block reference.
func sideRefProto(r SideRef) *apiv1.SidechainBlockRef {
	out := &apiv1.SidechainBlockRef{}
	if r.Height >= 0 {
		out.BlockHeight, out.Hash = num32(r.Height), r.Hash.String()
	}
	return out
}
