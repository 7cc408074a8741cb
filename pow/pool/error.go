package pool

import (
	"errors"
	"fmt"
)

// ErrorCode identifies a kind of pool error. Callers and tests compare
// codes, never message text:
//
//	var perr *pool.Error
//	if errors.As(err, &perr) && perr.Code == pool.ErrBadShare { ... }
//
// or errors.Is(err, pool.ErrBadShare).
type ErrorCode int

// These constants are used to identify a specific Error.
const (
	// ErrBadShare indicates a share the pool refuses to record: no
	// worker name or payout script, one longer than the limits, a work
	// of zero or above the network work, a negative or impossible job
	// reward. The server must not answer such a share "accepted".
	ErrBadShare ErrorCode = iota

	// ErrConfig indicates an invalid Config; the message names the
	// field (or the flag it comes from) and the unit.
	ErrConfig

	// ErrClosed indicates a call after Close.
	ErrClosed

	// ErrStore indicates that the store failed to read or write; a share
	// whose AddShare returns it was not recorded.
	ErrStore

	// ErrCorrupt indicates a pool record in the store that does not
	// decode.
	ErrCorrupt

	// ErrAudit indicates that the audit found a block or an account
	// whose books do not balance: earned != paid + owed + fee, a credit
	// paid beyond its amount, an account paid more than its blocks
	// credited it, or PPS credits funded more than once.
	ErrAudit

	// ErrPayout indicates that the Payer failed to build or send a
	// payout; the payout is retried with the same transaction (if one
	// was recorded) on the next call.
	ErrPayout

	// numErrorCodes is the number of codes above.
	numErrorCodes
)

var errorCodeNames = [...]string{
	ErrBadShare: "ErrBadShare",
	ErrConfig:   "ErrConfig",
	ErrClosed:   "ErrClosed",
	ErrStore:    "ErrStore",
	ErrCorrupt:  "ErrCorrupt",
	ErrAudit:    "ErrAudit",
	ErrPayout:   "ErrPayout",
}

// String returns the code's name.
func (c ErrorCode) String() string {
	if c >= 0 && c < numErrorCodes {
		return errorCodeNames[c]
	}
	return fmt.Sprintf("ErrorCode(%d)", int(c))
}

// Error is a pool error with a code.
type Error struct {
	Code        ErrorCode
	Description string
	Err         error // underlying error, if any
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Description + ": " + e.Err.Error()
	}
	return e.Description
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an ErrorCode equal to e.Code, or an *Error
// with the same Code.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case ErrorCode:
		return e.Code == t
	case *Error:
		return t != nil && e.Code == t.Code
	}
	return false
}

// Error makes ErrorCode an error, so that it can be an errors.Is target.
func (c ErrorCode) Error() string { return c.String() }

func poolError(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...)}
}

func wrapError(code ErrorCode, err error, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...),
		Err: err}
}

// IsErrorCode reports whether err is an *Error with the given code.
func IsErrorCode(err error, code ErrorCode) bool {
	return errors.Is(err, code)
}
