package pegbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/withdraw"
)

// Verdict is what the rules say of a spend of pegbox coins.
type Verdict uint8

const (
	// Unchecked: the spend is a payout of a sideblock whose body, or an
	// ancestor's, this node does not hold, so its withdrawals are unknown
	// here. It is checked again once the body arrives.
	Unchecked Verdict = iota

	// ValidPayout: the first payout of a block of the best sidechain,
	// paying exactly its withdrawals, at some fee bump level.
	ValidPayout

	// ValidRotation: a rotation to a federation's pegbox, at some fee bump
	// level.
	ValidRotation

	// Unexplained: no rule lets the federation move these coins this way.
	Unexplained
)

// String returns the verdict as a word.
func (v Verdict) String() string {
	switch v {
	case Unchecked:
		return "unchecked"
	case ValidPayout:
		return "payout"
	case ValidRotation:
		return "rotation"
	case Unexplained:
		return "unexplained"
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// Judgement is a spend with its verdict.
type Judgement struct {
	Spend
	Verdict Verdict

	// SideBlock is the sideblock a 'W' payload names, and Burned, for a
	// valid payout, the value of its withdrawals.
	SideBlock chainhash.Hash
	Burned    int64

	// Code is the rule an unexplained spend broke, Err says how; for an
	// unchecked spend Err says what the node lacks.
	Code ErrorCode
	Err  error

	// payout tells a 'W' spend, whose verdict depends on the sidechain.
	payout bool
}

// SideChain is the node's view of the sidechain that payouts are checked
// against: the index entry of a published header and the best chain's tip
// height as the snapshot r shows them, and the body of a block, if the
// node holds it. BestSidechain is the node's.
type SideChain interface {
	BlockInfo(r store.Reader, hash chainhash.Hash) (*sideblock.BlockInfo, bool, error)
	TipHeight(r store.Reader) (int32, error)
	Body(hash chainhash.Hash) (*sideblock.Block, bool, error)
}

// BestSidechain is the SideChain of a node's sideblock.Chain.
func BestSidechain(c *sideblock.Chain) SideChain { return chainSide{c} }

type chainSide struct{ c *sideblock.Chain }

func (s chainSide) BlockInfo(r store.Reader, hash chainhash.Hash) (*sideblock.BlockInfo, bool, error) {
	return sideblock.BlockInfoAt(r, hash)
}

func (s chainSide) TipHeight(r store.Reader) (int32, error) {
	tip, err := sideblock.ChainTipAt(r)
	return tip.Height, err
}

func (s chainSide) Body(hash chainhash.Hash) (*sideblock.Block, bool, error) {
	block, _, err := s.c.Block(hash)
	if sideblock.IsErrorCode(err, sideblock.ErrBlockNotFound) {
		return nil, false, nil
	}
	return block, block != nil, err
}

// Auditor says of each spend of pegbox coins whether the rules allow it,
// against the node's best sidechain at the time of asking. The verdicts
// are no part of the chain state: a node that lacks a body says
// Unchecked until it has it, and the state hash, which covers only the
// spends' chain facts (Spend), is the same on every node.
type Auditor struct {
	x    *Index
	side SideChain // nil on a node without a sidechain

	mu sync.Mutex
	// checked caches what a payout's transaction and the body of the
	// sideblock it names say, which never changes: the body is committed
	// by the block hash. Whether the block is on the best chain is read
	// each time.
	checked map[[2 * chainhash.HashSize]byte]payoutCheck
	// warned holds the unexplained spends already reported on a warn
	// line, and last the figures of the latest Refresh.
	warned map[chainhash.Hash]bool
	last   Summary

	// Refresh's state: the verdicts on the spends up to block scanned,
	// oldest first. Only a payout's verdict can change without the
	// mainchain changing; the others are final, and their transactions
	// are not kept.
	rmu     sync.Mutex
	scanned store.BlockID // Height −1: nothing yet
	judged  []Judgement
}

// maxRefreshWalk is the widest gap of blocks Refresh reads block by block;
// a wider one, after a restart, it reads with one scan of every spend.
const maxRefreshWalk = 1000

type payoutCheck struct {
	err    error // a *RuleError, or nil
	burned int64
}

// NewAuditor returns the auditor of x's spends, reading sideblock bodies
// from side (nil on a node without a sidechain: every payout is then
// Unchecked).
func NewAuditor(x *Index, side SideChain) *Auditor {
	return &Auditor{x: x, side: side,
		checked: make(map[[2 * chainhash.HashSize]byte]payoutCheck),
		warned:  make(map[chainhash.Hash]bool),
		scanned: store.BlockID{Height: -1}}
}

// Summary counts the verdicts on the spends of the best mainchain.
type Summary struct {
	Spends         int
	Unexplained    int
	UnexplainedSat int64 // what the unexplained spends took out of the pegbox
	Unchecked      int
	UncheckedSat   int64
}

// Summarize counts js.
func Summarize(js []Judgement) Summary {
	s := Summary{Spends: len(js)}
	for i := range js {
		switch js[i].Verdict {
		case Unexplained:
			s.Unexplained++
			s.UnexplainedSat += js[i].Out()
		case Unchecked:
			s.Unchecked++
			s.UncheckedSat += js[i].Out()
		}
	}
	return s
}

// JudgeAll returns every spend of pegbox coins with its verdict, oldest
// first, as the snapshot r shows the chain, and the bodies the node holds.
// It reads every spend: an audit, not a hot path.
func (a *Auditor) JudgeAll(r store.Reader) ([]Judgement, error) {
	spends, err := Spends(r)
	if err != nil {
		return nil, err
	}
	out := make([]Judgement, len(spends))
	for i := range spends {
		j, err := a.Judge(r, &spends[i])
		if err != nil {
			return nil, err
		}
		out[i] = *j
	}
	return out, nil
}

// Refresh judges the spends in one snapshot of db, reports each
// unexplained spend not reported before on a warn line (the alarm every
// node raises), and keeps the figures for Last. The node calls it after
// every mainchain block. It reads the spends of the blocks since the last
// call and judges again only the payouts: O(new blocks + payouts), and
// every spend once after a start or a mainchain reorg below what it read.
func (a *Auditor) Refresh(db *store.DB) (Summary, error) {
	a.rmu.Lock()
	defer a.rmu.Unlock()
	err := db.View(func(r store.Reader) error {
		tip, err := r.Tip()
		if err != nil {
			return err
		}
		rescan := a.scanned.Height < 0 || tip.Height < a.scanned.Height ||
			tip.Height-a.scanned.Height > maxRefreshWalk
		if !rescan {
			h, err := r.HashAt(a.scanned.Height)
			switch {
			case store.IsErrorCode(err, store.ErrNotFound):
				rescan = true
			case err != nil:
				return err
			default:
				rescan = h != a.scanned.Hash
			}
		}
		var fresh []Spend
		if rescan {
			a.judged = nil
			if fresh, err = Spends(r); err != nil {
				return err
			}
		} else {
			for i := range a.judged {
				if !a.judged[i].payout {
					continue
				}
				j, err := a.Judge(r, &a.judged[i].Spend)
				if err != nil {
					return err
				}
				a.judged[i] = *j
			}
			for h := a.scanned.Height + 1; h <= tip.Height; h++ {
				prefix := binary.BigEndian.AppendUint32(append([]byte(nil), keySpendPrefix...), uint32(h))
				err := r.Iterate(prefix, func(k, v []byte) error {
					s, err := decodeSpend(k, v)
					if err == nil {
						fresh = append(fresh, *s)
					}
					return err
				})
				if err != nil {
					return err
				}
			}
		}
		for i := range fresh {
			j, err := a.Judge(r, &fresh[i])
			if err != nil {
				return err
			}
			if !j.payout {
				j.Tx = nil
			}
			a.judged = append(a.judged, *j)
		}
		a.scanned = tip
		return nil
	})
	if err != nil {
		// Start again from a scan of every spend.
		a.scanned, a.judged = store.BlockID{Height: -1}, nil
		return Summary{}, err
	}
	js := a.judged
	s := Summarize(js)
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range js {
		j := &js[i]
		if j.Verdict != Unexplained || a.warned[j.TxID] {
			continue
		}
		a.warned[j.TxID] = true
		log.Warnf("UNEXPLAINED PEGBOX SPEND %v in mainchain block %d took %d of "+
			"%d sat out of the pegbox, which no rule allows (%v): %v", j.TxID,
			j.Height, j.Out(), j.Spent, j.Code, j.Err)
	}
	a.last = s
	return s, nil
}

// Last returns the figures of the latest Refresh.
func (a *Auditor) Last() Summary {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

// Judge says whether the rules allow spend s, as the snapshot r shows the
// chain. Only a payout's verdict depends on the sidechain; the others are
// functions of the mainchain.
func (a *Auditor) Judge(r store.Reader, s *Spend) (*Judgement, error) {
	j := &Judgement{Spend: *s}
	vout, payload, perr := opreturn.FindInTx(s.Tx, a.x.params.SidechainID)
	var why error
	switch p := payload.(type) {
	case nil:
		why = ruleErrorf(ErrSpendNoPayload, "spend of %d pegbox coins carries "+
			"no payload of this sidechain: %v", len(s.Coins), perr)
	case *opreturn.Deposit:
		why = ruleErrorf(ErrDepositSpendsPegbox, "a deposit funded by %d pegbox "+
			"coins: a deposit must bring coins into the pegbox from outside", len(s.Coins))
	case *opreturn.Payout:
		j.SideBlock, j.payout = p.SideBlock, true
		var err error
		why, err = a.judgePayout(r, j)
		var nb errNoBody
		switch {
		case errors.As(err, &nb):
			j.Verdict, j.Err = Unchecked, err
			return j, nil
		case err != nil:
			return nil, err
		case why == nil:
			j.Verdict = ValidPayout
			return j, nil
		}
	case *opreturn.Rotation:
		why = a.checkRotation(r, s, vout, p)
		if why == nil {
			j.Verdict = ValidRotation
			return j, nil
		}
	default:
		why = ruleErrorf(ErrSpendNoPayload, "spend of %d pegbox coins carries "+
			"a %v payload, which spends no pegbox coin", len(s.Coins), payload.Kind())
	}
	var re *RuleError
	if !errors.As(why, &re) {
		return nil, why // the store's error
	}
	j.Verdict, j.Code, j.Err = Unexplained, re.ErrorCode, why
	return j, nil
}

// errNoBody marks a payout the node cannot check yet.
type errNoBody struct{ side chainhash.Hash }

func (e errNoBody) Error() string {
	return fmt.Sprintf("sideblock %v is not on this node's best sidechain "+
		"yet (the node lacks its body or an ancestor's, or has not connected "+
		"them yet), so it cannot check the payout's withdrawals", e.side)
}

// judgePayout checks a 'W' spend against the best sidechain: it must be
// the first payout of a block of the best sidechain that has withdrawals,
// paying exactly them (withdraw.VerifyPayout), with a fee at most their
// fee budgets plus PegMaxBumpFee. why is nil for a valid payout, else the
// rule it breaks; err is errNoBody when the node cannot tell yet, or the
// store's error.
func (a *Auditor) judgePayout(r store.Reader, j *Judgement) (why, err error) {
	side := j.SideBlock
	if rec, ok, err := PayoutOf(r, side); err != nil {
		return nil, err
	} else if !ok || rec.TxID != j.TxID {
		// The index records the first 'W' spend of a block as its
		// payout; this is a later one.
		return ruleErrorf(ErrPayoutRepeat, "sideblock %v was paid "+
			"before, by an earlier spend", side), nil
	}
	if a.side == nil {
		return nil, errNoBody{side}
	}
	info, ok, err := a.side.BlockInfo(r, side)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return ruleErrorf(ErrPayoutUnknownBlock, "the payout names "+
			"sideblock %v, whose header was never published", side), nil
	case info.Status.Invalid():
		return ruleErrorf(ErrPayoutUnknownBlock, "the payout names "+
			"sideblock %v, which is invalid (%v)", side, info.Status), nil
	case !info.OnBestChain && !info.Connectable:
		// A body is missing on its branch: the node cannot tell.
		return nil, errNoBody{side}
	case !info.OnBestChain:
		// A branch longer than the best chain wins fork choice once the
		// batches bounded work gets to it.
		tip, err := a.side.TipHeight(r)
		if err != nil {
			return nil, err
		}
		if info.Height > tip {
			return nil, errNoBody{side}
		}
		return ruleErrorf(ErrPayoutUnknownBlock, "the payout names "+
			"sideblock %v, which is not on the best sidechain", side), nil
	}
	var key [2 * chainhash.HashSize]byte
	copy(key[:], j.TxID[:])
	copy(key[chainhash.HashSize:], side[:])
	a.mu.Lock()
	c, ok := a.checked[key]
	a.mu.Unlock()
	if !ok {
		block, ok, err := a.side.Body(side)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errNoBody{side}
		}
		c, err = a.checkPayout(r, j, info, block)
		if err != nil {
			return nil, err
		}
		a.mu.Lock()
		a.checked[key] = c
		a.mu.Unlock()
	}
	if c.err == nil {
		j.Burned = c.burned
	}
	return c.err, nil
}

// checkPayout checks a payout against the body of the block it names,
// which r shows on the best chain with index entry info.
func (a *Auditor) checkPayout(r store.Reader, j *Judgement, info *sideblock.BlockInfo,
	block *sideblock.Block) (payoutCheck, error) {

	ev, err := withdraw.NewEvidence(info, block.Transactions)
	if withdraw.IsErrorCode(err, withdraw.ErrBadProof) {
		// The chain connected this block with a body that matches its
		// header: a copy that does not is no body.
		return payoutCheck{}, errNoBody{info.Hash}
	}
	if err != nil {
		return payoutCheck{}, err
	}
	if len(ev.Proofs) == 0 {
		return payoutCheck{err: ruleErrorf(ErrPayoutUnknownBlock, "the payout "+
			"names sideblock %v, which has no withdrawals", info.Hash)}, nil
	}
	boxes, err := a.x.PegboxesNear(r, j.Height)
	if err != nil {
		return payoutCheck{}, err
	}
	if err := withdraw.VerifyPayout(j.Tx, a.x.params.SidechainID, ev, boxes.IsPegbox); err != nil {
		var we *withdraw.RuleError
		if errors.As(err, &we) {
			return payoutCheck{err: ruleErrorf(ErrPayoutMismatch, "payout of "+
				"sideblock %v: %v", info.Hash, err)}, nil
		}
		return payoutCheck{}, err
	}
	var burned int64
	for i := range ev.Proofs {
		burned += ev.Proofs[i].Withdrawal.Value
	}
	if extra := j.Out() - burned; extra > a.x.params.PegMaxBumpFee {
		return payoutCheck{err: ruleErrorf(ErrSpendFee, "payout of sideblock %v "+
			"takes %d sat from the pegbox for withdrawals of %d sat: %d sat "+
			"above their fee budgets, more than the %d sat bumps may add",
			info.Hash, j.Out(), burned, extra, a.x.params.PegMaxBumpFee)}, nil
	}
	return payoutCheck{burned: burned}, nil
}

// checkRotation returns nil when s, with 'R' payload ro in output vout, is
// a rotation at some bump level: output 0 the payload, output 1, its only
// other output, paying the pegbox of the federation of the epoch ro names,
// which exists and is not later than the epoch of the spend's block,
// spending only coins of other pegboxes, with a fee at most
// PegRotationFeeRate times the virtual size BuildRotation counts plus
// PegMaxBumpFee.
func (a *Auditor) checkRotation(r store.Reader, s *Spend, vout int, ro *opreturn.Rotation) error {
	x := a.x
	if ro.Epoch > x.EpochOf(s.Height) {
		return ruleErrorf(ErrBadRotation, "rotation to epoch %d in a block "+
			"of epoch %d", ro.Epoch, x.EpochOf(s.Height))
	}
	to, ok, err := FederationAt(r, ro.Epoch)
	if err != nil {
		return err
	}
	if !ok {
		return ruleErrorf(ErrBadRotation, "rotation to epoch %d, which has "+
			"no federation", ro.Epoch)
	}
	toScript, err := to.PkScript(x.params.Main)
	if err != nil {
		return err
	}
	if vout != 0 || len(s.Tx.TxOut) != 2 || !bytes.Equal(s.Tx.TxOut[1].PkScript, toScript) {
		return ruleErrorf(ErrBadRotation, "rotation to epoch %d does not pay "+
			"exactly that epoch's pegbox in output 1 after its payload", ro.Epoch)
	}
	var from *Federation
	for _, c := range s.Coins {
		if bytes.Equal(c.PkScript, toScript) {
			return ruleErrorf(ErrBadRotation, "rotation to epoch %d spends "+
				"coin %v of that pegbox", ro.Epoch, c.OutPoint)
		}
		if from == nil {
			if from, _, err = x.FederationOfCoin(r, c); err != nil {
				return err
			}
		}
	}
	// The fee bound counts the size as the signing federation's spend,
	// as BuildRotation does: an upper bound.
	fed := from
	if fed == nil {
		fed = to
	}
	vsize, err := SpendVSize(s.Tx, fed, x.params.Main)
	if err != nil {
		return err
	}
	if limit := x.params.PegRotationFeeRate*vsize + x.params.PegMaxBumpFee; s.Out() > limit {
		return ruleErrorf(ErrSpendFee, "rotation to epoch %d pays %d sat of "+
			"fee, more than the %d sat its size and bumps allow", ro.Epoch, s.Out(), limit)
	}
	return nil
}

// PegboxesNear returns the pegbox scripts a payout confirmed at height
// may pay change to: the pegboxes of the block, and those of the
// federations of the epochs next to the block's (a payout built in one
// epoch may confirm in the next).
func (x *Index) PegboxesNear(r store.Reader, height int32) (ScriptSet, error) {
	set, err := x.pegboxesAt(r, height)
	if err != nil {
		return nil, err
	}
	e := x.EpochOf(height)
	for _, epoch := range []uint32{e - 1, e, e + 1} {
		if epoch > e+1 { // e − 1 wrapped below epoch 0
			continue
		}
		fed, ok, err := FederationAt(r, epoch)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		s, err := fed.PkScript(x.params.Main)
		if err != nil {
			return nil, err
		}
		if !set.IsPegbox(s) {
			set = append(set, s)
		}
	}
	return set, nil
}
