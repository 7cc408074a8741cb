package btcdwatch

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mainstake/sidenode/btctest"
)

// TestStartRetriesUntilBtcdIsUp: a btcd that is down when the source starts
// is retried, with the failure in Status, and followed once it is up; it is
// never reported on Fatal.
func TestStartRetriesUntilBtcdIsUp(t *testing.T) {
	h := btctest.NewForTest(t, btctest.Options{})
	cert, err := h.Cert()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Stop(); err != nil {
		t.Fatal(err)
	}
	src, err := New(Config{Host: h.RPCAddr, User: h.RPCUser,
		Pass: h.RPCPass, Cert: cert, Params: h.Params})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Start(); err != nil {
		t.Fatal(err)
	}
	defer src.Stop()

	// The failed attempt shows in Status while btcd is down.
	for src.Status().Err == "" {
		select {
		case err := <-src.Fatal():
			t.Fatalf("a btcd that is down was fatal: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if e := src.Status().Err; !strings.Contains(e, "connect to btcd") {
		t.Fatalf("Status().Err = %q, want the failed connection", e)
	}

	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for {
		_, err := src.Best(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("never connected once btcd was up: %v", err)
		}
		select {
		case err := <-src.Fatal():
			t.Fatalf("fatal: %v", err)
		default:
		}
	}
	select {
	case err := <-src.Fatal():
		t.Fatalf("fatal after connecting: %v", err)
	default:
	}
}

// TestStartWrongPasswordIsFatal: btcd refusing the credentials ends the
// connection attempts with ErrAuth on Fatal.
func TestStartWrongPasswordIsFatal(t *testing.T) {
	h := btctest.NewForTest(t, btctest.Options{})
	cert, err := h.Cert()
	if err != nil {
		t.Fatal(err)
	}
	src, err := New(Config{Host: h.RPCAddr, User: h.RPCUser,
		Pass: "wrong", Cert: cert, Params: h.Params})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Start(); err != nil {
		t.Fatal(err)
	}
	defer src.Stop()
	// The guard only stops a broken source from hanging the suite.
	guard := time.NewTimer(3 * time.Minute)
	defer guard.Stop()
	select {
	case err := <-src.Fatal():
		if !errors.Is(err, ErrAuth) {
			t.Fatalf("Fatal gave %v, want ErrAuth", err)
		}
	case <-guard.C:
		t.Fatal("the refused password is retried instead of reported")
	}
}

// TestRefusalAfterRunningIsReported: a btcd restarted with a new password
// after the source connected is not fatal, but its refusal shows in Status.
func TestRefusalAfterRunningIsReported(t *testing.T) {
	h := btctest.NewForTest(t, btctest.Options{})
	cert, err := h.Cert()
	if err != nil {
		t.Fatal(err)
	}
	src, err := New(Config{Host: h.RPCAddr, User: h.RPCUser,
		Pass: h.RPCPass, Cert: cert, Params: h.Params})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Start(); err != nil {
		t.Fatal(err)
	}
	defer src.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := src.Best(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.Stop(); err != nil {
		t.Fatal(err)
	}
	h.RPCPass = "changed"
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(src.Status().Err, ErrAuth.Error()) {
		select {
		case err := <-src.Fatal():
			t.Fatalf("a refusal after running was fatal: %v", err)
		case <-ctx.Done():
			t.Fatalf("the refusal never showed in Status (Err %q)",
				src.Status().Err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
