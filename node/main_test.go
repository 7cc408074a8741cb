package node

import (
	"os"
	"testing"
)

// TestMain keeps the node's loggers quiet in tests: Run wires them to
// standard output, which would bury the test report.
func TestMain(m *testing.M) {
	// The signal test's child process reports through its log.
	if os.Getenv(interruptChildEnv) == "" {
		if err := SetLogLevels("off"); err != nil {
			panic(err)
		}
	}
	code := m.Run()
	for _, f := range AfterTests {
		f()
	}
	os.Exit(code)
}

// AfterTests run when every test of the package has ended: the external
// tests remove the sidenode binary they built with it.
var AfterTests []func()
