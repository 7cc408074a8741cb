package chain

import (
	"bytes"
	"crypto/sha256"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pos/bls"
	"github.com/mainstake/sidenode/pos/registry"
	"github.com/mainstake/sidenode/pos/slashing"
	"github.com/mainstake/sidenode/sideblock"
)

// DepositTag starts the payload of a deposit output.
var DepositTag = [4]byte{'S', 'N', 'D', 'P'}

// depositVersion is the payload's version byte.
const depositVersion = 1

// DomainDeposit is the domain type of a deposit's proof of possession.
var DomainDeposit = slashing.DomainType{3, 0, 0, 0}

// MaxDepositScript bounds a deposit's withdrawal script, so that the
// payload fits one push of at most 520 bytes.
const MaxDepositScript = 520 - (4 + 1 + bls.PublicKeySize + slashing.SignatureSize)

// Deposit is what a deposit output carries: the validator's key, the
// proof that its holder made the deposit (a BLS signature by the key of
// DepositMessage), and the script its coins go back to. The output's value
// is the amount locked.
type Deposit struct {
	PublicKey        [bls.PublicKeySize]byte
	Signature        [slashing.SignatureSize]byte
	WithdrawalScript []byte
}

// DepositMessage is what a deposit's key signs: the signing root, under
// the deposit domain, of SHA-256(key ‖ withdrawal script).
func (c *Config) DepositMessage(pk [bls.PublicKeySize]byte, script []byte) Root {
	h := sha256.New()
	h.Write(pk[:])
	h.Write(script)
	var r Root
	h.Sum(r[:0])
	return slashing.SigningRoot(r, c.DepositDomain)
}

// DepositScript returns the output script of a deposit: OP_RETURN and one
// push of DepositTag, the version byte (1), the key, the signature and the
// withdrawal script (1 to MaxDepositScript bytes).
func DepositScript(d *Deposit) ([]byte, error) {
	p := append([]byte(nil), DepositTag[:]...)
	p = append(p, depositVersion)
	p = append(p, d.PublicKey[:]...)
	p = append(p, d.Signature[:]...)
	p = append(p, d.WithdrawalScript...)
	return txscript.NewScriptBuilder().AddOp(txscript.OP_RETURN).AddData(p).Script()
}

// NewDeposit returns the signed deposit of key to script.
func (c *Config) NewDeposit(key *bls.SecretKey, script []byte) *Deposit {
	d := &Deposit{PublicKey: key.PublicKey().Bytes(), WithdrawalScript: append([]byte(nil), script...)}
	d.Signature = sign(key, c.DepositMessage(d.PublicKey, script))
	return d
}

// parseDeposit returns the deposit an output script carries: false when
// it is not an OP_RETURN whose first push starts with DepositTag; an error
// when it is one but not a well-formed deposit (another version, a
// payload too short, a withdrawal script empty or too long, anything
// after the push, a push that is not minimal).
func parseDeposit(script []byte) (*Deposit, bool, error) {
	if len(script) < 1 || script[0] != txscript.OP_RETURN {
		return nil, false, nil
	}
	tok := txscript.MakeScriptTokenizer(0, script[1:])
	if !tok.Next() || tok.Opcode() > txscript.OP_PUSHDATA4 || !bytes.HasPrefix(tok.Data(), DepositTag[:]) {
		return nil, false, nil
	}
	data := tok.Data()
	fixed := 4 + 1 + bls.PublicKeySize + slashing.SignatureSize
	n := len(data) - fixed
	if data[4] != depositVersion || n < 1 || n > MaxDepositScript {
		return nil, true, ruleErrorf(ErrBadDeposit, "deposit payload of version %d with a %d-byte script",
			data[4], n)
	}
	if tok.Next() || tok.Err() != nil {
		return nil, true, ruleErrorf(ErrBadDeposit, "deposit script goes on after its payload")
	}
	if canon, err := txscript.NewScriptBuilder().AddOp(txscript.OP_RETURN).AddData(data).Script(); err != nil || !bytes.Equal(canon, script) {
		return nil, true, ruleErrorf(ErrBadDeposit, "deposit payload is not pushed minimally")
	}
	d := &Deposit{WithdrawalScript: append([]byte(nil), data[fixed:]...)}
	copy(d.PublicKey[:], data[5:])
	copy(d.Signature[:], data[5+bls.PublicKeySize:])
	return d, true, nil
}

// processDeposits applies the deposits of a block's transactions, in
// order, after the transactions connected: for each deposit output, the
// proof of possession must verify (ErrBadDeposit) and pos/registry must
// take it (a new key with at least MinDeposit, a positive top-up:
// ErrBadDeposit wrapping the registry's error). A new validator starts
// with empty participation and a zero inactivity score.
func processDeposits(c *Config, s *State, txs []*wire.MsgTx) error {
	for i, tx := range txs {
		if i == 0 || sideblock.IsMintTx(tx) {
			continue // the coinbase and a payout lock nothing
		}
		for vout, out := range tx.TxOut {
			d, ok, err := parseDeposit(out.PkScript)
			if !ok {
				continue
			}
			if err != nil {
				return err
			}
			pk, err := bls.PublicKeyFromBytes(d.PublicKey[:])
			msg := c.DepositMessage(d.PublicKey, d.WithdrawalScript)
			if err != nil || !verifySig(d.Signature[:], pk, msg[:]) {
				return ruleErrorf(ErrBadDeposit, "deposit %v:%d: the proof of possession does not verify",
					tx.TxHash(), vout)
			}
			if _, err := registry.ApplyDeposit(&c.Registry, s.Registry, &registry.Deposit{
				PublicKey: d.PublicKey, WithdrawalScript: d.WithdrawalScript, Amount: uint64(out.Value),
			}); err != nil {
				return wrapRule(ErrBadDeposit, err, "deposit %v:%d", tx.TxHash(), vout)
			}
			for len(s.PreviousParticipation) < len(s.Registry.Validators) {
				s.PreviousParticipation = append(s.PreviousParticipation, 0)
				s.CurrentParticipation = append(s.CurrentParticipation, 0)
				s.Inactivity = append(s.Inactivity, 0)
			}
		}
	}
	return nil
}
