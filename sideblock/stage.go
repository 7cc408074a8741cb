package sideblock

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/store"
)

// Bounds on staged bodies. Bodies of published headers are always
// accepted (at most one header is published per mainchain block, and its
// producer paid for the publication); the bounds below apply to bodies
// that arrive before their header is published, which anyone can make.
//
// A body of an unpublished header is accepted only if its coinbase's
// lottery height h is within [T − StageWindowBefore, T + StageWindowAfter],
// where T is the node's mainchain tip: the winner of the draw after block
// T builds at h = T and publishes in T+1, and peers a block or two ahead or
// behind still get in. At most MaxStagedPerHeight bodies are staged per
// lottery height, first come first served. A flood of junk bodies can
// therefore keep the winner's body out until its header is published, but
// no longer: from then on the body is accepted, and the node fetches it
// through MissingBodies. The node's own bodies (StageOwnBody) skip both
// bounds.
//
// Unpublished bodies are kept for StagedRetention mainchain blocks past
// their lottery height (PruneStaged), in case a shallow mainchain reorg
// brings their publication back. Worst case on disk:
// MaxStagedPerHeight × (StageWindowBefore + StageWindowAfter +
// StagedRetention) × MaxBlockSize, about 160 MB.
const (
	StageWindowBefore  = 2
	StageWindowAfter   = 1
	MaxStagedPerHeight = 16
	StagedRetention    = 6
)

// stagedBlock is the stored form of a staged block: header (64) ‖ lottery
// height from the coinbase (4) ‖ body.
type stagedBlock struct {
	header        Header
	lotteryHeight int32
	body          []byte
}

func (s *stagedBlock) encode() []byte {
	hb := s.header.Encode()
	b := make([]byte, 0, len(hb)+4+len(s.body))
	b = append(b, hb...)
	b = binary.BigEndian.AppendUint32(b, uint32(s.lotteryHeight))
	return append(b, s.body...)
}

func (s *stagedBlock) digest() [32]byte {
	return sha256.Sum256(s.body)
}

func (s *stagedBlock) block() (*Block, error) {
	txs, err := DecodeBody(s.body)
	if err != nil {
		return nil, err
	}
	return &Block{Header: s.header, Transactions: txs}, nil
}

// loadStaged reads a staged block.
func loadStaged(r store.Reader, hash chainhash.Hash) (*stagedBlock, bool, error) {
	v, err := r.Get(bodyKey(hash))
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	// The record does not say which header size it holds; the hash
	// does: a 64-byte header first, then a pow header.
	for _, size := range []int{HeaderSize, PowHeaderSize} {
		if len(v) < size+4 {
			continue
		}
		h, err := ParseHeaderOf(v[:size], size == PowHeaderSize)
		if err != nil || h.BlockHash() != hash {
			continue
		}
		s := &stagedBlock{header: h}
		s.lotteryHeight = int32(binary.BigEndian.Uint32(v[size:]))
		s.body = v[size+4:]
		return s, true, nil
	}
	return nil, false, fmt.Errorf("sideblock: staged block under %v "+
		"(%d bytes) holds no header of that hash", hash, len(v))
}

// deleteStaged removes a staged block and its entry by lottery height.
func deleteStaged(w *store.PlainWriter, hash chainhash.Hash) error {
	s, ok, err := loadStaged(w, hash)
	if err != nil || !ok {
		return err
	}
	if s.lotteryHeight >= 0 {
		if err := w.Delete(stagedKey(s.lotteryHeight, hash)); err != nil {
			return err
		}
	}
	return w.Delete(bodyKey(hash))
}

// StageBody stages a block body received from a peer, so that a mainchain
// block's batch can connect it: the block (header and body) is stored,
// without undo, under its hash. It checks CheckBlockSanity first and
// returns its RuleError if the body fails; ErrBodyKnown if a usable copy is
// staged already; ErrBodyKnownBad if this very copy failed before;
// ErrKnownInvalid if the header is known invalid; and for a header that is
// not published yet, ErrBodyOutOfWindow or ErrTooManyStagedBodies (see
// StageWindowBefore and MaxStagedPerHeight).
//
// A copy that replaces a staged copy is accepted only when the staged one
// is known bad. A body whose header is published and whose sanity failure
// condemns the header (ErrorCode.MarksHeaderInvalid) is staged all the
// same, so that the next mainchain block marks the header invalid; the
// sanity error is still returned, for the peer that sent it.
//
// A body of a published header is taken into account by the next
// ConnectArrived, which the node runs at once, or else by the next
// mainchain block's batch. StageBody uses DB.Update: never call it from
// inside a store callback.
func (c *Chain) StageBody(block *Block) error {
	return c.stage(block, false)
}

// StageOwnBody stages a body the node produced itself (NewBlockTemplate):
// as StageBody, but without the window and per-height bounds, which are
// there against peers. It writes with DB.UpdateLocal, which does not wait
// for a batch in progress, so the producer may call it from inside the
// batch of the block whose draw it won: the body is on disk before the
// header transaction goes out, and a node killed before the batch commits
// finds it staged when it restarts and the header is mined (it then
// connects it and announces it, and peers missing it fetch it).
func (c *Chain) StageOwnBody(block *Block) error {
	return c.stage(block, true)
}

func (c *Chain) stage(block *Block, own bool) error {
	sanityErr := CheckBlockSanity(block, c.params)
	if sanityErr != nil {
		code, ok := ErrorCodeOf(sanityErr)
		if !ok || !code.MarksHeaderInvalid() {
			return sanityErr
		}
	}
	hash := block.BlockHash()
	lh := int32(-1)
	if len(block.Transactions) > 0 {
		if h, err := ExtractCoinbaseHeight(block.Transactions[0]); err == nil {
			lh = h
		}
	}
	body, err := block.BodyBytes()
	if err != nil {
		return err
	}
	sb := &stagedBlock{header: block.Header, lotteryHeight: lh, body: body}
	digest := sb.digest()

	update := c.db.Update
	if own {
		update = c.db.UpdateLocal
	}
	var notice bool
	err = update(func(w *store.PlainWriter) error {
		rec, published, err := getRecord(w, hash)
		if err != nil {
			return err
		}
		old, has, err := loadStaged(w, hash)
		if err != nil {
			return err
		}
		if !published {
			if sanityErr != nil {
				return sanityErr
			}
			if has {
				return ruleErrorf(ErrBodyKnown, "block %v is "+
					"already staged", hash)
			}
			if !own {
				if err := checkStageBounds(w, hash, lh); err != nil {
					return err
				}
			}
			// Under an engine with a clock of its own, the next
			// batch admits the block to the index.
			notice = c.ownClock
			return putStaged(w, hash, sb)
		}

		switch {
		case rec.Status.Invalid():
			return ruleErrorf(ErrKnownInvalid, "block %v is %v",
				hash, rec.Status)
		case has && old.digest() != rec.badBody:
			return ruleErrorf(ErrBodyKnown, "block %v already has a "+
				"staged body", hash)
		case digest == rec.badBody:
			return ruleErrorf(ErrBodyKnownBad, "this copy of block "+
				"%v failed before", hash)
		}
		if has {
			if err := deleteStaged(w, hash); err != nil {
				return err
			}
		}
		if sb.lotteryHeight < 0 {
			sb.lotteryHeight = rec.LotteryHeight
		}
		notice = true
		return putStaged(w, hash, sb)
	})
	if err != nil {
		return err
	}
	if notice {
		c.mu.Lock()
		c.noticeSeq++
		c.notices[hash] = c.noticeSeq
		c.mu.Unlock()
	}
	log.Debugf("Staged block %v (lottery height %d, %d bytes, own %v)",
		hash, lh, len(body), own)
	return sanityErr
}

// checkStageBounds applies the window and per-height bounds to a body of
// an unpublished header.
func checkStageBounds(w *store.PlainWriter, hash chainhash.Hash, lh int32) error {
	tip, err := w.Tip()
	if err != nil {
		return err
	}
	if int64(lh) < int64(tip.Height)-StageWindowBefore ||
		int64(lh) > int64(tip.Height)+StageWindowAfter {
		return ruleErrorf(ErrBodyOutOfWindow, "block %v has lottery "+
			"height %d, mainchain tip is %d: unpublished bodies are "+
			"accepted in [%d, %d]", hash, lh, tip.Height,
			tip.Height-StageWindowBefore, tip.Height+StageWindowAfter)
	}
	n := 0
	err = w.Iterate(stagedHeightPrefix(lh), func(_, _ []byte) error {
		n++
		if n >= MaxStagedPerHeight {
			return store.ErrStopIteration
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n >= MaxStagedPerHeight {
		return ruleErrorf(ErrTooManyStagedBodies, "%d bodies are staged "+
			"at lottery height %d already", n, lh)
	}
	return nil
}

func putStaged(w *store.PlainWriter, hash chainhash.Hash, sb *stagedBlock) error {
	if sb.lotteryHeight >= 0 {
		if err := w.Set(stagedKey(sb.lotteryHeight, hash), []byte{}); err != nil {
			return err
		}
	}
	return w.Set(bodyKey(hash), sb.encode())
}

// PruneStaged deletes staged bodies that can no longer be used: bodies of
// unpublished headers whose lottery height is StagedRetention or more below
// the mainchain tip, and the copies in res.DroppedBodies (res may be nil)
// that failed and are still staged. A copy fails for a reason that does not
// depend on where its header was published, so it never becomes good.
//
// Bodies of published headers are never pruned, not even of invalid ones:
// they are the block store (Block, and the undo of a sidechain reorg needs
// them), and invalidity can depend on the publication (a coinbase that
// carries another lottery height), which a mainchain reorg can change.
// Committed calls PruneStaged; call it from outside any store callback.
func (c *Chain) PruneStaged(res *Result) error {
	if c.ownClock {
		// Staged blocks are the block store of an own-clock chain.
		return nil
	}
	pruned := 0
	err := c.db.Update(func(w *store.PlainWriter) error {
		tip, err := w.Tip()
		if err != nil {
			return err
		}
		limit := tip.Height - StagedRetention
		cursor, err := pruneCursor(w, limit)
		if err != nil {
			return err
		}
		for lh := cursor + 1; lh <= limit; lh++ {
			var unpublished []chainhash.Hash
			prefix := stagedHeightPrefix(lh)
			err := w.Iterate(prefix, func(k, _ []byte) error {
				var h chainhash.Hash
				copy(h[:], k[len(prefix):])
				_, published, err := getRecord(w, h)
				if err == nil && !published {
					unpublished = append(unpublished, h)
				}
				return err
			})
			if err != nil {
				return err
			}
			for _, h := range unpublished {
				if err := deleteStaged(w, h); err != nil {
					return err
				}
				pruned++
			}
		}
		if limit > cursor {
			v := binary.BigEndian.AppendUint32(nil, uint32(limit))
			if err := w.Set(keyPruneCursor, v); err != nil {
				return err
			}
		}
		if res == nil {
			return nil
		}
		for _, h := range res.DroppedBodies {
			rec, ok, err := getRecord(w, h)
			if err != nil {
				return err
			}
			s, has, err := loadStaged(w, h)
			if err != nil {
				return err
			}
			if ok && has && rec.Status == StatusBodyMissing &&
				s.digest() == rec.badBody {
				if err := deleteStaged(w, h); err != nil {
					return err
				}
				pruned++
			}
		}
		return nil
	})
	if err == nil && pruned > 0 {
		log.Debugf("Pruned %d staged bodies", pruned)
	}
	return err
}

// pruneCursor returns the lottery height up to which unpublished bodies
// were pruned. The first time, it starts below the lowest staged height
// (or at limit if nothing is staged).
func pruneCursor(w *store.PlainWriter, limit int32) (int32, error) {
	v, err := w.Get(keyPruneCursor)
	switch {
	case err == nil && len(v) == 4:
		return int32(binary.BigEndian.Uint32(v)), nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return 0, err
	}
	cursor := limit
	err = w.Iterate(keyStagedPrefix, func(k, _ []byte) error {
		lh := int32(binary.BigEndian.Uint32(k[len(keyStagedPrefix):]))
		if lh-1 < cursor {
			cursor = lh - 1
		}
		return store.ErrStopIteration
	})
	return cursor, err
}
