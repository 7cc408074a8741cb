package chain

import (
	"errors"
	"fmt"
)

// ErrorCode identifies why the engine refused a block or an attestation.
// Tests and callers compare codes, never message text:
//
//	if chain.IsErrorCode(err, chain.ErrWrongProposer) { ... }
//
// or errors.Is(err, chain.ErrWrongProposer). A RuleError may wrap the leaf
// package's error that caused it (errors.As finds it).
type ErrorCode int

// These constants identify a specific RuleError.
const (
	// ErrMalformed: a block or attestation encoding that Decode refuses.
	ErrMalformed ErrorCode = iota

	// ErrDuplicateBlock: a block the chain holds already.
	ErrDuplicateBlock

	// ErrUnknownParent: a block whose parent the chain does not hold.
	ErrUnknownParent

	// ErrFutureSlot: a block or attestation for a slot after the clock's.
	ErrFutureSlot

	// ErrBadSlot: a block whose slot is not after its parent's.
	ErrBadSlot

	// ErrNotDescendant: a block at or before the finalized slot, or not
	// on the finalized block's branch.
	ErrNotDescendant

	// ErrBadParent: a block whose parent root is not the root of the
	// state's latest block header.
	ErrBadParent

	// ErrWrongProposer: a block whose proposer index is not the slot's
	// proposer, or whose proposer is slashed.
	ErrWrongProposer

	// ErrBadProposerSignature: a block signature that does not verify
	// for its proposer.
	ErrBadProposerSignature

	// ErrBadRandao: a RANDAO reveal that is not the proposer's signature
	// of the epoch.
	ErrBadRandao

	// ErrBadBodyRoot: a header whose body root is not the body's.
	ErrBadBodyRoot

	// ErrBadStateRoot: a header whose state root is not the state's
	// after the block.
	ErrBadStateRoot

	// ErrTooMany: more attestations or slashings than a block may carry.
	ErrTooMany

	// ErrBadSlashing: slashing evidence that does not verify
	// (pos/slashing's error is wrapped) or slashes nobody.
	ErrBadSlashing

	// ErrBadAttestation: an attestation outside its inclusion window,
	// with a target epoch that is not its slot's, a committee index out
	// of range, aggregation bits that do not fit the committee or set
	// none, or a source that is not the state's justified checkpoint.
	ErrBadAttestation

	// ErrBadAttestationSignature: an aggregate signature that does not
	// verify for the committee members its bits name.
	ErrBadAttestationSignature

	// ErrUnknownBlockRoot: an attestation whose head or target names a
	// block the chain does not hold.
	ErrUnknownBlockRoot

	// ErrBadTransactions: the block's transactions break a sidechain
	// rule (sideblock's RuleError is wrapped).
	ErrBadTransactions

	// ErrConflictingFinality: a block whose state finalizes a checkpoint
	// that conflicts with the one this chain finalized. The chain stops.
	ErrConflictingFinality

	// ErrStopped: the chain stopped on a conflicting finality and takes
	// nothing more.
	ErrStopped

	// ErrBadDeposit: a deposit output that is malformed, whose proof of
	// possession does not verify, or that the registry refuses (below
	// the minimum deposit: pos/registry's ErrDepositBelowMinimum is
	// wrapped).
	ErrBadDeposit

	// ErrBadExit: a voluntary exit for a later epoch, of an unknown
	// validator, with a signature that does not verify, or that the
	// registry refuses (not active, exiting already, too early: its code
	// is wrapped).
	ErrBadExit

	// ErrBadWithdrawals: a block whose second transaction is not exactly
	// the payout of the withdrawable validators (WithdrawalTx), or that
	// has one when none is due.
	ErrBadWithdrawals

	// numErrorCodes is the number of codes; it must stay last.
	numErrorCodes
)

var errorCodeStrings = map[ErrorCode]string{
	ErrMalformed:               "ErrMalformed",
	ErrDuplicateBlock:          "ErrDuplicateBlock",
	ErrUnknownParent:           "ErrUnknownParent",
	ErrFutureSlot:              "ErrFutureSlot",
	ErrBadSlot:                 "ErrBadSlot",
	ErrNotDescendant:           "ErrNotDescendant",
	ErrBadParent:               "ErrBadParent",
	ErrWrongProposer:           "ErrWrongProposer",
	ErrBadProposerSignature:    "ErrBadProposerSignature",
	ErrBadRandao:               "ErrBadRandao",
	ErrBadBodyRoot:             "ErrBadBodyRoot",
	ErrBadStateRoot:            "ErrBadStateRoot",
	ErrTooMany:                 "ErrTooMany",
	ErrBadSlashing:             "ErrBadSlashing",
	ErrBadAttestation:          "ErrBadAttestation",
	ErrBadAttestationSignature: "ErrBadAttestationSignature",
	ErrUnknownBlockRoot:        "ErrUnknownBlockRoot",
	ErrBadTransactions:         "ErrBadTransactions",
	ErrConflictingFinality:     "ErrConflictingFinality",
	ErrStopped:                 "ErrStopped",
	ErrBadDeposit:              "ErrBadDeposit",
	ErrBadExit:                 "ErrBadExit",
	ErrBadWithdrawals:          "ErrBadWithdrawals",
}

// String returns the ErrorCode as a human-readable name.
func (e ErrorCode) String() string {
	if s := errorCodeStrings[e]; s != "" {
		return s
	}
	return fmt.Sprintf("Unknown ErrorCode (%d)", int(e))
}

// Error makes ErrorCode usable as an errors.Is target.
func (e ErrorCode) Error() string { return e.String() }

// RuleError identifies a refused input.
type RuleError struct {
	ErrorCode   ErrorCode // Describes the kind of error
	Description string    // Human readable description of the issue
	Err         error     // The leaf package's error, if any
}

// Error satisfies the error interface and prints human-readable errors.
func (e RuleError) Error() string {
	if e.Err != nil {
		return e.Description + ": " + e.Err.Error()
	}
	return e.Description
}

// Unwrap returns the wrapped leaf error.
func (e RuleError) Unwrap() error { return e.Err }

// Is reports whether target is an ErrorCode equal to e.ErrorCode, or a
// RuleError with the same code.
func (e RuleError) Is(target error) bool {
	switch t := target.(type) {
	case ErrorCode:
		return e.ErrorCode == t
	case RuleError:
		return e.ErrorCode == t.ErrorCode
	}
	return false
}

func ruleErrorf(c ErrorCode, format string, args ...any) RuleError {
	return RuleError{ErrorCode: c, Description: fmt.Sprintf(format, args...)}
}

func wrapRule(c ErrorCode, err error, format string, args ...any) RuleError {
	return RuleError{ErrorCode: c, Description: fmt.Sprintf(format, args...), Err: err}
}

// IsErrorCode reports whether err is or wraps a RuleError with code c.
func IsErrorCode(err error, c ErrorCode) bool {
	code, ok := ErrorCodeOf(err)
	return ok && code == c
}

// ErrorCodeOf returns the code of the RuleError that err is or wraps, and
// false if there is none.
func ErrorCodeOf(err error) (ErrorCode, bool) {
	var re RuleError
	if errors.As(err, &re) {
		return re.ErrorCode, true
	}
	return 0, false
}
