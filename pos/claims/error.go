package claims

import (
	"errors"
	"fmt"
)

// ErrorCode identifies why a claim, a reward record or a ledger encoding
// was refused. Tests and callers compare codes, never message text:
//
//	if claims.IsErrorCode(err, claims.ErrAmountMismatch) { ... }
//
// or errors.Is(err, claims.ErrAmountMismatch).
type ErrorCode int

// These constants identify a specific RuleError. The comment of each names
// the functions that report it.
const (
	// ErrBadParams indicates parameters nothing can be checked with: a maximum
	// claim range of zero or above 2^20 epochs, or a cooldown above 2^32
	// epochs. Params.Check and every function that takes Params.
	ErrBadParams ErrorCode = iota

	// ErrMalformed indicates a claim output that ParseClaim or ParseClaimTx
	// refuses: not OP_RETURN and one canonical push of the payload's exact
	// size, another tag or version, a signature that is not a canonical
	// BLS12-381 point, a claim output carrying coins, or two claim outputs in
	// one transaction; and a ledger encoding that DecodeLedger refuses.
	ErrMalformed

	// ErrUnknownValidator indicates a claim naming a validator index without a
	// public key. Validate.
	ErrUnknownValidator

	// ErrBadRange indicates a claim whose last epoch is before its first, or
	// that spans more than MaxClaimRange epochs. Validate.
	ErrBadRange

	// ErrOverlappingRange indicates a claim whose first epoch was already
	// claimed: it starts before the validator's next unclaimed epoch.
	// Validate.
	ErrOverlappingRange

	// ErrGapInRange indicates a claim that starts after the validator's next
	// unclaimed epoch, which would leave epochs unclaimed. Validate.
	ErrGapInRange

	// ErrBeforeCooldown indicates a claim whose last epoch is not yet Cooldown
	// epochs in the past. Validate.
	ErrBeforeCooldown

	// ErrNoRecord indicates a claim over an epoch the history holds no reward
	// record for. Validate.
	ErrNoRecord

	// ErrNothingToClaim indicates a claim over a range whose rewards minus
	// penalties are not positive. Validate.
	ErrNothingToClaim

	// ErrAmountMismatch indicates a claim whose amount is not the amount the
	// history gives for its range. Validate.
	ErrAmountMismatch

	// ErrBadSignature indicates a claim whose signature does not verify under
	// the validator's public key. Validate.
	ErrBadSignature

	// ErrBadRecord indicates a reward record out of order (not the epoch after
	// the last one), with a delta larger than MaxDelta in magnitude, or a
	// total that would overflow. Tracker.AddRecord, RecordFromDeltas and
	// Recompute.
	ErrBadRecord

	// numErrorCodes is the number of codes; it must stay last.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names. A test checks that every
// code below numErrorCodes has an entry.
var errorCodeStrings = map[ErrorCode]string{
	ErrBadParams:        "ErrBadParams",
	ErrMalformed:        "ErrMalformed",
	ErrUnknownValidator: "ErrUnknownValidator",
	ErrBadRange:         "ErrBadRange",
	ErrOverlappingRange: "ErrOverlappingRange",
	ErrGapInRange:       "ErrGapInRange",
	ErrBeforeCooldown:   "ErrBeforeCooldown",
	ErrNoRecord:         "ErrNoRecord",
	ErrNothingToClaim:   "ErrNothingToClaim",
	ErrAmountMismatch:   "ErrAmountMismatch",
	ErrBadSignature:     "ErrBadSignature",
	ErrBadRecord:        "ErrBadRecord",
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
