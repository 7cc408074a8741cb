package claims

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/pos/bls"
)

// Tag opens every claim payload.
var Tag = [4]byte{'S', 'N', 'C', 'L'}

// Version is the payload version this package writes and reads.
const Version = 1

// unsignedSize is the payload without its signature: tag, version,
// validator index, first and last epoch, amount.
const unsignedSize = 4 + 1 + 8 + 8 + 8 + 8

// PayloadSize is the size of a claim payload.
const PayloadSize = unsignedSize + bls.SignatureSize

// Claim is a staker's claim of the rewards of one validator over the epochs
// FromEpoch to ToEpoch inclusive, signed with the validator's BLS key.
type Claim struct {
	Validator uint64
	FromEpoch uint64
	ToEpoch   uint64

	// Amount is what the claim takes, in satoshis.
	Amount uint64

	Signature [bls.SignatureSize]byte
}

func (c *Claim) unsigned() []byte {
	b := make([]byte, 0, PayloadSize)
	b = append(b, Tag[:]...)
	b = append(b, Version)
	b = binary.BigEndian.AppendUint64(b, c.Validator)
	b = binary.BigEndian.AppendUint64(b, c.FromEpoch)
	b = binary.BigEndian.AppendUint64(b, c.ToEpoch)
	b = binary.BigEndian.AppendUint64(b, c.Amount)
	return b
}

// Payload is the claim's encoding: the tag "SNCL", the version byte (1),
// the validator index, first epoch, last epoch and amount as 8-byte
// big-endian integers, and the 96-byte compressed BLS signature: 133 bytes.
func (c *Claim) Payload() []byte {
	return append(c.unsigned(), c.Signature[:]...)
}

// SigningRoot is the message a claim's signature signs: SHA-256 of the
// payload without its signature followed by the 32-byte domain, which the
// engine derives from the chain (its genesis) so that a claim signed for
// one chain is not valid on another.
func (c *Claim) SigningRoot(domain [32]byte) [32]byte {
	return sha256.Sum256(append(c.unsigned(), domain[:]...))
}

// Sign sets the claim's signature with the validator's secret key.
func (c *Claim) Sign(sk *bls.SecretKey, domain [32]byte) {
	r := c.SigningRoot(domain)
	c.Signature = sk.Sign(r[:]).Bytes()
}

// Script is the claim's output script: OP_RETURN followed by one push of
// the payload.
func (c *Claim) Script() []byte {
	s, err := txscript.NewScriptBuilder().AddOp(txscript.OP_RETURN).AddData(c.Payload()).Script()
	if err != nil {
		// The builder fails only on pushes above the script size limit.
		panic(err)
	}
	return s
}

// ParseClaim parses a claim output script strictly: OP_RETURN, then one
// canonical push of exactly PayloadSize bytes and nothing after it; the tag
// and version; and a signature that is a canonical BLS12-381 point in the
// subgroup. Anything else is ErrMalformed. Whether the claim is valid is
// Validate's.
func ParseClaim(script []byte) (*Claim, error) {
	if len(script) < 1 || script[0] != txscript.OP_RETURN {
		return nil, ruleErrorf(ErrMalformed, "claim output script does not "+
			"start with OP_RETURN")
	}
	pushes, err := txscript.PushedData(script[1:])
	if err != nil || len(pushes) != 1 || len(pushes[0]) != PayloadSize {
		return nil, ruleErrorf(ErrMalformed, "claim output script is not "+
			"OP_RETURN and one push of %d bytes", PayloadSize)
	}
	b := pushes[0]
	if !bytes.Equal(b[:4], Tag[:]) || b[4] != Version {
		return nil, ruleErrorf(ErrMalformed, "claim payload tag or version "+
			"%x is not %x%02x", b[:5], Tag, Version)
	}
	c := &Claim{
		Validator: binary.BigEndian.Uint64(b[5:]),
		FromEpoch: binary.BigEndian.Uint64(b[13:]),
		ToEpoch:   binary.BigEndian.Uint64(b[21:]),
		Amount:    binary.BigEndian.Uint64(b[29:]),
	}
	copy(c.Signature[:], b[unsignedSize:])
	if !bytes.Equal(c.Script(), script) {
		return nil, ruleErrorf(ErrMalformed, "claim output script does not "+
			"push its payload canonically")
	}
	if _, err := bls.SignatureFromBytes(c.Signature[:]); err != nil {
		return nil, ruleErrorf(ErrMalformed, "claim signature: %v", err)
	}
	return c, nil
}

// isClaimOutput reports whether a script is an OP_RETURN whose data starts
// with the claim tag, whatever the rest.
func isClaimOutput(script []byte) bool {
	if len(script) < 1 || script[0] != txscript.OP_RETURN {
		return false
	}
	pushes, err := txscript.PushedData(script[1:])
	return err == nil && len(pushes) > 0 && bytes.HasPrefix(pushes[0], Tag[:])
}

// ParseClaimTx finds the claim in a sidechain transaction: the output that
// is an OP_RETURN whose first push starts with the tag. A transaction
// without one is no claim (nil, nil). A transaction with two, a claim
// output carrying coins, or a claim output ParseClaim refuses is
// ErrMalformed. Paying the claimed amount to the validator's withdrawal
// script is the engine's check.
func ParseClaimTx(tx *wire.MsgTx) (*Claim, error) {
	var found *wire.TxOut
	for _, out := range tx.TxOut {
		if !isClaimOutput(out.PkScript) {
			continue
		}
		if found != nil {
			return nil, ruleErrorf(ErrMalformed, "transaction %v has two "+
				"claim outputs", tx.TxHash())
		}
		found = out
	}
	if found == nil {
		return nil, nil
	}
	if found.Value != 0 {
		return nil, ruleErrorf(ErrMalformed, "claim output carries %d sat; "+
			"it must carry none", found.Value)
	}
	return ParseClaim(found.PkScript)
}
