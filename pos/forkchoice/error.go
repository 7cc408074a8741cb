package forkchoice

import (
	"errors"
	"fmt"
)

// ErrorCode identifies why the fork choice refused a block, a vote or a
// checkpoint. Tests and callers compare codes, never message text:
//
//	if forkchoice.IsErrorCode(err, forkchoice.ErrConflictingFinalized) { ... }
//
// or errors.Is(err, forkchoice.ErrConflictingFinalized).
type ErrorCode int

// These constants identify a specific RuleError. The comment of each names
// the methods that report it.
const (
	// ErrUnknownBlock indicates a vote or a checkpoint for a block root
	// the store does not hold (never seen, or pruned because it does not
	// descend from the finalized block). ProcessAttestation and
	// UpdateCheckpoints.
	ErrUnknownBlock ErrorCode = iota

	// ErrUnknownValidator indicates a vote of a validator index that the
	// balances given to SetBalances do not cover. ProcessAttestation.
	ErrUnknownValidator

	// ErrUnknownParent indicates a block whose parent the store does not
	// hold. AddBlock.
	ErrUnknownParent

	// ErrDuplicateBlock indicates a block root the store already holds.
	// AddBlock.
	ErrDuplicateBlock

	// ErrBadSlot indicates a block whose slot is not above its parent's.
	// AddBlock.
	ErrBadSlot

	// ErrConflictingFinalized indicates a finalized checkpoint that
	// conflicts with the one the store holds: the same or a later epoch
	// whose block does not descend from the finalized block, or a block
	// whose own finalized checkpoint is at the store's finalized epoch
	// with another root. Following it would revert a finalized block; a
	// node that sees it must stop rather than follow that chain.
	// UpdateCheckpoints and AddBlock.
	ErrConflictingFinalized

	// ErrBadCheckpoint indicates a checkpoint that cannot be one: a
	// justified epoch below the finalized epoch, or a checkpoint block
	// whose slot is after its epoch's first slot. UpdateCheckpoints and
	// New.
	ErrBadCheckpoint

	// ErrBadConfig indicates a Config nothing can be computed from: zero
	// slots per epoch or a proposer boost above 100 percent. New.
	ErrBadConfig

	// ErrWeightUnderflow indicates that a weight update would take a
	// block's weight below zero. It cannot happen unless the store's
	// bookkeeping is broken; Head reports it instead of a wrong head.
	ErrWeightUnderflow

	// numErrorCodes is the number of codes; it must stay last.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names. A test checks that every
// code below numErrorCodes has an entry.
var errorCodeStrings = map[ErrorCode]string{
	ErrUnknownBlock:         "ErrUnknownBlock",
	ErrUnknownValidator:     "ErrUnknownValidator",
	ErrUnknownParent:        "ErrUnknownParent",
	ErrDuplicateBlock:       "ErrDuplicateBlock",
	ErrBadSlot:              "ErrBadSlot",
	ErrConflictingFinalized: "ErrConflictingFinalized",
	ErrBadCheckpoint:        "ErrBadCheckpoint",
	ErrBadConfig:            "ErrBadConfig",
	ErrWeightUnderflow:      "ErrWeightUnderflow",
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

// RuleError identifies a refused block, vote or checkpoint. The caller
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
