package mainstake

import (
	"bytes"
	"fmt"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
)

// maxPubKeyLen is the length of the owner key a cold stake's spend shows.
const maxPubKeyLen = 33

// stakeSpendVSize returns the virtual size of tx, whose input 0 spends t's
// stake and whose other inputs (none, for the transactions of this
// package) are signed, once input 0 carries the largest witness its key
// can make.
func stakeSpendVSize(tx *wire.MsgTx, t *Ticket) (int64, error) {
	ws, err := t.StakeWitnessScript()
	if err != nil {
		return 0, err
	}
	c := tx.Copy()
	c.TxIn[0].Witness = StakeWitness(&t.Registration, make([]byte, maxSigLen),
		make([]byte, maxPubKeyLen), ws)
	weight := blockchain.GetTransactionWeight(btcutil.NewTx(c))
	return (weight + blockchain.WitnessScaleFactor - 1) / blockchain.WitnessScaleFactor, nil
}

// BuildRenewal returns the unsigned renewal of ticket t: one transaction
// that spends t's stake straight into a new registration of the same form
// and keys (the same publisher key; the same owner key hash in the
// cold-owner form), locked until lockHeight, on the network p:
//
//   - version 2, nLockTime = t.LockHeight; one input spending t.Stake with
//     nSequence WithdrawalSequence, so that it can be mined from height
//     FirstWithdrawalHeight(t.LockHeight) on;
//   - the outputs of BuildRegistration, in its order: the stake gets
//     t.Value − publisherValue − DustLimit − fee.
//
// The fee is feeRate sat/vB of the transaction with the largest witness
// its owner can make. The caller signs input 0 (SignStakeInput) or hands
// the transaction to the owner's wallet (StakeSpendPSBT), and checks the
// lock with CheckLock for the height where it expects it to confirm.
//
// It fails with ErrInvalidArgument for a nil ticket or params, a fee rate
// below 1 or a publisher value below the dust limit, and with
// ErrStakeValue when what is left for the new stake is below
// MinStakeValue.
func BuildRenewal(p *chainparams.Params, t *Ticket, lockHeight uint32,
	publisherValue, feeRate int64) (*wire.MsgTx, error) {

	if p == nil || t == nil || t.PubKey == nil {
		return nil, ruleError(ErrInvalidArgument, "nil params or ticket")
	}
	if feeRate < 1 || feeRate > t.Value {
		return nil, ruleErrorf(ErrInvalidArgument, "fee rate %d sat/vB "+
			"is not between 1 and the stake's %d sat", feeRate, t.Value)
	}
	var owner *[20]byte
	if t.Cold {
		owner = &t.OwnerKeyHash
	}
	// Size it with the smallest valid stake value first: the size does
	// not depend on the values.
	reg, err := buildRegistration(p, p.MinStakeValue, lockHeight, t.PubKey,
		owner, publisherValue)
	if err != nil {
		return nil, err
	}
	reg.LockTime = t.LockHeight
	in := wire.NewTxIn(&t.Stake, nil, nil)
	in.Sequence = WithdrawalSequence
	reg.AddTxIn(in)
	vsize, err := stakeSpendVSize(reg, t)
	if err != nil {
		return nil, err
	}
	left := t.Value - publisherValue - p.DustLimit - feeRate*vsize
	if left < p.MinStakeValue {
		return nil, ruleErrorf(ErrStakeValue, "a stake of %d sat renewed "+
			"at %d sat/vB with a %d sat publisher output leaves %d sat, "+
			"below the minimum stake %d", t.Value, feeRate,
			publisherValue, left, p.MinStakeValue)
	}
	reg.TxOut[BuildStakeVout].Value = left
	return reg, nil
}

// SignStakeInput signs input idx of tx, which spends t's stake, with
// priv, the key that owns the stake (OwnedBy), and sets its witness
// (StakeWitness). prevs must give the previous output of every input.
func SignStakeInput(tx *wire.MsgTx, idx int, t *Ticket,
	prevs txscript.PrevOutputFetcher, priv *btcec.PrivateKey) error {

	if tx == nil || t == nil || priv == nil || idx < 0 || idx >= len(tx.TxIn) {
		return ruleError(ErrInvalidArgument, "nil transaction, ticket or key, or no such input")
	}
	if !t.OwnedBy(priv.PubKey()) {
		return ruleError(ErrInvalidArgument, "the key is not the ticket's")
	}
	ws, err := t.StakeWitnessScript()
	if err != nil {
		return err
	}
	sig, err := txscript.RawTxInWitnessSignature(tx, txscript.NewTxSigHashes(tx, prevs),
		idx, t.Value, ws, txscript.SigHashAll, priv)
	if err != nil {
		return wrapError(ErrInvalidArgument, "sign the stake spend", err)
	}
	tx.TxIn[idx].Witness = StakeWitness(&t.Registration, sig,
		priv.PubKey().SerializeCompressed(), ws)
	return nil
}

// StakeSpendPSBT returns tx, an unsigned transaction whose input 0 spends
// t's stake (a withdrawal or a renewal), as a PSBT for the owner's wallet
// to sign: input 0 carries the stake output (witness UTXO), the stake's
// witness script and sighash type ALL. The transaction's nLockTime and the
// input's nSequence are those the spend needs (CHECKLOCKTIMEVERIFY).
func StakeSpendPSBT(tx *wire.MsgTx, t *Ticket) (*psbt.Packet, error) {
	if tx == nil || t == nil || len(tx.TxIn) == 0 || tx.TxIn[0].PreviousOutPoint != t.Stake {
		return nil, ruleError(ErrInvalidArgument, "input 0 does not spend the ticket's stake")
	}
	ws, err := t.StakeWitnessScript()
	if err != nil {
		return nil, err
	}
	pk, err := t.StakePkScript()
	if err != nil {
		return nil, err
	}
	c := tx.Copy()
	for _, in := range c.TxIn {
		in.Witness, in.SignatureScript = nil, nil
	}
	packet, err := psbt.NewFromUnsignedTx(c)
	if err != nil {
		return nil, wrapError(ErrInvalidArgument, "stake spend PSBT", err)
	}
	packet.Inputs[0].WitnessUtxo = wire.NewTxOut(t.Value, pk)
	packet.Inputs[0].WitnessScript = ws
	packet.Inputs[0].SighashType = txscript.SigHashAll
	return packet, nil
}

// FinalizeStakeSpend returns the signed transaction of packet, a PSBT
// that StakeSpendPSBT made for t and the owner's wallet signed: input 0
// is finalized already (its final witness is taken as it is), or carries a
// partial signature by the key that owns the stake, from which it builds
// the witness (StakeWitness). Whether the signature is valid is left to
// the script check the caller runs before a broadcast.
func FinalizeStakeSpend(packet *psbt.Packet, t *Ticket) (*wire.MsgTx, error) {
	if packet == nil || packet.UnsignedTx == nil || t == nil || len(packet.Inputs) != len(packet.UnsignedTx.TxIn) {
		return nil, ruleError(ErrInvalidArgument, "nil or malformed PSBT")
	}
	tx := packet.UnsignedTx.Copy()
	if len(tx.TxIn) != 1 || tx.TxIn[0].PreviousOutPoint != t.Stake {
		return nil, ruleErrorf(ErrRenewal, "the PSBT has %d inputs, not "+
			"just the stake %v", len(tx.TxIn), t.Stake)
	}
	in := packet.Inputs[0]
	if len(in.FinalScriptWitness) > 0 {
		tx, err := psbt.Extract(packet)
		if err != nil {
			return nil, wrapError(ErrInvalidArgument, "the PSBT's final witness", err)
		}
		return tx, nil
	}
	ws, err := t.StakeWitnessScript()
	if err != nil {
		return nil, err
	}
	for _, ps := range in.PartialSigs {
		pub, err := btcec.ParsePubKey(ps.PubKey)
		if err != nil || !t.OwnedBy(pub) || len(ps.Signature) == 0 {
			continue
		}
		if txscript.SigHashType(ps.Signature[len(ps.Signature)-1]) != txscript.SigHashAll {
			return nil, ruleError(ErrRenewal, "the owner's signature is not SIGHASH_ALL")
		}
		tx.TxIn[0].Witness = StakeWitness(&t.Registration, ps.Signature,
			pub.SerializeCompressed(), ws)
		return tx, nil
	}
	return nil, ruleErrorf(ErrInvalidArgument, "the PSBT carries no signature "+
		"of the stake's owner key for input 0 (%d partial signatures)", len(in.PartialSigs))
}

// CheckRenewal checks tx, offered back by the owner's wallet as the
// renewal of ticket t, before the node broadcasts it. It must spend t's
// stake alone and pay nothing but a new registration of the same form and
// keys:
//
//   - one input, t.Stake;
//   - a registration that ParseRegistration accepts at confHeight, whose
//     publisher key is t.PubKey and, in the cold-owner form, whose owner
//     key hash is t.OwnerKeyHash (in the plain form the stake goes back
//     to t.PubKey);
//   - nLockTime a height of at least t.LockHeight and a non-final
//     sequence, so that it can spend the stake at all;
//   - no output but the 'S' OP_RETURN, the stake, the publisher output
//     and registry outputs; the publisher outputs worth at most
//     maxPublisher and the registry outputs at most the dust limit in all;
//   - a fee of at most maxFeeRate sat/vB of its size with the largest
//     witness.
//
// So no satoshi of the stake goes anywhere but back into the stake, the
// node's publisher chain (bounded), the burnt registry dust and a bounded
// fee. Every failure is ErrRenewal, or the registration's own rule error.
func CheckRenewal(p *chainparams.Params, tx *wire.MsgTx, t *Ticket, confHeight int32,
	maxPublisher, maxFeeRate int64) (*Registration, error) {

	if p == nil || tx == nil || t == nil {
		return nil, ruleError(ErrInvalidArgument, "nil params, transaction or ticket")
	}
	if len(tx.TxIn) != 1 || tx.TxIn[0].PreviousOutPoint != t.Stake {
		return nil, ruleErrorf(ErrRenewal, "the renewal has %d inputs; it "+
			"must spend the stake %v alone", len(tx.TxIn), t.Stake)
	}
	if tx.LockTime < t.LockHeight || tx.LockTime >= MaxLockHeight ||
		tx.TxIn[0].Sequence == wire.MaxTxInSequenceNum {
		return nil, ruleErrorf(ErrRenewal, "the renewal's lock time %d and "+
			"sequence %#x cannot spend a stake locked until height %d "+
			"(it needs a lock time from %d, a block height, and a "+
			"sequence below %#x)", tx.LockTime, tx.TxIn[0].Sequence,
			t.LockHeight, t.LockHeight, wire.MaxTxInSequenceNum)
	}
	reg, err := ParseRegistration(tx, confHeight, p)
	if err != nil {
		return nil, err
	}
	if !reg.PubKey.IsEqual(t.PubKey) {
		return nil, ruleErrorf(ErrRenewal, "the renewal's publisher key %x "+
			"is not the ticket's %x", reg.PubKey.SerializeCompressed(),
			t.PubKey.SerializeCompressed())
	}
	if reg.Cold != t.Cold || reg.OwnerKeyHash != t.OwnerKeyHash {
		return nil, ruleErrorf(ErrRenewal, "the renewal's stake pays %s, "+
			"not the ticket's owner %s", ownerName(reg), ownerName(&t.Registration))
	}
	pubScript, err := PublisherScript(t.PubKey)
	if err != nil {
		return nil, err
	}
	registry, err := RegistryScript(p.SidechainID)
	if err != nil {
		return nil, err
	}
	var out, publisher, burnt int64
	for i, o := range tx.TxOut {
		out += o.Value
		switch {
		case i == int(reg.Stake.Index):
		case i == int(reg.Publisher.Index) || bytes.Equal(o.PkScript, pubScript):
			publisher += o.Value
		case bytes.Equal(o.PkScript, registry):
			burnt += o.Value
		case o.Value == 0 && len(o.PkScript) > 0 && o.PkScript[0] == txscript.OP_RETURN:
		default:
			return nil, ruleErrorf(ErrRenewal, "output %d pays %d sat to %x, "+
				"which is not the new stake, the publisher output or the "+
				"registry", i, o.Value, o.PkScript)
		}
	}
	if burnt > p.DustLimit {
		return nil, ruleErrorf(ErrRenewal, "the registry outputs burn %d sat "+
			"of the stake, more than the dust limit %d", burnt, p.DustLimit)
	}
	if publisher > maxPublisher {
		return nil, ruleErrorf(ErrRenewal, "the publisher outputs take %d sat "+
			"of the stake, more than %d", publisher, maxPublisher)
	}
	fee := t.Value - out
	vsize, err := stakeSpendVSize(tx, t)
	if err != nil {
		return nil, err
	}
	if fee < 0 || fee > maxFeeRate*vsize {
		return nil, ruleErrorf(ErrRenewal, "the renewal's fee is %d sat, "+
			"not between 0 and %d (%d sat/vB of %d vB)", fee,
			maxFeeRate*vsize, maxFeeRate, vsize)
	}
	return reg, nil
}

// ownerName says who owns r's stake, for messages.
func ownerName(r *Registration) string {
	if r.Cold {
		return fmt.Sprintf("the cold owner key hash %x", r.OwnerKeyHash)
	}
	return fmt.Sprintf("the key %x", r.PubKey.SerializeCompressed())
}
