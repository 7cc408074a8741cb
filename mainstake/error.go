package mainstake

import (
	"errors"
	"fmt"
)

// ErrorCode identifies the rule a registration or header transaction broke.
// Callers check codes, never message text:
//
//	if mainstake.IsErrorCode(err, mainstake.ErrStakeScript) { ... }
//
// or errors.Is(err, mainstake.ErrStakeScript), or errors.As with a
// *RuleError. A RuleError made from an opreturn failure wraps it, so
// errors.Is(err, opreturn.ErrWrongSidechain) also works.
type ErrorCode int

// These constants identify a specific RuleError. ParseRegistration checks
// its rules in the order ErrNoPayload, ErrWrongKind, ErrLockNotHeight,
// ErrVoutRange, ErrVoutConflict, ErrOwnerIsPublisher, ErrStakeScript or
// ErrColdStakeScript, ErrPublisherScript,
// ErrNoRegistryOutput, ErrStakeValue, ErrLockTooSoon, ErrLockTooLate, and
// reports the first that fails. ParseHeaderTx checks ErrHeaderInput,
// ErrNoPayload, ErrWrongKind, ErrHeaderOutputOrder, ErrPublisherScript.
const (
	// ErrNoPayload indicates a transaction whose tagged OP_RETURN is
	// missing, not alone, or does not parse for this sidechain. The
	// RuleError wraps the opreturn error that says why.
	ErrNoPayload ErrorCode = iota

	// ErrWrongKind indicates a payload of another kind than the one the
	// transaction must carry ('S' for a registration, 'H' for a header).
	ErrWrongKind

	// ErrLockNotHeight indicates a lock height of 500,000,000 or more,
	// which CHECKLOCKTIMEVERIFY would read as a time, not a height.
	ErrLockNotHeight

	// ErrVoutRange indicates a stake or publisher vout that names no
	// output of the transaction.
	ErrVoutRange

	// ErrVoutConflict indicates a stake vout equal to the publisher vout,
	// or a stake or publisher vout that names the OP_RETURN output.
	ErrVoutConflict

	// ErrStakeScript indicates a stake output that is not the P2WSH of
	// the witness script rebuilt from the payload's lock height and
	// pubkey.
	ErrStakeScript

	// ErrPublisherScript indicates a publisher output (the registration's
	// publisher vout, or output 1 of a header transaction) that is
	// missing or is not P2WPKH(HASH160(pubkey)).
	ErrPublisherScript

	// ErrNoRegistryOutput indicates a registration with no output of at
	// least DustLimit paying the sidechain's registry script.
	ErrNoRegistryOutput

	// ErrStakeValue indicates a stake output worth less than
	// MinStakeValue.
	ErrStakeValue

	// ErrLockTooSoon indicates lock height − confirmation height below
	// MinStakeLock.
	ErrLockTooSoon

	// ErrLockTooLate indicates lock height − confirmation height above
	// MaxStakeLock.
	ErrLockTooLate

	// ErrHeaderInput indicates a header transaction whose input 0 does
	// not spend the ticket's current publisher outpoint.
	ErrHeaderInput

	// ErrHeaderOutputOrder indicates a header transaction whose 'H'
	// OP_RETURN is not output 0.
	ErrHeaderOutputOrder

	// ErrInvalidArgument indicates a call with invalid arguments: nil
	// parameters, transaction or key, a zero sidechain id, an output
	// value below the dust limit for BuildRegistration. It is a caller's
	// mistake, never a verdict on a transaction.
	ErrInvalidArgument

	// ErrPublisherExhausted indicates a publisher output too small to pay
	// a header transaction's fee and keep its change above the dust
	// limit: the owner must top the publisher chain up.
	ErrPublisherExhausted

	// ErrWithdrawalDust indicates a stake too small to pay a withdrawal's
	// fee at the asked rate and leave an output above the dust limit.
	ErrWithdrawalDust

	// ErrOwnerIsPublisher indicates a registration of the cold-owner
	// form whose owner key hash is HASH160 of its publisher key: the
	// cold form exists to keep the two keys apart, and one key has the
	// plain form.
	ErrOwnerIsPublisher

	// ErrColdStakeScript indicates a registration of the cold-owner form
	// whose stake output is not the P2WSH of the witness script rebuilt
	// from the payload's lock height and owner key hash (ColdStakeScript):
	// a stake paid to another key or script, the plain form's script
	// included.
	ErrColdStakeScript

	// ErrRenewal indicates a renewal (a stake spent straight into a new
	// registration) that does not have the shape the node built: another
	// input or output, a stake paid elsewhere or worth less, a fee above
	// the bound. It is a verdict on a transaction offered to the node,
	// never a consensus rule.
	ErrRenewal

	// numErrorCodes is the number of error codes defined above; tests use
	// it to keep errorCodeStrings complete.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names. A test checks that
// every code below numErrorCodes has an entry.
var errorCodeStrings = map[ErrorCode]string{
	ErrNoPayload:          "ErrNoPayload",
	ErrWrongKind:          "ErrWrongKind",
	ErrLockNotHeight:      "ErrLockNotHeight",
	ErrVoutRange:          "ErrVoutRange",
	ErrVoutConflict:       "ErrVoutConflict",
	ErrStakeScript:        "ErrStakeScript",
	ErrPublisherScript:    "ErrPublisherScript",
	ErrNoRegistryOutput:   "ErrNoRegistryOutput",
	ErrStakeValue:         "ErrStakeValue",
	ErrLockTooSoon:        "ErrLockTooSoon",
	ErrLockTooLate:        "ErrLockTooLate",
	ErrHeaderInput:        "ErrHeaderInput",
	ErrHeaderOutputOrder:  "ErrHeaderOutputOrder",
	ErrInvalidArgument:    "ErrInvalidArgument",
	ErrPublisherExhausted: "ErrPublisherExhausted",
	ErrWithdrawalDust:     "ErrWithdrawalDust",
	ErrOwnerIsPublisher:   "ErrOwnerIsPublisher",
	ErrColdStakeScript:    "ErrColdStakeScript",
	ErrRenewal:            "ErrRenewal",
}

// String returns the ErrorCode as a human-readable name.
func (e ErrorCode) String() string {
	if s := errorCodeStrings[e]; s != "" {
		return s
	}
	return fmt.Sprintf("Unknown ErrorCode (%d)", int(e))
}

// Error makes ErrorCode usable as an errors.Is target: errors.Is(err,
// mainstake.ErrStakeScript) reports whether err is, or wraps, a *RuleError
// with that code.
func (e ErrorCode) Error() string {
	return e.String()
}

// RuleError identifies a rule violation. ErrorCode says which rule;
// Description explains it for humans and logs; Err is the underlying
// error, if any (an opreturn *RuleError for ErrNoPayload).
type RuleError struct {
	ErrorCode   ErrorCode
	Description string
	Err         error
}

// Error satisfies the error interface.
func (e *RuleError) Error() string {
	if e.Err != nil {
		return e.Description + ": " + e.Err.Error()
	}
	return e.Description
}

// Unwrap returns the underlying error, if any.
func (e *RuleError) Unwrap() error {
	return e.Err
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

// wrapError creates a RuleError that wraps an underlying error.
func wrapError(c ErrorCode, desc string, err error) *RuleError {
	return &RuleError{ErrorCode: c, Description: desc, Err: err}
}

// IsErrorCode reports whether err is, or wraps, a *RuleError with code c.
func IsErrorCode(err error, c ErrorCode) bool {
	return errors.Is(err, c)
}
