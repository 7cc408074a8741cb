package mainstake

import (
	"bytes"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/opreturn"
)

// ParseHeaderTx checks that tx is a header transaction of the ticket whose
// current publisher outpoint is publisher and whose key is pubKey (design
// reference §5):
//
//   - input 0 spends publisher (ErrHeaderInput);
//   - tx has exactly one OP_RETURN output and it parses for sidechainID
//     (ErrNoPayload), as an 'H' payload (ErrWrongKind);
//   - that OP_RETURN is output 0 (ErrHeaderOutputOrder);
//   - output 1 is P2WPKH(HASH160(pubKey)) (ErrPublisherScript).
//
// It returns the header and the ticket's next publisher outpoint, txid:1.
// Signatures are the mainchain's business: a transaction in a block is
// validly signed.
func ParseHeaderTx(tx *wire.MsgTx, publisher wire.OutPoint,
	pubKey *btcec.PublicKey, sidechainID uint32) (*opreturn.Header,
	wire.OutPoint, error) {

	if tx == nil || pubKey == nil || sidechainID == 0 {
		return nil, wire.OutPoint{}, ruleError(ErrInvalidArgument,
			"nil tx or pubkey, or zero sidechain id")
	}
	if len(tx.TxIn) == 0 || tx.TxIn[0].PreviousOutPoint != publisher {
		return nil, wire.OutPoint{}, ruleErrorf(ErrHeaderInput,
			"input 0 does not spend publisher outpoint %v", publisher)
	}
	vout, payload, err := opreturn.FindInTx(tx, sidechainID)
	if err != nil {
		return nil, wire.OutPoint{}, wrapError(ErrNoPayload,
			"no header payload", err)
	}
	h, ok := payload.(*opreturn.Header)
	if !ok {
		return nil, wire.OutPoint{}, ruleErrorf(ErrWrongKind,
			"payload kind is %v, not header", payload.Kind())
	}
	if vout != 0 {
		return nil, wire.OutPoint{}, ruleErrorf(ErrHeaderOutputOrder,
			"header OP_RETURN is output %d, not 0", vout)
	}
	pubScript, err := PublisherScript(pubKey)
	if err != nil {
		return nil, wire.OutPoint{}, err
	}
	if len(tx.TxOut) < 2 || !bytes.Equal(tx.TxOut[1].PkScript, pubScript) {
		return nil, wire.OutPoint{}, ruleErrorf(ErrPublisherScript,
			"output 1 is missing or does not pay %x", pubScript)
	}
	return h, wire.OutPoint{Hash: tx.TxHash(), Index: 1}, nil
}

// SpendClass says what a transaction does to a ticket's publisher chain.
type SpendClass int

// The classes of ClassifySpend.
const (
	// NotSpent: the transaction does not spend the publisher outpoint.
	NotSpent SpendClass = iota

	// ValidHeader: the transaction is a header transaction of the
	// ticket; the chain moves on to its output 1.
	ValidHeader

	// EndsChain: the transaction spends the publisher outpoint but is
	// not a header transaction of the ticket. The chain ends and the
	// ticket is no longer eligible.
	EndsChain
)

// String returns the class name.
func (c SpendClass) String() string {
	switch c {
	case NotSpent:
		return "NotSpent"
	case ValidHeader:
		return "ValidHeader"
	case EndsChain:
		return "EndsChain"
	}
	return fmt.Sprintf("SpendClass(%d)", int(c))
}

// PublisherSpend is the verdict of ClassifySpend.
type PublisherSpend struct {
	Class SpendClass

	// Header and Next are the header and the next publisher outpoint of
	// a ValidHeader spend.
	Header *opreturn.Header
	Next   wire.OutPoint

	// Reason is, for EndsChain, the *RuleError of ParseHeaderTx that
	// says why the spend is not a header transaction.
	Reason error
}

// ClassifySpend says what tx does to the publisher chain of the ticket
// whose current publisher outpoint is publisher and whose key is pubKey:
// nothing, a header publication, or the end of the chain (design reference
// §5). Any input may be the one that spends the outpoint; only a spend by
// input 0 in the shape ParseHeaderTx checks keeps the chain alive. The
// error is non-nil only for invalid arguments (ErrInvalidArgument).
func ClassifySpend(tx *wire.MsgTx, publisher wire.OutPoint,
	pubKey *btcec.PublicKey, sidechainID uint32) (PublisherSpend, error) {

	if tx == nil || pubKey == nil || sidechainID == 0 {
		return PublisherSpend{}, ruleError(ErrInvalidArgument,
			"nil tx or pubkey, or zero sidechain id")
	}
	spends := false
	for _, in := range tx.TxIn {
		if in.PreviousOutPoint == publisher {
			spends = true
			break
		}
	}
	if !spends {
		return PublisherSpend{Class: NotSpent}, nil
	}
	h, next, err := ParseHeaderTx(tx, publisher, pubKey, sidechainID)
	if err != nil {
		return PublisherSpend{Class: EndsChain, Reason: err}, nil
	}
	return PublisherSpend{Class: ValidHeader, Header: h, Next: next}, nil
}

// IsPublisherChainEnd reports whether tx spends the publisher outpoint
// without being a header transaction of the ticket, which ends the ticket's
// publisher chain. See ClassifySpend.
func IsPublisherChainEnd(tx *wire.MsgTx, publisher wire.OutPoint,
	pubKey *btcec.PublicKey, sidechainID uint32) (bool, error) {

	s, err := ClassifySpend(tx, publisher, pubKey, sidechainID)
	if err != nil {
		return false, err
	}
	return s.Class == EndsChain, nil
}
