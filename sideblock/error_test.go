package sideblock

import (
	"errors"
	"fmt"
	"testing"
)

// TestErrorCodeStrings keeps errorCodeStrings complete.
func TestErrorCodeStrings(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if _, ok := errorCodeStrings[c]; !ok {
			t.Errorf("error code %d has no name", int(c))
		}
	}
	if len(errorCodeStrings) != int(numErrorCodes) {
		t.Errorf("%d names for %d codes", len(errorCodeStrings), numErrorCodes)
	}
	if got := numErrorCodes.String(); got != fmt.Sprintf("Unknown ErrorCode (%d)", int(numErrorCodes)) {
		t.Errorf("unknown code prints %q", got)
	}
}

// TestMarksHeaderInvalid checks the classification of codes: everything
// CheckBlockSanity reports before it has matched the body to the header,
// and everything that depends on witnesses, leaves the header alone.
func TestMarksHeaderInvalid(t *testing.T) {
	bodyOnly := []ErrorCode{ErrBadEncoding, ErrNoTransactions,
		ErrBlockTooBig, ErrBadMerkleRoot, ErrDuplicateTx,
		ErrTooManySigOps, ErrScriptValidation, ErrBadUndoData,
		ErrBadWithdrawalProof, ErrUnknownParent,
		ErrDuplicatePublication, ErrBlockNotFound, ErrBodyKnown,
		ErrBodyKnownBad, ErrKnownInvalid, ErrBodyOutOfWindow,
		ErrTooManyStagedBodies, ErrMempoolDuplicate, ErrMempoolConflict,
		ErrMempoolCoinbase, ErrTxTooLarge, ErrMempoolLowFee,
		ErrMempoolFull, numErrorCodes, -1}
	for _, c := range bodyOnly {
		if c.MarksHeaderInvalid() {
			t.Errorf("%v marks the header invalid", c)
		}
	}
	for c := range headerInvalidCodes {
		if c < 0 || c >= numErrorCodes {
			t.Errorf("headerInvalidCodes has unknown code %d", int(c))
		}
	}
	if n := len(headerInvalidCodes) + len(bodyOnly) - 2; n != int(numErrorCodes) {
		t.Errorf("%d codes classified, %d exist", n, numErrorCodes)
	}
}

// TestRuleErrorIs checks errors.Is and errors.As through wrapping.
func TestRuleErrorIs(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", ruleError(ErrDoubleSpend, "x"))
	if !errors.Is(err, ErrDoubleSpend) || !IsErrorCode(err, ErrDoubleSpend) {
		t.Error("errors.Is does not find the code")
	}
	if errors.Is(err, ErrMissingTxOut) {
		t.Error("errors.Is finds another code")
	}
	if !errors.Is(err, RuleError{ErrorCode: ErrDoubleSpend}) {
		t.Error("errors.Is does not match a RuleError target")
	}
	if c, ok := ErrorCodeOf(err); !ok || c != ErrDoubleSpend {
		t.Errorf("ErrorCodeOf = %v, %v", c, ok)
	}
	if _, ok := ErrorCodeOf(errors.New("plain")); ok {
		t.Error("ErrorCodeOf finds a code in a plain error")
	}
	if err.Error() != "wrapped: x" {
		t.Errorf("message %q", err.Error())
	}
}
