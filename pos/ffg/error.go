package ffg

import (
	"errors"
	"fmt"
)

// ErrorCode identifies why justification, finalization or the inactivity
// bookkeeping could not be computed. Tests and callers compare codes, never
// message text:
//
//	if ffg.IsErrorCode(err, ffg.ErrBadBalances) { ... }
//
// or errors.Is(err, ffg.ErrBadBalances).
type ErrorCode int

// These constants identify a specific RuleError. The comment of each names
// the functions that report it.
const (
	// ErrBadBalances indicates balance totals that cannot come from a
	// state: a total active balance of zero (get_total_balance gives at
	// least one increment; NewRewardContext refuses anything below one
	// increment), or a target (or participating) balance above
	// the total active balance. ProcessJustification and
	// NewRewardContext.
	ErrBadBalances ErrorCode = iota

	// ErrBadState indicates checkpoints that cannot belong to the epoch
	// being processed: a justified or finalized checkpoint later than the
	// current epoch, or a finalized checkpoint later than the current
	// justified one. ProcessJustification.
	ErrBadState

	// ErrBadParams indicates parameters nothing can be computed from: a
	// zero balance increment, inactivity score bias or inactivity penalty
	// quotient, or reward weights whose sum is not the weight denominator.
	// Params.Check and every function that takes Params.
	ErrBadParams

	// numErrorCodes is the number of codes; it must stay last.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names. A test checks that every
// code below numErrorCodes has an entry.
var errorCodeStrings = map[ErrorCode]string{
	ErrBadBalances: "ErrBadBalances",
	ErrBadState:    "ErrBadState",
	ErrBadParams:   "ErrBadParams",
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

// RuleError identifies a refused input. The caller
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
