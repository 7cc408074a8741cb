package node

import (
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/alarms"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/metrics"
	"github.com/mainstake/sidenode/notarize"
	"github.com/mainstake/sidenode/notarize/tracker"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// notary is the node's part in dPoW notarization (docs/protocol.md §13) on
// a network with notaries: the tracker of the notarizations that count,
// and what the node counts of it since it started.
type notary struct {
	params  *chainparams.Params
	db      *store.DB
	tracker *tracker.Tracker

	// dropped counts the notarizations the tracker dropped for good;
	// refused (the protocol's) the reorgs the guard refused.
	dropped atomic.Uint64
	refused *atomic.Uint64
}

// newNotary builds the notarization tracker of a network with notaries
// (docs/protocol.md §13.6), nil on one without: it watches the notaries'
// scripts on watch, sees the sidechain through the batch it runs in, and
// turns on the reorg guard of side's fork choice (§13.3), which reads the
// last notarization from the batch's store. Its last notarization is
// restored from db before it returns, so before any batch or amendment,
// hence any sidechain reorg.
func newNotary(params *chainparams.Params, db *store.DB, watch *mainwatch.WatchList,
	side *sideblock.Chain, refused *atomic.Uint64) (*notary, error) {

	if params.Notary == nil {
		return nil, nil
	}
	n := &notary{params: params, db: db, refused: refused}
	tr, err := tracker.New(tracker.Config{Params: params, SideIn: sideblock.BestChainIn,
		DB: db, Report: func(_ chainhash.Hash, _ error, final bool) {
			if final {
				n.dropped.Add(1)
			}
		}})
	if err != nil {
		return nil, err
	}
	n.tracker = tr
	tr.Watch(watch)
	var last *tracker.Record
	err = db.View(func(r store.Reader) error {
		last, err = tr.Restore(r)
		return err
	})
	if err != nil {
		return nil, err
	}
	side.SetNotarizations(tr)
	if last != nil {
		log.Infof("Last notarization: sideblock %v at height %d, mainchain "+
			"transaction %v (block %d, season %d, %d notaries)",
			last.Block, last.Height, last.TxID, last.MainHeight, last.Season,
			len(last.Signers))
	} else {
		log.Infof("No notarization counts yet (network %s: %d notary "+
			"seasons)", params.Name, len(params.Notary.Seasons))
	}
	return n, nil
}

// state reads, in one snapshot, the last notarization, the mainchain and
// sidechain tips, and whether the sidechain has a block to notarize.
func (n *notary) state() (last *tracker.Record, mainTip, sideTip int32, due bool, err error) {
	err = n.db.View(func(r store.Reader) error {
		t, err := r.Tip()
		if err != nil {
			return err
		}
		mainTip = t.Height
		side, err := sideblock.ChainTipAt(r)
		if err != nil {
			return err
		}
		sideTip = side.Height
		if last, err = n.tracker.LastIn(r); err != nil {
			return err
		}
		var ln *notarize.Notarization
		if last != nil {
			ln = &last.Notarization
		}
		_, due = notarize.RoundTarget(sideblock.BestChainIn(r), sideTip, n.params, ln)
		return nil
	})
	return last, mainTip, sideTip, due, err
}

// lag returns LagAt of the last notarization.
func lag(last *tracker.Record, sideTip int32, now time.Time, np *chainparams.NotaryParams) notarize.Lag {
	if last == nil {
		return notarize.LagAt(nil, time.Time{}, sideTip, now, np)
	}
	return notarize.LagAt(&last.Notarization, time.Unix(last.MainTime, 0), sideTip, now, np)
}

// NotarizationLag implements alarms.Notarization.
func (n *notary) NotarizationLag(now time.Time) (alarms.NotarizationLag, error) {
	last, _, sideTip, due, err := n.state()
	if err != nil {
		return alarms.NotarizationLag{}, err
	}
	np := n.params.Notary
	l := lag(last, sideTip, now, np)
	out := alarms.NotarizationLag{Notarized: l.Notarized, Age: l.Age, Due: due,
		IrregularAge: np.IrregularAge, InactiveAge: np.InactiveAge}
	if last != nil {
		out.LastHeight = last.Height
	}
	return out, nil
}

// snapshot returns the metrics' figures at time now.
func (n *notary) snapshot(now time.Time) (*metrics.NotarizationSnapshot, error) {
	last, mainTip, sideTip, _, err := n.state()
	if err != nil {
		return nil, err
	}
	np := n.params.Notary
	l := lag(last, sideTip, now, np)
	s := &metrics.NotarizationSnapshot{Height: -1, MainHeight: -1, LagBlocks: l.Blocks,
		Age: l.Age, IrregularAge: np.IrregularAge, InactiveAge: np.InactiveAge,
		RefusedReorgs: n.refused.Load(), Dropped: n.dropped.Load()}
	if last != nil {
		s.Height, s.MainHeight = last.Height, last.MainHeight
		s.Confirmations = max(mainTip-last.MainHeight+1, 0)
	}
	return s, nil
}
