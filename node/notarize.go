package node

import (
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/notarize/tracker"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// newTracker builds the notarization tracker of a network with notaries
// (docs/protocol.md §13.6), nil on one without: it watches the notaries'
// scripts on watch, sees the sidechain through the batch it runs in, and
// turns on the reorg guard of side's fork choice (§13.3), which reads the
// last notarization from the batch's store. Its last notarization is
// restored from db before it returns, so before any batch or amendment,
// hence any sidechain reorg.
func newTracker(params *chainparams.Params, db *store.DB, watch *mainwatch.WatchList,
	side *sideblock.Chain) (*tracker.Tracker, error) {

	if params.Notary == nil {
		return nil, nil
	}
	tr, err := tracker.New(tracker.Config{Params: params, SideIn: sideblock.BestChainIn,
		DB: db})
	if err != nil {
		return nil, err
	}
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
	return tr, nil
}
