package registry

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/mainstake/sidenode/pos/bls"
)

// encodingVersion is the first byte of an encoded State.
const encodingVersion = 1

// fixedValidatorSize is an encoded validator without its script: key,
// script length (2), balance, effective balance, slashed (1), four epochs.
const fixedValidatorSize = bls.PublicKeySize + 2 + 8 + 8 + 1 + 4*8

// Encode is the state's canonical encoding: a version byte (1), the epoch
// and the number of validators as 8-byte big-endian integers, then per
// validator its public key (48 bytes), its withdrawal script's length (2
// bytes, big-endian) and bytes, balance and effective balance (8 bytes
// each), slashed (one byte, 0 or 1), and eligibility, activation, exit and
// withdrawable epochs (8 bytes each). Equal states encode equally.
func (s *State) Encode() []byte {
	n := 1 + 16
	for i := range s.Validators {
		n += fixedValidatorSize + len(s.Validators[i].WithdrawalScript)
	}
	b := make([]byte, 0, n)
	b = append(b, encodingVersion)
	b = binary.BigEndian.AppendUint64(b, s.Epoch)
	b = binary.BigEndian.AppendUint64(b, uint64(len(s.Validators)))
	for i := range s.Validators {
		v := &s.Validators[i]
		b = append(b, v.PublicKey[:]...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(v.WithdrawalScript)))
		b = append(b, v.WithdrawalScript...)
		b = binary.BigEndian.AppendUint64(b, v.Balance)
		b = binary.BigEndian.AppendUint64(b, v.EffectiveBalance)
		if v.Slashed {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		for _, e := range [4]uint64{v.EligibilityEpoch, v.ActivationEpoch, v.ExitEpoch, v.WithdrawableEpoch} {
			b = binary.BigEndian.AppendUint64(b, e)
		}
	}
	return b
}

// Hash is SHA-256 of the canonical encoding.
func (s *State) Hash() [32]byte {
	return sha256.Sum256(s.Encode())
}

// Decode parses an encoding made by Encode. It is strict: another version,
// a truncated or longer input, a validator count the input cannot hold, a
// withdrawal script empty or longer than MaxWithdrawalScriptLen, a slashed
// byte other than 0 or 1, an epoch (other than FarFutureEpoch) at or above
// 2^60, and a public key seen twice are ErrMalformed. Keys are not checked
// against the curve again: they were when deposited.
func Decode(b []byte) (*State, error) {
	if len(b) < 17 || b[0] != encodingVersion {
		return nil, ruleErrorf(ErrMalformed, "state encoding: no version %d "+
			"header", encodingVersion)
	}
	s := &State{Epoch: binary.BigEndian.Uint64(b[1:])}
	if s.Epoch >= maxEpoch {
		return nil, ruleErrorf(ErrMalformed, "state epoch %d out of range", s.Epoch)
	}
	count := binary.BigEndian.Uint64(b[9:])
	b = b[17:]
	if count > uint64(len(b))/(fixedValidatorSize+1) {
		return nil, ruleErrorf(ErrMalformed, "state encoding: %d validators "+
			"cannot fit in %d bytes", count, len(b))
	}
	s.Validators = make([]Validator, count)
	s.byKey = make(map[[bls.PublicKeySize]byte]uint64, count)
	for i := range s.Validators {
		v := &s.Validators[i]
		if len(b) < fixedValidatorSize {
			return nil, ruleErrorf(ErrMalformed, "validator %d truncated", i)
		}
		copy(v.PublicKey[:], b)
		if _, dup := s.byKey[v.PublicKey]; dup {
			return nil, ruleErrorf(ErrMalformed, "validator %d repeats a "+
				"public key", i)
		}
		s.byKey[v.PublicKey] = uint64(i)
		b = b[bls.PublicKeySize:]
		sl := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		if sl == 0 || sl > MaxWithdrawalScriptLen || len(b) < sl+fixedValidatorSize-bls.PublicKeySize-2 {
			return nil, ruleErrorf(ErrMalformed, "validator %d: withdrawal "+
				"script of %d bytes", i, sl)
		}
		v.WithdrawalScript = append([]byte(nil), b[:sl]...)
		b = b[sl:]
		v.Balance = binary.BigEndian.Uint64(b)
		v.EffectiveBalance = binary.BigEndian.Uint64(b[8:])
		switch b[16] {
		case 0:
		case 1:
			v.Slashed = true
		default:
			return nil, ruleErrorf(ErrMalformed, "validator %d: slashed "+
				"byte %d", i, b[16])
		}
		b = b[17:]
		for _, e := range []*uint64{&v.EligibilityEpoch, &v.ActivationEpoch, &v.ExitEpoch, &v.WithdrawableEpoch} {
			*e = binary.BigEndian.Uint64(b)
			b = b[8:]
			if *e != FarFutureEpoch && *e >= maxEpoch {
				return nil, ruleErrorf(ErrMalformed, "validator %d: epoch "+
					"%d out of range", i, *e)
			}
		}
	}
	if len(b) != 0 {
		return nil, ruleErrorf(ErrMalformed, "state encoding: %d bytes "+
			"after the last validator", len(b))
	}
	return s, nil
}
