package p2p

import (
	"errors"
	"fmt"
)

// ErrorCode identifies why a message was invalid or why a session was
// refused. Callers and tests compare codes, never message text:
//
//	if p2p.IsErrorCode(err, p2p.ErrNetworkMismatch) { ... }
type ErrorCode int

// These constants identify a specific RuleError.
const (
	// ErrNoPayload indicates a message with no payload set (or one this
	// version does not know).
	ErrNoPayload ErrorCode = iota

	// ErrBadHash indicates a hash that is not exactly 32 bytes.
	ErrBadHash

	// ErrBadHeader indicates a Block header that is not of the engine's
	// size (64 bytes, or 80 under pow), or a header of a Headers message
	// that is not 80 bytes.
	ErrBadHeader

	// ErrBadInvType indicates an inventory item of unknown type.
	ErrBadInvType

	// ErrBadItemCount indicates an Inventory, GetData or NotFound with no
	// items or with more than MaxInventoryItems.
	ErrBadItemCount

	// ErrBadData indicates an empty block body, transaction or
	// PegSignatures, a block body or transaction larger than
	// MaxMessageSize, or a PegSignatures larger than
	// MaxPegSignaturesSize.
	ErrBadData

	// ErrBadHello indicates a Hello with a malformed field: an empty or
	// over-long network name, engine name or user agent, or a best
	// block hash or genesis id that is neither empty nor 32 bytes.
	ErrBadHello

	// ErrBadTx indicates a Transaction whose raw bytes are not one
	// Bitcoin wire transaction.
	ErrBadTx

	// ErrNotHello indicates a first message that is not a Hello, or a
	// second Hello in the same session.
	ErrNotHello

	// ErrProtocolVersion indicates a Hello with a protocol version this
	// node does not speak.
	ErrProtocolVersion

	// ErrNetworkMismatch indicates a Hello naming another mainchain
	// network.
	ErrNetworkMismatch

	// ErrZeroSidechain indicates a Hello with sidechain id 0, which no
	// sidechain has.
	ErrZeroSidechain

	// ErrSidechainMismatch indicates a Hello naming another sidechain.
	ErrSidechainMismatch

	// ErrSelfConnection indicates a Hello carrying this node's own nonce:
	// the node dialled itself.
	ErrSelfConnection

	// ErrDuplicatePeer indicates a second session with a node (same
	// nonce) this node already has a session with.
	ErrDuplicatePeer

	// ErrHandshakeTimeout indicates a peer whose Hello did not arrive
	// within HandshakeTimeout.
	ErrHandshakeTimeout

	// ErrGenesisMismatch indicates a Hello naming another genesis id, or
	// none (a node from before the Hello carried it): the peer runs
	// another network, or another engine or engine parameters on it. It
	// is a misconfiguration, not misbehavior: the session is refused
	// and the peer gets no ban score.
	ErrGenesisMismatch

	// ErrBadLocator indicates a GetHeaders whose locator has no hash or
	// more than MaxLocatorHashes.
	ErrBadLocator

	// ErrTooManyHeaders indicates a Headers message with more than
	// MaxHeadersPerMessage headers.
	ErrTooManyHeaders

	// numErrorCodes is the number of error codes defined above; it is
	// used by tests to keep errorCodeStrings complete.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names. A test checks that
// every code below numErrorCodes has an entry.
var errorCodeStrings = map[ErrorCode]string{
	ErrNoPayload:         "ErrNoPayload",
	ErrBadHash:           "ErrBadHash",
	ErrBadHeader:         "ErrBadHeader",
	ErrBadInvType:        "ErrBadInvType",
	ErrBadItemCount:      "ErrBadItemCount",
	ErrBadData:           "ErrBadData",
	ErrBadHello:          "ErrBadHello",
	ErrBadTx:             "ErrBadTx",
	ErrNotHello:          "ErrNotHello",
	ErrProtocolVersion:   "ErrProtocolVersion",
	ErrNetworkMismatch:   "ErrNetworkMismatch",
	ErrZeroSidechain:     "ErrZeroSidechain",
	ErrSidechainMismatch: "ErrSidechainMismatch",
	ErrSelfConnection:    "ErrSelfConnection",
	ErrDuplicatePeer:     "ErrDuplicatePeer",
	ErrHandshakeTimeout:  "ErrHandshakeTimeout",
	ErrGenesisMismatch:   "ErrGenesisMismatch",
	ErrBadLocator:        "ErrBadLocator",
	ErrTooManyHeaders:    "ErrTooManyHeaders",
}

// String returns the ErrorCode as a human-readable name.
func (e ErrorCode) String() string {
	if s := errorCodeStrings[e]; s != "" {
		return s
	}
	return fmt.Sprintf("Unknown ErrorCode (%d)", int(e))
}

// RuleError identifies a protocol rule a peer broke: an invalid message or
// a refused handshake. ErrorCode is the kind of violation; Description
// explains it to a human.
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

// ruleErrorf creates a RuleError with a formatted description.
func ruleErrorf(c ErrorCode, format string, args ...any) RuleError {
	return ruleError(c, fmt.Sprintf(format, args...))
}

// IsErrorCode reports whether err is, or wraps, a RuleError with code c.
func IsErrorCode(err error, c ErrorCode) bool {
	var rerr RuleError
	return errors.As(err, &rerr) && rerr.ErrorCode == c
}

// MisbehaviorError is what a Handler returns from ReceiveBlock, ReceiveTx
// or PegHandler.ReceivePegSignatures when the data a peer sent proves the
// peer misbehaved (an invalid block, a transaction that breaks consensus
// rules, a forged signature). Score is added to the peer's misbehavior
// score; at Config.BanThreshold the session is closed and, unless the
// operator configured the peer, its address discouraged. Any
// other error from the Handler is only logged: a block the node cannot use
// yet, or already has, is no offence.
type MisbehaviorError struct {
	Score  uint32
	Reason string
}

// Error satisfies the error interface.
func (e *MisbehaviorError) Error() string {
	return fmt.Sprintf("misbehavior (score %d): %s", e.Score, e.Reason)
}

// Errors the Server API returns. Compare with errors.Is.
var (
	// ErrServerStopped is returned by the API of a Server that is not
	// running: Stop was called, or Start never was.
	ErrServerStopped = errors.New("p2p: server not running")

	// ErrAlreadyStarted is returned by a second call to Start.
	ErrAlreadyStarted = errors.New("p2p: server already started")

	// ErrBlockNotFound is returned by FetchBlock when every connected
	// peer answered NotFound, timed out or went away.
	ErrBlockNotFound = errors.New("p2p: no peer served the block")

	// ErrBanDuration is returned by Ban for a duration out of range.
	ErrBanDuration = errors.New("p2p: ban duration out of range")

	// ErrTooManyBans is returned by Ban when the list is full.
	ErrTooManyBans = errors.New("p2p: too many bans")

	// ErrNotBanned is returned by Unban for a target that is neither
	// banned nor discouraged.
	ErrNotBanned = errors.New("p2p: neither banned nor discouraged")

	// ErrBanFile is returned by Ban and Unban when the ban file cannot
	// be written; the bans are then left as they were.
	ErrBanFile = errors.New("p2p: cannot write the ban file")

	// ErrHeadersDoNotConnect is what HeaderSync.ProcessHeaders, and
	// Handler.ReceiveBlock under header sync, return (wrapped, for
	// errors.Is) when the first header's parent is unknown. It is no
	// misbehavior: the Server asks the peer for the headers that lead
	// there (GetHeaders) instead.
	ErrHeadersDoNotConnect = errors.New("p2p: headers do not connect " +
		"to the header chain")
)
