package notarize

import (
	"bytes"
	"sort"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
)

// TargetHeight returns the height a round notarizes when the best
// sidechain's tip is at tipHeight: the greatest positive multiple of
// NotarizationInterval that has at least NotarizationDepth blocks on top of
// it (height ≤ tipHeight − NotarizationDepth). It returns false when no
// such height exists yet.
//
// Every node whose tip lies in [H + depth, H + depth + interval) gets the
// same H, so notaries whose tips differ by a few blocks still agree.
func TargetHeight(tipHeight int32, np *chainparams.NotaryParams) (int32, bool) {
	if np == nil || np.NotarizationInterval <= 0 || tipHeight < 0 {
		return 0, false
	}
	top := tipHeight - np.NotarizationDepth
	h := top - top%np.NotarizationInterval
	if top < 0 || h <= 0 {
		return 0, false
	}
	return h, true
}

// RoundTarget returns the payload the next round notarizes on chain, whose
// tip is at tipHeight: the block at TargetHeight, under the season in force
// there. It returns false when there is no target, when the target is not
// above the last notarization's height (nothing new to notarize), when no
// season is in force there, or when chain has no block there.
func RoundTarget(chain Chain, tipHeight int32, params *chainparams.Params, last *Notarization) (Payload, bool) {
	np := params.Notary
	h, ok := TargetHeight(tipHeight, np)
	if !ok || (last != nil && h <= last.Height) {
		return Payload{}, false
	}
	season, _, ok := np.SeasonAt(h)
	if !ok {
		return Payload{}, false
	}
	hash, ok := chain.BlockHashAt(h)
	if !ok {
		return Payload{}, false
	}
	return Payload{Height: h, Block: hash, Season: season}, true
}

// NotaryScript returns the P2WPKH output script of a notary's compressed
// key: the only kind of output a notarization spends.
func NotaryScript(key [33]byte) []byte {
	script, err := txscript.NewScriptBuilder().AddOp(txscript.OP_0).
		AddData(btcutil.Hash160(key[:])).Script()
	if err != nil {
		// A 22-byte script: unreachable.
		panic(err)
	}
	return script
}

// NotaryUTXO is a mainchain output of a notary that a round may spend.
type NotaryUTXO struct {
	// Notary is the notary's index in the round's season.
	Notary   int
	OutPoint wire.OutPoint
	Value    int64
	PkScript []byte
}

// lessOutPoint orders outpoints by txid bytes (internal order), then
// index.
func lessOutPoint(a, b *wire.OutPoint) bool {
	if c := bytes.Compare(a.Hash[:], b.Hash[:]); c != 0 {
		return c < 0
	}
	return a.Index < b.Index
}

// SelectInputs fixes a round's input set for the payload p from the
// candidates the notaries offered. It is deterministic: every notary that
// computes it from the same candidates gets the same inputs in the same
// order.
//
//   - A candidate is usable when its Notary is an index of p's season, its
//     PkScript is that notary's P2WPKH script (NotaryScript) and its Value
//     is at least minValue (the notary's share of the fee and more).
//     Others are ignored.
//   - Of a notary's usable candidates, the one of least value is taken
//     (ties: the lowest outpoint), so that its larger outputs stay whole
//     for splitting.
//   - Exactly the season's threshold of notaries is taken, since every
//     input must be signed before the transaction is valid: each extra
//     one is one more member who can stall the round. They are taken in
//     notary order starting from the notary (p.Height /
//     NotarizationInterval) mod the season's size and wrapping around, so
//     that the rounds, and their fees, rotate through the season.
//   - The inputs are ordered by notary index.
//
// Fewer notaries with a usable candidate than the threshold is
// ErrTooFewNotaries.
func SelectInputs(p Payload, params *chainparams.Params, candidates []NotaryUTXO, minValue int64) ([]NotaryUTXO, error) {
	if err := checkPayload(p, params); err != nil {
		return nil, err
	}
	np := params.Notary
	season := &np.Seasons[p.Season]
	n := len(season.Pubkeys)
	best := make([]*NotaryUTXO, n)
	for i := range candidates {
		c := &candidates[i]
		if c.Notary < 0 || c.Notary >= n || c.Value < minValue ||
			!bytes.Equal(c.PkScript, NotaryScript(season.Pubkeys[c.Notary])) {
			continue
		}
		b := best[c.Notary]
		if b == nil || c.Value < b.Value ||
			(c.Value == b.Value && lessOutPoint(&c.OutPoint, &b.OutPoint)) {
			best[c.Notary] = c
		}
	}
	start := int((p.Height / np.NotarizationInterval) % int32(n))
	var chosen []NotaryUTXO
	for k := 0; k < n && len(chosen) < season.Threshold; k++ {
		if b := best[(start+k)%n]; b != nil {
			chosen = append(chosen, *b)
		}
	}
	if len(chosen) < season.Threshold {
		return nil, ruleErrorf(ErrTooFewNotaries, "%d notaries of season "+
			"%d offered a usable input, the threshold is %d",
			len(chosen), p.Season, season.Threshold)
	}
	sort.Slice(chosen, func(i, j int) bool {
		return chosen[i].Notary < chosen[j].Notary
	})
	return chosen, nil
}

// Confirmations is dpowconfs: the confirmations a transaction is reported
// with, given its raw confirmations and whether a notarization that counts
// covers its block. With dPoW counting on: 0 unconfirmed, 1 while
// confirmed but not notarized, the raw count once notarized. With it off
// (dpow false): the raw count. A negative raw count is 0.
func Confirmations(raw int32, notarized, dpow bool) int32 {
	switch {
	case raw <= 0:
		return 0
	case !dpow || notarized:
		return raw
	}
	return 1
}

// DpowConfs is a sidechain transaction's (or block's) confirmations as
// the API reports them, after Komodo's dpowconfs: Confirmations by dPoW
// counting, RawConfirmations always beside it, and whether a notarization
// that counts covers its block.
type DpowConfs struct {
	Confirmations    int32
	RawConfirmations int32
	Notarized        bool
}

// TxConfirmations returns the DpowConfs of a transaction in the best
// sidechain's block at blockHeight, with raw confirmations raw (0 when it
// is in no block of the best chain: then blockHeight is ignored), given
// the last notarization that counts (nil for none) and whether dPoW-style
// counting is on. The block is notarized when it lies at or below the
// notarized height: the notarized block's hash commits to all its
// ancestors, and the reorg guard keeps them on the best chain. A
// negative raw count is 0.
func TxConfirmations(raw, blockHeight int32, last *Notarization, dpow bool) DpowConfs {
	raw = max(raw, 0)
	notarized := raw > 0 && last != nil && blockHeight >= 0 &&
		blockHeight <= last.Height
	return DpowConfs{
		Confirmations:    Confirmations(raw, notarized, dpow),
		RawConfirmations: raw,
		Notarized:        notarized,
	}
}

// Health is how regular notarization is, from the age of the last
// notarization that counts.
type Health int

// The health levels, after Komodo's notary monitoring.
const (
	// Regular: the last notarization is younger than IrregularAge.
	Regular Health = iota

	// Irregular: it is IrregularAge old or more.
	Irregular

	// Inactive: it is InactiveAge old or more.
	Inactive
)

// String returns the level's name.
func (h Health) String() string {
	switch h {
	case Regular:
		return "regular"
	case Irregular:
		return "irregular"
	case Inactive:
		return "inactive"
	}
	return "unknown"
}

// HealthAt returns the health of notarization when the last notarization
// that counts is age old (for none yet: the age of the sidechain's
// notarizable blocks, as the caller defines it).
func HealthAt(age time.Duration, np *chainparams.NotaryParams) Health {
	switch {
	case age >= np.InactiveAge:
		return Inactive
	case age >= np.IrregularAge:
		return Irregular
	}
	return Regular
}
