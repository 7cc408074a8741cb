package psbtsign

import (
	"bytes"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// Input says how one input of a Session's transaction is signed.
type Input struct {
	// Prev is the output the input spends (value and script).
	Prev *wire.TxOut

	// WitnessScript is the script a P2WSH Prev commits to, and nil for
	// a P2WPKH Prev.
	WitnessScript []byte

	// Signers are the compressed keys that may sign the input, in the
	// order Complete prefers their signatures.
	Signers [][]byte

	// Need is how many of them must sign it.
	Need int
}

// Session gathers the signatures of one transaction. It is not safe for
// concurrent use.
type Session struct {
	tx      *wire.MsgTx // unsigned
	txid    chainhash.Hash
	inputs  []Input
	fetcher *txscript.MultiPrevOutFetcher
	hashes  *txscript.TxSigHashes
	allowed []map[string]bool   // per input: compressed key → may sign
	sigs    []map[string][]byte // per input: compressed key → signature
}

// New starts gathering signatures for tx, described input by input by
// inputs. A description that does not fit tx is ErrBadInputs.
func New(tx *wire.MsgTx, inputs []Input) (*Session, error) {
	if tx == nil {
		return nil, ruleErrorf(ErrBadInputs, "no transaction")
	}
	if len(inputs) != len(tx.TxIn) {
		return nil, ruleErrorf(ErrBadInputs, "%d input descriptions for "+
			"a transaction of %d inputs", len(inputs), len(tx.TxIn))
	}
	s := &Session{tx: tx.Copy(), fetcher: txscript.NewMultiPrevOutFetcher(nil)}
	s.txid = s.tx.TxHash()
	for i, in := range inputs {
		if in.Prev == nil {
			return nil, ruleErrorf(ErrBadInputs, "input %d has no prevout", i)
		}
		if in.Need < 1 || in.Need > len(in.Signers) {
			return nil, ruleErrorf(ErrBadInputs, "input %d needs %d of %d "+
				"signers", i, in.Need, len(in.Signers))
		}
		switch {
		case in.WitnessScript == nil:
			if !txscript.IsPayToWitnessPubKeyHash(in.Prev.PkScript) {
				return nil, ruleErrorf(ErrBadInputs, "input %d spends a %v "+
					"output without a witness script", i,
					txscript.GetScriptClass(in.Prev.PkScript))
			}
		default:
			want, err := witnessScriptHash(in.WitnessScript)
			if err != nil || !bytes.Equal(want, in.Prev.PkScript) {
				return nil, ruleErrorf(ErrBadInputs, "input %d's witness "+
					"script is not the one its P2WSH output commits to", i)
			}
		}
		allowed := make(map[string]bool, len(in.Signers))
		for _, k := range in.Signers {
			allowed[string(k)] = true
		}
		in.Prev = wire.NewTxOut(in.Prev.Value, in.Prev.PkScript)
		s.inputs = append(s.inputs, in)
		s.allowed = append(s.allowed, allowed)
		s.sigs = append(s.sigs, make(map[string][]byte))
		s.fetcher.AddPrevOut(s.tx.TxIn[i].PreviousOutPoint, in.Prev)
	}
	s.hashes = txscript.NewTxSigHashes(s.tx, s.fetcher)
	return s, nil
}

// witnessScriptHash returns the P2WSH output script of script.
func witnessScriptHash(script []byte) ([]byte, error) {
	h := chainhash.HashB(script)
	return txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(h).Script()
}

// Tx returns the unsigned transaction.
func (s *Session) Tx() *wire.MsgTx { return s.tx.Copy() }

// TxHash returns the unsigned transaction's txid (segwit: the txid of the
// signed one too).
func (s *Session) TxHash() chainhash.Hash { return s.txid }

// subScript is the script input i's signatures commit to: the witness
// script, or for P2WPKH the output script (txscript derives the script
// code from it).
func (s *Session) subScript(i int) []byte {
	if s.inputs[i].WitnessScript != nil {
		return s.inputs[i].WitnessScript
	}
	return s.inputs[i].Prev.PkScript
}

// Packet returns the unsigned transaction as a PSBT with every input's
// witness UTXO, witness script (P2WSH) and sighash type, and no signature.
func (s *Session) Packet() (*psbt.Packet, error) {
	p, err := psbt.NewFromUnsignedTx(s.tx.Copy())
	if err != nil {
		return nil, err
	}
	for i := range p.Inputs {
		p.Inputs[i].WitnessUtxo = s.inputs[i].Prev
		p.Inputs[i].WitnessScript = s.inputs[i].WitnessScript
		p.Inputs[i].SighashType = txscript.SigHashAll
	}
	return p, nil
}

// Sign signs, with SIGHASH_ALL, every input priv's key may sign, keeps
// the signatures and returns them as a PSBT for the other parties. A key
// that may sign no input is ErrNotSigner.
func (s *Session) Sign(priv *btcec.PrivateKey) (*psbt.Packet, error) {
	pub := priv.PubKey().SerializeCompressed()
	p, err := s.Packet()
	if err != nil {
		return nil, err
	}
	u, err := psbt.NewUpdater(p)
	if err != nil {
		return nil, err
	}
	signed := 0
	for i := range s.tx.TxIn {
		if !s.allowed[i][string(pub)] {
			continue
		}
		sig, err := txscript.RawTxInWitnessSignature(s.tx, s.hashes, i,
			s.inputs[i].Prev.Value, s.subScript(i), txscript.SigHashAll, priv)
		if err != nil {
			return nil, err
		}
		if _, err := u.Sign(i, sig, pub, nil, nil); err != nil {
			return nil, fmt.Errorf("psbtsign: adding the signature of input %d: %w", i, err)
		}
		s.sigs[i][string(pub)] = sig
		signed++
	}
	if signed == 0 {
		return nil, ruleErrorf(ErrNotSigner, "key %x may sign no input of %v",
			pub, s.txid)
	}
	return p, nil
}

// Add checks the signatures of the packet p and keeps them. It returns how
// many were new. A packet of another transaction is ErrOtherTx, a
// signature by a key its input does not allow ErrNotSigner, one that does
// not verify ErrBadSignature. On error nothing is kept.
func (s *Session) Add(p *psbt.Packet) (int, error) {
	if p == nil || p.UnsignedTx == nil {
		return 0, ruleErrorf(ErrOtherTx, "empty packet")
	}
	if got := p.UnsignedTx.TxHash(); got != s.txid {
		return 0, ruleErrorf(ErrOtherTx, "the signatures are for "+
			"transaction %v, not %v", got, s.txid)
	}
	if len(p.Inputs) != len(s.tx.TxIn) {
		return 0, ruleErrorf(ErrOtherTx, "packet has %d inputs, the "+
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
			if err := s.check(i, ps.PubKey, ps.Signature); err != nil {
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

// AddSig checks one signature sig (DER ‖ sighash byte) of input i by the
// compressed key pub and keeps it. It reports whether it was new; the
// errors are Add's, and ErrOtherTx for an input out of range.
func (s *Session) AddSig(i int, pub, sig []byte) (bool, error) {
	if i < 0 || i >= len(s.tx.TxIn) {
		return false, ruleErrorf(ErrOtherTx, "input %d of a transaction "+
			"of %d inputs", i, len(s.tx.TxIn))
	}
	if err := s.check(i, pub, sig); err != nil {
		return false, err
	}
	if _, have := s.sigs[i][string(pub)]; have {
		return false, nil
	}
	s.sigs[i][string(pub)] = append([]byte(nil), sig...)
	return true, nil
}

// Sig returns the signature of input i by pub that the session holds.
func (s *Session) Sig(i int, pub []byte) ([]byte, bool) {
	if i < 0 || i >= len(s.sigs) {
		return nil, false
	}
	sig, ok := s.sigs[i][string(pub)]
	return sig, ok
}

// check verifies one signature of input i by the key pub.
func (s *Session) check(i int, pub, sig []byte) error {
	if !s.allowed[i][string(pub)] {
		return ruleErrorf(ErrNotSigner, "input %d is signed by %x, which "+
			"may not sign it", i, pub)
	}
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
	// signer's own it would keep the transaction from completing.
	if !bytes.Equal(parsed.Serialize(), sig[:len(sig)-1]) {
		return ruleErrorf(ErrBadSignature, "input %d: signature by %x is not "+
			"in canonical low-S form", i, pub)
	}
	key, err := btcec.ParsePubKey(pub)
	if err != nil {
		return ruleErrorf(ErrBadSignature, "input %d: key %x: %v", i, pub, err)
	}
	hash, err := txscript.CalcWitnessSigHash(s.subScript(i), s.hashes,
		txscript.SigHashAll, s.tx, i, s.inputs[i].Prev.Value)
	if err != nil {
		return err
	}
	if !parsed.Verify(hash, key) {
		return ruleErrorf(ErrBadSignature, "input %d: the signature by %x does "+
			"not sign transaction %v", i, pub, s.txid)
	}
	return nil
}

// Count returns how many signatures of input i the session holds.
func (s *Session) Count(i int) int { return len(s.sigs[i]) }

// Has reports whether the session holds input i's signature by pub.
func (s *Session) Has(i int, pub []byte) bool {
	_, ok := s.sigs[i][string(pub)]
	return ok
}

// Ready reports whether every input has the signatures it needs.
func (s *Session) Ready() bool {
	for i, m := range s.sigs {
		if len(m) < s.inputs[i].Need {
			return false
		}
	}
	return true
}

// Complete returns the signed transaction once every input has the
// signatures it needs, and false before. Each input takes the signatures of
// its first Need signers in Signers order. The witnesses are written by the
// psbt finalizer, and btcd's script engine checks every input of the
// result with the standard verify flags.
func (s *Session) Complete() (*wire.MsgTx, bool, error) {
	if !s.Ready() {
		return nil, false, nil
	}
	p, err := s.Packet()
	if err != nil {
		return nil, false, err
	}
	for i := range p.Inputs {
		in := &s.inputs[i]
		for _, pub := range in.Signers {
			if len(p.Inputs[i].PartialSigs) == in.Need {
				break
			}
			if sig, ok := s.sigs[i][string(pub)]; ok {
				p.Inputs[i].PartialSigs = append(p.Inputs[i].PartialSigs,
					&psbt.PartialSig{PubKey: pub, Signature: sig})
			}
		}
	}
	if err := psbt.MaybeFinalizeAll(p); err != nil {
		return nil, false, fmt.Errorf("psbtsign: finalizing: %w", err)
	}
	tx, err := psbt.Extract(p)
	if err != nil {
		return nil, false, fmt.Errorf("psbtsign: extracting: %w", err)
	}
	hashes := txscript.NewTxSigHashes(tx, s.fetcher)
	for i := range tx.TxIn {
		vm, err := txscript.NewEngine(s.inputs[i].Prev.PkScript, tx, i,
			txscript.StandardVerifyFlags, nil, hashes, s.inputs[i].Prev.Value,
			s.fetcher)
		if err == nil {
			err = vm.Execute()
		}
		if err != nil {
			return nil, false, fmt.Errorf("psbtsign: signed input %d does not verify: %w", i, err)
		}
	}
	return tx, true, nil
}
