package nodeapi

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bip39 "github.com/tyler-smith/go-bip39"

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
	got, seed, err := u.CreateWallet(ctx, []byte("pass"), nil)
	if err != nil || got != file || len(seed.Seed) != 64 || len(seed.Mnemonic) != wallet.MnemonicWords || seed.Legacy {
		t.Fatalf("create: %s %+v %v", got, seed, err)
	}
	if pass := <-u.Passphrase(); string(pass) != "pass" {
		t.Fatalf("delivered %q", pass)
	}
	_, err = u.UnlockWallet(ctx, []byte("pass"))
	wantAPICode(t, "a second unlock", err, api.ErrFailedPrecondition)

	// The next start: a wallet exists.
	u = NewUnlocker(file, kdf)
	_, _, err = u.CreateWallet(ctx, []byte("other"), nil)
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
	if err != nil || string(opened.BIP32()) != string(seed.Seed) {
		t.Fatalf("the created seed: %+v %v", opened, err)
	}

	// A running node's adapter is not waiting.
	b := New(Env{})
	_, err = b.UnlockWallet(ctx, []byte("pass"))
	wantAPICode(t, "unlock of a running node", err, api.ErrFailedPrecondition)
	_, _, err = b.CreateWallet(ctx, []byte("pass"), seed.Mnemonic)
	wantAPICode(t, "create on a running node", err, api.ErrFailedPrecondition)
}

// TestUnlockerRestore: a wallet restored from the words of another has its
// keys; words that are not a wallet's backup are refused with
// InvalidArgument and leave no seed file.
func TestUnlockerRestore(t *testing.T) {
	ctx := context.Background()
	kdf := wallet.KDF{N: 16, R: 8, P: 1}
	dir := t.TempDir()
	orig, err := wallet.CreateSeed(filepath.Join(dir, "orig.seed"), []byte("p"), nil, kdf)
	if err != nil {
		t.Fatal(err)
	}
	words := orig.Mnemonic()
	file := filepath.Join(dir, "wallet.seed")
	u := NewUnlocker(file, kdf)
	bad := func(i int, w string) []string {
		c := append([]string(nil), words...)
		c[i] = w
		return c
	}
	for name, mnemonic := range map[string][]string{
		"23 words":     words[:23],
		"unknown word": bad(6, "foo"),
		"spanish word": bad(0, "ábaco"),
		"checksum":     badChecksum(t, words),
	} {
		_, _, err := u.CreateWallet(ctx, []byte("pass"), mnemonic)
		wantAPICode(t, name, err, api.ErrInvalidArgument)
		if err == nil || !strings.HasPrefix(err.Error(), "mnemonic: ") {
			t.Errorf("%s: %v does not name the field", name, err)
		}
		if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s: a seed file was written (%v)", name, err)
		}
	}
	// One entry of space-separated words, as a REST caller may send them.
	got, backup, err := u.CreateWallet(ctx, []byte("pass"), []string{strings.Join(words, " ")})
	if err != nil || got != file {
		t.Fatalf("restore: %s %v", got, err)
	}
	if string(backup.Seed) != string(orig.BIP32()) {
		t.Fatal("the restored wallet has another seed")
	}
	restored, err := wallet.OpenSeed(file, []byte("pass"))
	if err != nil || string(restored.BIP32()) != string(orig.BIP32()) ||
		strings.Join(restored.Mnemonic(), " ") != strings.Join(words, " ") {
		t.Fatalf("the restored seed file: %v", err)
	}
	if pass := <-u.Passphrase(); string(pass) != "pass" {
		t.Fatalf("delivered %q", pass)
	}
}

// badChecksum returns the words rotated so that their BIP39 checksum
// fails: a rotation keeps every word valid, and one in 256 still passes
// the checksum, so the first rotation that fails is taken.
func badChecksum(t *testing.T, words []string) []string {
	t.Helper()
	for k := 1; k < len(words); k++ {
		c := append(append([]string(nil), words[k:]...), words[:k]...)
		if !bip39.IsMnemonicValid(strings.Join(c, " ")) {
			return c
		}
	}
	t.Fatal("every rotation of the words passes the checksum")
	return nil
}
