package nodeapi

import (
	"context"
	"fmt"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/wallet"
)

// checkAmount refuses an amount in satoshis that is not positive or is
// above 21 million BTC (wallet.MaxAmount), naming the request field.
func checkAmount(field string, amount int64) error {
	if amount <= 0 || amount > wallet.MaxAmount {
		return api.Errorf(api.ErrInvalidArgument, "%s %d is not between 1 and %d sat",
			field, amount, int64(wallet.MaxAmount))
	}
	return nil
}

// mainFeeRate returns the mainchain fee rate (sat/vB) a request asks for:
// rate, or the node's default when rate is 0. A rate outside 1 to
// wallet.MaxFeeRate is refused, naming the request field.
func mainFeeRate(field string, rate int64) (int64, error) {
	if rate == 0 {
		return apiDefaultFeeRate, nil
	}
	if wallet.CheckFeeRate(rate) != nil {
		return 0, api.Errorf(api.ErrInvalidArgument, "%s %d is not between 1 and %d sat/vB",
			field, rate, int64(wallet.MaxFeeRate))
	}
	return rate, nil
}

// broadcast is where every mainchain transaction the node's wallet builds
// for an API call goes to the mainchain backend: it checks tx with
// wallet.CheckTx (btcd's sanity rules and script engine) against prevs,
// the real outputs it spends, and only then hands it to the follower. A
// transaction that fails the check is never sent.
func (b *Adapter) broadcast(ctx context.Context, tx *wire.MsgTx, prevs txscript.PrevOutputFetcher) error {
	if err := wallet.CheckTx(tx, prevs); err != nil {
		log.Errorf("Refused to broadcast mainchain transaction %v: %v", tx.TxHash(), err)
		return fmt.Errorf("the node refused to broadcast the transaction it built: %w", err)
	}
	if err := b.follower.Broadcast(ctx, tx); err != nil {
		return api.Errorf(api.ErrUnavailable, "broadcast: %w", err)
	}
	return nil
}

// broadcastFunded broadcasts tx, a transaction wallet.Fund built, checked
// against the wallet's coins it spends, and releases its coins when it is
// not sent; once sent, the wallet records it (wallet.Wallet.Sent).
func (b *Adapter) broadcastFunded(ctx context.Context, tx *wire.MsgTx) error {
	prevs, err := b.wallet.PrevOuts(tx)
	if err == nil {
		err = b.broadcast(ctx, tx, prevs)
	}
	if err != nil {
		b.wallet.Release(tx)
		return err
	}
	// Sent: its coins count in no balance from now on, across restarts,
	// and it is in the wallet's history.
	if err := b.wallet.Sent(tx); err != nil {
		log.Errorf("Record sent mainchain transaction %v: %v", tx.TxHash(), err)
	}
	return nil
}
