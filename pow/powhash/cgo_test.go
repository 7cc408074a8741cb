//go:build cgo

package powhash

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestBuildWithoutCgo builds and tests this package with CGO_ENABLED=0
// (nocgo_test.go): it must build, verify SHA-256d and refuse RandomX.
func TestBuildWithoutCgo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool in PATH")
	}
	cmd := exec.Command(goTool, "test", "-count=1", "-run", "TestNoCgo", "-v", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("CGO_ENABLED=0 go test: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestNoCgo") {
		t.Fatalf("CGO_ENABLED=0 go test ran no TestNoCgo:\n%s", out)
	}
	t.Logf("%s", out)
}
