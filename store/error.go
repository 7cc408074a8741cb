package store

import (
	"errors"
	"fmt"
)

// ErrorCode identifies a kind of store error. Callers check codes, never
// message text:
//
//	var serr *store.Error
//	if errors.As(err, &serr) && serr.Code == store.ErrUndoPruned { ... }
//
// or, equivalently, errors.Is(err, store.ErrUndoPruned).
type ErrorCode int

// These constants are used to identify a specific Error.
const (
	// ErrNotFound indicates that a requested key, height or record does
	// not exist.
	ErrNotFound ErrorCode = iota

	// ErrWrongNetwork indicates that the data dir was created for a
	// different network (name or genesis hash) than the one the node was
	// started on, or that the block connected at height 0 is not the
	// network's genesis block.
	ErrWrongNetwork

	// ErrCorrupt indicates that the data dir or a record inside it cannot
	// be read or is inconsistent: unreadable badger files, a non-empty dir
	// without store metadata, an undecodable undo record, a missing index
	// entry. The store never repairs, wipes or recreates such a dir.
	ErrCorrupt

	// ErrNotTip indicates a ConnectBlock that does not extend the current
	// tip (wrong height or wrong previous hash), or a DisconnectBlock of a
	// block that is not the current tip.
	ErrNotTip

	// ErrUndoPruned indicates that DisconnectBlock needed an undo record
	// that has been pruned because the block is deeper than the undo
	// window (Options.UndoDepth). The reorg cannot be followed; the data
	// dir must be resynced from scratch by the operator.
	ErrUndoPruned

	// ErrTooBig indicates that a key, a value, or the set of changes made
	// for one block (including its undo record) exceeds what one badger
	// transaction can hold. See Options.MemTableSize.
	ErrTooBig

	// ErrVersion indicates that the data dir was written with a storage
	// format version this code does not understand.
	ErrVersion

	// ErrReservedKey indicates an empty key or a key in the store's
	// internal keyspace (first byte below FirstAppKeyByte, or badger's own
	// "!badger!" prefix).
	ErrReservedKey

	// ErrLocked indicates that the data dir is already opened by another
	// process (or another DB in this process).
	ErrLocked

	// ErrClosed indicates use of a DB after Close, or of a Writer or
	// PlainWriter after its callback returned.
	ErrClosed

	// ErrInvalidArgument indicates invalid Options or arguments.
	ErrInvalidArgument

	// ErrDatabase indicates a failure of the underlying database that is
	// none of the above, such as an I/O error on commit.
	ErrDatabase

	// ErrWrongEngine indicates that the data dir was created under
	// another consensus engine, or other engine parameters, than the
	// network the node was started on runs.
	ErrWrongEngine

	// numErrorCodes is the number of error codes defined above; it is
	// used by tests to keep errorCodeStrings complete.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names. A test checks that
// every code below numErrorCodes has an entry.
var errorCodeStrings = map[ErrorCode]string{
	ErrNotFound:        "ErrNotFound",
	ErrWrongNetwork:    "ErrWrongNetwork",
	ErrCorrupt:         "ErrCorrupt",
	ErrNotTip:          "ErrNotTip",
	ErrUndoPruned:      "ErrUndoPruned",
	ErrTooBig:          "ErrTooBig",
	ErrVersion:         "ErrVersion",
	ErrReservedKey:     "ErrReservedKey",
	ErrLocked:          "ErrLocked",
	ErrClosed:          "ErrClosed",
	ErrInvalidArgument: "ErrInvalidArgument",
	ErrDatabase:        "ErrDatabase",
	ErrWrongEngine:     "ErrWrongEngine",
}

// String returns the ErrorCode as a human-readable name.
func (e ErrorCode) String() string {
	if s := errorCodeStrings[e]; s != "" {
		return s
	}
	return fmt.Sprintf("Unknown ErrorCode (%d)", int(e))
}

// Error makes ErrorCode usable as an errors.Is target:
// errors.Is(err, store.ErrNotFound) reports whether err is, or wraps, an
// *Error with that code.
func (e ErrorCode) Error() string {
	return e.String()
}

// Error describes a store failure. Code identifies the kind of failure,
// Description is a human-readable explanation, and Err is the underlying
// error (for example from badger or the file system), if any.
type Error struct {
	Code        ErrorCode
	Description string
	Err         error
}

// Error satisfies the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Description + ": " + e.Err.Error()
	}
	return e.Description
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error {
	return e.Err
}

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

// storeError creates an Error given a set of arguments.
func storeError(c ErrorCode, desc string) *Error {
	return &Error{Code: c, Description: desc}
}

// wrapError creates an Error that wraps an underlying error.
func wrapError(c ErrorCode, desc string, err error) *Error {
	return &Error{Code: c, Description: desc, Err: err}
}

// IsErrorCode reports whether err is, or wraps, an *Error with code c.
func IsErrorCode(err error, c ErrorCode) bool {
	return errors.Is(err, c)
}
