package wallet

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"golang.org/x/crypto/nacl/secretbox"
	"golang.org/x/crypto/scrypt"
)

// seedFileVersion is the format version of the seed file.
const seedFileVersion = 1

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
	Sealed  []byte `json:"sealed_seed"`
}

func deriveKey(pass, salt []byte, kdf KDF) (*[32]byte, error) {
	k, err := scrypt.Key(pass, salt, kdf.N, kdf.R, kdf.P, 32)
	if err != nil {
		return nil, err
	}
	var key [32]byte
	copy(key[:], k)
	return &key, nil
}

// CreateSeed writes a new seed file at path, sealed under pass. A nil seed
// draws a new random one. It refuses to overwrite an existing file.
func CreateSeed(path string, pass, seed []byte, kdf KDF) error {
	if len(pass) == 0 {
		return errors.New("the wallet passphrase must not be empty")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("wallet seed %s already exists", path)
	}
	if seed == nil {
		var err error
		seed, err = hdkeychain.GenerateSeed(hdkeychain.RecommendedSeedLen)
		if err != nil {
			return err
		}
	}
	if len(seed) < hdkeychain.MinSeedBytes || len(seed) > hdkeychain.MaxSeedBytes {
		return fmt.Errorf("seed of %d bytes", len(seed))
	}
	data, err := sealSeed(pass, seed, kdf)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data, 0o600)
}

// sealSeed returns the seed file's contents: seed sealed under pass.
func sealSeed(pass, seed []byte, kdf KDF) ([]byte, error) {
	f := seedFile{Version: seedFileVersion, N: kdf.N, R: kdf.R, P: kdf.P,
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
	f.Sealed = secretbox.Seal(nil, seed, &nonce, key)
	return json.MarshalIndent(&f, "", "  ")
}

// ChangePassphrase seals the seed file at path again under next, with a
// new salt and nonce, given the current passphrase (ErrWrongPassphrase
// otherwise). The file is replaced atomically: a crash leaves the old file
// or the new one.
func ChangePassphrase(path string, current, next []byte, kdf KDF) error {
	if len(next) == 0 {
		return errors.New("the new wallet passphrase must not be empty")
	}
	seed, err := OpenSeed(path, current)
	if err != nil {
		return err
	}
	data, err := sealSeed(next, seed, kdf)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data, 0o600)
}

// OpenSeed reads the seed file at path and unseals it with pass.
func OpenSeed(path string, pass []byte) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoSeed
	}
	if err != nil {
		return nil, err
	}
	var f seedFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("wallet seed %s is corrupt: %w", path, err)
	}
	if f.Version != seedFileVersion {
		return nil, fmt.Errorf("wallet seed %s has version %d, this node reads %d",
			path, f.Version, seedFileVersion)
	}
	if len(f.Nonce) != 24 || len(f.Salt) == 0 || f.N <= 1 || f.R <= 0 || f.P <= 0 ||
		f.N > 1<<22 || f.R*f.P >= 1<<20 {
		return nil, fmt.Errorf("wallet seed %s is corrupt: bad parameters", path)
	}
	key, err := deriveKey(pass, f.Salt, KDF{N: f.N, R: f.R, P: f.P})
	if err != nil {
		return nil, fmt.Errorf("wallet seed %s: %w", path, err)
	}
	var nonce [24]byte
	copy(nonce[:], f.Nonce)
	seed, ok := secretbox.Open(nil, f.Sealed, &nonce, key)
	if !ok {
		return nil, ErrWrongPassphrase
	}
	return seed, nil
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
