package wallet

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/tyler-smith/go-bip39"
	"golang.org/x/crypto/nacl/secretbox"
	"golang.org/x/crypto/scrypt"
)

// The seed file's format versions. A version 1 file holds a BIP32 seed of
// 16 to 64 bytes, from which hdkeychain.NewMaster derives the master key;
// this node writes them no longer, but opens them and derives the same
// keys. A version 2 file holds 32 bytes of BIP39 entropy: its backup is
// the 24 English words of that entropy, and the BIP32 seed is BIP39's
// (PBKDF2 of the words, with an empty BIP39 passphrase).
const (
	seedVersionLegacy = 1
	seedVersionBIP39  = 2
)

// KDF holds scrypt's cost parameters.
type KDF struct {
	N, R, P int
}

// DefaultKDF costs about 100 ms on a current core.
var DefaultKDF = KDF{N: 1 << 15, R: 8, P: 1}

// ErrWrongPassphrase means the passphrase does not open the seed file.
var ErrWrongPassphrase = errors.New("wrong wallet passphrase")

// ErrNoSeed means there is no seed file yet.
var ErrNoSeed = errors.New("no wallet: create one first")

type seedFile struct {
	Version int    `json:"version"`
	N       int    `json:"scrypt_n"`
	R       int    `json:"scrypt_r"`
	P       int    `json:"scrypt_p"`
	Salt    []byte `json:"salt"`
	Nonce   []byte `json:"nonce"`
	// Sealed is the secretbox of the version's secret: the BIP32 seed
	// (version 1) or the BIP39 entropy (version 2).
	Sealed []byte `json:"sealed_seed"`
}

// Seed is the secret of a seed file.
type Seed struct {
	version int
	words   []string // version 2
	bip32   []byte
}

// seedFromEntropy is the Seed of 32 bytes of BIP39 entropy.
func seedFromEntropy(entropy []byte) (*Seed, error) {
	words, err := MnemonicFromEntropy(entropy)
	if err != nil {
		return nil, err
	}
	// The BIP39 passphrase is empty: the words alone restore the wallet,
	// and any BIP39 tool derives the same master key from them. The
	// wallet's passphrase only seals the seed file.
	return &Seed{version: seedVersionBIP39, words: words,
		bip32: bip39.NewSeed(strings.Join(words, " "), "")}, nil
}

// Legacy reports a seed of a version 1 file, which has no words: its
// backup is its BIP32 seed (BIP32).
func (s *Seed) Legacy() bool { return s.version == seedVersionLegacy }

// Mnemonic returns the seed's 24 English BIP39 words, or nil for a legacy
// seed.
func (s *Seed) Mnemonic() []string {
	return append([]string(nil), s.words...)
}

// BIP32 returns the BIP32 seed every key derives from (NewKeyring).
func (s *Seed) BIP32() []byte { return append([]byte(nil), s.bip32...) }

func deriveKey(pass, salt []byte, kdf KDF) (*[32]byte, error) {
	k, err := scrypt.Key(pass, salt, kdf.N, kdf.R, kdf.P, 32)
	if err != nil {
		return nil, err
	}
	var key [32]byte
	copy(key[:], k)
	return &key, nil
}

// CreateSeed writes a new version 2 seed file at path, sealed under pass,
// and returns its seed. A nil entropy draws 256 random bits; otherwise it
// is 32 bytes, as ParseMnemonic returns them from a backup's words. It
// refuses to overwrite an existing file.
func CreateSeed(path string, pass, entropy []byte, kdf KDF) (*Seed, error) {
	if len(pass) == 0 {
		return nil, errors.New("the wallet passphrase must not be empty")
	}
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("wallet seed %s already exists", path)
	}
	if entropy == nil {
		var err error
		if entropy, err = bip39.NewEntropy(8 * entropyLen); err != nil {
			return nil, err
		}
	}
	seed, err := seedFromEntropy(entropy)
	if err != nil {
		return nil, err
	}
	data, err := sealSeed(pass, seedVersionBIP39, entropy, kdf)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(path, data, 0o600); err != nil {
		return nil, err
	}
	return seed, nil
}

// sealSeed returns the contents of a seed file of version that holds
// secret sealed under pass.
func sealSeed(pass []byte, version int, secret []byte, kdf KDF) ([]byte, error) {
	f := seedFile{Version: version, N: kdf.N, R: kdf.R, P: kdf.P,
		Salt: make([]byte, 32), Nonce: make([]byte, 24)}
	if _, err := rand.Read(f.Salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(f.Nonce); err != nil {
		return nil, err
	}
	key, err := deriveKey(pass, f.Salt, kdf)
	if err != nil {
		return nil, err
	}
	var nonce [24]byte
	copy(nonce[:], f.Nonce)
	f.Sealed = secretbox.Seal(nil, secret, &nonce, key)
	return json.MarshalIndent(&f, "", "  ")
}

// ChangePassphrase seals the seed file at path again under next, with a
// new salt and nonce, given the current passphrase (ErrWrongPassphrase
// otherwise). The file keeps its version and secret, so the keys stay the
// same. It is replaced atomically: a crash leaves the old file or the new
// one.
func ChangePassphrase(path string, current, next []byte, kdf KDF) error {
	if len(next) == 0 {
		return errors.New("the new wallet passphrase must not be empty")
	}
	version, secret, err := openSeedFile(path, current)
	if err != nil {
		return err
	}
	data, err := sealSeed(next, version, secret, kdf)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data, 0o600)
}

// OpenSeed reads the seed file at path (version 1 or 2) and unseals it
// with pass.
func OpenSeed(path string, pass []byte) (*Seed, error) {
	version, secret, err := openSeedFile(path, pass)
	if err != nil {
		return nil, err
	}
	if version == seedVersionLegacy {
		return &Seed{version: version, bip32: secret}, nil
	}
	return seedFromEntropy(secret)
}

// openSeedFile reads the seed file at path and returns its version and
// its secret, unsealed with pass.
func openSeedFile(path string, pass []byte) (int, []byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil, ErrNoSeed
	}
	if err != nil {
		return 0, nil, err
	}
	var f seedFile
	if err := json.Unmarshal(data, &f); err != nil {
		return 0, nil, fmt.Errorf("wallet seed %s is corrupt: %w", path, err)
	}
	if f.Version != seedVersionLegacy && f.Version != seedVersionBIP39 {
		return 0, nil, fmt.Errorf("wallet seed %s has version %d, this node reads %d and %d",
			path, f.Version, seedVersionLegacy, seedVersionBIP39)
	}
	if len(f.Nonce) != 24 || len(f.Salt) == 0 || f.N <= 1 || f.R <= 0 || f.P <= 0 ||
		f.N > 1<<22 || f.R*f.P >= 1<<20 {
		return 0, nil, fmt.Errorf("wallet seed %s is corrupt: bad parameters", path)
	}
	key, err := deriveKey(pass, f.Salt, KDF{N: f.N, R: f.R, P: f.P})
	if err != nil {
		return 0, nil, fmt.Errorf("wallet seed %s: %w", path, err)
	}
	var nonce [24]byte
	copy(nonce[:], f.Nonce)
	secret, ok := secretbox.Open(nil, f.Sealed, &nonce, key)
	if !ok {
		return 0, nil, ErrWrongPassphrase
	}
	switch {
	case f.Version == seedVersionLegacy &&
		(len(secret) < hdkeychain.MinSeedBytes || len(secret) > hdkeychain.MaxSeedBytes),
		f.Version == seedVersionBIP39 && len(secret) != entropyLen:
		return 0, nil, fmt.Errorf("wallet seed %s is corrupt: a secret of %d bytes in a version %d file",
			path, len(secret), f.Version)
	}
	return f.Version, secret, nil
}

// ReadPasswordFile reads a passphrase from a file, without its trailing
// newline, for unattended unlocking.
func ReadPasswordFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wallet password file: %w", err)
	}
	for len(data) > 0 && (data[len(data)-1] == '\n' || data[len(data)-1] == '\r') {
		data = data[:len(data)-1]
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("wallet password file %s is empty", path)
	}
	return data, nil
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}
