package node

import (
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// stakeConnector runs the ticket index in the block batches and reports
// what each block did to the stake.
type stakeConnector struct {
	index  *mainstake.Index
	wallet *wallet.Wallet // nil without a wallet
}

func (s *stakeConnector) ConnectBlock(w *store.Writer, b *mainwatch.Block) error {
	res, err := s.index.ConnectBlock(w, b)
	if err != nil {
		return err
	}
	for _, id := range res.NewTickets {
		log.Infof("New ticket %d in block %d", id, b.Height)
	}
	for _, r := range res.Rejected {
		log.Infof("Stake registration %v in block %d rejected: %v", r.TxID, b.Height, r.Err)
	}
	for _, id := range res.Ended {
		log.Infof("Ticket %d: publisher chain ended in block %d", id, b.Height)
	}
	if p := res.Publication; p != nil {
		log.Infof("Block %d publishes sidechain header by ticket %d (tx %v)",
			b.Height, p.Ticket, p.TxID)
	}
	for _, ig := range res.Ignored {
		log.Infof("Header tx %v of ticket %d ignored: %v", ig.TxID, ig.Ticket, ig.Reason)
	}
	if wn := res.Winner; wn != nil {
		mine := ""
		if s.wallet != nil {
			if t, err := mainstake.TicketByID(w, wn.Ticket); err == nil {
				if _, ok := s.wallet.OwnsStakeKey(t.PubKey.SerializeCompressed()); ok {
					mine = " (this node)"
				}
			}
		}
		log.Infof("Lottery after block %d: ticket %d wins%s (total weight %v)",
			b.Height, wn.Ticket, mine, wn.TotalWeight)
	}
	return nil
}

func (s *stakeConnector) DisconnectBlock(height int32) error {
	return s.index.DisconnectBlock(height)
}
