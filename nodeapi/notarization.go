package nodeapi

import (
	"time"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/notarize"
	"github.com/mainstake/sidenode/notarize/tracker"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// Notarizations reads the last notarization that counts in a snapshot of
// the store: *tracker.Tracker is one.
type Notarizations interface {
	LastIn(r store.Reader) (*tracker.Record, error)
}

// notarization converts a tracker record, with its confirmations at
// mainchain tip mainTip and its signers' keys from the season.
func (b *Adapter) notarization(rec *tracker.Record, mainTip int32) *api.Notarization {
	n := &api.Notarization{
		TxID:            rec.TxID,
		Height:          rec.MainHeight,
		Confirmations:   max(mainTip-rec.MainHeight+1, 0),
		NotarizedHeight: rec.Height,
		NotarizedBlock:  rec.Block,
		BlockTime:       rec.MainTime,
		Season:          rec.Season,
		Signers:         append([]int(nil), rec.Signers...),
	}
	if np := b.params.Notary; np != nil && rec.Season >= 0 && rec.Season < len(np.Seasons) {
		keys := np.Seasons[rec.Season].Pubkeys
		for _, s := range rec.Signers {
			if s >= 0 && s < len(keys) {
				n.SignerPubKeys = append(n.SignerPubKeys, append([]byte(nil), keys[s][:]...))
			}
		}
	}
	return n
}

// notarizationStatus reads the health of notarization in r at mainchain
// tip mainTip: the last notarization, the sideblocks above it, its age by
// the clock, and the health that age gives.
func (b *Adapter) notarizationStatus(r store.Reader, mainTip int32) (*api.NotarizationStatus, error) {
	np := b.params.Notary
	if np == nil {
		return nil, nil
	}
	rec, err := b.notary.LastIn(r)
	if err != nil {
		return nil, err
	}
	side, err := sideblock.ChainTipAt(r)
	if err != nil {
		return nil, err
	}
	s := &api.NotarizationStatus{
		IrregularAge: np.IrregularAge,
		InactiveAge:  np.InactiveAge,
		Interval:     np.NotarizationInterval,
		DpowCounting: b.dpowConfs,
	}
	var (
		last     *notarize.Notarization
		lastTime time.Time
	)
	if rec != nil {
		last, lastTime = &rec.Notarization, time.Unix(rec.MainTime, 0)
		s.Last = b.notarization(rec, mainTip)
	}
	lag := notarize.LagAt(last, lastTime, side.Height, time.Now(), np)
	s.LagBlocks, s.Age, s.NextHeight = lag.Blocks, lag.Age, lag.Next
	s.Health = "none"
	if lag.Notarized {
		s.Health = lag.Health.String()
	}
	return s, nil
}

// covers reports whether the last notarization that counts, as r shows
// it, covers the best chain's block at height: the block lies at or below
// the notarized height and the best chain holds the notarized block.
func (b *Adapter) covers(r store.Reader, height int32) (bool, error) {
	rec, err := b.notary.LastIn(r)
	if err != nil || rec == nil || height < 0 || height > rec.Height {
		return false, err
	}
	h, ok, err := sideblock.BestHashAt(r, rec.Height)
	return err == nil && ok && h == rec.Block, err
}
