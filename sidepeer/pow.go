package sidepeer

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pow/headerchain"
)

// badHeaderScore is the cost of a header, or a block, that breaks a
// header rule or is known to be invalid: enough to discourage the sender
// at once, as Bitcoin Core does. Forging a header costs nothing, so a
// sender of one gets no second chance.
const badHeaderScore = 100

// PowBlocks is the pow engine as the peer protocol needs it: its header
// chain for headers-first sync, and its blocks. Headers are 80-byte
// Bitcoin-format headers (wire.BlockHeader), named by their SHA256d.
//
// Errors are judged by their headerchain.ErrorCode (headerchain.ErrorCodeOf,
// errors.Is), as headerchain.Index returns them:
//   - ErrDuplicateBlock: no error (a block or header the node has);
//   - ErrUnknownParent, ErrTooFarAhead: the data does not connect to what
//     the node has; no offence, the node asks the peer for headers;
//   - ErrTimeTooNew, ErrOrphanTooBig: no offence, only logged;
//   - ErrBadMerkleRoot, ErrBlockTooHeavy, and ErrBadBody that does not
//     condemn the header: a bad copy of a body, badBodyScore;
//   - every other code (header rules, known-invalid, ErrBadBody that
//     condemns the header, ErrBadCoinbaseHeight, ErrInvalidated):
//     badHeaderScore.
//
// Any other error (a store failure) is only logged and costs nobody.
type PowBlocks interface {
	// Locator, HeadersAfter, NeedBodies and BestHeight are those of
	// p2p.HeaderSync.
	Locator() []chainhash.Hash
	HeadersAfter(locator []chainhash.Hash, stop chainhash.Hash, max int) [][]byte
	NeedBodies(max int) []chainhash.Hash
	BestHeight() int32

	// ProcessHeaders adds headers a peer sent, in order, and returns how
	// many were new; it stops at the first that fails, with its rule
	// error. Headers it has already are skipped, no error.
	ProcessHeaders(headers [][]byte) (accepted int, err error)

	// AcceptBlock takes a block, its 80-byte header and its body, from a
	// peer; it connects it (and any orphans that wait for it) by the
	// engine's fork choice. For a block it has it returns nil or
	// ErrDuplicateBlock; the latter is not announced again.
	AcceptBlock(header, body []byte) error

	// Block returns a block the node has, with its body, to serve a
	// peer; HaveBlock says whether it has one, without building it.
	Block(hash chainhash.Hash) (header, body []byte, ok bool)
	HaveBlock(hash chainhash.Hash) bool

	// Tip returns the best block with its body, connected: what the
	// Hello says.
	Tip() (hash chainhash.Hash, height int32, ok bool)
}

// NewPow returns the handler of a pow network: blocks come from and go
// to pow, transactions to pool. Pass HeaderSync() to p2p.Config.HeaderSync.
// Under pow the node does not fetch bodies after mainchain blocks
// (RunFetcher returns at once): header sync fetches them.
func NewPow(pow PowBlocks, pool Mempool) *Handler {
	return &Handler{pow: pow, pool: pool}
}

// HeaderSync returns the header chain for p2p.Config.HeaderSync: the pow
// engine's, with its errors turned into what the peer protocol counts;
// nil for a mainstake handler, whose headers come from the mainchain.
func (h *Handler) HeaderSync() p2p.HeaderSync {
	if h.pow == nil {
		return nil
	}
	return powSync{pow: h.pow}
}

// powSync is the pow engine as p2p.HeaderSync.
type powSync struct{ pow PowBlocks }

var _ p2p.HeaderSync = powSync{}

func (s powSync) Locator() []chainhash.Hash { return s.pow.Locator() }
func (s powSync) NeedBodies(max int) []chainhash.Hash {
	return s.pow.NeedBodies(max)
}
func (s powSync) BestHeight() int32 { return s.pow.BestHeight() }
func (s powSync) HeadersAfter(locator []chainhash.Hash, stop chainhash.Hash,
	max int) [][]byte {
	return s.pow.HeadersAfter(locator, stop, max)
}

// ProcessHeaders implements p2p.HeaderSync.
func (s powSync) ProcessHeaders(_ p2p.PeerID, headers [][]byte) (int, error) {
	n, err := s.pow.ProcessHeaders(headers)
	return n, powVerdict(err, "headers")
}

// receivePow takes a block a peer sent under pow, and announces it to
// the other peers once the engine accepted it.
func (h *Handler) receivePow(header, body []byte) error {
	err := h.pow.AcceptBlock(header, body)
	if errors.Is(err, headerchain.ErrDuplicateBlock) {
		return nil // known: its peers heard of it when it was new
	}
	if err := powVerdict(err, "block"); err != nil {
		return err
	}
	if h.peers != nil {
		h.peers.Announce(p2p.BlockItem(chainhash.DoubleHashH(header)))
	}
	return nil
}

// powVerdict turns an error of the pow engine about data a peer sent into
// what the peer protocol counts (see PowBlocks): nil, an error wrapping
// p2p.ErrHeadersDoNotConnect, a *p2p.MisbehaviorError, or err itself.
func powVerdict(err error, what string) error {
	if err == nil {
		return nil
	}
	code, ok := headerchain.ErrorCodeOf(err)
	if !ok {
		return err
	}
	switch code {
	case headerchain.ErrDuplicateBlock:
		return nil
	case headerchain.ErrUnknownParent, headerchain.ErrTooFarAhead:
		return fmt.Errorf("%s: %w: %v", what, p2p.ErrHeadersDoNotConnect, err)
	case headerchain.ErrTimeTooNew, headerchain.ErrOrphanTooBig:
		return err
	case headerchain.ErrBadMerkleRoot, headerchain.ErrBlockTooHeavy:
		return &p2p.MisbehaviorError{Score: badBodyScore,
			Reason: fmt.Sprintf("%s: %v", what, err)}
	case headerchain.ErrBadBody:
		var rerr headerchain.RuleError
		if errors.As(err, &rerr) && !rerr.MarksHeaderInvalid() {
			return &p2p.MisbehaviorError{Score: badBodyScore,
				Reason: fmt.Sprintf("%s: %v", what, err)}
		}
	}
	return &p2p.MisbehaviorError{Score: badHeaderScore,
		Reason: fmt.Sprintf("%s: %v", what, err)}
}
