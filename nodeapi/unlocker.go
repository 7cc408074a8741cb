package nodeapi

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/wallet"
)

// The wallet's creation and unlocking while the node runs, as lnd's
// WalletUnlocker does: a node started with --wallet.waitunlock and no
// password file serves, before anything else, an API that answers only
// CreateWallet and UnlockWallet (api.Config.WaitingForWallet), with an
// Unlocker for its backend. The first passphrase that opens the seed file
// (or creates it) is handed to the node, which then starts as with a
// password file.

var errNotWaiting = api.Errorf(api.ErrFailedPrecondition, "the node is not waiting "+
	"for its wallet: it unlocks it at start-up (--wallet.unlockpasswordfile), "+
	"or waits for sidecli unlock when started with --wallet.waitunlock")

// CreateWallet implements api.WalletBackend: a running node's wallet is
// created at start-up.
func (b *Adapter) CreateWallet(context.Context, []byte, []string) (string, *api.SeedBackup, error) {
	return "", nil, errNotWaiting
}

// UnlockWallet implements api.WalletBackend: a running node's wallet is
// unlocked at start-up.
func (b *Adapter) UnlockWallet(context.Context, []byte) (string, error) {
	return "", errNotWaiting
}

// Unlocker is the backend of the API a node serves while it waits for its
// wallet. Only CreateWallet and UnlockWallet are called (the server's
// WaitingForWallet gate refuses every other method before it reaches the
// backend); the embedded api.Backend is nil.
type Unlocker struct {
	api.Backend

	seedFile string
	kdf      wallet.KDF

	mu   sync.Mutex
	done chan []byte // the passphrase, once
	sent bool
}

// NewUnlocker returns an Unlocker of the seed file seedFile; new seeds are
// sealed with kdf.
func NewUnlocker(seedFile string, kdf wallet.KDF) *Unlocker {
	return &Unlocker{seedFile: seedFile, kdf: kdf, done: make(chan []byte, 1)}
}

// Passphrase delivers the passphrase that opened or created the wallet.
func (u *Unlocker) Passphrase() <-chan []byte { return u.done }

// deliver hands pass to the node, once.
func (u *Unlocker) deliver(pass []byte) error {
	if u.sent {
		return api.Errorf(api.ErrFailedPrecondition, "the wallet is already unlocked: the node is starting")
	}
	u.sent = true
	u.done <- append([]byte(nil), pass...)
	return nil
}

// CreateWallet implements api.WalletBackend: a new wallet, or with
// mnemonic the wallet of those words. Words that are not a wallet's
// backup are refused before anything is written.
func (u *Unlocker) CreateWallet(_ context.Context, pass []byte, mnemonic []string) (string, *api.SeedBackup, error) {
	var entropy []byte
	if len(mnemonic) > 0 {
		var err error
		if entropy, err = wallet.ParseMnemonic(strings.Join(mnemonic, " ")); err != nil {
			return "", nil, api.Errorf(api.ErrInvalidArgument, "mnemonic: %v", err)
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.sent {
		return "", nil, api.Errorf(api.ErrFailedPrecondition, "the wallet is already unlocked: the node is starting")
	}
	if _, err := os.Stat(u.seedFile); err == nil {
		return "", nil, api.Errorf(api.ErrFailedPrecondition, "a wallet exists (%s): "+
			"unlock it with sidecli unlock", u.seedFile)
	}
	seed, err := wallet.CreateSeed(u.seedFile, pass, entropy, u.kdf)
	if err != nil {
		return "", nil, err
	}
	if entropy != nil {
		log.Infof("Restored a wallet from its %d words in %s", wallet.MnemonicWords, u.seedFile)
	} else {
		log.Infof("Created a new wallet in %s", u.seedFile)
	}
	return u.seedFile, seedBackup(seed), u.deliver(pass)
}

// UnlockWallet implements api.WalletBackend.
func (u *Unlocker) UnlockWallet(_ context.Context, pass []byte) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.sent {
		return "", api.Errorf(api.ErrFailedPrecondition, "the wallet is already unlocked: the node is starting")
	}
	_, err := wallet.OpenSeed(u.seedFile, pass)
	switch {
	case errors.Is(err, wallet.ErrNoSeed):
		return "", api.Errorf(api.ErrFailedPrecondition, "no wallet yet in %s: "+
			"create one with sidecli create", u.seedFile)
	case errors.Is(err, wallet.ErrWrongPassphrase):
		return "", api.Errorf(api.ErrInvalidArgument, "passphrase: wrong wallet passphrase")
	case err != nil:
		return "", err
	}
	log.Infof("Wallet unlocked through the API")
	return u.seedFile, u.deliver(pass)
}
