package chain

import (
	"encoding/binary"

	"github.com/mainstake/sidenode/pos/bls"
	"github.com/mainstake/sidenode/pos/registry"
	"github.com/mainstake/sidenode/pos/slashing"
)

// MaxVoluntaryExits is the most exits a block may carry
// (MAX_VOLUNTARY_EXITS).
const MaxVoluntaryExits = 16

// DomainVoluntaryExit is DOMAIN_VOLUNTARY_EXIT.
var DomainVoluntaryExit = slashing.DomainType{4, 0, 0, 0}

// exitSize is the encoded size of a SignedExit.
const exitSize = 8 + 8 + slashing.SignatureSize

// SignedExit is a validator's request to leave, valid from Epoch on,
// signed with its key.
type SignedExit struct {
	Epoch          uint64
	ValidatorIndex uint64
	Signature      [slashing.SignatureSize]byte
}

// ExitMessage is what a validator signs to exit: the signing root, under
// the exit domain, of the hash tree root of VoluntaryExit(epoch, index).
func (c *Config) ExitMessage(epoch, index uint64) Root {
	var idx Root
	binary.LittleEndian.PutUint64(idx[:], index)
	// A container of two uint64 chunks hashes as a checkpoint whose
	// root is the second chunk.
	cp := slashing.Checkpoint{Epoch: epoch, Root: idx}
	return slashing.SigningRoot(cp.HashTreeRoot(), c.ExitDomain)
}

// NewExit returns validator index's exit at epoch, signed with key.
func (c *Config) NewExit(epoch, index uint64, key *bls.SecretKey) SignedExit {
	return SignedExit{Epoch: epoch, ValidatorIndex: index, Signature: sign(key, c.ExitMessage(epoch, index))}
}

func appendExit(b []byte, e *SignedExit) []byte {
	b = binary.BigEndian.AppendUint64(b, e.Epoch)
	b = binary.BigEndian.AppendUint64(b, e.ValidatorIndex)
	return append(b, e.Signature[:]...)
}

func readExit(b []byte) SignedExit {
	e := SignedExit{Epoch: binary.BigEndian.Uint64(b), ValidatorIndex: binary.BigEndian.Uint64(b[8:])}
	copy(e.Signature[:], b[16:])
	return e
}

// processExit is process_voluntary_exit: the exit's epoch has come
// (ErrBadExit), the validator exists and its signature verifies
// (ErrBadExit), and pos/registry exits it through the exit queue (active,
// not exiting yet, active long enough: ErrBadExit wrapping the registry's
// code). Its coins become withdrawable MinValidatorWithdrawabilityDelay
// epochs after its exit epoch.
func processExit(c *Config, s *State, e *SignedExit, verify Verify) error {
	if e.Epoch > c.EpochOf(s.Slot) {
		return ruleErrorf(ErrBadExit, "exit of validator %d for epoch %d, in epoch %d",
			e.ValidatorIndex, e.Epoch, c.EpochOf(s.Slot))
	}
	pk, ok := s.PublicKey(c, e.ValidatorIndex)
	if !ok {
		return ruleErrorf(ErrBadExit, "exit of unknown validator %d", e.ValidatorIndex)
	}
	if verify {
		msg := c.ExitMessage(e.Epoch, e.ValidatorIndex)
		if !verifySig(e.Signature[:], pk, msg[:]) {
			return ruleErrorf(ErrBadExit, "exit signature does not verify for validator %d", e.ValidatorIndex)
		}
	}
	if err := registry.VoluntaryExit(&c.Registry, s.Registry, e.ValidatorIndex); err != nil {
		return wrapRule(ErrBadExit, err, "exit of validator %d", e.ValidatorIndex)
	}
	return nil
}
