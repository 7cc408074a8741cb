package headerchain

import (
	"errors"
	"fmt"

	"github.com/mainstake/sidenode/sideblock"
)

// ErrorCode identifies a kind of rule violation. Each rule this package
// checks has its own code; tests and callers compare codes, never message
// text:
//
//	if errors.Is(err, headerchain.ErrHighHash) { ... }
type ErrorCode int

// These constants identify a specific RuleError. The comment of each says
// which check reports it. Codes marked (header) are failures of the header
// alone: such a header is never stored, so a flood of them costs memory
// nothing. Codes marked (body) may come from one bad copy of a body whose
// header is good (the header does not commit to witnesses): the node drops
// the body and may fetch it again. Codes marked (committed) prove the
// header invalid for good: it is remembered as invalid, with every
// descendant. See ErrorCode.MarksHeaderInvalid.
const (
	// ErrDuplicateBlock indicates a block, or header, that the index
	// already holds in the same form (a header it has, or a block whose
	// body it has).
	ErrDuplicateBlock ErrorCode = iota

	// ErrKnownInvalid indicates a header that the index remembers as
	// invalid, or whose ancestor it remembers as invalid.
	ErrKnownInvalid

	// ErrUnknownParent indicates a header whose parent the index does
	// not hold. A header alone (headers-first sync) must connect to a
	// known header; a whole block goes to the orphan pool instead.
	ErrUnknownParent

	// ErrBadBits indicates a header whose bits are not what the
	// difficulty function requires of a child of its parent. (header)
	ErrBadBits

	// ErrTargetOutOfRange indicates bits whose target is zero, negative,
	// overflows 256 bits, or is above the network's pow limit. (header)
	ErrTargetOutOfRange

	// ErrTimeTooOld indicates a timestamp not after the median time of
	// its parent and the parent's ten ancestors (the last 11 blocks).
	// (header)
	ErrTimeTooOld

	// ErrTimeTooNew indicates a timestamp more than MaxFutureBlockTime
	// past the node's clock. It is not remembered: the same header is
	// accepted once the clock has caught up. (header)
	ErrTimeTooNew

	// ErrHighHash indicates a header whose proof-of-work hash, under the
	// algorithm of its height, is above the target its bits encode: too
	// little work. (header)
	ErrHighHash

	// ErrTooFarAhead indicates an orphan block whose coinbase claims a
	// height more than MaxOrphanAhead above the best tip. It is refused
	// before any hash is computed. (header)
	ErrTooFarAhead

	// ErrOrphanTooBig indicates an orphan block larger than the orphan
	// pool's byte budget; it could only be kept by evicting every
	// other orphan.
	ErrOrphanTooBig

	// ErrBadMerkleRoot indicates a body whose merkle root (the §6
	// commitment, sideblock.CalcBlockMerkleRoot) is not the header's.
	// (body)
	ErrBadMerkleRoot

	// ErrBlockTooHeavy indicates a block whose weight, base_size·4 +
	// signature_count·384, is above MaxBlockWeight. (body: witnesses
	// count in base_size and are not committed)
	ErrBlockTooHeavy

	// ErrBadCoinbaseHeight indicates a coinbase whose signature script
	// does not begin with the block's height, in the form
	// sideblock.ExtractCoinbaseHeight reads, or claims another height.
	// (committed)
	ErrBadCoinbaseHeight

	// ErrBadBody indicates a body that fails sideblock.CheckBlockSanity.
	// The RuleError wraps sideblock's own RuleError, so errors.Is also
	// matches the sideblock code; whether it condemns the header follows
	// sideblock's ErrorCode.MarksHeaderInvalid.
	ErrBadBody

	// ErrInvalidated indicates a block the chain state found invalid
	// when connecting it (Index.Invalidate). (committed)
	ErrInvalidated

	// ErrColdBranch indicates a header whose proof-of-work check would
	// first build a cache (a RandomX key or an Ethash epoch the node does
	// not keep), on a branch too far below the best header chain's work
	// to be worth it (Params.ColdBranchBlocks), or on an unknown branch
	// (an orphan). It is refused before any hash and not remembered: the
	// same header is checked again when its branch has gained work, or
	// when it comes with enough of its branch in one ProcessHeaders
	// batch. It says nothing against the header or its sender: an
	// honest peer on a heavier branch that forks far back sends such
	// headers, and a syncing node answers it by gathering more of the
	// branch before handing it over.
	ErrColdBranch
)

var errorCodeStrings = map[ErrorCode]string{
	ErrDuplicateBlock:    "ErrDuplicateBlock",
	ErrKnownInvalid:      "ErrKnownInvalid",
	ErrUnknownParent:     "ErrUnknownParent",
	ErrBadBits:           "ErrBadBits",
	ErrTargetOutOfRange:  "ErrTargetOutOfRange",
	ErrTimeTooOld:        "ErrTimeTooOld",
	ErrTimeTooNew:        "ErrTimeTooNew",
	ErrHighHash:          "ErrHighHash",
	ErrTooFarAhead:       "ErrTooFarAhead",
	ErrOrphanTooBig:      "ErrOrphanTooBig",
	ErrBadMerkleRoot:     "ErrBadMerkleRoot",
	ErrBlockTooHeavy:     "ErrBlockTooHeavy",
	ErrBadCoinbaseHeight: "ErrBadCoinbaseHeight",
	ErrBadBody:           "ErrBadBody",
	ErrInvalidated:       "ErrInvalidated",
	ErrColdBranch:        "ErrColdBranch",
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

// MarksHeaderInvalid reports whether a block failing with this code is
// invalid whatever body it carries, so that the index remembers its header
// as invalid. Header failures are not in this set: such headers are never
// stored at all. ErrBadBody defers to the wrapped sideblock code (see
// RuleError.MarksHeaderInvalid).
func (e ErrorCode) MarksHeaderInvalid() bool {
	return e == ErrBadCoinbaseHeight || e == ErrInvalidated
}

// RuleError identifies a rule violation. Err, if set, is the error of the
// package that found it (sideblock's RuleError for ErrBadBody); errors.Is
// and errors.As see through to it.
type RuleError struct {
	ErrorCode   ErrorCode // Describes the kind of error
	Description string    // Human readable description of the issue
	Err         error     // The underlying rule error, or nil
}

// Error satisfies the error interface and prints human-readable errors.
func (e RuleError) Error() string {
	return e.Description
}

// Unwrap returns the underlying error.
func (e RuleError) Unwrap() error {
	return e.Err
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

// MarksHeaderInvalid reports whether the failure proves the header invalid
// whatever its body: ErrorCode.MarksHeaderInvalid, or for ErrBadBody, the
// wrapped sideblock code's.
func (e RuleError) MarksHeaderInvalid() bool {
	if e.ErrorCode == ErrBadBody {
		code, ok := sideblock.ErrorCodeOf(e.Err)
		return ok && code.MarksHeaderInvalid()
	}
	return e.ErrorCode.MarksHeaderInvalid()
}

func ruleErrorf(c ErrorCode, format string, args ...interface{}) RuleError {
	return RuleError{ErrorCode: c, Description: fmt.Sprintf(format, args...)}
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
