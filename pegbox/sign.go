package pegbox

import (
	"bytes"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// Signing gathers the federation's signatures of one pegbox spend (a payout
// or a rotation), whose inputs all spend coins of the federation's pegbox.
// Members exchange their signatures as PSBTs; Add checks every signature
// against the transaction before it keeps it, so a member that signs
// another transaction, a key outside the federation, a forged signature or
// one replayed from another spend is refused and changes nothing.
//
// A Signing is not safe for concurrent use.
type Signing struct {
	tx        *wire.MsgTx // unsigned
	fed       *Federation
	script    []byte // the witness script
	pkScript  []byte
	prevOuts  []*wire.TxOut
	hashes    *txscript.TxSigHashes
	fetcher   txscript.PrevOutputFetcher
	sigs      []map[string][]byte // per input: compressed key → signature
	memberKey map[string]bool
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
	s := &Signing{tx: tx.Copy(), fed: fed, script: script, pkScript: pkScript,
		memberKey: make(map[string]bool)}
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, in := range s.tx.TxIn {
		c, ok := byOutpoint[in.PreviousOutPoint]
		if !ok || !bytes.Equal(c.PkScript, pkScript) {
			return nil, ruleErrorf(ErrNotPegboxCoin, "input %d spends %v, which is "+
				"no coin of the epoch %d pegbox", i, in.PreviousOutPoint, fed.Epoch)
		}
		out := wire.NewTxOut(c.Value, c.PkScript)
		s.prevOuts = append(s.prevOuts, out)
		fetcher.AddPrevOut(c.OutPoint, out)
		s.sigs = append(s.sigs, make(map[string][]byte))
	}
	s.fetcher = fetcher
	s.hashes = txscript.NewTxSigHashes(s.tx, fetcher)
	for _, k := range fed.Keys {
		s.memberKey[string(k.SerializeCompressed())] = true
	}
	return s, nil
}

// Tx returns the unsigned transaction.
func (s *Signing) Tx() *wire.MsgTx { return s.tx.Copy() }

// packet returns the unsigned transaction as a PSBT with every input's
// witness UTXO and witness script.
func (s *Signing) packet() (*psbt.Packet, error) {
	p, err := psbt.NewFromUnsignedTx(s.tx.Copy())
	if err != nil {
		return nil, err
	}
	for i := range p.Inputs {
		p.Inputs[i].WitnessUtxo = s.prevOuts[i]
		p.Inputs[i].WitnessScript = s.script
		p.Inputs[i].SighashType = txscript.SigHashAll
	}
	return p, nil
}

// Sign signs every input with priv, a member's key, keeps the signatures
// and returns them as a PSBT to send to the other members.
func (s *Signing) Sign(priv *btcec.PrivateKey) (*psbt.Packet, error) {
	pub := priv.PubKey().SerializeCompressed()
	if !s.memberKey[string(pub)] {
		return nil, ruleErrorf(ErrNotMember, "key %x is not in the epoch %d "+
			"federation", pub, s.fed.Epoch)
	}
	p, err := s.packet()
	if err != nil {
		return nil, err
	}
	u, err := psbt.NewUpdater(p)
	if err != nil {
		return nil, err
	}
	for i := range s.tx.TxIn {
		sig, err := txscript.RawTxInWitnessSignature(s.tx, s.hashes, i,
			s.prevOuts[i].Value, s.script, txscript.SigHashAll, priv)
		if err != nil {
			return nil, err
		}
		if _, err := u.Sign(i, sig, pub, nil, nil); err != nil {
			return nil, fmt.Errorf("pegbox: adding the signature of input %d: %w", i, err)
		}
		s.sigs[i][string(pub)] = sig
	}
	return p, nil
}

// Add checks the signatures a member sent and keeps them. It returns how
// many were new. A packet for another transaction is ErrOtherSpend; a
// signature by a key outside the federation ErrNotMember; one that does not
// verify for its input, or signs with another sighash type,
// ErrBadSignature. On error nothing is kept.
func (s *Signing) Add(p *psbt.Packet) (int, error) {
	if p == nil || p.UnsignedTx == nil {
		return 0, ruleErrorf(ErrOtherSpend, "empty packet")
	}
	if got, want := p.UnsignedTx.TxHash(), s.tx.TxHash(); got != want {
		return 0, ruleErrorf(ErrOtherSpend, "the signatures are for "+
			"transaction %v, not %v", got, want)
	}
	if len(p.Inputs) != len(s.tx.TxIn) {
		return 0, ruleErrorf(ErrOtherSpend, "packet has %d inputs, the "+
			"transaction %d", len(p.Inputs), len(s.tx.TxIn))
	}
	type found struct {
		input int
		key   string
		sig   []byte
	}
	var add []found
	for i, in := range p.Inputs {
		for _, ps := range in.PartialSigs {
			if ps == nil {
				continue
			}
			if !s.memberKey[string(ps.PubKey)] {
				return 0, ruleErrorf(ErrNotMember, "input %d is signed by %x, "+
					"which is not in the epoch %d federation", i, ps.PubKey, s.fed.Epoch)
			}
			if err := s.verify(i, ps.PubKey, ps.Signature); err != nil {
				return 0, err
			}
			if _, have := s.sigs[i][string(ps.PubKey)]; !have {
				add = append(add, found{i, string(ps.PubKey), ps.Signature})
			}
		}
	}
	for _, f := range add {
		s.sigs[f.input][f.key] = append([]byte(nil), f.sig...)
	}
	return len(add), nil
}

// verify checks one signature of input i by the key pub.
func (s *Signing) verify(i int, pub, sig []byte) error {
	if len(sig) < 2 || txscript.SigHashType(sig[len(sig)-1]) != txscript.SigHashAll {
		return ruleErrorf(ErrBadSignature, "input %d: signature by %x is not "+
			"SIGHASH_ALL", i, pub)
	}
	parsed, err := ecdsa.ParseDERSignature(sig[:len(sig)-1])
	if err != nil {
		return ruleErrorf(ErrBadSignature, "input %d: signature by %x: %v", i, pub, err)
	}
	// Serialize writes the one canonical form, with low S: any other form
	// of the same signature (anyone can flip S to N − S) verifies, but no
	// standard node relays it (BIP146 LOW_S), and kept in place of the
	// member's own it would keep the spend from completing.
	if !bytes.Equal(parsed.Serialize(), sig[:len(sig)-1]) {
		return ruleErrorf(ErrBadSignature, "input %d: signature by %x is not "+
			"in canonical low-S form", i, pub)
	}
	key, err := btcec.ParsePubKey(pub)
	if err != nil {
		return ruleErrorf(ErrBadSignature, "input %d: key %x: %v", i, pub, err)
	}
	hash, err := txscript.CalcWitnessSigHash(s.script, s.hashes, txscript.SigHashAll,
		s.tx, i, s.prevOuts[i].Value)
	if err != nil {
		return err
	}
	if !parsed.Verify(hash, key) {
		return ruleErrorf(ErrBadSignature, "input %d: the signature by %x does "+
			"not sign this transaction", i, pub)
	}
	return nil
}

// Signers returns how many members signed every input.
func (s *Signing) Signers() int {
	n := len(s.fed.Keys)
	for _, m := range s.sigs {
		n = min(n, len(m))
	}
	return n
}

// Complete returns the signed transaction once every input has Threshold
// signatures, and false before. It uses the signatures of the first
// Threshold signers in key order, and checks the result with btcd's script
// engine.
func (s *Signing) Complete() (*wire.MsgTx, bool, error) {
	for _, m := range s.sigs {
		if len(m) < s.fed.Threshold {
			return nil, false, nil
		}
	}
	p, err := s.packet()
	if err != nil {
		return nil, false, err
	}
	for i := range p.Inputs {
		for _, k := range s.fed.Keys {
			if len(p.Inputs[i].PartialSigs) == s.fed.Threshold {
				break
			}
			pub := k.SerializeCompressed()
			if sig, ok := s.sigs[i][string(pub)]; ok {
				p.Inputs[i].PartialSigs = append(p.Inputs[i].PartialSigs,
					&psbt.PartialSig{PubKey: pub, Signature: sig})
			}
		}
	}
	if err := psbt.MaybeFinalizeAll(p); err != nil {
		return nil, false, fmt.Errorf("pegbox: finalizing: %w", err)
	}
	tx, err := psbt.Extract(p)
	if err != nil {
		return nil, false, fmt.Errorf("pegbox: extracting: %w", err)
	}
	for i := range tx.TxIn {
		vm, err := txscript.NewEngine(s.pkScript, tx, i, txscript.StandardVerifyFlags,
			nil, txscript.NewTxSigHashes(tx, s.fetcher), s.prevOuts[i].Value, s.fetcher)
		if err == nil {
			err = vm.Execute()
		}
		if err != nil {
			return nil, false, fmt.Errorf("pegbox: signed input %d does not verify: %w", i, err)
		}
	}
	return tx, true, nil
}

// Silent returns the compressed keys, in key order, of the members that
// have not signed every input.
func (s *Signing) Silent() [][]byte {
	var out [][]byte
	for _, k := range s.fed.Keys {
		ck := k.SerializeCompressed()
		for _, m := range s.sigs {
			if _, ok := m[string(ck)]; !ok {
				out = append(out, ck)
				break
			}
		}
	}
	return out
}

// Threshold returns how many members' signatures the spend needs.
func (s *Signing) Threshold() int { return s.fed.Threshold }
