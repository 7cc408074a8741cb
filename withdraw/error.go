package withdraw

import (
	"errors"
	"fmt"
)

// ErrorCode identifies why a payout does not verify. Callers check codes,
// never message text: IsErrorCode(err, ErrWrongAmount).
type ErrorCode int

// These constants identify a specific RuleError, in the order VerifyPayout
// checks them.
const (
	// ErrNotPayout indicates a transaction whose only OP_RETURN is not
	// output 0 with a 'W' payload for this sidechain.
	ErrNotPayout ErrorCode = iota

	// ErrWrongSideBlock indicates a payout that names another sideblock
	// than the header the evidence holds.
	ErrWrongSideBlock

	// ErrIncompleteProofs indicates evidence that does not hold exactly
	// one proof per withdrawal of the block, in order.
	ErrIncompleteProofs

	// ErrBadProof indicates a withdrawal proof that does not hash to the
	// published header.
	ErrBadProof

	// ErrMissingOutput indicates a payout with fewer outputs than the
	// block has withdrawals.
	ErrMissingOutput

	// ErrWrongAmount indicates a payout output that does not pay the
	// withdrawal's value less its fee budget.
	ErrWrongAmount

	// ErrWrongScript indicates a payout output that pays another script
	// than the withdrawal's destination.
	ErrWrongScript

	// ErrExtraOutput indicates outputs after the withdrawals other than
	// one change output to a pegbox.
	ErrExtraOutput

	// numErrorCodes is the number of error codes defined above; tests use
	// it to check that every code has a name.
	numErrorCodes
)

var errorCodeStrings = map[ErrorCode]string{
	ErrNotPayout:        "ErrNotPayout",
	ErrWrongSideBlock:   "ErrWrongSideBlock",
	ErrIncompleteProofs: "ErrIncompleteProofs",
	ErrBadProof:         "ErrBadProof",
	ErrMissingOutput:    "ErrMissingOutput",
	ErrWrongAmount:      "ErrWrongAmount",
	ErrWrongScript:      "ErrWrongScript",
	ErrExtraOutput:      "ErrExtraOutput",
}

// String returns the code's name.
func (e ErrorCode) String() string {
	if s, ok := errorCodeStrings[e]; ok {
		return s
	}
	return fmt.Sprintf("Unknown ErrorCode (%d)", int(e))
}

// Error lets a bare ErrorCode be used as an error target of errors.Is.
func (e ErrorCode) Error() string { return e.String() }

// RuleError is a payout that does not verify, with a code and a
// description.
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
func IsErrorCode(err error, c ErrorCode) bool {
	return errors.Is(err, c)
}
