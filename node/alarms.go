package node

import (
	"encoding/hex"

	"github.com/mainstake/sidenode/alarms"
	"github.com/mainstake/sidenode/federation"
	"github.com/mainstake/sidenode/feeest"
	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/producer"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// scanUnpaid bounds the withdrawal blocks the payout check reads after
// each block, as the federation's own scan does.
const scanUnpaid = 64

// alarmSources feeds the alarm monitor from the node's components: thin
// reads, each of one component.
type alarmSources struct {
	proto    *protocol
	follower *mainwatch.Follower
	weight   func() lottery.Uint128
	feeRate  int64

	// fees is the header fee estimate; window the own_slots_missed
	// window (--alarms.missedwindow); owns tells whether a stake key is
	// the wallet's (nil without a wallet: no publisher outputs).
	fees   *feeest.Tracker
	window int
	owns   func(pub []byte) bool
}

// sources returns the monitor's Sources; the federation's is nil-safe as
// every node runs the signer (it answers no open round outside the
// federation).
func (s *alarmSources) sources() alarms.Sources {
	src := alarms.Sources{Progress: s, Slots: s, Fees: s, Signing: s, Payouts: s,
		Audit: s, Backend: s}
	if s.owns != nil {
		src.Publishers = s
	}
	return src
}

// ChainProgress implements alarms.Progress from one store snapshot and
// the lottery's weight after the tip.
func (s *alarmSources) ChainProgress() (alarms.ChainProgress, error) {
	p := alarms.ChainProgress{SideTipPub: -1}
	err := s.proto.db.View(func(r store.Reader) error {
		t, err := r.Tip()
		if err != nil {
			return err
		}
		p.MainTip = t.Height
		side, err := sideblock.ChainTipAt(r)
		if err != nil || side.Height < 0 {
			return err
		}
		info, ok, err := sideblock.BlockInfoAt(r, side.Hash)
		if err == nil && ok {
			p.SideTipPub = info.PubHeight
		}
		return err
	})
	w := s.weight()
	p.Weighing = w.Hi != 0 || w.Lo != 0
	return p, err
}

// OwnSlots implements alarms.OwnSlots from the producer's counts.
func (s *alarmSources) OwnSlots() alarms.SlotCounts {
	st := s.proto.producer.Stats()
	return alarms.SlotCounts{Included: st.Included, Missed: st.Missed,
		NotMined: st.MissReasons[producer.MissNotMined] + st.MissReasons[producer.MissNotIncluded],
		Refused:  st.MissReasons[producer.MissBroadcast],
		Recent:   s.proto.producer.RecentOutcomes(s.window)}
}

// HeaderFeeRate implements alarms.HeaderFees: the rate of this node's
// latest header that the next block left out, or --publish.feerate.
func (s *alarmSources) HeaderFeeRate() int64 {
	if rate, _, _, ok := s.proto.producer.LastLeftOut(); ok && rate > 0 {
		return int64(rate)
	}
	return int64(feeest.FromSatPerVB(s.feeRate))
}

// BlockFeeFloor implements alarms.HeaderFees: the lowest rate that the
// block which left out this node's latest header took, among the
// transactions the node saw in btcd's mempool (producer.Verdict).
func (s *alarmSources) BlockFeeFloor() (int64, bool) {
	_, floor, known, ok := s.proto.producer.LastLeftOut()
	return int64(floor), ok && known
}

// Publishers implements alarms.Publishers: the publisher outputs of the
// wallet's tickets that are live and not expired at the mainchain tip,
// and one header's fee at the current estimate.
func (s *alarmSources) Publishers() ([]alarms.Publisher, error) {
	fee := s.fees.Rate().Rate.FeeFor(mainstake.HeaderTxVSize(0))
	var out []alarms.Publisher
	err := s.proto.db.View(func(r store.Reader) error {
		tip, err := r.Tip()
		if err != nil {
			return err
		}
		tickets, err := mainstake.Tickets(r)
		if err != nil {
			return err
		}
		for _, t := range tickets {
			if !t.Live() || int64(tip.Height) >= int64(t.LockHeight) ||
				!s.owns(t.PubKey.SerializeCompressed()) {
				continue
			}
			out = append(out, alarms.Publisher{Ticket: uint64(t.ID),
				Value: t.CurrentValue, HeaderFee: fee})
		}
		return nil
	})
	return out, err
}

// OpenRound implements alarms.Signing from the federation's signer.
func (s *alarmSources) OpenRound() (alarms.Round, bool) {
	return openRound(s.proto.fed)
}

// openRound converts the signer's open round, if any.
func openRound(f *federation.Signer) (alarms.Round, bool) {
	if f == nil {
		return alarms.Round{}, false
	}
	r, ok := f.OpenRound()
	if !ok {
		return alarms.Round{}, false
	}
	out := alarms.Round{What: r.What, TxID: r.TxID, Since: r.Since,
		Threshold: r.Threshold, Signers: r.Signers}
	for _, k := range r.Silent {
		out.Silent = append(out.Silent, hex.EncodeToString(k))
	}
	return out, true
}

// OldestUnpaid implements alarms.Payouts from the pegbox index.
func (s *alarmSources) OldestUnpaid() (alarms.Unpaid, bool, error) {
	var (
		u  pegbox.Unpaid
		ok bool
	)
	err := s.proto.db.View(func(r store.Reader) error {
		var err error
		u, ok, err = pegbox.OldestUnpaid(r, s.proto.params, scanUnpaid)
		return err
	})
	return alarms.Unpaid{SideBlock: u.SideBlock, SideHeight: u.SideHeight,
		Payable: u.Payable, PayableSince: u.PayableSince}, ok, err
}

// Unexplained implements alarms.Audit from the audit's latest refresh.
func (s *alarmSources) Unexplained() (int, int64) {
	a := s.proto.audit.Last()
	return a.Unexplained, a.UnexplainedSat
}

// BackendStatus implements alarms.Backend from the follower.
func (s *alarmSources) BackendStatus() alarms.BackendStatus {
	st := s.follower.Status()
	return alarms.BackendStatus{Name: st.Source.Backend, Connected: st.Source.Connected,
		Best: st.Source.Best.Height, NodeTip: st.Tip.Height, Err: st.Source.Err}
}
