package notarize

import (
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
)

// Chain is the view of a sidechain the notarization rules need: the hash
// of its block at a height. The node's best sidechain is one; the branch a
// reorg would switch to is another.
type Chain interface {
	// BlockHashAt returns the hash of the chain's block at height, and
	// false for a height below 0 or above the chain's tip.
	BlockHashAt(height int32) (chainhash.Hash, bool)
}

// Candidate is a mainchain transaction that may be a notarization.
type Candidate struct {
	// Tx is the mainchain transaction.
	Tx *wire.MsgTx

	// Prevouts are the outputs Tx's inputs spend (value and script),
	// one per input, in input order.
	Prevouts []*wire.TxOut

	// Confirmations is how many mainchain confirmations Tx has: 0 in the
	// mempool, 1 in the tip block.
	Confirmations int32
}

// Notarization is a notarization that counts: the sideblock Block at Height
// is notarized by the mainchain transaction TxID, signed by the notaries
// Signers (indexes in season Season, in input order).
type Notarization struct {
	Height  int32
	Block   chainhash.Hash
	Season  int
	TxID    chainhash.Hash
	Signers []int
}

// Supersedes reports whether n replaces last as the node's last
// notarization: it does when there is none, or when n notarizes a greater
// height. A notarization of the same or a lower height that counts later
// changes nothing, so that the guard never moves down.
func (n *Notarization) Supersedes(last *Notarization) bool {
	return last == nil || n.Height > last.Height
}

// sigHashAllByte is the sighash type every notary signature must carry.
const sigHashAllByte = byte(txscript.SigHashAll)

// Check decides whether c counts as a notarization of the sidechain side
// on the network params, and returns it if so. The rules, in the order
// they are tested (the first that fails names the error code):
//
//  1. The network has a notary set (ErrNoNotarySet).
//  2. The transaction has exactly one OP_RETURN output, and it is a
//     well-formed `N` payload of this sidechain (ErrNotNotarization,
//     ErrMalformedPayload) whose height is a positive multiple of
//     NotarizationInterval (ErrWrongHeight) and whose season is the one in
//     force at that height (ErrNoSeason, ErrSeasonMismatch).
//  3. Every input spends a P2WPKH output (Prevouts, ErrMissingPrevout,
//     ErrNotP2WPKH) with the witness <signature> <key>, the key is a
//     notary of that season (ErrNonNotaryInput), no notary signs two
//     inputs (ErrDuplicateNotary), and every signature's sighash type is
//     SIGHASH_ALL (ErrBadSigHashType), input by input.
//  4. There are at least the season's threshold of inputs, hence of
//     distinct notaries (ErrTooFewNotaries).
//  5. btcd's script engine, with the standard verify flags, accepts every
//     input against its prevout (ErrBadSignature): the key hashes to the
//     spent program and the signature is valid.
//  6. The chain has a block at the notarized height (ErrUnknownBlock) and
//     it is the notarized block (ErrOrphanedBlock).
//  7. The transaction has at least MainConfirmations confirmations
//     (ErrTooFewConfirmations).
//
// Signatures are verified only once every input has passed rule 3, which
// no transaction with more inputs than the season has notaries does, so
// Check runs the script engine at most the season's size of times
// (13 of 64 notaries: about 4 ms on one core of the development machine).
//
// ErrUnknownBlock and ErrTooFewConfirmations may turn into a pass later,
// ErrOrphanedBlock after a sidechain reorg; every other verdict is final
// for the transaction. Check is a pure function of its arguments.
func Check(c Candidate, params *chainparams.Params, side Chain) (*Notarization, error) {
	_, p, err := FindPayload(c.Tx, params)
	if err != nil {
		return nil, err
	}
	season := &params.Notary.Seasons[p.Season]
	tx := c.Tx

	if len(c.Prevouts) != len(tx.TxIn) {
		return nil, ruleErrorf(ErrMissingPrevout, "%d prevouts for %d "+
			"inputs", len(c.Prevouts), len(tx.TxIn))
	}
	signers := make([]int, len(tx.TxIn))
	inputOf := make(map[int]int, len(tx.TxIn))
	for i, in := range tx.TxIn {
		prev := c.Prevouts[i]
		if prev == nil {
			return nil, ruleErrorf(ErrMissingPrevout, "input %d has no "+
				"prevout", i)
		}
		if !txscript.IsPayToWitnessPubKeyHash(prev.PkScript) {
			return nil, ruleErrorf(ErrNotP2WPKH, "input %d spends a "+
				"%v output, not P2WPKH", i,
				txscript.GetScriptClass(prev.PkScript))
		}
		if len(in.Witness) != 2 || len(in.Witness[1]) != 33 {
			return nil, ruleErrorf(ErrNotP2WPKH, "input %d's witness "+
				"is not <signature> <compressed key>", i)
		}
		n := season.NotaryIndex(in.Witness[1])
		if n < 0 {
			return nil, ruleErrorf(ErrNonNotaryInput, "input %d is "+
				"signed by %x, not a notary of season %d", i,
				in.Witness[1], p.Season)
		}
		if j, dup := inputOf[n]; dup {
			return nil, ruleErrorf(ErrDuplicateNotary, "notary %d of "+
				"season %d signs inputs %d and %d", n, p.Season, j, i)
		}
		inputOf[n] = i
		sig := in.Witness[0]
		if len(sig) == 0 || sig[len(sig)-1] != sigHashAllByte {
			return nil, ruleErrorf(ErrBadSigHashType, "input %d's "+
				"signature is not SIGHASH_ALL", i)
		}
		signers[i] = n
	}
	if len(signers) < season.Threshold {
		return nil, ruleErrorf(ErrTooFewNotaries, "%d notaries of season "+
			"%d sign, the threshold is %d", len(signers), p.Season,
			season.Threshold)
	}

	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, in := range tx.TxIn {
		fetcher.AddPrevOut(in.PreviousOutPoint, c.Prevouts[i])
	}
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, prev := range c.Prevouts {
		vm, err := txscript.NewEngine(prev.PkScript, tx, i,
			txscript.StandardVerifyFlags, nil, hashes, prev.Value,
			fetcher)
		if err == nil {
			err = vm.Execute()
		}
		if err != nil {
			return nil, wrapErrorf(ErrBadSignature, err, "input %d "+
				"(notary %d)", i, signers[i])
		}
	}

	have, ok := side.BlockHashAt(p.Height)
	if !ok {
		return nil, ruleErrorf(ErrUnknownBlock, "the sidechain has no "+
			"block at the notarized height %d", p.Height)
	}
	if have != p.Block {
		return nil, ruleErrorf(ErrOrphanedBlock, "notarized block %v is "+
			"not the sidechain's block %v at height %d", p.Block,
			have, p.Height)
	}
	if need := params.Notary.MainConfirmations; c.Confirmations < need {
		return nil, ruleErrorf(ErrTooFewConfirmations, "notarization "+
			"has %d mainchain confirmations, needs %d",
			c.Confirmations, need)
	}
	return &Notarization{
		Height:  p.Height,
		Block:   p.Block,
		Season:  p.Season,
		TxID:    tx.TxHash(),
		Signers: signers,
	}, nil
}
