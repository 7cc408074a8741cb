package pegbox

import (
	"bytes"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/psbtsign"
)

// Signing gathers the federation's signatures of one pegbox spend (a payout
// or a rotation), whose inputs all spend coins of the federation's pegbox.
// Members exchange their signatures as PSBTs; Add checks every signature
// against the transaction before it keeps it, so a member that signs
// another transaction, a key outside the federation, a forged signature or
// one replayed from another spend is refused and changes nothing. The
// machinery is psbtsign's, shared with the notary rounds: every input is
// the pegbox's P2WSH multisig, which any Threshold of the members sign.
//
// A Signing is not safe for concurrent use.
type Signing struct {
	s   *psbtsign.Session
	fed *Federation
}

// NewSigning starts gathering signatures for tx, every input of which must
// spend one of coins (the coins BuildPayout was given will do), an output
// of fed's pegbox.
func NewSigning(tx *wire.MsgTx, coins []Coin, fed *Federation, params *chaincfg.Params) (*Signing, error) {
	byOutpoint := make(map[wire.OutPoint]Coin, len(coins))
	for _, c := range coins {
		byOutpoint[c.OutPoint] = c
	}
	script, err := fed.WitnessScript(params)
	if err != nil {
		return nil, err
	}
	pkScript, err := fed.PkScript(params)
	if err != nil {
		return nil, err
	}
	signers := make([][]byte, len(fed.Keys))
	for i, k := range fed.Keys {
		signers[i] = k.SerializeCompressed()
	}
	inputs := make([]psbtsign.Input, len(tx.TxIn))
	for i, in := range tx.TxIn {
		c, ok := byOutpoint[in.PreviousOutPoint]
		if !ok || !bytes.Equal(c.PkScript, pkScript) {
			return nil, ruleErrorf(ErrNotPegboxCoin, "input %d spends %v, which is "+
				"no coin of the epoch %d pegbox", i, in.PreviousOutPoint, fed.Epoch)
		}
		inputs[i] = psbtsign.Input{Prev: wire.NewTxOut(c.Value, c.PkScript),
			WitnessScript: script, Signers: signers, Need: fed.Threshold}
	}
	s, err := psbtsign.New(tx, inputs)
	if err != nil {
		return nil, err
	}
	return &Signing{s: s, fed: fed}, nil
}

// Tx returns the unsigned transaction.
func (s *Signing) Tx() *wire.MsgTx { return s.s.Tx() }

// fromShared turns a psbtsign refusal into the pegbox code it amounts to.
func (s *Signing) fromShared(err error) error {
	code, ok := psbtsign.Code(err)
	if !ok {
		return err
	}
	switch code {
	case psbtsign.ErrOtherTx:
		return ruleErrorf(ErrOtherSpend, "%v", err)
	case psbtsign.ErrNotSigner:
		return ruleErrorf(ErrNotMember, "%v (not in the epoch %d federation)",
			err, s.fed.Epoch)
	case psbtsign.ErrBadSignature:
		return ruleErrorf(ErrBadSignature, "%v", err)
	}
	return err
}

// Sign signs every input with priv, a member's key, keeps the signatures
// and returns them as a PSBT to send to the other members.
func (s *Signing) Sign(priv *btcec.PrivateKey) (*psbt.Packet, error) {
	p, err := s.s.Sign(priv)
	if err != nil {
		return nil, s.fromShared(err)
	}
	return p, nil
}

// Add checks the signatures a member sent and keeps them. It returns how
// many were new. A packet for another transaction is ErrOtherSpend; a
// signature by a key outside the federation ErrNotMember; one that does not
// verify for its input, or signs with another sighash type,
// ErrBadSignature. On error nothing is kept.
func (s *Signing) Add(p *psbt.Packet) (int, error) {
	n, err := s.s.Add(p)
	if err != nil {
		return 0, s.fromShared(err)
	}
	return n, nil
}

// Signers returns how many members signed every input.
func (s *Signing) Signers() int {
	n := len(s.fed.Keys)
	for i := range s.s.Tx().TxIn {
		n = min(n, s.s.Count(i))
	}
	return n
}

// Complete returns the signed transaction once every input has Threshold
// signatures, and false before. It uses the signatures of the first
// Threshold signers in key order, and checks the result with btcd's script
// engine.
func (s *Signing) Complete() (*wire.MsgTx, bool, error) {
	return s.s.Complete()
}

// Silent returns the compressed keys, in key order, of the members that
// have not signed every input.
func (s *Signing) Silent() [][]byte {
	var out [][]byte
	n := len(s.s.Tx().TxIn)
	for _, k := range s.fed.Keys {
		ck := k.SerializeCompressed()
		for i := 0; i < n; i++ {
			if !s.s.Has(i, ck) {
				out = append(out, ck)
				break
			}
		}
	}
	return out
}

// Threshold returns how many members' signatures the spend needs.
func (s *Signing) Threshold() int { return s.fed.Threshold }
