//go:build unix

package node

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestWithInterruptCancels(t *testing.T) {
	ctx, stop := WithInterrupt(context.Background())
	defer stop()

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("context not cancelled by SIGTERM")
	}
}

func TestWithInterruptStop(t *testing.T) {
	ctx, stop := WithInterrupt(context.Background())
	stop()
	stop() // stopping twice is harmless

	if ctx.Err() == nil {
		t.Fatal("stop did not cancel the context")
	}
}

// interruptChildEnv makes the test binary act as the child of
// TestWithInterruptSecondSignalExits.
const interruptChildEnv = "SIDENODE_TEST_INTERRUPT_CHILD"

func TestWithInterruptSecondSignalExits(t *testing.T) {
	if os.Getenv(interruptChildEnv) != "" {
		// The child: wait for the first signal, then hang as a
		// shutdown that never ends would.
		ctx, stop := WithInterrupt(context.Background())
		defer stop()
		os.Stdout.WriteString("ready\n")
		<-ctx.Done()
		time.Sleep(30 * time.Second)
		os.Exit(2)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestWithInterruptSecondSignalExits$")
	cmd.Env = append(os.Environ(), interruptChildEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	// waitFor reads the child's output up to a line containing text.
	lines := bufio.NewScanner(stdout)
	waitFor := func(text string) {
		t.Helper()
		for lines.Scan() {
			if strings.Contains(lines.Text(), text) {
				return
			}
		}
		t.Fatalf("child ended before printing %q", text)
	}

	waitFor("ready")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	waitFor("shutting down")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}

	err = cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
		t.Fatalf("child ended with %v, want exit status 1", err)
	}
}
