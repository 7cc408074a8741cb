package protection

import (
	"errors"
	"fmt"
)

// ErrorCode identifies why a signing was refused or an interchange file
// could not be imported. Tests and callers compare codes, never message
// text:
//
//	if protection.IsErrorCode(err, protection.ErrDoubleVote) { ... }
//
// or errors.Is(err, protection.ErrDoubleVote). Errors of the store itself
// are passed through unchanged (*store.Error).
type ErrorCode int

// These constants identify a specific RuleError. The comment of each names
// the methods that report it. A refused signing writes nothing.
const (
	// ErrDoubleProposal indicates a block at a slot the key has signed
	// another block at (or one whose signing root is not known).
	// SignBlock.
	ErrDoubleProposal ErrorCode = iota

	// ErrDoubleVote indicates an attestation with a target epoch the key
	// has signed another attestation for (or one whose signing root is
	// not known). SignAttestation.
	ErrDoubleVote

	// ErrSurroundVote indicates an attestation that surrounds one the key
	// signed (an earlier source, a later target) or is surrounded by one.
	// SignAttestation.
	ErrSurroundVote

	// ErrAlreadySigned indicates a block or attestation with the same
	// signing root as one the key signed at that slot or target epoch:
	// not slashable, but refused, as the minimal strategy of EIP-3076
	// does. SignBlock and SignAttestation.
	ErrAlreadySigned

	// ErrBelowWatermark indicates a block at or below the highest slot
	// the key signed, or an attestation whose target is at or below the
	// highest target signed or whose source is below the highest source
	// signed, with no signed record that it conflicts with (an imported
	// minimal record, or an out-of-order message). SignBlock and
	// SignAttestation.
	ErrBelowWatermark

	// ErrSourceAfterTarget indicates an attestation whose source epoch is
	// after its target epoch. SignAttestation.
	ErrSourceAfterTarget

	// ErrWrongGenesis indicates a genesis validators root other than the
	// database's: at Open, or in an interchange file. Open and Import.
	ErrWrongGenesis

	// ErrBadInterchange indicates an interchange file that is not EIP-3076
	// version 5 JSON: bad JSON, another format version, a missing or null
	// field, a number that is not a quoted decimal uint64, a public key
	// or root that is not 0x and 48 or 32 bytes of hex. Import.
	ErrBadInterchange

	// ErrCorruptRecord indicates a stored record of the wrong size. Every
	// method that reads records.
	ErrCorruptRecord

	// numErrorCodes is the number of codes; it must stay last.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names. A test checks that every
// code below numErrorCodes has an entry.
var errorCodeStrings = map[ErrorCode]string{
	ErrDoubleProposal:    "ErrDoubleProposal",
	ErrDoubleVote:        "ErrDoubleVote",
	ErrSurroundVote:      "ErrSurroundVote",
	ErrAlreadySigned:     "ErrAlreadySigned",
	ErrBelowWatermark:    "ErrBelowWatermark",
	ErrSourceAfterTarget: "ErrSourceAfterTarget",
	ErrWrongGenesis:      "ErrWrongGenesis",
	ErrBadInterchange:    "ErrBadInterchange",
	ErrCorruptRecord:     "ErrCorruptRecord",
}

// String returns the ErrorCode as a human-readable name.
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

// RuleError identifies a refused signing or import. The caller
// can use errors.As, errors.Is or IsErrorCode to find the specific reason.
type RuleError struct {
	ErrorCode   ErrorCode // Describes the kind of error
	Description string    // Human readable description of the issue
}

// Error satisfies the error interface and prints human-readable errors.
func (e RuleError) Error() string {
	return e.Description
}

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

// ruleErrorf creates a RuleError with a formatted description.
func ruleErrorf(c ErrorCode, format string, args ...interface{}) RuleError {
	return RuleError{ErrorCode: c, Description: fmt.Sprintf(format, args...)}
}

// IsErrorCode reports whether err is, or wraps, a RuleError with code c.
func IsErrorCode(err error, c ErrorCode) bool {
	return errors.Is(err, c)
}

// ErrorCodeOf returns the code of the RuleError that err is or wraps, and
// false if there is none.
func ErrorCodeOf(err error) (ErrorCode, bool) {
	var rerr RuleError
	if errors.As(err, &rerr) {
		return rerr.ErrorCode, true
	}
	return 0, false
}
