package registry

import (
	"errors"
	"fmt"
)

// ErrorCode identifies why the registry refused an input. Tests and
// callers compare codes, never message text:
//
//	if registry.IsErrorCode(err, registry.ErrUnknownValidator) { ... }
//
// or errors.Is(err, registry.ErrUnknownValidator).
type ErrorCode int

// These constants identify a specific RuleError. The comment of each names
// the functions that report it.
const (
	// ErrBadParams indicates parameters nothing can be computed from: a zero
	// effective balance increment, hysteresis quotient or churn limit
	// quotient, a minimum deposit of zero, or a maximum effective balance not
	// a multiple of the increment. Params.Check and every function that takes
	// Params.
	ErrBadParams ErrorCode = iota

	// ErrDepositBelowMinimum indicates a deposit for a new validator below
	// MinDeposit, or a top-up of zero. ApplyDeposit.
	ErrDepositBelowMinimum

	// ErrBadDeposit indicates a deposit whose public key is not a valid
	// BLS12-381 key (pos/bls), or whose withdrawal script is empty or longer
	// than MaxWithdrawalScriptLen, or that would push a balance past 2^64−1.
	// ApplyDeposit.
	ErrBadDeposit

	// ErrUnknownValidator indicates an index that is not in the registry.
	// InitiateExit, VoluntaryExit, Slash, Withdraw.
	ErrUnknownValidator

	// ErrNotActive indicates a voluntary exit of a validator not active at the
	// current epoch. VoluntaryExit.
	ErrNotActive

	// ErrExitTooEarly indicates a voluntary exit before the validator has been
	// active for ShardCommitteePeriod epochs. VoluntaryExit.
	ErrExitTooEarly

	// ErrAlreadyExiting indicates a voluntary exit of a validator whose exit
	// epoch is already set. VoluntaryExit.
	ErrAlreadyExiting

	// ErrNotWithdrawable indicates a withdrawal before the validator's
	// withdrawable epoch, or of a zero balance. Withdraw.
	ErrNotWithdrawable

	// ErrEpochRegression indicates a state transition asked for an epoch
	// before the state's epoch. ProcessEpoch.
	ErrEpochRegression

	// ErrMalformed indicates a state encoding that Decode refuses: truncated,
	// trailing bytes, lengths out of bounds, or fields out of their domain.
	ErrMalformed

	// numErrorCodes is the number of codes; it must stay last.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names. A test checks that every
// code below numErrorCodes has an entry.
var errorCodeStrings = map[ErrorCode]string{
	ErrBadParams:           "ErrBadParams",
	ErrDepositBelowMinimum: "ErrDepositBelowMinimum",
	ErrBadDeposit:          "ErrBadDeposit",
	ErrUnknownValidator:    "ErrUnknownValidator",
	ErrNotActive:           "ErrNotActive",
	ErrExitTooEarly:        "ErrExitTooEarly",
	ErrAlreadyExiting:      "ErrAlreadyExiting",
	ErrNotWithdrawable:     "ErrNotWithdrawable",
	ErrEpochRegression:     "ErrEpochRegression",
	ErrMalformed:           "ErrMalformed",
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
