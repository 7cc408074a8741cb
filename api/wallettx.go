package api

import (
	"bytes"
	"context"
	"encoding/hex"
	"math"

	"github.com/btcsuite/btcd/wire"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// The WalletService methods of the mainchain wallet's payments: send,
// coins, history, fee bump, and the seed's passphrase and backup.

func (w *walletService) SendMain(ctx context.Context, req *apiv1.SendMainRequest) (*apiv1.SendMainResponse, error) {
	const method = apiv1.WalletService_SendMain_FullMethodName
	err := checkAddress("to_address", req.GetToAddress())
	if err == nil {
		err = checkAmount("amount_sat", req.GetAmountSat())
	}
	if err == nil {
		err = checkFeeRate("fee_rate_sat_vb", req.GetFeeRateSatVb())
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	res, err := w.s.backend.SendMain(ctx, req.GetToAddress(), req.GetAmountSat(), req.GetFeeRateSatVb())
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.SendMainResponse{Txid: res.TxID.String(), FeeSat: res.Fee, Vsize: res.VSize}, nil
}

func (w *walletService) ListCoins(ctx context.Context, req *apiv1.ListCoinsRequest) (*apiv1.ListCoinsResponse, error) {
	const method = apiv1.WalletService_ListCoins_FullMethodName
	if req.GetMinConf() < 0 {
		return nil, toStatus(method, Errorf(ErrInvalidArgument,
			"min_conf %d is negative", req.GetMinConf()))
	}
	p, err := w.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	coins, total, err := w.s.backend.WalletCoins(ctx, req.GetMinConf(), p)
	if err != nil {
		return nil, toStatus(method, err)
	}
	out := &apiv1.ListCoinsResponse{Total: total, MinConf: req.GetMinConf()}
	for _, c := range coins {
		out.Coins = append(out.Coins, &apiv1.WalletCoin{
			Outpoint:         formatOutPoint(c.OutPoint),
			ValueSat:         c.Value,
			Address:          c.Address,
			NumConfirmations: num32(c.Confirmations),
			BlockHeight:      c.Height,
			Change:           c.Change,
		})
	}
	return out, nil
}

func walletTxProto(t *WalletTx) *apiv1.WalletTransaction {
	return &apiv1.WalletTransaction{
		Txid:             t.TxID.String(),
		Confirmed:        t.Confirmed,
		BlockHeight:      t.Height,
		NumConfirmations: num32(t.Confirmations),
		ReceivedSat:      t.Received,
		SentSat:          t.Sent,
		NetSat:           t.Received - t.Sent,
		FeeSat:           t.Fee,
		Replaceable:      t.Replaceable,
	}
}

func (w *walletService) ListWalletTransactions(ctx context.Context, req *apiv1.ListWalletTransactionsRequest) (*apiv1.ListWalletTransactionsResponse, error) {
	const method = apiv1.WalletService_ListWalletTransactions_FullMethodName
	p, err := w.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	txs, total, err := w.s.backend.WalletTransactions(ctx, p)
	if err != nil {
		return nil, toStatus(method, err)
	}
	out := &apiv1.ListWalletTransactionsResponse{Total: total}
	for i := range txs {
		out.Transactions = append(out.Transactions, walletTxProto(&txs[i]))
	}
	return out, nil
}

func (w *walletService) GetWalletTransaction(ctx context.Context, req *apiv1.GetWalletTransactionRequest) (*apiv1.GetWalletTransactionResponse, error) {
	const method = apiv1.WalletService_GetWalletTransaction_FullMethodName
	txid, err := parseHash("txid", "mainchain transaction id", req.GetTxid())
	if err != nil {
		return nil, toStatus(method, err)
	}
	t, err := w.s.backend.WalletTransaction(ctx, txid)
	if err != nil {
		return nil, toStatus(method, err)
	}
	out := &apiv1.GetWalletTransactionResponse{Transaction: walletTxProto(t)}
	if t.Raw != nil {
		out.RawHex = txHex(t.Raw)
	}
	return out, nil
}

// txHex serializes a transaction, witnesses included, as hex.
func txHex(tx *wire.MsgTx) string {
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		return ""
	}
	return hex.EncodeToString(buf.Bytes())
}

func (w *walletService) BumpFee(ctx context.Context, req *apiv1.BumpFeeRequest) (*apiv1.BumpFeeResponse, error) {
	const method = apiv1.WalletService_BumpFee_FullMethodName
	txid, err := parseHash("txid", "mainchain transaction id", req.GetTxid())
	if err == nil && req.GetFeeRateSatVb() <= 0 {
		err = Errorf(ErrInvalidArgument, "fee_rate_sat_vb %d is not positive: "+
			"give the replacement's fee rate in sat/vB", req.GetFeeRateSatVb())
	}
	if err == nil && req.GetFeeRateSatVb() > math.MaxInt32 {
		err = Errorf(ErrInvalidArgument, "fee_rate_sat_vb %d is too large", req.GetFeeRateSatVb())
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	res, err := w.s.backend.BumpFee(ctx, txid, req.GetFeeRateSatVb())
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.BumpFeeResponse{
		Txid:         res.TxID.String(),
		ReplacedTxid: res.Replaced.String(),
		OldFeeSat:    res.OldFee,
		FeeSat:       res.Fee,
	}, nil
}

func (w *walletService) ChangePassphrase(ctx context.Context, req *apiv1.ChangePassphraseRequest) (*apiv1.ChangePassphraseResponse, error) {
	const method = apiv1.WalletService_ChangePassphrase_FullMethodName
	if req.GetNewPassphrase() == "" {
		return nil, toStatus(method, Errorf(ErrInvalidArgument, "new_passphrase is empty"))
	}
	seed, pw, err := w.s.backend.ChangePassphrase(ctx, []byte(req.GetCurrentPassphrase()),
		[]byte(req.GetNewPassphrase()))
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.ChangePassphraseResponse{SeedFile: seed, PasswordFile: pw}, nil
}

func (w *walletService) BackupSeed(ctx context.Context, req *apiv1.BackupSeedRequest) (*apiv1.BackupSeedResponse, error) {
	const method = apiv1.WalletService_BackupSeed_FullMethodName
	b, err := w.s.backend.BackupSeed(ctx, []byte(req.GetPassphrase()))
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.BackupSeedResponse{
		SeedHex:    hex.EncodeToString(b.Seed),
		MasterXprv: b.MasterXprv,
		Derivation: b.Derivation,
		Mnemonic:   b.Mnemonic,
		Legacy:     b.Legacy,
	}, nil
}

func (w *walletService) CreateWallet(ctx context.Context, req *apiv1.CreateWalletRequest) (*apiv1.CreateWalletResponse, error) {
	const method = apiv1.WalletService_CreateWallet_FullMethodName
	if req.GetPassphrase() == "" {
		return nil, toStatus(method, Errorf(ErrInvalidArgument, "passphrase is empty"))
	}
	file, seed, err := w.s.backend.CreateWallet(ctx, []byte(req.GetPassphrase()), req.GetMnemonic())
	if err != nil {
		return nil, toStatus(method, err)
	}
	resp := &apiv1.CreateWalletResponse{SeedFile: file, SeedHex: hex.EncodeToString(seed.Seed)}
	if len(req.GetMnemonic()) == 0 {
		resp.Mnemonic = seed.Mnemonic
	}
	return resp, nil
}

func (w *walletService) UnlockWallet(ctx context.Context, req *apiv1.UnlockWalletRequest) (*apiv1.UnlockWalletResponse, error) {
	const method = apiv1.WalletService_UnlockWallet_FullMethodName
	file, err := w.s.backend.UnlockWallet(ctx, []byte(req.GetPassphrase()))
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.UnlockWalletResponse{SeedFile: file}, nil
}

// maxSideFeeRateVB bounds a sidechain fee rate given in sat/vB, so that
// its value in sat/kB cannot overflow.
const maxSideFeeRateVB = 100_000

// sideFeeRate returns the sidechain fee rate, in sat/kB, of a request that
// gives it in sat/kB (field kbField) or in sat/vB (vbField), not both.
func sideFeeRate(kbField string, kb int64, vbField string, vb int64) (int64, error) {
	switch {
	case kb != 0 && vb != 0:
		return 0, Errorf(ErrInvalidArgument, "%s and %s both give the fee rate: give one", vbField, kbField)
	case vb < 0 || vb > maxSideFeeRateVB:
		return 0, Errorf(ErrInvalidArgument, "%s %d is not between 0 and %d sat/vB", vbField, vb, maxSideFeeRateVB)
	case vb != 0:
		return vb * 1000, nil
	}
	return kb, checkFeeRate(kbField, kb)
}

// perVByte converts a sidechain rate in sat/kB to sat/vB, rounded up.
func perVByte(kb int64) int64 {
	if kb <= 0 {
		return 0
	}
	return (kb + 999) / 1000
}

// Bounds of the window of ListSideTransactions and GetAddressHistory.
const (
	defaultSideHistoryBlocks = 1_000
	maxSideHistoryBlocks     = 10_000
)

// historyBlocks bounds the request field blocks of a history: 0 is the
// default window.
func historyBlocks(blocks int64) (uint32, error) {
	switch {
	case blocks == 0:
		return defaultSideHistoryBlocks, nil
	case blocks < 0:
		return 0, Errorf(ErrInvalidArgument, "blocks %d is negative: give a number of sideblocks "+
			"from 1 to %d, or 0 for %d", blocks, maxSideHistoryBlocks, defaultSideHistoryBlocks)
	case blocks > maxSideHistoryBlocks:
		return 0, Errorf(ErrInvalidArgument, "blocks %d is above the maximum, %d sideblocks",
			blocks, maxSideHistoryBlocks)
	}
	return uint32(blocks), nil
}

func (w *walletService) ListSideTransactions(ctx context.Context, req *apiv1.ListSideTransactionsRequest) (*apiv1.ListSideTransactionsResponse, error) {
	const method = apiv1.WalletService_ListSideTransactions_FullMethodName
	blocks, err := historyBlocks(int64(req.GetBlocks()))
	if err != nil {
		return nil, toStatus(method, err)
	}
	p, err := w.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	h, err := w.s.backend.SideTransactions(ctx, blocks, p)
	if err != nil {
		return nil, toStatus(method, err)
	}
	out := &apiv1.ListSideTransactionsResponse{Address: h.Address, Total: h.Total,
		FromBlockHeight: num32(max(h.FromHeight, 0)), ToBlockHeight: num32(max(h.Tip, 0))}
	for _, t := range h.Txs {
		out.Transactions = append(out.Transactions, &apiv1.SideWalletTransaction{
			Txid: t.TxID.String(), Height: num32(max(t.Height, 0)), NumConfirmations: num32(t.Confirmations),
			ReceivedSat: t.Received, SentSat: t.Sent, NetSat: t.Received - t.Sent, Coinbase: t.Coinbase,
		})
	}
	return out, nil
}
