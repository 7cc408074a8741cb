package sideblock

import (
	"context"
	"encoding/binary"
	"errors"

	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/store"
)

// Engine is the seam between the sidechain state and the consensus engine
// that orders blocks: who may produce the block at a height, how a produced
// block is sealed for publication, and which of two chains is preferred.
// The body, its rules, the UTXO set and the chain state's bookkeeping stay
// the same under every engine.
//
// Mainstake (MainstakeEngine) orders blocks published on the mainchain;
// the pow engine (pow/powchain.Engine) orders mined blocks by accumulated
// work, over a chain state with a clock of its own (NewOwnClockChain).
// Fork choice is a static order of tips (ForkChoiceKey): this fits every
// longest- or heaviest-chain rule, but not a rule that looks at votes
// across branches (LMD-GHOST); a proof-of-stake engine of that kind needs
// a chain state of its own.
type Engine interface {
	// Name names the engine in logs.
	Name() string

	// ProductionHeight returns the height at which a block published
	// in host block pubHeight was produced: the height its coinbase
	// carries, the sidechain's unit of time (maturity, lock times).
	ProductionHeight(pubHeight int32) int32

	// Producer returns who may produce the block at a production
	// height, from the engine's state as r shows it, and false if
	// nobody may.
	Producer(r store.Reader, height int32) (*Producer, bool, error)

	// Seal returns what the engine publishes for a block that is built:
	// for mainstake, the 64-byte header that goes into an `H` OP_RETURN.
	// The producer (package producer) seals each block it builds, and
	// stages the body once the seal is published.
	Seal(ctx context.Context, block *Block) ([]byte, error)

	// Candidates returns who may sit on the peg's federation, with their
	// weights, from the engine's state after the mainchain block whose
	// batch r is (pegbox.Index.ConnectBlock asks at an election): for
	// mainstake, the key of every ticket with a nonzero weight.
	Candidates(r store.Reader) ([]Candidate, error)

	// ForkChoiceKey returns the block's place in the fork-choice order:
	// of two tips, the one with the smaller key (bytes.Compare) is
	// preferred. Keys have the same length for every block and depend
	// only on fields of BlockInfo that never change (not Status or
	// OnBestChain): the chain state stores them as index keys.
	ForkChoiceKey(info *BlockInfo) []byte
}

// Producer is who may produce a block.
type Producer struct {
	// ID names the producer in the engine's terms: for mainstake, the
	// ticket id (8 bytes, big-endian).
	ID []byte

	// PubKey is the key that must sign the publication (33-byte
	// compressed for mainstake).
	PubKey []byte
}

// Candidate is a key that the peg's federation election may seat, and its
// weight.
type Candidate struct {
	PubKey *btcec.PublicKey
	Weight lottery.Uint128
}

// Prefer reports whether engine e prefers tip a over tip b.
func Prefer(e Engine, a, b *BlockInfo) bool {
	ka, kb := e.ForkChoiceKey(a), e.ForkChoiceKey(b)
	return string(ka) < string(kb)
}

// MainstakeEngine is proof of mainstake (design reference §4–§6): the
// winner of the lottery drawn after mainchain block h produces the block of
// lottery height h and publishes its header in block h+1; the longest
// chain wins, and at equal length the tip published first.
//
// Weights gives the tickets' weights for Candidates (the mainstake index
// keeps them in memory); an engine without it has no candidates.
type MainstakeEngine struct {
	Weights TicketWeights
}

// TicketWeights gives a ticket's lottery weight after the block in
// flight; *mainstake.Index is one.
type TicketWeights interface {
	Weight(id lottery.TicketID) lottery.Uint128
}

var _ Engine = MainstakeEngine{}

// Name implements Engine.
func (MainstakeEngine) Name() string { return "mainstake" }

// ProductionHeight implements Engine: the lottery height, pubHeight − 1.
func (MainstakeEngine) ProductionHeight(pubHeight int32) int32 { return pubHeight - 1 }

// Producer implements Engine: the ticket drawn after mainchain block
// height, as the mainstake index recorded it.
func (MainstakeEngine) Producer(r store.Reader, height int32) (*Producer, bool, error) {
	w, ok, err := mainstake.WinnerAt(r, height)
	if err != nil || !ok {
		return nil, false, err
	}
	t, err := mainstake.TicketByID(r, w.Ticket)
	if err != nil {
		return nil, false, err
	}
	return &Producer{
		ID:     binary.BigEndian.AppendUint64(nil, uint64(w.Ticket)),
		PubKey: t.PubKey.SerializeCompressed(),
	}, true, nil
}

// errNoWeights is the error of Candidates without ticket weights.
var errNoWeights = errors.New("sideblock: the mainstake engine has no ticket weights")

// Candidates implements Engine: every ticket whose weight after the block
// is nonzero, in ticket order, with its key.
func (e MainstakeEngine) Candidates(r store.Reader) ([]Candidate, error) {
	if e.Weights == nil {
		return nil, errNoWeights
	}
	tickets, err := mainstake.Tickets(r)
	if err != nil {
		return nil, err
	}
	var out []Candidate
	for _, t := range tickets {
		if w := e.Weights.Weight(t.ID); !w.IsZero() {
			out = append(out, Candidate{PubKey: t.PubKey, Weight: w})
		}
	}
	return out, nil
}

// Seal implements Engine: the serialized header. mainstake.BuildHeaderTx
// publishes it given OpReturnHeader(block).
func (MainstakeEngine) Seal(_ context.Context, block *Block) ([]byte, error) {
	b := block.Header.Bytes()
	return b[:], nil
}

// ForkChoiceKey implements Engine: the height, inverted so that longer
// sorts first, then the publication height, so that at equal length the
// earlier publication sorts first. There is one publication per mainchain
// block, so no two headers share a key.
func (MainstakeEngine) ForkChoiceKey(info *BlockInfo) []byte {
	k := binary.BigEndian.AppendUint32(nil, ^uint32(info.Height))
	return binary.BigEndian.AppendUint32(k, uint32(info.PubHeight))
}

// OpReturnHeader returns the `H` payload that publishes block.
func OpReturnHeader(block *Block) *opreturn.Header {
	return &opreturn.Header{
		PrevBlock:  block.Header.PrevBlock,
		MerkleRoot: block.Header.MerkleRoot,
	}
}
