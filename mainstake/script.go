package mainstake

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
)

// MaxLockHeight is the first lock value that CHECKLOCKTIMEVERIFY reads as
// a Unix time instead of a block height (txscript.LockTimeThreshold). A
// stake's lock height is below it.
const MaxLockHeight uint32 = txscript.LockTimeThreshold

// RegistryTag is the prefix hashed with the sidechain id into the tweak of
// the registry key.
const RegistryTag = "PMS/registry"

// numsX is the x coordinate of BIP341's point with unknown discrete
// logarithm: the SHA256 of the uncompressed encoding of G.
const numsX = "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0"

// numsPoint returns BIP341's unspendable point H = lift_x(numsX), the point
// with that x and an even y.
func numsPoint() *btcec.PublicKey {
	b, err := hex.DecodeString("02" + numsX)
	if err != nil {
		panic(err)
	}
	h, err := btcec.ParsePubKey(b)
	if err != nil {
		panic(err)
	}
	return h
}

// StakeScript returns the witness script of a stake output:
//
//	<lockHeight> OP_CHECKLOCKTIMEVERIFY OP_DROP <pubKey> OP_CHECKSIG
//
// with lockHeight as a minimal script number and pubKey compressed. Only
// pubKey's owner can spend it, and only in a transaction whose lock time is
// a height of at least lockHeight. lockHeight must be below MaxLockHeight.
func StakeScript(lockHeight uint32, pubKey *btcec.PublicKey) ([]byte, error) {
	if pubKey == nil {
		return nil, ruleError(ErrInvalidArgument, "nil stake pubkey")
	}
	if lockHeight >= MaxLockHeight {
		return nil, ruleErrorf(ErrLockNotHeight, "lock %d is not a "+
			"block height (>= %d)", lockHeight, MaxLockHeight)
	}
	script, err := txscript.NewScriptBuilder().
		AddInt64(int64(lockHeight)).
		AddOp(txscript.OP_CHECKLOCKTIMEVERIFY).
		AddOp(txscript.OP_DROP).
		AddData(pubKey.SerializeCompressed()).
		AddOp(txscript.OP_CHECKSIG).
		Script()
	if err != nil {
		return nil, wrapError(ErrInvalidArgument, "stake script", err)
	}
	return script, nil
}

// StakePkScript returns the output script of a stake: the P2WSH of
// StakeScript(lockHeight, pubKey).
func StakePkScript(lockHeight uint32, pubKey *btcec.PublicKey) ([]byte, error) {
	ws, err := StakeScript(lockHeight, pubKey)
	if err != nil {
		return nil, err
	}
	hash := sha256.Sum256(ws)
	return witnessV0Script(hash[:])
}

// ColdStakeScript returns the witness script of a stake output of the
// cold-owner form:
//
//	<lockHeight> OP_CHECKLOCKTIMEVERIFY OP_DROP
//	OP_DUP OP_HASH160 <ownerKeyHash> OP_EQUALVERIFY OP_CHECKSIG
//
// Only the owner of the key whose HASH160 is ownerKeyHash can spend it,
// with the witness <signature> <owner pubkey> <script>, and only in a
// transaction whose lock time is a height of at least lockHeight. The
// registration names the owner by hash: the key itself appears on the
// mainchain only when the stake is spent.
func ColdStakeScript(lockHeight uint32, ownerKeyHash [20]byte) ([]byte, error) {
	if lockHeight >= MaxLockHeight {
		return nil, ruleErrorf(ErrLockNotHeight, "lock %d is not a "+
			"block height (>= %d)", lockHeight, MaxLockHeight)
	}
	script, err := txscript.NewScriptBuilder().
		AddInt64(int64(lockHeight)).
		AddOp(txscript.OP_CHECKLOCKTIMEVERIFY).
		AddOp(txscript.OP_DROP).
		AddOp(txscript.OP_DUP).
		AddOp(txscript.OP_HASH160).
		AddData(ownerKeyHash[:]).
		AddOp(txscript.OP_EQUALVERIFY).
		AddOp(txscript.OP_CHECKSIG).
		Script()
	if err != nil {
		return nil, wrapError(ErrInvalidArgument, "cold stake script", err)
	}
	return script, nil
}

// ColdStakePkScript returns the P2WSH of ColdStakeScript(lockHeight,
// ownerKeyHash).
func ColdStakePkScript(lockHeight uint32, ownerKeyHash [20]byte) ([]byte, error) {
	ws, err := ColdStakeScript(lockHeight, ownerKeyHash)
	if err != nil {
		return nil, err
	}
	hash := sha256.Sum256(ws)
	return witnessV0Script(hash[:])
}

// OwnerKeyHash returns HASH160 of pub's compressed encoding: how a
// registration of the cold-owner form names the owner key.
func OwnerKeyHash(pub *btcec.PublicKey) [20]byte {
	var h [20]byte
	copy(h[:], btcutil.Hash160(pub.SerializeCompressed()))
	return h
}

// PublisherScript returns P2WPKH(HASH160(pubKey)), the output script of
// every publisher output of a ticket owned by pubKey.
func PublisherScript(pubKey *btcec.PublicKey) ([]byte, error) {
	if pubKey == nil {
		return nil, ruleError(ErrInvalidArgument, "nil publisher pubkey")
	}
	return witnessV0Script(btcutil.Hash160(pubKey.SerializeCompressed()))
}

// witnessV0Script returns OP_0 <program>.
func witnessV0Script(program []byte) ([]byte, error) {
	script, err := txscript.NewScriptBuilder().AddOp(txscript.OP_0).
		AddData(program).Script()
	if err != nil {
		return nil, wrapError(ErrInvalidArgument, "witness program", err)
	}
	return script, nil
}

// RegistryTweak returns t = SHA256(RegistryTag ‖ sidechainID as 4 bytes
// big-endian) reduced modulo the group order n.
func RegistryTweak(sidechainID uint32) btcec.ModNScalar {
	msg := binary.BigEndian.AppendUint32([]byte(RegistryTag), sidechainID)
	sum := sha256.Sum256(msg)

	// SetByteSlice reduces modulo n; it reports whether the hash was n or
	// more, which happens with probability about 2^-128 and changes
	// nothing here.
	var t btcec.ModNScalar
	t.SetByteSlice(sum[:])
	return t
}

// RegistryKey returns the registry output key of the sidechain,
// Q = H + t·G, with H BIP341's unspendable point and t RegistryTweak.
//
// Nobody can spend an output paid to Q by key path: that needs the discrete
// logarithm of Q, which is t plus the discrete logarithm of H, and nobody
// knows the latter (H's x is a hash, not a multiple of G anyone computed).
// An output script built from Q alone commits to no script tree, so there
// is no script path either. Anyone can check this by recomputing Q from the
// sidechain id.
func RegistryKey(sidechainID uint32) (*btcec.PublicKey, error) {
	if sidechainID == 0 {
		return nil, ruleError(ErrInvalidArgument, "sidechain id is zero")
	}
	t := RegistryTweak(sidechainID)

	var h, tG, q btcec.JacobianPoint
	numsPoint().AsJacobian(&h)
	btcec.ScalarBaseMultNonConst(&t, &tG)
	btcec.AddNonConst(&h, &tG, &q)
	if (q.X.IsZero() && q.Y.IsZero()) || q.Z.IsZero() {
		// Q = infinity would mean t·G = −H: someone knows H's discrete
		// logarithm.
		return nil, ruleError(ErrInvalidArgument,
			"registry key is the point at infinity")
	}
	q.ToAffine()
	return btcec.NewPublicKey(&q.X, &q.Y), nil
}

// RegistryScript returns the registry script of the sidechain: the P2TR
// output script OP_1 <x(Q)> of RegistryKey. Every registration pays it at
// least DustLimit, so that light clients find registrations with BIP158
// filters, which leave OP_RETURN outputs out. Nobody can spend it (see
// RegistryKey): the registry outputs are burnt.
func RegistryScript(sidechainID uint32) ([]byte, error) {
	q, err := RegistryKey(sidechainID)
	if err != nil {
		return nil, err
	}
	script, err := txscript.PayToTaprootScript(q)
	if err != nil {
		return nil, wrapError(ErrInvalidArgument, "registry script", err)
	}
	return script, nil
}
