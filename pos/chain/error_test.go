package chain

import (
	"errors"
	"testing"
)

// TestErrorCodes checks that every code has a name and that RuleError
// matches its code through errors.Is and IsErrorCode.
func TestErrorCodes(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if _, ok := errorCodeStrings[c]; !ok {
			t.Errorf("code %d has no name", int(c))
		}
		err := error(wrapRule(c, errors.New("leaf"), "x"))
		if !errors.Is(err, c) || !IsErrorCode(err, c) {
			t.Errorf("%v does not match its code", c)
		}
	}
}
