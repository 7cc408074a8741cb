package nodeapi

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/wallet"
)

func TestUnlocker(t *testing.T) {
	ctx := context.Background()
	kdf := wallet.KDF{N: 16, R: 8, P: 1}
	file := filepath.Join(t.TempDir(), "wallet.seed")

	u := NewUnlocker(file, kdf)
	_, err := u.UnlockWallet(ctx, []byte("pass"))
	wantAPICode(t, "unlock without a wallet", err, api.ErrFailedPrecondition)
	got, seed, err := u.CreateWallet(ctx, []byte("pass"))
	if err != nil || got != file || len(seed) != 32 {
		t.Fatalf("create: %s %x %v", got, seed, err)
	}
	if pass := <-u.Passphrase(); string(pass) != "pass" {
		t.Fatalf("delivered %q", pass)
	}
	_, err = u.UnlockWallet(ctx, []byte("pass"))
	wantAPICode(t, "a second unlock", err, api.ErrFailedPrecondition)

	// The next start: a wallet exists.
	u = NewUnlocker(file, kdf)
	_, _, err = u.CreateWallet(ctx, []byte("other"))
	wantAPICode(t, "create over a wallet", err, api.ErrFailedPrecondition)
	_, err = u.UnlockWallet(ctx, []byte("wrong"))
	wantAPICode(t, "wrong passphrase", err, api.ErrInvalidArgument)
	if _, err := u.UnlockWallet(ctx, []byte("pass")); err != nil {
		t.Fatal(err)
	}
	if pass := <-u.Passphrase(); string(pass) != "pass" {
		t.Fatalf("delivered %q", pass)
	}
	opened, err := wallet.OpenSeed(file, []byte("pass"))
	if err != nil || string(opened) != string(seed) {
		t.Fatalf("the created seed: %x %v", opened, err)
	}

	// A running node's adapter is not waiting.
	b := New(Env{})
	_, err = b.UnlockWallet(ctx, []byte("pass"))
	wantAPICode(t, "unlock of a running node", err, api.ErrFailedPrecondition)
}
