package notarize

import (
	"errors"
	"fmt"
)

// ErrorCode identifies the rule a notarization, a sidechain switch or a
// round's inputs broke. Callers check codes, never message text:
//
//	if notarize.IsErrorCode(err, notarize.ErrOrphanedBlock) { ... }
//
// or errors.Is(err, notarize.ErrOrphanedBlock).
type ErrorCode int

// These constants identify a specific RuleError. Check tests the rules in
// the order listed, from ErrNoNotarySet to ErrTooFewConfirmations, and
// reports the first that fails.
const (
	// ErrNoNotarySet indicates a network without notary parameters
	// (chainparams.Params.Notary nil): nothing is a notarization there.
	ErrNoNotarySet ErrorCode = iota

	// ErrNotNotarization indicates a transaction that does not claim to
	// be a notarization of this sidechain: no OP_RETURN output, an
	// OP_RETURN that does not begin like an `N` payload (other data,
	// another kind), or an `N` payload of another sidechain.
	ErrNotNotarization

	// ErrMalformedPayload indicates an OP_RETURN whose first push begins
	// like an `N` payload (the magic, any version, the kind 'N') but that
	// is not a well-formed one of this sidechain (a wrong length, an
	// unknown version, a non-canonical push, something after the push, a
	// second OP_RETURN output, a zero block hash). The opreturn error,
	// when there is one, is wrapped: errors.Is(err, opreturn.ErrBadLength)
	// works.
	ErrMalformedPayload

	// ErrWrongHeight indicates a notarized height that is no
	// notarization height: zero, negative as an int32, or not a multiple
	// of NotarizationInterval.
	ErrWrongHeight

	// ErrNoSeason indicates a notarized height below the first notary
	// season's start.
	ErrNoSeason

	// ErrSeasonMismatch indicates a payload whose season number is not
	// the season in force at the notarized height.
	ErrSeasonMismatch

	// ErrMissingPrevout indicates prevouts that do not match the
	// transaction's inputs one for one (a caller's error).
	ErrMissingPrevout

	// ErrNotP2WPKH indicates an input that does not spend a P2WPKH
	// output, or whose witness is not <signature> <33-byte key>.
	ErrNotP2WPKH

	// ErrNonNotaryInput indicates an input whose witness key is not a
	// notary of the season in force at the notarized height.
	ErrNonNotaryInput

	// ErrDuplicateNotary indicates a notary that signs two inputs: each
	// notary counts once and spends one input.
	ErrDuplicateNotary

	// ErrBadSigHashType indicates a signature whose sighash type is not
	// SIGHASH_ALL, so that it would not commit to the payload and to the
	// other inputs.
	ErrBadSigHashType

	// ErrTooFewNotaries indicates fewer distinct notaries than the
	// season's threshold (for SelectInputs: fewer candidates).
	ErrTooFewNotaries

	// ErrBadSignature indicates an input that btcd's script engine
	// refuses: the witness key does not hash to the spent output's
	// program, or the signature does not verify.
	ErrBadSignature

	// ErrUnknownBlock indicates a notarized height above the node's
	// sidechain tip. The notarization may count once the node gets
	// there.
	ErrUnknownBlock

	// ErrOrphanedBlock indicates that the node's sidechain has another
	// block at the notarized height.
	ErrOrphanedBlock

	// ErrTooFewConfirmations indicates a notarization transaction with
	// fewer mainchain confirmations than MainConfirmations. It may count
	// later.
	ErrTooFewConfirmations

	// ErrReorgBelowNotarized indicates a sidechain switch whose fork
	// point lies below the notarized height while the current chain
	// holds a block there: it would disconnect the notarized block.
	ErrReorgBelowNotarized

	// ErrReorgConflictsNotarized indicates a sidechain switch to a chain
	// with another block at the notarized height.
	ErrReorgConflictsNotarized

	// numErrorCodes is the number of error codes defined above; a test
	// keeps errorCodeStrings complete with it.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names.
var errorCodeStrings = map[ErrorCode]string{
	ErrNoNotarySet:             "ErrNoNotarySet",
	ErrNotNotarization:         "ErrNotNotarization",
	ErrMalformedPayload:        "ErrMalformedPayload",
	ErrWrongHeight:             "ErrWrongHeight",
	ErrNoSeason:                "ErrNoSeason",
	ErrSeasonMismatch:          "ErrSeasonMismatch",
	ErrMissingPrevout:          "ErrMissingPrevout",
	ErrNotP2WPKH:               "ErrNotP2WPKH",
	ErrNonNotaryInput:          "ErrNonNotaryInput",
	ErrDuplicateNotary:         "ErrDuplicateNotary",
	ErrBadSigHashType:          "ErrBadSigHashType",
	ErrTooFewNotaries:          "ErrTooFewNotaries",
	ErrBadSignature:            "ErrBadSignature",
	ErrUnknownBlock:            "ErrUnknownBlock",
	ErrOrphanedBlock:           "ErrOrphanedBlock",
	ErrTooFewConfirmations:     "ErrTooFewConfirmations",
	ErrReorgBelowNotarized:     "ErrReorgBelowNotarized",
	ErrReorgConflictsNotarized: "ErrReorgConflictsNotarized",
}

// String returns the ErrorCode's name.
func (e ErrorCode) String() string {
	if s := errorCodeStrings[e]; s != "" {
		return s
	}
	return fmt.Sprintf("Unknown ErrorCode (%d)", int(e))
}

// Error makes ErrorCode usable as an errors.Is target.
func (e ErrorCode) Error() string {
	return e.String()
}

// RuleError is a broken rule: ErrorCode says which, Description explains
// it for logs, and Err, when set, is the underlying error (an opreturn
// rule error, a script engine error).
type RuleError struct {
	ErrorCode   ErrorCode
	Description string
	Err         error
}

// Error satisfies the error interface.
func (e *RuleError) Error() string {
	return e.Description
}

// Unwrap returns the underlying error, if any.
func (e *RuleError) Unwrap() error {
	return e.Err
}

// Is reports whether target is an ErrorCode equal to e.ErrorCode, or a
// *RuleError with the same code.
func (e *RuleError) Is(target error) bool {
	switch t := target.(type) {
	case ErrorCode:
		return e.ErrorCode == t
	case *RuleError:
		return t != nil && e.ErrorCode == t.ErrorCode
	}
	return false
}

// ruleErrorf creates a RuleError with a formatted description.
func ruleErrorf(c ErrorCode, format string, args ...interface{}) *RuleError {
	return &RuleError{ErrorCode: c, Description: fmt.Sprintf(format, args...)}
}

// wrapErrorf creates a RuleError that wraps err.
func wrapErrorf(c ErrorCode, err error, format string, args ...interface{}) *RuleError {
	return &RuleError{ErrorCode: c, Description: fmt.Sprintf(format, args...) +
		": " + err.Error(), Err: err}
}

// IsErrorCode reports whether err is, or wraps, a *RuleError with code c.
func IsErrorCode(err error, c ErrorCode) bool {
	return errors.Is(err, c)
}

// Code returns the code of the *RuleError err is or wraps, and false for
// any other error.
func Code(err error) (ErrorCode, bool) {
	var re *RuleError
	if errors.As(err, &re) {
		return re.ErrorCode, true
	}
	return 0, false
}
