package selection

import (
	"errors"
	"fmt"
)

// ErrorCode identifies why a shuffle, committee, proposer or seed could not
// be computed. Tests and callers compare codes, never message text:
//
//	if selection.IsErrorCode(err, selection.ErrIndexOutOfRange) { ... }
//
// or errors.Is(err, selection.ErrIndexOutOfRange).
type ErrorCode int

// These constants identify a specific RuleError. The comment of each names
// the functions that report it.
const (
	// ErrIndexOutOfRange indicates a position that is not below the list
	// size it is shuffled in (compute_shuffled_index asserts index <
	// index_count), or a committee index that is not below the committee
	// count. ShuffledIndex, UnshuffledIndex, Committee and
	// Shuffling.Committee.
	ErrIndexOutOfRange ErrorCode = iota

	// ErrListTooLarge indicates a list of more than 2^40 entries: the
	// shuffle encodes position/256 in four bytes, so no larger list can be
	// shuffled. ShuffledIndex, UnshuffledIndex, ShuffleList,
	// UnshuffleList, Committee, NewShuffling and ProposerIndex.
	ErrListTooLarge

	// ErrNoActiveValidators indicates an empty active validator list: there
	// is no proposer to choose. ProposerIndex.
	ErrNoActiveValidators

	// ErrNoProposer indicates that ProposerIndex tried maxProposerTries
	// candidates without accepting one. The specification loops until it
	// accepts; a candidate of any effective balance, zero included, is
	// accepted when its random byte is 0, so reaching the bound has a
	// probability below 2^-369 and means broken input rather than bad luck.
	// ProposerIndex.
	ErrNoProposer

	// ErrWrongEpoch indicates a slot outside the epoch of the Shuffling
	// asked for its committee. Shuffling.BeaconCommittee.
	ErrWrongEpoch

	// ErrBadParams indicates parameters that nothing can be computed
	// from: a zero shuffle round count, slots per epoch, target committee
	// size, maximum committees per slot, maximum effective balance or
	// historical vector length, or a seed lookahead that is not below the
	// historical vector length. It is a configuration error, not a block
	// rule. Params.Check and every function that takes Params.
	ErrBadParams

	// numErrorCodes is the number of codes; it must stay last.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names. A test checks that every
// code below numErrorCodes has an entry.
var errorCodeStrings = map[ErrorCode]string{
	ErrIndexOutOfRange:    "ErrIndexOutOfRange",
	ErrListTooLarge:       "ErrListTooLarge",
	ErrNoActiveValidators: "ErrNoActiveValidators",
	ErrNoProposer:         "ErrNoProposer",
	ErrWrongEpoch:         "ErrWrongEpoch",
	ErrBadParams:          "ErrBadParams",
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
