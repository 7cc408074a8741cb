package mainstake

import (
	"bytes"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/opreturn"
)

// Registration is an accepted stake registration (design reference §3):
// the data of one ticket.
type Registration struct {
	// TxHash is the registration's transaction id.
	TxHash chainhash.Hash

	// Stake is the stake output and Value its amount in satoshis.
	Stake wire.OutPoint
	Value int64

	// LockHeight is the CLTV lock height of the stake output.
	LockHeight uint32

	// PubKey is the ticket's publisher key: it signs every header
	// publication, and it is the key the federation election counts
	// (the key that signs pegbox spends). In the plain form it also
	// locks the stake.
	PubKey *btcec.PublicKey

	// Cold marks the cold-owner form: the stake is locked to the key
	// whose HASH160 is OwnerKeyHash (ColdStakeScript), not to PubKey.
	// OwnerKeyHash is zero when Cold is false.
	Cold         bool
	OwnerKeyHash [20]byte

	// Publisher is the ticket's first publisher outpoint.
	Publisher wire.OutPoint

	// ConfHeight is the height of the mainchain block that confirmed the
	// registration.
	ConfHeight int32
}

// StakeWitnessScript returns the witness script of the registration's
// stake output: StakeScript of PubKey, or ColdStakeScript of OwnerKeyHash
// in the cold-owner form.
func (r *Registration) StakeWitnessScript() ([]byte, error) {
	if r.Cold {
		return ColdStakeScript(r.LockHeight, r.OwnerKeyHash)
	}
	return StakeScript(r.LockHeight, r.PubKey)
}

// StakePkScript returns the output script of the registration's stake
// output, the P2WSH of StakeWitnessScript.
func (r *Registration) StakePkScript() ([]byte, error) {
	if r.Cold {
		return ColdStakePkScript(r.LockHeight, r.OwnerKeyHash)
	}
	return StakePkScript(r.LockHeight, r.PubKey)
}

// OwnedBy reports whether pub is the key that can spend the stake: PubKey
// in the plain form, the key of OwnerKeyHash in the cold-owner form.
func (r *Registration) OwnedBy(pub *btcec.PublicKey) bool {
	if pub == nil {
		return false
	}
	if r.Cold {
		return OwnerKeyHash(pub) == r.OwnerKeyHash
	}
	return r.PubKey != nil && pub.IsEqual(r.PubKey)
}

// CheckLock checks the lock height of a stake confirmed at confHeight:
// lockHeight is below MaxLockHeight (ErrLockNotHeight), and
// lockHeight − confHeight is within [MinStakeLock, MaxStakeLock]
// (ErrLockTooSoon, ErrLockTooLate).
func CheckLock(lockHeight uint32, confHeight int32, p *chainparams.Params) error {
	if p == nil {
		return ruleError(ErrInvalidArgument, "nil params")
	}
	if lockHeight >= MaxLockHeight {
		return ruleErrorf(ErrLockNotHeight, "lock %d is not a block "+
			"height (>= %d)", lockHeight, MaxLockHeight)
	}
	d := int64(lockHeight) - int64(confHeight)
	if d < int64(p.MinStakeLock) {
		return ruleErrorf(ErrLockTooSoon, "lock %d is %d blocks after "+
			"confirmation height %d, min %d", lockHeight, d,
			confHeight, p.MinStakeLock)
	}
	if d > int64(p.MaxStakeLock) {
		return ruleErrorf(ErrLockTooLate, "lock %d is %d blocks after "+
			"confirmation height %d, max %d", lockHeight, d,
			confHeight, p.MaxStakeLock)
	}
	return nil
}

// ParseRegistration validates tx as a stake registration confirmed at
// confHeight on the network p (design reference §3), and returns the
// ticket it makes. The rules, in the order they are checked, are listed
// with ErrorCode; a failure is a *RuleError naming the first broken rule.
//
// The publisher output's value is not checked: a header transaction may
// add inputs to pay its fee. Whether tx is a coinbase is not checked
// either.
func ParseRegistration(tx *wire.MsgTx, confHeight int32,
	p *chainparams.Params) (*Registration, error) {

	if tx == nil || p == nil {
		return nil, ruleError(ErrInvalidArgument, "nil tx or params")
	}
	opVout, payload, err := opreturn.FindInTx(tx, p.SidechainID)
	if err != nil {
		return nil, wrapError(ErrNoPayload, "no stake payload", err)
	}
	s, ok := payload.(*opreturn.Stake)
	if !ok {
		return nil, ruleErrorf(ErrWrongKind, "payload kind is %v, "+
			"not stake", payload.Kind())
	}
	pub, err := s.PublicKey()
	if err != nil {
		// Unreachable: opreturn.Parse checked the key.
		return nil, wrapError(ErrNoPayload, "stake pubkey", err)
	}
	if s.LockHeight >= MaxLockHeight {
		return nil, ruleErrorf(ErrLockNotHeight, "lock %d is not a "+
			"block height (>= %d)", s.LockHeight, MaxLockHeight)
	}

	stakeVout, pubVout := int(s.StakeVout), int(s.PublisherVout)
	if stakeVout >= len(tx.TxOut) || pubVout >= len(tx.TxOut) {
		return nil, ruleErrorf(ErrVoutRange, "stake vout %d or "+
			"publisher vout %d is not one of the %d outputs",
			stakeVout, pubVout, len(tx.TxOut))
	}
	if stakeVout == pubVout || stakeVout == opVout || pubVout == opVout {
		return nil, ruleErrorf(ErrVoutConflict, "stake vout %d, "+
			"publisher vout %d and OP_RETURN vout %d are not "+
			"distinct", stakeVout, pubVout, opVout)
	}

	reg := Registration{LockHeight: s.LockHeight, PubKey: pub,
		Cold: s.Cold, OwnerKeyHash: s.OwnerKeyHash}
	if s.Cold && s.OwnerKeyHash == OwnerKeyHash(pub) {
		return nil, ruleErrorf(ErrOwnerIsPublisher, "the owner key hash "+
			"%x is the publisher key's: a cold registration keeps the "+
			"owner key apart (register the plain form instead)",
			s.OwnerKeyHash)
	}
	stakeScript, err := reg.StakePkScript()
	if err != nil {
		return nil, err
	}
	stakeOut := tx.TxOut[stakeVout]
	if !bytes.Equal(stakeOut.PkScript, stakeScript) {
		if s.Cold {
			return nil, ruleErrorf(ErrColdStakeScript, "stake output "+
				"%d pays %x, not the cold stake script %x of owner "+
				"key hash %x", stakeVout, stakeOut.PkScript,
				stakeScript, s.OwnerKeyHash)
		}
		return nil, ruleErrorf(ErrStakeScript, "stake output %d pays "+
			"%x, not the stake script %x", stakeVout,
			stakeOut.PkScript, stakeScript)
	}
	pubScript, err := PublisherScript(pub)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(tx.TxOut[pubVout].PkScript, pubScript) {
		return nil, ruleErrorf(ErrPublisherScript, "publisher output "+
			"%d pays %x, not %x", pubVout, tx.TxOut[pubVout].PkScript,
			pubScript)
	}
	registry, err := RegistryScript(p.SidechainID)
	if err != nil {
		return nil, err
	}
	if !paysRegistry(tx, registry, p.DustLimit) {
		return nil, ruleErrorf(ErrNoRegistryOutput, "no output of at "+
			"least %d pays the registry script %x", p.DustLimit,
			registry)
	}
	if stakeOut.Value < p.MinStakeValue {
		return nil, ruleErrorf(ErrStakeValue, "stake is %d, min %d",
			stakeOut.Value, p.MinStakeValue)
	}
	if err := CheckLock(s.LockHeight, confHeight, p); err != nil {
		return nil, err
	}

	txHash := tx.TxHash()
	reg.TxHash = txHash
	reg.Stake = wire.OutPoint{Hash: txHash, Index: uint32(stakeVout)}
	reg.Value = stakeOut.Value
	reg.Publisher = wire.OutPoint{Hash: txHash, Index: uint32(pubVout)}
	reg.ConfHeight = confHeight
	return &reg, nil
}

// paysRegistry reports whether an output of tx pays at least minValue to
// the registry script.
func paysRegistry(tx *wire.MsgTx, registry []byte, minValue int64) bool {
	for _, out := range tx.TxOut {
		if out.Value >= minValue && bytes.Equal(out.PkScript, registry) {
			return true
		}
	}
	return false
}

// The output layout of the transactions BuildRegistration returns.
const (
	BuildOpReturnVout  = 0
	BuildStakeVout     = 1
	BuildPublisherVout = 2
	BuildRegistryVout  = 3
)

// BuildRegistration returns an unsigned, unfunded registration transaction
// (version 2, lock time 0, no inputs) that stakes stakeValue until
// lockHeight under pubKey on the network p. Its outputs are, in order: the
// 'S' OP_RETURN, the stake output (P2WSH of StakeScript), the first
// publisher output (P2WPKH of pubKey, worth publisherValue, which pays the
// fees of the first header publications and must be at least DustLimit),
// and the registry output (DustLimit to RegistryScript).
//
// The wallet adds inputs, a change output after these four, and the
// witnesses; it must not reorder the outputs, since the payload names them
// by index. The lock must still be valid at the height where the
// transaction confirms: check it with CheckLock against the next block's
// height and leave room for a slow confirmation, since a stake confirmed
// with too short a lock is locked all the same but makes no ticket.
func BuildRegistration(p *chainparams.Params, stakeValue int64,
	lockHeight uint32, pubKey *btcec.PublicKey,
	publisherValue int64) (*wire.MsgTx, error) {

	return buildRegistration(p, stakeValue, lockHeight, pubKey, nil, publisherValue)
}

// BuildColdRegistration is BuildRegistration for the cold-owner form: the
// stake output is the P2WSH of ColdStakeScript(lockHeight,
// OwnerKeyHash(owner)), the publisher output pays pubKey, the hot key, and
// the payload carries both. owner must not be pubKey.
func BuildColdRegistration(p *chainparams.Params, stakeValue int64,
	lockHeight uint32, pubKey, owner *btcec.PublicKey,
	publisherValue int64) (*wire.MsgTx, error) {

	if owner == nil || pubKey == nil {
		return nil, ruleError(ErrInvalidArgument, "nil owner or publisher key")
	}
	if owner.IsEqual(pubKey) {
		return nil, ruleError(ErrOwnerIsPublisher, "the owner key "+
			"is the publisher key")
	}
	hash := OwnerKeyHash(owner)
	return buildRegistration(p, stakeValue, lockHeight, pubKey, &hash, publisherValue)
}

// buildRegistration builds the plain form when owner is nil, the
// cold-owner form of the owner key hash *owner otherwise.
func buildRegistration(p *chainparams.Params, stakeValue int64,
	lockHeight uint32, pubKey *btcec.PublicKey, owner *[20]byte,
	publisherValue int64) (*wire.MsgTx, error) {

	if p == nil || pubKey == nil {
		return nil, ruleError(ErrInvalidArgument, "nil params or pubkey")
	}
	if stakeValue < p.MinStakeValue {
		return nil, ruleErrorf(ErrStakeValue, "stake is %d, min %d",
			stakeValue, p.MinStakeValue)
	}
	if publisherValue < p.DustLimit {
		return nil, ruleErrorf(ErrInvalidArgument, "publisher output "+
			"is %d, below the dust limit %d", publisherValue,
			p.DustLimit)
	}

	payload := opreturn.NewStake(lockHeight, BuildStakeVout,
		BuildPublisherVout, pubKey)
	reg := Registration{LockHeight: lockHeight, PubKey: pubKey}
	if owner != nil {
		if *owner == OwnerKeyHash(pubKey) {
			return nil, ruleError(ErrOwnerIsPublisher, "the owner key "+
				"is the publisher key")
		}
		reg.Cold, reg.OwnerKeyHash = true, *owner
		payload = opreturn.NewColdStake(lockHeight, BuildStakeVout,
			BuildPublisherVout, pubKey, reg.OwnerKeyHash)
	}
	stakeScript, err := reg.StakePkScript()
	if err != nil {
		return nil, err
	}
	pubScript, err := PublisherScript(pubKey)
	if err != nil {
		return nil, err
	}
	registry, err := RegistryScript(p.SidechainID)
	if err != nil {
		return nil, err
	}
	opScript, err := opreturn.Encode(p.SidechainID, payload)
	if err != nil {
		return nil, wrapError(ErrInvalidArgument, "stake payload", err)
	}

	tx := wire.NewMsgTx(2)
	tx.AddTxOut(wire.NewTxOut(0, opScript))
	tx.AddTxOut(wire.NewTxOut(stakeValue, stakeScript))
	tx.AddTxOut(wire.NewTxOut(publisherValue, pubScript))
	tx.AddTxOut(wire.NewTxOut(p.DustLimit, registry))
	return tx, nil
}
