package lottery

import (
	"errors"
	"fmt"
)

// ErrorCode identifies a kind of rule violation. Callers check codes, never
// message text:
//
//	if lottery.IsErrorCode(err, lottery.ErrOutOfOrder) { ... }
type ErrorCode int

// These constants are used to identify a specific RuleError.
const (
	// ErrOutOfOrder indicates an input that arrived out of chain order: a
	// ticket that does not come after the last ticket in (confirmation
	// height, transaction index) order, an End at a lower height than an
	// earlier End, or an Advance to a height below the current one.
	ErrOutOfOrder ErrorCode = iota

	// ErrBadValue indicates a ticket value that is not in
	// [1, btcutil.MaxSatoshi].
	ErrBadValue

	// ErrBadLock indicates a ticket lock height that is not above its
	// confirmation height, or not below txscript.LockTimeThreshold (a
	// CLTV lock at or above it is a time, not a height).
	ErrBadLock

	// ErrBadHeight indicates a height that is out of range: a negative
	// confirmation height, an End below the ticket's confirmation height,
	// or a Rewind to a height below -1 or above the current height.
	ErrBadHeight

	// ErrUnknownTicket indicates a TicketID that the lottery does not
	// hold.
	ErrUnknownTicket

	// ErrAlreadyEnded indicates an End for a ticket whose publisher chain
	// has already ended.
	ErrAlreadyEnded

	// ErrTooManyTickets indicates an Add beyond MaxTickets, the bound
	// under which no weight sum can overflow 128 bits.
	ErrTooManyTickets

	// ErrProofMismatch indicates a DrawProof that disagrees with the
	// draw recomputed from the tickets.
	ErrProofMismatch

	// numErrorCodes is the number of error codes defined above; it is
	// used by tests to keep errorCodeStrings complete.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names. A test checks that
// every code below numErrorCodes has an entry.
var errorCodeStrings = map[ErrorCode]string{
	ErrOutOfOrder:     "ErrOutOfOrder",
	ErrBadValue:       "ErrBadValue",
	ErrBadLock:        "ErrBadLock",
	ErrBadHeight:      "ErrBadHeight",
	ErrUnknownTicket:  "ErrUnknownTicket",
	ErrAlreadyEnded:   "ErrAlreadyEnded",
	ErrTooManyTickets: "ErrTooManyTickets",
	ErrProofMismatch:  "ErrProofMismatch",
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

// ruleError creates a RuleError given a set of arguments.
func ruleError(c ErrorCode, desc string) RuleError {
	return RuleError{ErrorCode: c, Description: desc}
}

// IsErrorCode reports whether err is, or wraps, a RuleError with code c.
func IsErrorCode(err error, c ErrorCode) bool {
	var rerr RuleError
	return errors.As(err, &rerr) && rerr.ErrorCode == c
}
