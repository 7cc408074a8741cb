package claims

import (
	"crypto/sha256"
	"encoding/binary"
	"math"

	"github.com/mainstake/sidenode/pos/bls"
	"github.com/mainstake/sidenode/pos/ffg"
)

// MaxDelta bounds the magnitude of one validator's reward record for one
// epoch: 2^40 satoshis (about 11,000 coins). Sums over 2^20 epochs then
// stay far inside 64 bits.
const MaxDelta = 1 << 40

// EpochRecord is the reward record of one epoch: for each validator index,
// the rewards minus the penalties pos/ffg computed for it in that epoch, in
// satoshis (EpochDeltas' Reward − Penalty, plus the proposer rewards the
// engine credits). Validators past the end of Deltas have a delta of zero.
// Records are derived from the best chain's blocks; they are not stored
// apart from it.
type EpochRecord struct {
	Epoch  uint64
	Deltas []int64
}

// RecordFromDeltas makes an epoch's record from pos/ffg's deltas
// (ErrBadRecord when one is larger than MaxDelta in magnitude).
func RecordFromDeltas(epoch uint64, d []ffg.Delta) (EpochRecord, error) {
	r := EpochRecord{Epoch: epoch, Deltas: make([]int64, len(d))}
	for i, x := range d {
		if x.Reward > MaxDelta || x.Penalty > MaxDelta {
			return EpochRecord{}, ruleErrorf(ErrBadRecord, "epoch %d "+
				"validator %d: reward %d or penalty %d sat above %d", epoch,
				i, x.Reward, x.Penalty, uint64(MaxDelta))
		}
		r.Deltas[i] = int64(x.Reward) - int64(x.Penalty)
	}
	return r, nil
}

func (r *EpochRecord) delta(v uint64) int64 {
	if v < uint64(len(r.Deltas)) {
		return r.Deltas[v]
	}
	return 0
}

func (r *EpochRecord) check() error {
	for i, d := range r.Deltas {
		if d > MaxDelta || d < -MaxDelta {
			return ruleErrorf(ErrBadRecord, "epoch %d validator %d: delta "+
				"%d sat beyond ±%d", r.Epoch, i, d, uint64(MaxDelta))
		}
	}
	return nil
}

// History gives the reward records of the best chain's ended epochs.
type History interface {
	// Record returns the record of epoch e, false if the chain has none.
	Record(e uint64) (*EpochRecord, bool)
}

// Keys gives validators' BLS public keys (the registry's).
type Keys interface {
	// PublicKey returns validator i's key, false if there is none.
	PublicKey(i uint64) (*bls.PublicKey, bool)
}

// Account is a validator's claim state, part of the consensus state: the
// first epoch it has not claimed yet and the total it has claimed.
type Account struct {
	NextEpoch uint64
	Claimed   uint64
}

// Ledger holds every validator's Account, by index; an index past the end
// has the zero Account (nothing claimed, from epoch 0).
type Ledger struct {
	Accounts []Account
}

// Account returns validator v's account.
func (l *Ledger) Account(v uint64) Account {
	if v < uint64(len(l.Accounts)) {
		return l.Accounts[v]
	}
	return Account{}
}

// Validate checks a claim included in a block of epoch current against the
// ledger and the chain's history, and returns the amount it may take. The
// rules, in order: the validator has a key (ErrUnknownValidator); the last
// epoch is not before the first and the range spans at most MaxClaimRange
// epochs (ErrBadRange); the range starts exactly at the validator's next
// unclaimed epoch (before it ErrOverlappingRange, after it ErrGapInRange);
// current > ToEpoch + Cooldown (ErrBeforeCooldown); the history has a
// record for every epoch of the range (ErrNoRecord); the sum of the
// validator's deltas over the range is positive (ErrNothingToClaim) and
// equals the claimed amount (ErrAmountMismatch); the signature verifies
// under the validator's key over SigningRoot(domain) (ErrBadSignature).
//
// Because every claim covers the epochs right after the previous one and
// takes exactly their sum, the claims of a validator take, in total, the
// sum of its deltas from epoch 0 to its last claimed epoch: penalties are
// deducted from the next claim, nothing is paid twice, and no epoch is
// skipped.
func Validate(p *Params, l *Ledger, h History, keys Keys, c *Claim, current uint64, domain [32]byte) (uint64, error) {
	if err := p.Check(); err != nil {
		return 0, err
	}
	pk, ok := keys.PublicKey(c.Validator)
	if !ok {
		return 0, ruleErrorf(ErrUnknownValidator, "claim for unknown "+
			"validator %d", c.Validator)
	}
	if c.ToEpoch < c.FromEpoch || c.ToEpoch-c.FromEpoch >= p.MaxClaimRange {
		return 0, ruleErrorf(ErrBadRange, "claim range %d–%d is not "+
			"between 1 and %d epochs", c.FromEpoch, c.ToEpoch, p.MaxClaimRange)
	}
	next := l.Account(c.Validator).NextEpoch
	switch {
	case c.FromEpoch < next:
		return 0, ruleErrorf(ErrOverlappingRange, "validator %d has "+
			"claimed up to epoch %d; a claim from epoch %d overlaps",
			c.Validator, next-1, c.FromEpoch)
	case c.FromEpoch > next:
		return 0, ruleErrorf(ErrGapInRange, "validator %d's next claim "+
			"starts at epoch %d, not %d", c.Validator, next, c.FromEpoch)
	}
	if c.ToEpoch >= math.MaxUint64-p.Cooldown || current <= c.ToEpoch+p.Cooldown {
		return 0, ruleErrorf(ErrBeforeCooldown, "rewards up to epoch %d "+
			"may be claimed from epoch %d on, not at %d", c.ToEpoch,
			c.ToEpoch+p.Cooldown+1, current)
	}
	var sum int64
	for e := c.FromEpoch; e <= c.ToEpoch; e++ {
		r, ok := h.Record(e)
		if !ok || r.Epoch != e {
			return 0, ruleErrorf(ErrNoRecord, "no reward record for "+
				"epoch %d", e)
		}
		d := r.delta(c.Validator)
		if d > MaxDelta || d < -MaxDelta {
			return 0, ruleErrorf(ErrNoRecord, "reward record of epoch %d "+
				"is out of range", e)
		}
		sum += d
	}
	if sum <= 0 {
		return 0, ruleErrorf(ErrNothingToClaim, "validator %d earned %d "+
			"sat net over epochs %d–%d; nothing to claim", c.Validator, sum,
			c.FromEpoch, c.ToEpoch)
	}
	if uint64(sum) != c.Amount {
		return 0, ruleErrorf(ErrAmountMismatch, "claim of %d sat for "+
			"validator %d over epochs %d–%d; the chain gives %d sat",
			c.Amount, c.Validator, c.FromEpoch, c.ToEpoch, sum)
	}
	sig, err := bls.SignatureFromBytes(c.Signature[:])
	r := c.SigningRoot(domain)
	if err != nil || !sig.Verify(pk, r[:]) {
		return 0, ruleErrorf(ErrBadSignature, "claim signature does not "+
			"verify under validator %d's key", c.Validator)
	}
	return c.Amount, nil
}

// Apply records a claim Validate accepted: the validator's next unclaimed
// epoch moves past the claim's range and its claimed total grows.
func (l *Ledger) Apply(c *Claim) {
	for uint64(len(l.Accounts)) <= c.Validator {
		l.Accounts = append(l.Accounts, Account{})
	}
	a := &l.Accounts[c.Validator]
	a.NextEpoch = c.ToEpoch + 1
	a.Claimed += c.Amount
}

// Encode is the ledger's canonical encoding, for the state hash: the
// number of accounts up to the last non-zero one, then per account its next
// epoch and claimed total, all 8-byte big-endian. Trailing zero accounts
// are left out, so that a ledger's encoding does not depend on how far its
// slice was grown.
func (l *Ledger) Encode() []byte {
	n := len(l.Accounts)
	for n > 0 && l.Accounts[n-1] == (Account{}) {
		n--
	}
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+16*n), uint64(n))
	for _, a := range l.Accounts[:n] {
		b = binary.BigEndian.AppendUint64(b, a.NextEpoch)
		b = binary.BigEndian.AppendUint64(b, a.Claimed)
	}
	return b
}

// Hash is SHA-256 of the canonical encoding.
func (l *Ledger) Hash() [32]byte {
	return sha256.Sum256(l.Encode())
}

// DecodeLedger parses Encode's output strictly: an exact length, and a last
// account that is not zero (ErrMalformed).
func DecodeLedger(b []byte) (*Ledger, error) {
	if len(b) < 8 {
		return nil, ruleErrorf(ErrMalformed, "ledger encoding of %d bytes", len(b))
	}
	n := binary.BigEndian.Uint64(b)
	b = b[8:]
	if n > uint64(len(b))/16 || uint64(len(b)) != 16*n {
		return nil, ruleErrorf(ErrMalformed, "ledger of %d accounts in %d "+
			"bytes", n, len(b))
	}
	l := &Ledger{Accounts: make([]Account, n)}
	for i := range l.Accounts {
		l.Accounts[i] = Account{
			NextEpoch: binary.BigEndian.Uint64(b[16*i:]),
			Claimed:   binary.BigEndian.Uint64(b[16*i+8:]),
		}
	}
	if n > 0 && l.Accounts[n-1] == (Account{}) {
		return nil, ruleErrorf(ErrMalformed, "ledger encoding ends with a "+
			"zero account")
	}
	return l, nil
}
