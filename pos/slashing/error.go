package slashing

import (
	"errors"
	"fmt"
)

// ErrorCode identifies why evidence was refused. Tests and callers compare
// codes, never message text:
//
//	if slashing.IsErrorCode(err, slashing.ErrNotSlashable) { ... }
//
// or errors.Is(err, slashing.ErrNotSlashable).
type ErrorCode int

// These constants identify a specific RuleError. The comment of each names
// the functions that report it.
const (
	// ErrMalformed indicates bytes that are not the encoding of the
	// evidence type: a wrong length, an offset that does not point where
	// the previous part ends, a list that is not whole 8-byte entries, or
	// more attesting indices than MaxValidatorsPerCommittee. The Decode
	// functions.
	ErrMalformed ErrorCode = iota

	// ErrSlotMismatch indicates two block headers at different slots: no
	// double proposal. CheckProposerSlashing.
	ErrSlotMismatch

	// ErrProposerMismatch indicates two block headers of different
	// proposers. CheckProposerSlashing.
	ErrProposerMismatch

	// ErrSameHeader indicates two identical block headers: one proposal,
	// not two. CheckProposerSlashing.
	ErrSameHeader

	// ErrNotSlashable indicates two attestations that are neither a
	// double vote (same target epoch, different data) nor the first
	// surrounding the second. CheckAttesterSlashing.
	ErrNotSlashable

	// ErrBadIndices indicates an attestation whose attesting indices are
	// empty or not strictly ascending (is_valid_indexed_attestation).
	// CheckAttesterSlashing and VerifyIndexedAttestation.
	ErrBadIndices

	// ErrNoCommonIndex indicates two attestations that no validator
	// signed both of: nobody to slash. CheckAttesterSlashing.
	ErrNoCommonIndex

	// ErrBadSignature indicates a signature that does not decode or does
	// not verify against the signer's key, the signing root and the
	// domain given. VerifyProposerSlashing, VerifyAttesterSlashing and
	// VerifyIndexedAttestation.
	ErrBadSignature

	// ErrUnknownValidator indicates a validator index the caller's key
	// lookup does not know. VerifyAttesterSlashing and
	// VerifyIndexedAttestation.
	ErrUnknownValidator

	// numErrorCodes is the number of codes; it must stay last.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names. A test checks that every
// code below numErrorCodes has an entry.
var errorCodeStrings = map[ErrorCode]string{
	ErrMalformed:        "ErrMalformed",
	ErrSlotMismatch:     "ErrSlotMismatch",
	ErrProposerMismatch: "ErrProposerMismatch",
	ErrSameHeader:       "ErrSameHeader",
	ErrNotSlashable:     "ErrNotSlashable",
	ErrBadIndices:       "ErrBadIndices",
	ErrNoCommonIndex:    "ErrNoCommonIndex",
	ErrBadSignature:     "ErrBadSignature",
	ErrUnknownValidator: "ErrUnknownValidator",
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

// RuleError identifies a refused piece of evidence. The caller
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
