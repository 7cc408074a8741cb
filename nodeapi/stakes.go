package nodeapi

import (
	"context"
	"errors"
	"strings"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// ownerKeyHash returns the owner key hash of a cold-owner ticket, nil for
// the plain form.
func ownerKeyHash(t *mainstake.Ticket) []byte {
	if !t.Cold {
		return nil
	}
	return append([]byte(nil), t.OwnerKeyHash[:]...)
}

// stakeTicket finds the ticket a withdrawal or renewal names, by id or by
// stake outpoint, and checks that its publisher key is the wallet's.
func (b *Adapter) stakeTicket(id uint64, op wire.OutPoint, byOutPoint bool) (*mainstake.Ticket, error) {
	var t *mainstake.Ticket
	err := b.db.View(func(r store.Reader) error {
		if !byOutPoint {
			var err error
			t, err = mainstake.TicketByID(r, lottery.TicketID(id))
			return err
		}
		ts, err := mainstake.Tickets(r)
		for _, c := range ts {
			if c.Stake == op {
				t = c
			}
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) || (err == nil && t == nil) {
		return nil, api.Errorf(api.ErrNotFound, "no such ticket")
	}
	if err != nil {
		return nil, err
	}
	if !b.owns(t) {
		return nil, api.Errorf(api.ErrNotFound,
			"ticket %d is not one of this wallet's stakes", t.ID)
	}
	return t, nil
}

// coldError says that the node cannot sign for a cold-owner stake, and how
// its owner spends it.
func coldError(t *mainstake.Ticket, what, how string) error {
	return api.Errorf(api.ErrFailedPrecondition, "ticket %d's stake is locked "+
		"to a cold owner key (HASH160 %x) that this node does not hold, so "+
		"the node cannot %s it: %s", t.ID, t.OwnerKeyHash, what, how)
}

// lockedError says when t's stake can be spent.
func lockedError(t *mainstake.Ticket, tip int32) error {
	return api.Errorf(api.ErrFailedPrecondition,
		"ticket %d's stake is locked until height %d: its withdrawal can be "+
			"mined from block %d on (mainchain tip %d)", t.ID, t.LockHeight,
		mainstake.FirstWithdrawalHeight(t.LockHeight), tip)
}

func (b *Adapter) WithdrawStake(ctx context.Context, req api.WithdrawRequest) (*api.WithdrawResult, error) {
	if b.wallet == nil {
		return nil, errNoWallet
	}
	tip, err := b.db.Tip()
	if err != nil {
		return nil, err
	}
	t, err := b.stakeTicket(req.TicketID, req.Stake, req.ByOutPoint)
	if err != nil {
		return nil, err
	}
	priv, hot := b.wallet.StakeKeyFor(t.PubKey)
	if t.Cold && !req.PSBTOnly {
		return nil, coldError(t, "withdraw", "ask for the withdrawal as a PSBT "+
			"(sidecli stake withdraw --psbt, psbt_only), sign it with the "+
			"owner's wallet and broadcast it from there")
	}
	if !hot && !req.PSBTOnly {
		return nil, api.Errorf(api.ErrNotFound,
			"ticket %d is not one of this wallet's stakes", t.ID)
	}
	if !mainstake.StakeSpendable(t, tip.Height) && !req.PSBTOnly {
		return nil, lockedError(t, tip.Height)
	}
	dest, err := b.wallet.PayoutScript(req.Destination)
	if errors.Is(err, wallet.ErrBadAddress) {
		return nil, addressError("destination_address", mainchainWord,
			req.Destination, b.params)
	}
	if err != nil {
		return nil, err
	}
	feeRate, err := mainFeeRate("fee_rate_sat_vb", req.FeeRate)
	if err != nil {
		return nil, err
	}
	if req.PSBTOnly {
		// The PSBT can be made before the lock passes: it carries
		// nLockTime, so no block takes it before its height.
		packet, err := mainstake.BuildStakeWithdrawalPSBT(t, dest, feeRate)
		if err != nil {
			return nil, api.Errorf(api.ErrInvalidArgument, "%w", err)
		}
		s, err := packet.B64Encode()
		if err != nil {
			return nil, err
		}
		return &api.WithdrawResult{PSBT: s}, nil
	}
	tx, err := mainstake.BuildStakeWithdrawal(t, dest, feeRate, priv)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "%w", err)
	}
	if err := b.sendStakeSpend(ctx, t, tx); err != nil {
		return nil, err
	}
	txid := tx.TxHash()
	return &api.WithdrawResult{TxID: &txid}, nil
}

// sendStakeSpend checks tx, which spends t's stake, and broadcasts it,
// then watches the stake so that stake list says when a block spends it.
func (b *Adapter) sendStakeSpend(ctx context.Context, t *mainstake.Ticket, tx *wire.MsgTx) error {
	stakeScript, err := t.StakePkScript()
	if err != nil {
		return err
	}
	prevs := txscript.NewCannedPrevOutputFetcher(stakeScript, t.Value)
	if err := b.broadcast(ctx, tx, prevs); err != nil {
		return err
	}
	if err := b.wallet.WatchStake(t.Stake, stakeScript, tx.TxHash()); err != nil {
		log.Errorf("Watch the spend of stake %v: %v", t.Stake, err)
	}
	return nil
}

func (b *Adapter) RenewStake(ctx context.Context, req api.RenewRequest) (*api.RenewResult, error) {
	if b.wallet == nil {
		return nil, errNoWallet
	}
	tip, err := b.db.Tip()
	if err != nil {
		return nil, err
	}
	t, err := b.stakeTicket(req.TicketID, req.Stake, req.ByOutPoint)
	if err != nil {
		return nil, err
	}
	feeRate, err := mainFeeRate("fee_rate_sat_vb", req.FeeRate)
	if err != nil {
		return nil, err
	}
	// A renewal the node broadcasts now waits for the lock; a cold
	// owner's PSBT can be made before (its nLockTime holds it back).
	if (!t.Cold || req.SignedPSBT != "") && !mainstake.StakeSpendable(t, tip.Height) {
		return nil, lockedError(t, tip.Height)
	}
	// The renewal confirms at the earliest in the next block, and not
	// before its stake's lock passes.
	conf := max(int64(tip.Height)+1, mainstake.FirstWithdrawalHeight(t.LockHeight))
	if req.SignedPSBT != "" {
		// Its lock is the one in the PSBT, checked with the rest.
		return b.renewSigned(ctx, t, req.SignedPSBT, int32(conf))
	}
	lock := int64(tip.Height) + 1 + int64(req.LockBlocks)
	if lock >= int64(mainstake.MaxLockHeight) {
		return nil, api.Errorf(api.ErrInvalidArgument, "lock_blocks %d: the lock "+
			"would not be a block height", req.LockBlocks)
	}
	if err := mainstake.CheckLock(uint32(lock), int32(conf), b.params); err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "lock_blocks %d: a renewal "+
			"confirmed at height %d: %v", req.LockBlocks, conf, err)
	}
	priv, hot := b.wallet.StakeKeyFor(t.PubKey)
	if !t.Cold && !hot {
		return nil, api.Errorf(api.ErrNotFound,
			"ticket %d is not one of this wallet's stakes", t.ID)
	}
	tx, err := mainstake.BuildRenewal(b.params, t, uint32(lock), apiPublisherValue, feeRate)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "%w", err)
	}
	res := &api.RenewResult{LockHeight: uint32(lock), Amount: tx.TxOut[mainstake.BuildStakeVout].Value}
	if t.Cold {
		packet, err := mainstake.StakeSpendPSBT(tx, t)
		if err != nil {
			return nil, err
		}
		if res.PSBT, err = packet.B64Encode(); err != nil {
			return nil, err
		}
		return res, nil
	}
	stakeScript, err := t.StakePkScript()
	if err != nil {
		return nil, err
	}
	prevs := txscript.NewCannedPrevOutputFetcher(stakeScript, t.Value)
	if err := mainstake.SignStakeInput(tx, 0, t, prevs, priv); err != nil {
		return nil, err
	}
	if err := b.sendStakeSpend(ctx, t, tx); err != nil {
		return nil, err
	}
	txid := tx.TxHash()
	res.TxID = &txid
	return res, nil
}

// renewSigned checks a renewal PSBT that the cold owner's wallet signed
// and broadcasts it. A renewal that pays anywhere but a new stake of the
// same owner is refused, and nothing is broadcast.
func (b *Adapter) renewSigned(ctx context.Context, t *mainstake.Ticket, signed string,
	conf int32) (*api.RenewResult, error) {

	packet, err := psbt.NewFromRawBytes(strings.NewReader(strings.TrimSpace(signed)), true)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "signed_psbt is not a "+
			"base64 PSBT: %v", err)
	}
	tx, err := mainstake.FinalizeStakeSpend(packet, t)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "signed_psbt: %v; nothing was broadcast", err)
	}
	reg, err := mainstake.CheckRenewal(b.params, tx, t, conf, apiPublisherValue, wallet.MaxFeeRate)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "signed_psbt is not a "+
			"renewal of ticket %d: %v; nothing was broadcast", t.ID, err)
	}
	stakeScript, err := t.StakePkScript()
	if err != nil {
		return nil, err
	}
	if err := wallet.CheckTx(tx, txscript.NewCannedPrevOutputFetcher(stakeScript, t.Value)); err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "signed_psbt does not "+
			"carry a valid signature of the owner key: %v; nothing was broadcast", err)
	}
	if err := b.sendStakeSpend(ctx, t, tx); err != nil {
		return nil, err
	}
	txid := tx.TxHash()
	return &api.RenewResult{TxID: &txid, LockHeight: reg.LockHeight, Amount: reg.Value}, nil
}
