package notarize

import (
	"errors"
	"math"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/opreturn"
)

// Payload is what a notarization's `N` output says: the sideblock Block at
// Height is notarized by the notaries of season Season.
type Payload struct {
	Height int32
	Block  chainhash.Hash
	Season int
}

// checkPayload applies the rules a payload must meet on the network
// params, whether it is being encoded or was parsed: a notary set, a
// non-zero block hash, a height that is a positive multiple of the
// notarization interval, and the season in force at that height.
func checkPayload(p Payload, params *chainparams.Params) error {
	np := params.Notary
	if np == nil {
		return ruleErrorf(ErrNoNotarySet, "network %s has no notary set",
			params.Name)
	}
	if p.Block == (chainhash.Hash{}) {
		return ruleErrorf(ErrMalformedPayload, "notarization names the "+
			"zero block hash")
	}
	if p.Height <= 0 || p.Height%np.NotarizationInterval != 0 {
		return ruleErrorf(ErrWrongHeight, "notarized height %d is not a "+
			"positive multiple of the notarization interval %d",
			p.Height, np.NotarizationInterval)
	}
	idx, _, ok := np.SeasonAt(p.Height)
	if !ok {
		return ruleErrorf(ErrNoSeason, "notarized height %d is before "+
			"the first notary season (height %d)", p.Height,
			np.Seasons[0].StartHeight)
	}
	if p.Season != idx {
		return ruleErrorf(ErrSeasonMismatch, "notarization names season "+
			"%d, but season %d is in force at height %d", p.Season,
			idx, p.Height)
	}
	return nil
}

// EncodePayload returns the output script `OP_RETURN <N payload>` of p on
// the network params. It refuses, with the codes ParsePayload would
// return, a payload that could not count.
func EncodePayload(p Payload, params *chainparams.Params) ([]byte, error) {
	if err := checkPayload(p, params); err != nil {
		return nil, err
	}
	script, err := opreturn.Encode(params.SidechainID, &opreturn.Notarization{
		Block:  p.Block,
		Height: uint32(p.Height),
		Season: uint16(p.Season),
	})
	if err != nil {
		// Only a zero sidechain id, which no network has.
		return nil, wrapErrorf(ErrMalformedPayload, err,
			"encoding the notarization")
	}
	return script, nil
}

// claimsNotarization reports whether pkScript is an OP_RETURN whose first
// data push begins like an `N` payload: the magic, any version, the kind
// 'N'. A script that does not parse is a malformed notarization only if it
// claims to be one; anything else is simply not a notarization, so that
// the many unrelated OP_RETURNs on the mainchain are not reported as
// malformed.
func claimsNotarization(pkScript []byte) bool {
	if !opreturn.IsOpReturn(pkScript) {
		return false
	}
	tok := txscript.MakeScriptTokenizer(0, pkScript[1:])
	if !tok.Next() {
		return false
	}
	d := tok.Data()
	return len(d) >= 5 && string(d[:3]) == opreturn.Magic &&
		opreturn.Kind(d[4]) == opreturn.KindNotarization
}

// fromOpReturn turns the result of an opreturn parse into a Payload or the
// notarize rule error it amounts to; claims says whether the script claims
// to be a notarization (claimsNotarization).
func fromOpReturn(op opreturn.Payload, err error, claims bool, params *chainparams.Params) (Payload, error) {
	if params.Notary == nil {
		return Payload{}, ruleErrorf(ErrNoNotarySet, "network %s has no "+
			"notary set", params.Name)
	}
	if err != nil {
		if !claims || errors.Is(err, opreturn.ErrWrongSidechain) ||
			errors.Is(err, opreturn.ErrZeroSidechainID) {

			return Payload{}, wrapErrorf(ErrNotNotarization, err,
				"not a notarization of sidechain %08x",
				params.SidechainID)
		}
		return Payload{}, wrapErrorf(ErrMalformedPayload, err,
			"malformed notarization payload")
	}
	n, ok := op.(*opreturn.Notarization)
	if !ok {
		return Payload{}, ruleErrorf(ErrNotNotarization, "a %v payload, "+
			"not a notarization", op.Kind())
	}
	if n.Height > math.MaxInt32 {
		return Payload{}, ruleErrorf(ErrWrongHeight, "notarized height "+
			"%d is above the highest sidechain height", n.Height)
	}
	p := Payload{Height: int32(n.Height), Block: n.Block, Season: int(n.Season)}
	if err := checkPayload(p, params); err != nil {
		return Payload{}, err
	}
	return p, nil
}

// ParsePayload parses the output script pkScript as an `N` payload of the
// network params and checks it against the params (see checkPayload). It
// accepts exactly the scripts EncodePayload produces.
func ParsePayload(pkScript []byte, params *chainparams.Params) (Payload, error) {
	op, err := opreturn.Parse(pkScript, params.SidechainID)
	return fromOpReturn(op, err, claimsNotarization(pkScript), params)
}

// FindPayload finds and parses the `N` payload of tx: the transaction must
// have exactly one OP_RETURN output (design §1), and it must be a
// notarization of the network params. vout is that output's index, or -1
// when there is not exactly one. A transaction with several OP_RETURN
// outputs is a malformed notarization if one of them claims to be one.
func FindPayload(tx *wire.MsgTx, params *chainparams.Params) (int, Payload, error) {
	vout, op, err := opreturn.FindInTx(tx, params.SidechainID)
	claims := false
	if tx != nil {
		for _, out := range tx.TxOut {
			claims = claims || claimsNotarization(out.PkScript)
		}
	}
	p, err := fromOpReturn(op, err, claims, params)
	return vout, p, err
}
