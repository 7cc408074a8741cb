package psbtsign

import (
	"errors"
	"fmt"
)

// ErrorCode identifies why a Session refused a signature or could not be
// built. Callers check codes, never messages: IsErrorCode(err, ErrNotSigner)
// or errors.Is(err, ErrNotSigner).
type ErrorCode int

// These constants identify a specific RuleError.
const (
	// ErrBadInputs indicates a Session asked for with input descriptions
	// that do not match the transaction: another count, a missing
	// prevout, a need outside 1 to the number of allowed keys, or a
	// witness script on an input that is not P2WSH of it.
	ErrBadInputs ErrorCode = iota

	// ErrOtherTx indicates a packet for another transaction, or with
	// another number of inputs.
	ErrOtherTx

	// ErrNotSigner indicates a key that may not sign the input it signs
	// (for Sign: a key that may sign no input).
	ErrNotSigner

	// ErrBadSignature indicates a signature that is not SIGHASH_ALL, not
	// strict DER in low-S form, or does not verify for its input.
	ErrBadSignature

	// numErrorCodes is the number of codes above; a test keeps
	// errorCodeStrings complete.
	numErrorCodes
)

var errorCodeStrings = map[ErrorCode]string{
	ErrBadInputs:    "ErrBadInputs",
	ErrOtherTx:      "ErrOtherTx",
	ErrNotSigner:    "ErrNotSigner",
	ErrBadSignature: "ErrBadSignature",
}

// String returns the code's name.
func (e ErrorCode) String() string {
	if s := errorCodeStrings[e]; s != "" {
		return s
	}
	return fmt.Sprintf("Unknown ErrorCode (%d)", int(e))
}

// Error lets a bare ErrorCode be an errors.Is target.
func (e ErrorCode) Error() string { return e.String() }

// RuleError is a refusal: ErrorCode says which, Description explains it.
type RuleError struct {
	ErrorCode   ErrorCode
	Description string
}

// Error satisfies the error interface.
func (e *RuleError) Error() string { return e.Description }

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

func ruleErrorf(c ErrorCode, format string, args ...any) *RuleError {
	return &RuleError{ErrorCode: c, Description: fmt.Sprintf(format, args...)}
}

// IsErrorCode reports whether err is, or wraps, a *RuleError with code c.
func IsErrorCode(err error, c ErrorCode) bool { return errors.Is(err, c) }

// Code returns the code of the *RuleError err is or wraps.
func Code(err error) (ErrorCode, bool) {
	var re *RuleError
	if errors.As(err, &re) {
		return re.ErrorCode, true
	}
	return 0, false
}
