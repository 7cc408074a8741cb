package registry

import (
	"bytes"
	"math/bits"
	"slices"

	"github.com/mainstake/sidenode/pos/bls"
)

// maxEpoch bounds every epoch the registry stores, so that adding a delay
// to one never overflows.
const maxEpoch = 1 << 60

// Validator is one registry entry.
type Validator struct {
	// PublicKey is the validator's compressed BLS12-381 public key.
	PublicKey [bls.PublicKeySize]byte

	// WithdrawalScript is the sidechain output script that the validator's
	// coins are paid to when withdrawn, and its rewards when claimed. The
	// first deposit sets it; top-ups do not change it.
	WithdrawalScript []byte

	// Balance is the staked amount in satoshis; EffectiveBalance is the
	// amount that counts for selection, votes and rewards.
	Balance          uint64
	EffectiveBalance uint64

	// Slashed is set by Slash.
	Slashed bool

	// EligibilityEpoch, ActivationEpoch, ExitEpoch and WithdrawableEpoch
	// are FarFutureEpoch until set.
	EligibilityEpoch  uint64
	ActivationEpoch   uint64
	ExitEpoch         uint64
	WithdrawableEpoch uint64
}

// IsActive is is_active_validator: activated at or before epoch e and not
// exited at it.
func (v *Validator) IsActive(e uint64) bool {
	return v.ActivationEpoch <= e && e < v.ExitEpoch
}

// State is the registry: the validators in deposit order (a validator's
// index is its position) and the current epoch. The zero State at epoch 0
// is the empty registry.
type State struct {
	Epoch      uint64
	Validators []Validator

	// byKey maps public keys to indices; nil until first needed, rebuilt
	// from Validators.
	byKey map[[bls.PublicKeySize]byte]uint64
}

// Index returns the index of the validator with public key pk.
func (s *State) Index(pk [bls.PublicKeySize]byte) (uint64, bool) {
	if s.byKey == nil || len(s.byKey) != len(s.Validators) {
		s.byKey = make(map[[bls.PublicKeySize]byte]uint64, len(s.Validators))
		for i := range s.Validators {
			s.byKey[s.Validators[i].PublicKey] = uint64(i)
		}
	}
	i, ok := s.byKey[pk]
	return i, ok
}

// Clone returns a deep copy of s.
func (s *State) Clone() *State {
	c := &State{Epoch: s.Epoch, Validators: slices.Clone(s.Validators)}
	for i := range c.Validators {
		c.Validators[i].WithdrawalScript = slices.Clone(c.Validators[i].WithdrawalScript)
	}
	return c
}

// ActiveCount is the number of validators active at the current epoch.
func (s *State) ActiveCount() uint64 {
	var n uint64
	for i := range s.Validators {
		if s.Validators[i].IsActive(s.Epoch) {
			n++
		}
	}
	return n
}

// Deposit is the record a deposit transaction carries: the validator's
// public key, the output script its coins go back to, and the amount
// locked in satoshis. Checking the deposit's proof of possession and that
// the transaction locks the amount is the engine's part.
type Deposit struct {
	PublicKey        [bls.PublicKeySize]byte
	WithdrawalScript []byte
	Amount           uint64
}

// ApplyDeposit is process_deposit without the Merkle proof: a deposit for
// an unknown key of at least MinDeposit appends a validator (effective
// balance the amount rounded down to an increment, capped at
// MaxEffectiveBalance; all epochs unset), and a deposit for a known key
// adds to its balance (a top-up; the effective balance follows at the
// epoch's hysteresis step). It returns the validator's index.
func ApplyDeposit(p *Params, s *State, d *Deposit) (uint64, error) {
	if err := p.Check(); err != nil {
		return 0, err
	}
	if i, ok := s.Index(d.PublicKey); ok {
		if d.Amount == 0 {
			return 0, ruleErrorf(ErrDepositBelowMinimum, "top-up of validator "+
				"%d is zero", i)
		}
		v := &s.Validators[i]
		sum, carry := bits.Add64(v.Balance, d.Amount, 0)
		if carry != 0 {
			return 0, ruleErrorf(ErrBadDeposit, "top-up of %d sat would "+
				"overflow the balance of validator %d", d.Amount, i)
		}
		v.Balance = sum
		return i, nil
	}
	if d.Amount < p.MinDeposit {
		return 0, ruleErrorf(ErrDepositBelowMinimum, "deposit of %d sat is "+
			"below the minimum of %d sat", d.Amount, p.MinDeposit)
	}
	if n := len(d.WithdrawalScript); n == 0 || n > MaxWithdrawalScriptLen {
		return 0, ruleErrorf(ErrBadDeposit, "withdrawal script of %d bytes "+
			"is not between 1 and %d bytes", n, MaxWithdrawalScriptLen)
	}
	if _, err := bls.PublicKeyFromBytes(d.PublicKey[:]); err != nil {
		return 0, ruleErrorf(ErrBadDeposit, "deposit public key: %v", err)
	}
	i := uint64(len(s.Validators))
	s.Validators = append(s.Validators, Validator{
		PublicKey:         d.PublicKey,
		WithdrawalScript:  bytes.Clone(d.WithdrawalScript),
		Balance:           d.Amount,
		EffectiveBalance:  min(d.Amount-d.Amount%p.EffectiveBalanceIncrement, p.MaxEffectiveBalance),
		EligibilityEpoch:  FarFutureEpoch,
		ActivationEpoch:   FarFutureEpoch,
		ExitEpoch:         FarFutureEpoch,
		WithdrawableEpoch: FarFutureEpoch,
	})
	if s.byKey != nil {
		s.byKey[d.PublicKey] = i
	}
	return i, nil
}

func (s *State) validator(i uint64) (*Validator, error) {
	if i >= uint64(len(s.Validators)) {
		return nil, ruleErrorf(ErrUnknownValidator, "validator %d is not in "+
			"the registry of %d validators", i, len(s.Validators))
	}
	return &s.Validators[i], nil
}

// InitiateExit is initiate_validator_exit: a validator not yet exiting gets
// the exit epoch of the exit queue (the latest exit epoch set, or the
// current activation-exit epoch if later, moved one epoch on when that
// epoch already holds ChurnLimit exits) and a withdrawable epoch
// MinValidatorWithdrawabilityDelay later. A validator already exiting is
// left as it is.
func InitiateExit(p *Params, s *State, i uint64) error {
	if err := p.Check(); err != nil {
		return err
	}
	v, err := s.validator(i)
	if err != nil {
		return err
	}
	if v.ExitEpoch != FarFutureEpoch {
		return nil
	}
	s.initiateExit(p, v)
	return nil
}

// exitQueue is the end of the exit queue: its epoch, the exits already at
// that epoch, and the churn limit.
type exitQueue struct {
	epoch, churn, limit uint64
}

// exitQueue computes the queue's end in one pass over the validators.
func (s *State) exitQueue(p *Params) exitQueue {
	q := exitQueue{epoch: p.ActivationExitEpoch(s.Epoch)}
	var active uint64
	for j := range s.Validators {
		v := &s.Validators[j]
		if v.IsActive(s.Epoch) {
			active++
		}
		switch e := v.ExitEpoch; {
		case e == FarFutureEpoch || e < q.epoch:
		case e == q.epoch:
			q.churn++
		default:
			q.epoch, q.churn = e, 1
		}
	}
	q.limit = p.ChurnLimit(active)
	return q
}

// add gives v the queue's exit epoch and moves the queue on.
func (q *exitQueue) add(p *Params, v *Validator) {
	if q.churn >= q.limit {
		q.epoch, q.churn = q.epoch+1, 0
	}
	v.ExitEpoch = q.epoch
	v.WithdrawableEpoch = q.epoch + p.MinValidatorWithdrawabilityDelay
	q.churn++
}

func (s *State) initiateExit(p *Params, v *Validator) {
	q := s.exitQueue(p)
	q.add(p, v)
}

// VoluntaryExit is process_voluntary_exit without the signature, which the
// engine checks against the validator's key: the validator must be active
// (ErrNotActive), not exiting already (ErrAlreadyExiting) and active for
// at least ShardCommitteePeriod epochs (ErrExitTooEarly).
func VoluntaryExit(p *Params, s *State, i uint64) error {
	if err := p.Check(); err != nil {
		return err
	}
	v, err := s.validator(i)
	if err != nil {
		return err
	}
	switch {
	case v.ExitEpoch != FarFutureEpoch:
		return ruleErrorf(ErrAlreadyExiting, "validator %d already exits "+
			"at epoch %d", i, v.ExitEpoch)
	case !v.IsActive(s.Epoch):
		return ruleErrorf(ErrNotActive, "validator %d is not active at "+
			"epoch %d", i, s.Epoch)
	case s.Epoch < v.ActivationEpoch+p.ShardCommitteePeriod:
		return ruleErrorf(ErrExitTooEarly, "validator %d may exit from "+
			"epoch %d (activated at %d, %d epochs minimum), not at %d", i,
			v.ActivationEpoch+p.ShardCommitteePeriod, v.ActivationEpoch,
			p.ShardCommitteePeriod, s.Epoch)
	}
	s.initiateExit(p, v)
	return nil
}

// Slash is the registry's part of slash_validator, the forced exit: the
// validator is exited through the exit queue if it is not exiting yet,
// marked slashed, and withdrawable no earlier than EpochsPerSlashingsVector
// epochs from now. The penalties and the whistleblower reward are the
// engine's (Penalize applies a decrease). Slashing a slashed validator
// changes nothing more.
func Slash(p *Params, s *State, i uint64) error {
	if err := p.Check(); err != nil {
		return err
	}
	v, err := s.validator(i)
	if err != nil {
		return err
	}
	if v.ExitEpoch == FarFutureEpoch {
		s.initiateExit(p, v)
	}
	v.Slashed = true
	v.WithdrawableEpoch = max(v.WithdrawableEpoch, s.Epoch+p.EpochsPerSlashingsVector)
	return nil
}

// Penalize is decrease_balance: the balance drops by amount, not below
// zero. It returns what was taken.
func Penalize(s *State, i uint64, amount uint64) (uint64, error) {
	v, err := s.validator(i)
	if err != nil {
		return 0, err
	}
	taken := min(amount, v.Balance)
	v.Balance -= taken
	return taken, nil
}

// Withdraw pays out a validator from its withdrawable epoch on: it returns
// the whole balance and the script to pay it to, and leaves the validator
// with a zero balance and effective balance. Before the withdrawable epoch,
// or with nothing left, it is ErrNotWithdrawable.
func Withdraw(s *State, i uint64) (uint64, []byte, error) {
	v, err := s.validator(i)
	if err != nil {
		return 0, nil, err
	}
	if s.Epoch < v.WithdrawableEpoch {
		return 0, nil, ruleErrorf(ErrNotWithdrawable, "validator %d is "+
			"withdrawable from epoch %d, not at %d", i, v.WithdrawableEpoch,
			s.Epoch)
	}
	if v.Balance == 0 {
		return 0, nil, ruleErrorf(ErrNotWithdrawable, "validator %d has "+
			"nothing left to withdraw", i)
	}
	amt := v.Balance
	v.Balance, v.EffectiveBalance = 0, 0
	return amt, v.WithdrawalScript, nil
}

// ProcessEpoch ends the state's epoch, given the finalized epoch of the
// chain: process_registry_updates, then process_effective_balance_updates,
// then the epoch advances by one.
//
// Registry updates: a validator not yet in the queue whose effective
// balance reached MinActivationBalance becomes eligible at the next epoch;
// an active validator whose effective balance fell to EjectionBalance is
// exited; and of the validators eligible at or before the finalized epoch
// and not yet activated, ordered by (eligibility epoch, index), the first
// ChurnLimit(active) are activated at ActivationExitEpoch(current).
//
// Effective balances: with h = EffectiveBalanceIncrement /
// HysteresisQuotient, an effective balance changes only when the balance
// is below it by more than h · HysteresisDownwardMultiplier or above it by
// more than h · HysteresisUpwardMultiplier; it then becomes the balance
// rounded down to an increment, capped at MaxEffectiveBalance.
func ProcessEpoch(p *Params, s *State, finalizedEpoch uint64) error {
	if err := p.Check(); err != nil {
		return err
	}
	if s.Epoch+1 >= maxEpoch {
		return ruleErrorf(ErrEpochRegression, "epoch %d is the last the "+
			"registry counts", s.Epoch)
	}
	cur := s.Epoch
	var queue []uint64
	exits := s.exitQueue(p)
	limit := exits.limit
	for i := range s.Validators {
		v := &s.Validators[i]
		if v.EligibilityEpoch == FarFutureEpoch && v.EffectiveBalance >= p.MinActivationBalance {
			v.EligibilityEpoch = cur + 1
		}
		if v.IsActive(cur) && v.EffectiveBalance <= p.EjectionBalance && v.ExitEpoch == FarFutureEpoch {
			exits.add(p, v)
		}
	}
	for i := range s.Validators {
		v := &s.Validators[i]
		if v.ActivationEpoch == FarFutureEpoch && v.EligibilityEpoch <= finalizedEpoch {
			queue = append(queue, uint64(i))
		}
	}
	// Indices are appended in ascending order, so a stable sort by
	// eligibility epoch orders by (eligibility epoch, index).
	slices.SortStableFunc(queue, func(a, b uint64) int {
		ea, eb := s.Validators[a].EligibilityEpoch, s.Validators[b].EligibilityEpoch
		switch {
		case ea < eb:
			return -1
		case ea > eb:
			return 1
		}
		return 0
	})
	if uint64(len(queue)) > limit {
		queue = queue[:limit]
	}
	for _, i := range queue {
		s.Validators[i].ActivationEpoch = p.ActivationExitEpoch(cur)
	}
	UpdateEffectiveBalances(p, s)
	s.Epoch++
	return nil
}

// UpdateEffectiveBalances is process_effective_balance_updates, the
// hysteresis step ProcessEpoch documents.
func UpdateEffectiveBalances(p *Params, s *State) {
	h := p.EffectiveBalanceIncrement / p.HysteresisQuotient
	down := h * p.HysteresisDownwardMultiplier
	up := h * p.HysteresisUpwardMultiplier
	for i := range s.Validators {
		v := &s.Validators[i]
		// Written as in the specification but without overflow: balance
		// + down < effective, and effective + up < balance.
		if (v.EffectiveBalance > down && v.Balance < v.EffectiveBalance-down) ||
			(v.Balance > up && v.EffectiveBalance < v.Balance-up) {
			v.EffectiveBalance = min(v.Balance-v.Balance%p.EffectiveBalanceIncrement, p.MaxEffectiveBalance)
		}
	}
}
