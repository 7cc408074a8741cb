package pegbox

import (
	"errors"
	"fmt"
)

// ErrorCode identifies the rule a federation, deposit or payout broke.
// Callers check codes, never message text: IsErrorCode(err, ErrDepositDust)
// or errors.Is(err, ErrDepositDust).
type ErrorCode int

// These constants identify a specific RuleError.
const (
	// ErrNoStakers indicates an election with no staker of non-zero
	// weight: there is no federation, and so no pegbox, for that epoch.
	ErrNoStakers ErrorCode = iota

	// ErrFederationSize indicates a federation size outside 1 to
	// MaxFederationSize, the most keys a standard P2WSH multisig holds.
	ErrFederationSize

	// ErrNoDeposit indicates a transaction with no 'D' payload for this
	// sidechain: it is not a deposit at all.
	ErrNoDeposit

	// ErrManyDeposits indicates a transaction with more than one 'D'
	// payload for this sidechain, or with one next to other OP_RETURN
	// outputs; standard transactions carry one OP_RETURN.
	ErrManyDeposits

	// ErrBadDepositVout indicates a 'D' payload whose deposit vout names
	// no output of the transaction, or names an OP_RETURN output.
	ErrBadDepositVout

	// ErrNotPegbox indicates a deposit whose output pays neither the
	// current pegbox nor one still in its grace period.
	ErrNotPegbox

	// ErrDepositDust indicates a deposit below the sidechain's dust limit.
	ErrDepositDust

	// ErrBadSideScript indicates a deposit whose sidechain script is one
	// the sidechain cannot spend from: an OP_RETURN or a script that does
	// not parse.
	ErrBadSideScript

	// ErrNoWithdrawals indicates a payout asked for a sideblock without
	// withdrawals: it needs none.
	ErrNoWithdrawals

	// ErrPayoutDust indicates a withdrawal whose value less its fee
	// budget is below the dust limit, which no payout can pay.
	ErrPayoutDust

	// ErrPegboxShort indicates pegbox coins that cannot pay a payout and
	// leave a change of zero or at least dust.
	ErrPegboxShort

	// ErrNotPegboxCoin indicates a spend to sign with an input that is no
	// coin of the signing federation's pegbox.
	ErrNotPegboxCoin

	// ErrOtherSpend indicates signatures of another transaction than the
	// one being signed: a member that built a different payout, or
	// signatures replayed from another spend.
	ErrOtherSpend

	// ErrNotMember indicates a signature by a key outside the federation.
	ErrNotMember

	// ErrBadSignature indicates a signature that does not verify for its
	// input, or that signs with another sighash type than SIGHASH_ALL.
	ErrBadSignature

	// ErrTooShallow indicates a sideblock whose withdrawals may not be
	// paid yet: fewer than SideWithdrawalDepth sideblocks deep, or
	// published fewer than WithdrawalConfirmations mainchain blocks ago.
	ErrTooShallow

	// ErrRateLimited indicates a payout that would take the payouts of
	// the last PegRatePeriod mainchain blocks above PegRateLimit.
	ErrRateLimited

	// ErrNothingToRotate indicates a rotation of coins that are already
	// the current pegbox's, of no coins, or of coins worth no more than
	// the rotation's fee plus dust.
	ErrNothingToRotate

	// ErrDepositSpendsPegbox indicates a deposit whose transaction spends
	// pegbox coins: only the federation can sign such a transaction, and
	// a deposit must bring coins into the pegbox, not move coins already
	// in it. It is refused, and the spend is unexplained.
	ErrDepositSpendsPegbox

	// ErrSpendNoPayload indicates a spend of pegbox coins that carries no
	// payload of this sidechain, or one that is neither 'W' nor 'R' nor
	// 'D'.
	ErrSpendNoPayload

	// ErrPayoutUnknownBlock indicates a 'W' spend naming a sideblock that
	// is not on the best sidechain, or that has no withdrawals.
	ErrPayoutUnknownBlock

	// ErrPayoutRepeat indicates a 'W' spend of a sideblock that an earlier
	// mainchain transaction already paid.
	ErrPayoutRepeat

	// ErrPayoutMismatch indicates a 'W' spend whose outputs do not pay
	// exactly the named sideblock's withdrawals, with at most one change
	// output to a pegbox (withdraw.VerifyPayout).
	ErrPayoutMismatch

	// ErrSpendFee indicates a payout or rotation paying a larger fee than
	// its rules allow at any bump level: for a payout, the withdrawals'
	// fee budgets plus PegMaxBumpFee; for a rotation, PegRotationFeeRate
	// times its virtual size plus PegMaxBumpFee.
	ErrSpendFee

	// ErrBadRotation indicates an 'R' spend that is not a rotation: it
	// names an epoch with no federation or a future one, does not pay
	// exactly that epoch's pegbox in output 1 after the payload in output
	// 0, or moves coins that already are that pegbox's.
	ErrBadRotation

	// numErrorCodes is the number of error codes defined above; tests use
	// it to check that every code has a name.
	numErrorCodes
)

var errorCodeStrings = map[ErrorCode]string{
	ErrNoStakers:       "ErrNoStakers",
	ErrFederationSize:  "ErrFederationSize",
	ErrNoDeposit:       "ErrNoDeposit",
	ErrManyDeposits:    "ErrManyDeposits",
	ErrBadDepositVout:  "ErrBadDepositVout",
	ErrNotPegbox:       "ErrNotPegbox",
	ErrDepositDust:     "ErrDepositDust",
	ErrBadSideScript:   "ErrBadSideScript",
	ErrNoWithdrawals:   "ErrNoWithdrawals",
	ErrPayoutDust:      "ErrPayoutDust",
	ErrPegboxShort:     "ErrPegboxShort",
	ErrNotPegboxCoin:   "ErrNotPegboxCoin",
	ErrOtherSpend:      "ErrOtherSpend",
	ErrNotMember:       "ErrNotMember",
	ErrBadSignature:    "ErrBadSignature",
	ErrTooShallow:      "ErrTooShallow",
	ErrRateLimited:     "ErrRateLimited",
	ErrNothingToRotate: "ErrNothingToRotate",

	ErrDepositSpendsPegbox: "ErrDepositSpendsPegbox",
	ErrSpendNoPayload:      "ErrSpendNoPayload",
	ErrPayoutUnknownBlock:  "ErrPayoutUnknownBlock",
	ErrPayoutRepeat:        "ErrPayoutRepeat",
	ErrPayoutMismatch:      "ErrPayoutMismatch",
	ErrSpendFee:            "ErrSpendFee",
	ErrBadRotation:         "ErrBadRotation",
}

// String returns the code's name.
func (e ErrorCode) String() string {
	if s, ok := errorCodeStrings[e]; ok {
		return s
	}
	return fmt.Sprintf("Unknown ErrorCode (%d)", int(e))
}

// Error lets a bare ErrorCode be used as an error target of errors.Is.
func (e ErrorCode) Error() string { return e.String() }

// RuleError is a broken pegbox rule, with a code and a description.
type RuleError struct {
	ErrorCode   ErrorCode
	Description string
}

// Error satisfies the error interface.
func (e *RuleError) Error() string { return e.Description }

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

// IsErrorCode reports whether err is, or wraps, a *RuleError with code c.
func IsErrorCode(err error, c ErrorCode) bool {
	return errors.Is(err, c)
}
