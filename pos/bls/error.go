package bls

import (
	"errors"
	"fmt"
)

// ErrorCode identifies why a key or signature was refused. Tests and
// callers compare codes, never message text:
//
//	if bls.IsErrorCode(err, bls.ErrBadSignature) { ... }
//
// or errors.Is(err, bls.ErrBadSignature). A signature that decodes but does
// not verify is not an error: the Verify functions return false.
type ErrorCode int

// These constants identify a specific RuleError. The comment of each names
// the functions that report it.
const (
	// ErrBadSecretKey indicates secret key bytes that are not 32 bytes
	// of a big-endian integer in [1, r-1], r the group order, or key
	// material shorter than 32 bytes. SecretKeyFromBytes and
	// GenerateKey.
	ErrBadSecretKey ErrorCode = iota

	// ErrBadPublicKey indicates public key bytes that are not a
	// compressed G1 point of 48 bytes in canonical form, on the curve,
	// in the prime-order subgroup and not the point at infinity
	// (KeyValidate). PublicKeyFromBytes.
	ErrBadPublicKey

	// ErrBadSignature indicates signature bytes that are not a
	// compressed G2 point of 96 bytes in canonical form, on the curve and
	// in the prime-order subgroup. The point at infinity is a valid
	// encoding; it verifies nothing. SignatureFromBytes.
	ErrBadSignature

	// ErrEmptyAggregate indicates an aggregation of no signatures, which
	// the specification leaves undefined. AggregateSignatures.
	ErrEmptyAggregate

	// numErrorCodes is the number of codes; it must stay last.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names. A test checks that every
// code below numErrorCodes has an entry.
var errorCodeStrings = map[ErrorCode]string{
	ErrBadSecretKey:   "ErrBadSecretKey",
	ErrBadPublicKey:   "ErrBadPublicKey",
	ErrBadSignature:   "ErrBadSignature",
	ErrEmptyAggregate: "ErrEmptyAggregate",
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

// RuleError identifies a refused key, signature or aggregation. The caller
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
