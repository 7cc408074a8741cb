package api

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorCode classifies a backend error, so that the server can answer with
// the right gRPC code. Callers and tests check codes, never messages.
type ErrorCode int

// The error codes and the gRPC codes they map to.
const (
	// ErrNotFound: the thing asked for does not exist (a winner or
	// publication at a height, a ticket). gRPC NotFound.
	ErrNotFound ErrorCode = iota + 1

	// ErrInvalidArgument: the request is malformed whatever the node's
	// state (an address of another network, a stake below the minimum).
	// gRPC InvalidArgument.
	ErrInvalidArgument

	// ErrNoWallet: the node runs without a wallet. gRPC
	// FailedPrecondition.
	ErrNoWallet

	// ErrWalletLocked: the wallet exists but is locked. gRPC
	// FailedPrecondition.
	ErrWalletLocked

	// ErrFailedPrecondition: the node's state does not allow the request
	// now (not enough funds, a stake still locked, not synced). gRPC
	// FailedPrecondition.
	ErrFailedPrecondition

	// ErrUnavailable: a transient failure worth retrying (the mainchain
	// backend is not connected). gRPC Unavailable.
	ErrUnavailable

	// ErrUnimplemented: the node cannot serve the method yet. gRPC
	// Unimplemented.
	ErrUnimplemented
)

var errorCodeStrings = map[ErrorCode]string{
	ErrNotFound:           "ErrNotFound",
	ErrInvalidArgument:    "ErrInvalidArgument",
	ErrNoWallet:           "ErrNoWallet",
	ErrWalletLocked:       "ErrWalletLocked",
	ErrFailedPrecondition: "ErrFailedPrecondition",
	ErrUnavailable:        "ErrUnavailable",
	ErrUnimplemented:      "ErrUnimplemented",
}

// String returns the code's name.
func (c ErrorCode) String() string {
	if s, ok := errorCodeStrings[c]; ok {
		return s
	}
	return fmt.Sprintf("ErrorCode(%d)", int(c))
}

// grpcCode returns the gRPC code that c maps to.
func (c ErrorCode) grpcCode() codes.Code {
	switch c {
	case ErrNotFound:
		return codes.NotFound
	case ErrInvalidArgument:
		return codes.InvalidArgument
	case ErrNoWallet, ErrWalletLocked, ErrFailedPrecondition:
		return codes.FailedPrecondition
	case ErrUnavailable:
		return codes.Unavailable
	case ErrUnimplemented:
		return codes.Unimplemented
	}
	return codes.Internal
}

// Error is a backend error with a code. Its Description is sent to the
// client as the status message.
type Error struct {
	Code        ErrorCode
	Description string

	// Err is the underlying error, if any.
	Err error
}

// Error returns the description.
func (e *Error) Error() string { return e.Description }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, ErrNoWallet) match any *Error with that code.
func (e *Error) Is(target error) bool {
	c, ok := target.(ErrorCode)
	return ok && c == e.Code
}

// Error lets an ErrorCode be the target of errors.Is.
func (c ErrorCode) Error() string { return c.String() }

// Errorf returns an *Error with code c and the formatted description. A %w
// verb wraps its operand, as with fmt.Errorf.
func Errorf(c ErrorCode, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: c, Description: err.Error(), Err: errors.Unwrap(err)}
}

// IsErrorCode reports whether err is or wraps an *Error with code c.
func IsErrorCode(err error, c ErrorCode) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == c
}

// toStatus turns a backend error into a gRPC status error: an *Error by
// its code, a gRPC status error as it is, context errors as Canceled and
// DeadlineExceeded, anything else as Internal (and logged).
func toStatus(method string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return userStatus(e.Code.grpcCode(), e.Description)
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	log.Errorf("%s: %v", method, err)
	return userStatus(codes.Internal, err.Error())
}
