package wallet

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
)

// receiveAddress is the first receive address of seed on regtest.
func receiveAddress(t *testing.T, seed []byte) string {
	t.Helper()
	k, err := NewKeyring(seed, &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := k.P2WPKH(KeyRef{Family: Receive})
	if err != nil {
		t.Fatal(err)
	}
	return a.String()
}

// TestBIP39Vector pins the words and the master key of all-zero entropy
// to what BIP39 defines: the words of the entropy, and the BIP32 seed
// PBKDF2-HMAC-SHA512 of the words with salt "mnemonic" (an empty BIP39
// passphrase), 2048 rounds (computed apart from this code, with Python's
// hashlib).
func TestBIP39Vector(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wallet.seed")
	seed, err := CreateSeed(path, []byte("p"), make([]byte, 32), testKDF)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat("abandon ", 23) + "art"
	if got := strings.Join(seed.Mnemonic(), " "); got != want {
		t.Fatalf("words %q, want %q", got, want)
	}
	const bip32Hex = "408b285c123836004f4b8842c89324c1f01382450c0d439af345ba7fc49acf70" +
		"5489c6fc77dbd4e3dc1dd8cc6bc9f043db8ada1e243c4a0eafb290d399480840"
	if got := hex.EncodeToString(seed.BIP32()); got != bip32Hex {
		t.Fatalf("BIP32 seed %s, want %s", got, bip32Hex)
	}
	master, err := hdkeychain.NewMaster(seed.BIP32(), &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	const tprv = "tprv8ZgxMBicQKsPfJXBq9F1b7P3tvhNoDLJFLngRsqHNPcW33CeR6X22vkafaUwrqsnbaT8M8AorU4bj1VteRE64LfcQezb8UiT8wbfKg6ZvSw"
	if master.String() != tprv {
		t.Fatalf("master %s, want %s", master, tprv)
	}
}

// TestMnemonicRestore: the words of a new wallet, typed back, restore a
// wallet with the same keys.
func TestMnemonicRestore(t *testing.T) {
	dir := t.TempDir()
	orig, err := CreateSeed(filepath.Join(dir, "a.seed"), []byte("p"), nil, testKDF)
	if err != nil {
		t.Fatal(err)
	}
	words := orig.Mnemonic()
	if len(words) != MnemonicWords || orig.Legacy() {
		t.Fatalf("a new wallet's words: %q legacy %v", words, orig.Legacy())
	}
	// As backupseed prints them, numbered, and in capitals.
	var typed strings.Builder
	for i, w := range words {
		typed.WriteString(strings.Repeat(" ", i%3) + strconv.Itoa(i+1) + ". " + strings.ToUpper(w) + "\n")
	}
	for _, text := range []string{strings.Join(words, " "), typed.String()} {
		entropy, err := ParseMnemonic(text)
		if err != nil {
			t.Fatalf("ParseMnemonic(%q): %v", text, err)
		}
		restoredPath := filepath.Join(t.TempDir(), "b.seed")
		if _, err := CreateSeed(restoredPath, []byte("other"), entropy, testKDF); err != nil {
			t.Fatal(err)
		}
		restored, err := OpenSeed(restoredPath, []byte("other"))
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(restored.BIP32()) != hex.EncodeToString(orig.BIP32()) ||
			receiveAddress(t, restored.BIP32()) != receiveAddress(t, orig.BIP32()) {
			t.Fatal("the restored wallet derives other keys")
		}
	}
}

// TestLegacySeedFile opens a version 1 seed file written by the node
// before seed files held BIP39 entropy (testdata/seed-v1.json: the seed
// a0 a1 ... bf, passphrase "legacy pass"): it derives the keys it derived
// then, has no words, and keeps its version when its passphrase changes.
func TestLegacySeedFile(t *testing.T) {
	raw, err := os.ReadFile("testdata/seed-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wallet.seed")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	const (
		seedHex = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
		// Derived by the node that wrote the file.
		receive = "bcrt1qppdnlecv77rtuewts6sulwncha0hprf4sh0us3"
		stake   = "bcrt1qxs57mxn4y7jaf3tut385vregzpheepm7dv4qf3"
	)
	check := func(pass string) {
		t.Helper()
		seed, err := OpenSeed(path, []byte(pass))
		if err != nil {
			t.Fatal(err)
		}
		if !seed.Legacy() || seed.Mnemonic() != nil || hex.EncodeToString(seed.BIP32()) != seedHex {
			t.Fatalf("legacy seed: legacy %v words %q seed %x", seed.Legacy(), seed.Mnemonic(), seed.BIP32())
		}
		k, err := NewKeyring(seed.BIP32(), &chaincfg.RegressionNetParams)
		if err != nil {
			t.Fatal(err)
		}
		for ref, want := range map[KeyRef]string{{Family: Receive}: receive, {Family: Stake}: stake} {
			a, _, err := k.P2WPKH(ref)
			if err != nil || a.String() != want {
				t.Fatalf("%v/0: %v %v, want %s", ref.Family, a, err, want)
			}
		}
	}
	check("legacy pass")
	if err := ChangePassphrase(path, []byte("legacy pass"), []byte("new"), testKDF); err != nil {
		t.Fatal(err)
	}
	check("new")
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), `"version": 1`) {
		t.Fatalf("a changed passphrase changed the version:\n%s", b)
	}
}

// TestSeedFileVersions: a file of an unknown version, or whose secret has
// the wrong length for its version, is refused.
func TestSeedFileVersions(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		version int
		secret  []byte
		want    string
	}{
		{3, make([]byte, 32), "has version 3, this node reads 1 and 2"},
		{seedVersionBIP39, make([]byte, 16), "a secret of 16 bytes in a version 2 file"},
		{seedVersionLegacy, make([]byte, 8), "a secret of 8 bytes in a version 1 file"},
	} {
		data, err := sealSeed([]byte("p"), tc.version, tc.secret, testKDF)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "v.seed")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenSeed(path, []byte("p")); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("version %d, %d bytes: %v, want %q", tc.version, len(tc.secret), err, tc.want)
		}
	}
}

// validWords are the words of entropy 0x01 0x02 ... 0x20.
func validWords(t testing.TB) []string {
	entropy := make([]byte, 32)
	for i := range entropy {
		entropy[i] = byte(i + 1)
	}
	words, err := MnemonicFromEntropy(entropy)
	if err != nil {
		t.Fatal(err)
	}
	return words
}

// TestParseMnemonicErrors checks the code and the word each bad list is
// refused with.
func TestParseMnemonicErrors(t *testing.T) {
	words := validWords(t)
	with := func(i int, w string) string {
		c := append([]string(nil), words...)
		c[i] = w
		return strings.Join(c, " ")
	}
	swapped := append([]string(nil), words...)
	swapped[3], swapped[4] = swapped[4], swapped[3]
	for _, tc := range []struct {
		name     string
		text     string
		code     MnemonicCode
		position int
		word     string
	}{
		{"empty", "", MnemonicWordCount, 0, ""},
		{"numbers only", "1. 2. 3.", MnemonicWordCount, 0, ""},
		{"23 words", strings.Join(words[:23], " "), MnemonicWordCount, 0, ""},
		{"25 words", strings.Join(append(words, "abandon"), " "), MnemonicWordCount, 0, ""},
		{"12 valid words", strings.Repeat("abandon ", 11) + "about", MnemonicWordCount, 0, ""},
		{"unknown word", with(6, "foo"), MnemonicUnknownWord, 7, "foo"},
		{"misspelt", with(0, "abandn"), MnemonicUnknownWord, 1, "abandn"},
		{"spanish", with(2, "ábaco"), MnemonicOtherLanguage, 3, "ábaco"},
		{"spanish decomposed", with(2, "a\u0301baco"), MnemonicOtherLanguage, 3, "a\u0301baco"},
		{"french", with(23, "abeille"), MnemonicOtherLanguage, 24, "abeille"},
		{"japanese", with(9, "あいこくしん"), MnemonicOtherLanguage, 10, "あいこくしん"},
		{"checksum", with(23, "zoo"), MnemonicChecksum, 0, ""},
		{"out of order", strings.Join(swapped, " "), MnemonicChecksum, 0, ""},
	} {
		_, err := ParseMnemonic(tc.text)
		var me *MnemonicError
		if !errors.As(err, &me) || !errors.Is(err, ErrMnemonic) {
			t.Errorf("%s: %v, want a *MnemonicError", tc.name, err)
			continue
		}
		if me.Code != tc.code || me.Position != tc.position || me.Word != tc.word {
			t.Errorf("%s: %v (word %d %q), want %v (word %d %q)", tc.name, me.Code,
				me.Position, me.Word, tc.code, tc.position, tc.word)
		}
	}
	// The suggestion of a misspelt word.
	_, err := ParseMnemonic(with(0, "abandn"))
	var me *MnemonicError
	if errors.As(err, &me); me == nil || me.Suggestion != "abandon" {
		t.Errorf("suggestion for abandn: %v", err)
	}
	if _, err := ParseMnemonic(strings.Join(words, "\t\n ")); err != nil {
		t.Errorf("valid words separated by white space: %v", err)
	}
}
