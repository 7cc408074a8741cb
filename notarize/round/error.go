package round

import (
	"errors"
	"fmt"
)

// ErrorCode identifies why a round message was refused, or why a round
// helper failed. Callers check codes, never messages:
// IsErrorCode(err, ErrForged) or errors.Is(err, ErrForged). BanScore says
// how much the peer that delivered a refused message should be
// penalised.
type ErrorCode int

// These constants identify a specific RuleError.
const (
	// ErrMalformed indicates bytes that are no round message: a wrong
	// length for the kind, an unknown kind, a count or a signature length
	// out of range, a zero or too large value, trailing bytes. No honest
	// node sends one.
	ErrMalformed ErrorCode = iota

	// ErrUnknownVersion indicates a message of a version this node does
	// not know; a newer node may send it.
	ErrUnknownVersion

	// ErrForged indicates a message that does not authenticate: its
	// season is not the one in force at its height, its sender is no
	// notary of that season, or its Schnorr signature does not verify
	// under the sender's key.
	ErrForged

	// ErrReplayed indicates an authentic message of a round more than
	// one interval below the current one: a recording played back.
	ErrReplayed

	// ErrStale indicates an authentic message of an earlier attempt of
	// the current round, or of a round one interval below it (the round
	// before): an honest straggler. It is ignored.
	ErrStale

	// ErrDuplicate indicates a message this node already has (the same
	// signed content): gossip. It is ignored.
	ErrDuplicate

	// ErrConflicting indicates a notary that signed two different
	// messages of one kind in one attempt of a round: two announcements,
	// two input sets, two transaction signatures, two aborts.
	ErrConflicting

	// ErrOtherRound indicates an authentic message that names another
	// block at the round's height, or a height this node has no round
	// for: the sender sees another chain.
	ErrOtherRound

	// ErrNotLeader indicates an input set signed by a notary that is not
	// the leader of its attempt.
	ErrNotLeader

	// ErrBadInputSet indicates an input set that breaks the input-set
	// rule (not SelectInputs of its own inputs, the wrong count, values
	// below the round's minimum) or that puts an input this node did
	// not announce under this node's name.
	ErrBadInputSet

	// ErrFeeRate indicates an input set whose fee rate is above the most
	// this node accepts (Config.MaxFeeRate) or zero: this node does not
	// sign it.
	ErrFeeRate

	// ErrNotInSet indicates a transaction signature from a notary whose
	// input is not in the set.
	ErrNotInSet

	// ErrWrongTx indicates a transaction signature for another
	// transaction than the one the input set makes.
	ErrWrongTx

	// ErrBadTxSignature indicates a transaction signature that does not
	// verify for the sender's input (psbtsign refuses it).
	ErrBadTxSignature

	// ErrNoInput indicates a notary with no spendable output of at least
	// the round's input value, or a round input that cannot be built.
	ErrNoInput

	// ErrCannotSplit indicates a wallet whose largest output cannot pay
	// for the split outputs asked for.
	ErrCannotSplit

	// numErrorCodes is the number of codes above; a test keeps
	// errorCodeStrings and banScores complete.
	numErrorCodes
)

var errorCodeStrings = map[ErrorCode]string{
	ErrMalformed:      "ErrMalformed",
	ErrUnknownVersion: "ErrUnknownVersion",
	ErrForged:         "ErrForged",
	ErrReplayed:       "ErrReplayed",
	ErrStale:          "ErrStale",
	ErrDuplicate:      "ErrDuplicate",
	ErrConflicting:    "ErrConflicting",
	ErrOtherRound:     "ErrOtherRound",
	ErrNotLeader:      "ErrNotLeader",
	ErrBadInputSet:    "ErrBadInputSet",
	ErrFeeRate:        "ErrFeeRate",
	ErrNotInSet:       "ErrNotInSet",
	ErrWrongTx:        "ErrWrongTx",
	ErrBadTxSignature: "ErrBadTxSignature",
	ErrNoInput:        "ErrNoInput",
	ErrCannotSplit:    "ErrCannotSplit",
}

// banScores is how much each refusal adds to the delivering peer's ban
// score (100 bans). Messages an honest node may send or relay (another
// version, a straggler, gossip, another chain's round, a fee rate this
// node does not take) score 0; those only a forger or a misbehaving notary
// makes score high.
var banScores = map[ErrorCode]uint32{
	ErrMalformed:      100,
	ErrUnknownVersion: 0,
	ErrForged:         100,
	ErrReplayed:       20,
	ErrStale:          0,
	ErrDuplicate:      0,
	ErrConflicting:    50,
	ErrOtherRound:     0,
	ErrNotLeader:      100,
	ErrBadInputSet:    100,
	ErrFeeRate:        0,
	ErrNotInSet:       50,
	ErrWrongTx:        20,
	ErrBadTxSignature: 100,
	ErrNoInput:        0,
	ErrCannotSplit:    0,
}

// String returns the code's name.
func (e ErrorCode) String() string {
	if s := errorCodeStrings[e]; s != "" {
		return s
	}
	return fmt.Sprintf("Unknown ErrorCode (%d)", int(e))
}

// Error lets a bare ErrorCode be an errors.Is target.
func (e ErrorCode) Error() string { return e.String() }

// BanScore returns how much a message refused with the code adds to the
// ban score of the peer that delivered it.
func (e ErrorCode) BanScore() uint32 { return banScores[e] }

// RuleError is a refusal: ErrorCode says which rule, Description explains
// it for logs, Err is the underlying error when there is one.
type RuleError struct {
	ErrorCode   ErrorCode
	Description string
	Err         error
}

// Error satisfies the error interface.
func (e *RuleError) Error() string { return e.Description }

// Unwrap returns the underlying error.
func (e *RuleError) Unwrap() error { return e.Err }

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

func wrapErrorf(c ErrorCode, err error, format string, args ...any) *RuleError {
	return &RuleError{ErrorCode: c, Description: fmt.Sprintf(format, args...) +
		": " + err.Error(), Err: err}
}

// IsErrorCode reports whether err is, or wraps, a *RuleError with code c.
func IsErrorCode(err error, c ErrorCode) bool { return errors.Is(err, c) }

// Code returns the code of the *RuleError err is or wraps.
func Code(err error) (ErrorCode, bool) {
	var re *RuleError
	if errors.As(err, &re) {
		return re.ErrorCode, true
	}
	return 0, false
}

// BanScore returns the ban score of the refusal err (0 for nil or for an
// error that is no *RuleError).
func BanScore(err error) uint32 {
	if c, ok := Code(err); ok {
		return c.BanScore()
	}
	return 0
}
