package asert

import (
	"errors"
	"fmt"
)

// ErrorCode identifies why a target could not be computed or why a header's
// bits are refused. Tests and callers compare codes, never message text:
//
//	if asert.IsErrorCode(err, asert.ErrBadDifficulty) { ... }
//
// or errors.Is(err, asert.ErrBadDifficulty).
type ErrorCode int

// These constants identify a specific RuleError. The comment of each names
// the functions that report it.
const (
	// ErrBadDifficulty indicates a header whose bits are not exactly the
	// compact target NextTarget computes from its parent: another target,
	// or the same target in a non-canonical compact form. CheckBits.
	ErrBadDifficulty ErrorCode = iota

	// ErrBeforeAnchor indicates an evaluation height below the anchor's
	// height: the anchor does not govern that block. NextTarget,
	// CheckBits and ScheduleOffset.
	ErrBeforeAnchor

	// ErrBadParams indicates parameters no target can be computed from:
	// nil Params, a half-life or ideal block time that is not positive,
	// or a pow limit that is nil, not positive or wider than 256 bits.
	// It is a configuration error, not a block rule. CheckParams,
	// NextTarget, CheckBits and ScheduleOffset.
	ErrBadParams

	// ErrBadAnchor indicates anchor bits whose target is zero, negative
	// or above the pow limit. Like ErrBadParams it is a configuration
	// error. CheckParams, NextTarget, CheckBits and ScheduleOffset.
	ErrBadAnchor

	// numErrorCodes is the number of codes; it must stay last.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names. A test checks that every
// code below numErrorCodes has an entry.
var errorCodeStrings = map[ErrorCode]string{
	ErrBadDifficulty: "ErrBadDifficulty",
	ErrBeforeAnchor:  "ErrBeforeAnchor",
	ErrBadParams:     "ErrBadParams",
	ErrBadAnchor:     "ErrBadAnchor",
}

// String returns the ErrorCode as a human-readable name.
func (e ErrorCode) String() string {
	if s := errorCodeStrings[e]; s != "" {
		return s
	}
	return fmt.Sprintf("Unknown ErrorCode (%d)", int(e))
}

// Error makes ErrorCode usable as an errors.Is target: errors.Is(err,
// asert.ErrBadDifficulty) reports whether err is, or wraps, a RuleError with
// that code.
func (e ErrorCode) Error() string {
	return e.String()
}

// RuleError identifies a rule violation or unusable parameters. The caller
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
