package work

import (
	"errors"
	"fmt"
)

// Code is a Stratum V1 rejection code, the first element of the error
// triple [code, message, null] a server answers a refused request with.
type Code int

// The standard Stratum V1 rejection codes.
const (
	// CodeOther is any refusal without a code of its own: a malformed
	// submit, an ntime outside the job's window, version bits outside
	// the negotiated mask, an extranonce of the wrong size.
	CodeOther Code = 20

	// CodeStale is a share for a job that is unknown or no longer
	// current.
	CodeStale Code = 21

	// CodeDuplicate is a share already submitted for the same job.
	CodeDuplicate Code = 22

	// CodeLowDifficulty is a share whose hash meets neither the share
	// target nor the network target.
	CodeLowDifficulty Code = 23

	// CodeUnauthorized is a request from a worker that is not
	// authorized.
	CodeUnauthorized Code = 24

	// CodeNotSubscribed is a request from a connection that has not
	// subscribed.
	CodeNotSubscribed Code = 25
)

// String returns the code's usual message.
func (c Code) String() string {
	switch c {
	case CodeOther:
		return "Other/Unknown"
	case CodeStale:
		return "Job not found (=stale)"
	case CodeDuplicate:
		return "Duplicate share"
	case CodeLowDifficulty:
		return "Low difficulty share"
	case CodeUnauthorized:
		return "Unauthorized worker"
	case CodeNotSubscribed:
		return "Not subscribed"
	}
	return fmt.Sprintf("Code(%d)", int(c))
}

// The causes a RejectError wraps; test them with errors.Is.
var (
	// ErrMalformed: a mining.submit whose parameters do not decode.
	ErrMalformed = errors.New("malformed submit")

	// ErrStale: the share names a job that is unknown or stale.
	ErrStale = errors.New("job not found")

	// ErrDuplicate: the share was submitted before for this job.
	ErrDuplicate = errors.New("duplicate share")

	// ErrSeenFull: the job's duplicate set is full; the job takes no more
	// shares (a new job must be sent).
	ErrSeenFull = errors.New("job takes no more shares")

	// ErrLowDifficulty: the share's hash is above the share target and
	// the network target.
	ErrLowDifficulty = errors.New("low difficulty share")

	// ErrNTime: the share's ntime is outside the job's window.
	ErrNTime = errors.New("ntime out of range")

	// ErrVersionBits: the share sets version bits outside the
	// negotiated mask.
	ErrVersionBits = errors.New("version bits outside the mask")

	// ErrExtranonce1Size: the share's extranonce1 is not
	// Extranonce1Size bytes.
	ErrExtranonce1Size = errors.New("extranonce1 of the wrong size")

	// ErrExtranonce2Size: the share's extranonce2 is not the job's
	// size.
	ErrExtranonce2Size = errors.New("extranonce2 of the wrong size")

	// ErrUnauthorized: the worker is not authorized.
	ErrUnauthorized = errors.New("unauthorized worker")

	// ErrNotSubscribed: the connection has not subscribed.
	ErrNotSubscribed = errors.New("not subscribed")
)

// ErrAlgorithm is NewJob's error for a template whose block is not mined
// with SHA-256d: Stratum V1 jobs serve SHA-256d miners only.
var ErrAlgorithm = errors.New("the template's block is not mined with SHA-256d")

// RejectError is a refused share or request: a Stratum code, a message
// for the miner and the cause (one of the Err values above).
type RejectError struct {
	Code Code
	Msg  string
	Err  error
}

// Reject returns a RejectError of code whose cause is err and whose
// message is the formatted text.
func Reject(code Code, err error, format string, args ...any) *RejectError {
	return &RejectError{Code: code, Err: err, Msg: fmt.Sprintf(format, args...)}
}

// Error returns the message.
func (e *RejectError) Error() string { return e.Msg }

// Unwrap returns the cause.
func (e *RejectError) Unwrap() error { return e.Err }

// Stratum returns the error as a Stratum V1 reply's error member:
// [code, message, null].
func (e *RejectError) Stratum() []any { return []any{int(e.Code), e.Msg, nil} }

// CodeOf returns the Stratum code of err: a RejectError's code, CodeOther
// for any other error, 0 for nil.
func CodeOf(err error) Code {
	if err == nil {
		return 0
	}
	var re *RejectError
	if errors.As(err, &re) {
		return re.Code
	}
	return CodeOther
}
