package mainstake

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mainstake/sidenode/opreturn"
)

func requireCode(t testing.TB, err error, code ErrorCode) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", code)
	}
	var rerr *RuleError
	if !errors.As(err, &rerr) {
		t.Fatalf("got %T %v, want *RuleError %v", err, err, code)
	}
	if rerr.ErrorCode != code {
		t.Fatalf("got %v (%v), want %v", rerr.ErrorCode, err, code)
	}
}

// TestErrorCodeStringer keeps errorCodeStrings complete.
func TestErrorCodeStringer(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if strings.HasPrefix(c.String(), "Unknown") {
			t.Errorf("error code %d has no name", int(c))
		}
	}
	if len(errorCodeStrings) != int(numErrorCodes) {
		t.Errorf("errorCodeStrings has %d entries, want %d",
			len(errorCodeStrings), numErrorCodes)
	}
	if s := numErrorCodes.String(); !strings.HasPrefix(s, "Unknown") {
		t.Errorf("numErrorCodes.String() = %q", s)
	}
}

func TestErrorIsAs(t *testing.T) {
	inner := &opreturn.RuleError{ErrorCode: opreturn.ErrWrongSidechain}
	err := fmt.Errorf("outer: %w", wrapError(ErrNoPayload, "x", inner))
	if !errors.Is(err, ErrNoPayload) || errors.Is(err, ErrWrongKind) {
		t.Fatal("errors.Is by code")
	}
	if !errors.Is(err, &RuleError{ErrorCode: ErrNoPayload}) {
		t.Fatal("errors.Is by *RuleError")
	}
	if !errors.Is(err, opreturn.ErrWrongSidechain) ||
		errors.Is(err, opreturn.ErrBadMagic) {

		t.Fatal("the wrapped opreturn code is not reachable")
	}
	if !IsErrorCode(err, ErrNoPayload) || IsErrorCode(nil, ErrNoPayload) {
		t.Fatal("IsErrorCode")
	}
	if !strings.Contains(err.Error(), inner.Error()) {
		t.Fatal("message does not include the wrapped error")
	}
}
