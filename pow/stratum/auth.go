package stratum

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
)

// WorkerAuth is the server's Authorizer: a worker name binds to a
// sidechain payout address in one of two ways.
//
//   - A configured worker: Workers maps a name to its address and an
//     optional password. The name is matched whole first, then by its part
//     before the first dot ("rig" matches "rig.1"). A worker with a
//     password is refused without it.
//   - An address worker, when AllowAddressWorkers is set: the name is
//     "<address>" or "<address>.<worker>", and the address, checked with
//     DecodeAddress, is the payout. Any password is accepted.
//
// A name that is neither is refused.
type WorkerAuth struct {
	// DecodeAddress turns a sidechain address into the script that pays
	// it, or refuses it.
	DecodeAddress func(address string) ([]byte, error)

	// Workers are the configured workers, by name.
	Workers map[string]WorkerEntry

	// AllowAddressWorkers lets any "<address>.<worker>" mine.
	AllowAddressWorkers bool
}

// WorkerEntry is a configured worker.
type WorkerEntry struct {
	Address  string
	Password string // empty: none
}

// Authorize implements Authorizer.
func (a *WorkerAuth) Authorize(worker, password string) (Payout, error) {
	if a.DecodeAddress == nil {
		return Payout{}, errors.New("no payout address decoder")
	}
	entry, ok := a.Workers[worker]
	if !ok {
		if base, _, cut := strings.Cut(worker, "."); cut {
			entry, ok = a.Workers[base]
		}
	}
	if ok {
		if entry.Password != "" &&
			subtle.ConstantTimeCompare([]byte(entry.Password), []byte(password)) != 1 {
			return Payout{}, errors.New("wrong password")
		}
		script, err := a.DecodeAddress(entry.Address)
		if err != nil {
			return Payout{}, fmt.Errorf("configured payout address: %w", err)
		}
		return Payout{Address: entry.Address, Script: script}, nil
	}
	if !a.AllowAddressWorkers {
		return Payout{}, errors.New("unknown worker")
	}
	address, _, _ := strings.Cut(worker, ".")
	script, err := a.DecodeAddress(address)
	if err != nil {
		return Payout{}, fmt.Errorf("%q is not a payout address: %w", truncate(address, 100), err)
	}
	return Payout{Address: address, Script: script}, nil
}
