package pegbox

import (
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
