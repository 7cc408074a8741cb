package opreturn

import (
	"errors"
	"fmt"
)

// ErrorCode identifies the rule a script, payload or transaction broke.
// Callers check codes, never message text:
//
//	if opreturn.IsErrorCode(err, opreturn.ErrWrongSidechain) { ... }
//
// or errors.Is(err, opreturn.ErrWrongSidechain), or errors.As with a
// *RuleError.
type ErrorCode int

// These constants identify a specific RuleError. Parse checks them in the
// order listed, from ErrNotNullData to ErrBadPubKey, and reports the first
// that fails.
const (
	// ErrNotNullData indicates a script that is empty or whose first
	// opcode is not OP_RETURN.
	ErrNotNullData ErrorCode = iota

	// ErrNotSinglePush indicates a script in which OP_RETURN is not
	// followed by exactly one data push (opcodes OP_0 to OP_PUSHDATA4):
	// nothing follows it, another opcode follows it, more than one push
	// or opcode follows it, or the push is truncated.
	ErrNotSinglePush

	// ErrPayloadTooLong indicates a pushed payload longer than
	// MaxPayloadLen (80) bytes, which default relay policy refuses.
	ErrPayloadTooLong

	// ErrNonCanonicalPush indicates a payload that is not pushed with the
	// minimal push opcode for its length, the encoding Encode produces.
	ErrNonCanonicalPush

	// ErrShortPayload indicates a payload shorter than the common prefix
	// (PrefixLen, 9 bytes: magic, version, kind, sidechain id).
	ErrShortPayload

	// ErrBadMagic indicates a payload that does not begin with "PMS".
	ErrBadMagic

	// ErrUnknownVersion indicates a protocol version other than Version.
	ErrUnknownVersion

	// ErrUnknownKind indicates a kind byte that is not one of the kinds
	// this package defines, or, for Encode, a nil payload.
	ErrUnknownKind

	// ErrZeroSidechainID indicates a sidechain id of zero, which no
	// sidechain has.
	ErrZeroSidechainID

	// ErrWrongSidechain indicates a well-formed prefix for another
	// sidechain than the one the caller asked for.
	ErrWrongSidechain

	// ErrBadLength indicates a payload whose length is not the one its
	// kind requires (for a deposit: a sidechain script of 0 or more than
	// MaxSideScriptLen bytes).
	ErrBadLength

	// ErrBadPubKey indicates a stake pubkey that is not a valid
	// compressed secp256k1 public key.
	ErrBadPubKey

	// ErrNoOpReturn indicates a transaction with no OP_RETURN output.
	ErrNoOpReturn

	// ErrMultipleOpReturn indicates a transaction with more than one
	// output whose script begins with OP_RETURN.
	ErrMultipleOpReturn

	// numErrorCodes is the number of error codes defined above; tests use
	// it to keep errorCodeStrings complete.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names. A test checks that
// every code below numErrorCodes has an entry.
var errorCodeStrings = map[ErrorCode]string{
	ErrNotNullData:      "ErrNotNullData",
	ErrNotSinglePush:    "ErrNotSinglePush",
	ErrPayloadTooLong:   "ErrPayloadTooLong",
	ErrNonCanonicalPush: "ErrNonCanonicalPush",
	ErrShortPayload:     "ErrShortPayload",
	ErrBadMagic:         "ErrBadMagic",
	ErrUnknownVersion:   "ErrUnknownVersion",
	ErrUnknownKind:      "ErrUnknownKind",
	ErrZeroSidechainID:  "ErrZeroSidechainID",
	ErrWrongSidechain:   "ErrWrongSidechain",
	ErrBadLength:        "ErrBadLength",
	ErrBadPubKey:        "ErrBadPubKey",
	ErrNoOpReturn:       "ErrNoOpReturn",
	ErrMultipleOpReturn: "ErrMultipleOpReturn",
}

// String returns the ErrorCode as a human-readable name.
func (e ErrorCode) String() string {
	if s := errorCodeStrings[e]; s != "" {
		return s
	}
	return fmt.Sprintf("Unknown ErrorCode (%d)", int(e))
}

// Error makes ErrorCode usable as an errors.Is target: errors.Is(err,
// opreturn.ErrBadMagic) reports whether err is, or wraps, a *RuleError with
// that code.
func (e ErrorCode) Error() string {
	return e.String()
}

// RuleError identifies a rule violation. ErrorCode says which rule;
// Description explains it for humans and logs.
type RuleError struct {
	ErrorCode   ErrorCode
	Description string
}

// Error satisfies the error interface.
func (e *RuleError) Error() string {
	return e.Description
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

// ruleError creates a RuleError given a code and a description.
func ruleError(c ErrorCode, desc string) *RuleError {
	return &RuleError{ErrorCode: c, Description: desc}
}

// ruleErrorf creates a RuleError with a formatted description.
func ruleErrorf(c ErrorCode, format string, args ...interface{}) *RuleError {
	return &RuleError{ErrorCode: c, Description: fmt.Sprintf(format, args...)}
}

// IsErrorCode reports whether err is, or wraps, a *RuleError with code c.
func IsErrorCode(err error, c ErrorCode) bool {
	return errors.Is(err, c)
}
