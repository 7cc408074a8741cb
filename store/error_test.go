package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestErrorCodeStringer keeps errorCodeStrings complete: every code has a
// name.
func TestErrorCodeStringer(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if strings.HasPrefix(c.String(), "Unknown") {
			t.Errorf("error code %d has no entry in errorCodeStrings",
				int(c))
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

// TestErrorIsAs checks that callers can match codes through wrapping with
// both errors.As and errors.Is.
func TestErrorIsAs(t *testing.T) {
	base := errors.New("disk on fire")
	err := fmt.Errorf("outer: %w", wrapError(ErrDatabase, "commit", base))

	var serr *Error
	if !errors.As(err, &serr) || serr.Code != ErrDatabase {
		t.Fatalf("errors.As: got %v", serr)
	}
	if !errors.Is(err, ErrDatabase) {
		t.Fatal("errors.Is(err, ErrDatabase) = false")
	}
	if errors.Is(err, ErrCorrupt) {
		t.Fatal("errors.Is(err, ErrCorrupt) = true")
	}
	if !errors.Is(err, &Error{Code: ErrDatabase}) {
		t.Fatal("errors.Is(err, &Error{ErrDatabase}) = false")
	}
	if !errors.Is(err, base) {
		t.Fatal("underlying error not reachable through Unwrap")
	}
	if !IsErrorCode(err, ErrDatabase) || IsErrorCode(nil, ErrDatabase) {
		t.Fatal("IsErrorCode")
	}
}
