package powhash

import (
	"errors"
	"fmt"
)

// ErrorCode identifies a kind of rule violation. Callers check codes, never
// message text:
//
//	if powhash.IsErrorCode(err, powhash.ErrHighHash) { ... }
type ErrorCode int

// These constants are used to identify a specific RuleError.
const (
	// ErrBadBits indicates bits whose target is zero or negative.
	ErrBadBits ErrorCode = iota

	// ErrBitsAboveLimit indicates bits whose target is above the
	// network's pow limit (the easiest target allowed).
	ErrBitsAboveLimit

	// ErrHighHash indicates a header whose proof-of-work value is above
	// its target.
	ErrHighHash

	// ErrBadHeight indicates a negative height.
	ErrBadHeight

	// numErrorCodes is the number of error codes defined above; it is
	// used by tests to keep errorCodeStrings complete.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names. A test checks that
// every code below numErrorCodes has an entry.
var errorCodeStrings = map[ErrorCode]string{
	ErrBadBits:        "ErrBadBits",
	ErrBitsAboveLimit: "ErrBitsAboveLimit",
	ErrHighHash:       "ErrHighHash",
	ErrBadHeight:      "ErrBadHeight",
}

// String returns the ErrorCode as a human-readable name.
func (e ErrorCode) String() string {
	if s := errorCodeStrings[e]; s != "" {
		return s
	}
	return fmt.Sprintf("Unknown ErrorCode (%d)", int(e))
}

// RuleError identifies a rule violation. ErrorCode is the kind of
// violation; Description explains it to a human.
type RuleError struct {
	ErrorCode   ErrorCode
	Description string
}

// Error satisfies the error interface and prints human-readable errors.
func (e RuleError) Error() string {
	return e.Description
}

func ruleError(c ErrorCode, desc string) RuleError {
	return RuleError{ErrorCode: c, Description: desc}
}

// IsErrorCode reports whether err is, or wraps, a RuleError with code c.
func IsErrorCode(err error, c ErrorCode) bool {
	var rerr RuleError
	return errors.As(err, &rerr) && rerr.ErrorCode == c
}
