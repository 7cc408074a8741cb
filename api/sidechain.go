package api

import (
	"context"
	"encoding/hex"
	"math"

	"github.com/btcsuite/btcd/btcutil"

	"github.com/mainstake/sidenode/notarize"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// checkAddress rejects an empty address; the backend decodes the others
// for its network.
func checkAddress(field, addr string) error {
	if addr == "" {
		return Errorf(ErrInvalidArgument, "%s is empty", field)
	}
	return nil
}

// checkAmount rejects an amount that is not positive or above the 21
// million coins.
func checkAmount(field string, amount int64) error {
	if amount <= 0 || amount > btcutil.MaxSatoshi {
		return Errorf(ErrInvalidArgument, "%s %d is not between 1 and %d",
			field, amount, int64(btcutil.MaxSatoshi))
	}
	return nil
}

// sideStatusProto converts a block status; an unknown one is UNSPECIFIED.
func sideStatusProto(s SideBlockStatus) apiv1.SidechainBlockStatus {
	switch s {
	case SideUnpublished:
		return apiv1.SidechainBlockStatus_SIDECHAIN_BLOCK_STATUS_UNPUBLISHED
	case SideBodyMissing:
		return apiv1.SidechainBlockStatus_SIDECHAIN_BLOCK_STATUS_BODY_MISSING
	case SideBodyStaged:
		return apiv1.SidechainBlockStatus_SIDECHAIN_BLOCK_STATUS_BODY_STAGED
	case SideValid:
		return apiv1.SidechainBlockStatus_SIDECHAIN_BLOCK_STATUS_VALID
	case SideInvalid:
		return apiv1.SidechainBlockStatus_SIDECHAIN_BLOCK_STATUS_INVALID
	case SideInvalidAncestor:
		return apiv1.SidechainBlockStatus_SIDECHAIN_BLOCK_STATUS_INVALID_ANCESTOR
	}
	return apiv1.SidechainBlockStatus_SIDECHAIN_BLOCK_STATUS_UNSPECIFIED
}

// sidechainService implements SidechainService.
type sidechainService struct {
	apiv1.UnimplementedSidechainServiceServer
	s *Server
}

func (sc *sidechainService) GetBlock(ctx context.Context, req *apiv1.GetBlockRequest) (*apiv1.GetBlockResponse, error) {
	const method = apiv1.SidechainService_GetBlock_FullMethodName
	br := SideBlockRequest{Raw: req.GetIncludeRaw()}
	var err error
	switch b := req.GetBlock().(type) {
	case *apiv1.GetBlockRequest_Hash:
		br.Hash, err = parseHash("hash", "sidechain block hash", b.Hash)
	case *apiv1.GetBlockRequest_Height:
		br.Height, br.ByHeight = b.Height, true
		if b.Height > math.MaxInt32 {
			err = Errorf(ErrInvalidArgument, "height %d is too large", b.Height)
		}
	default:
		err = Errorf(ErrInvalidArgument, "name the block with hash or height")
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	p, err := sc.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	blk, err := sc.s.backend.SideBlock(ctx, br)
	if err == nil && blk == nil {
		err = Errorf(ErrNotFound, "no such sidechain block")
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	txids := Paginate(blk.TxIDs, p)
	resp := &apiv1.GetBlockResponse{
		Hash:             blk.Hash.String(),
		PrevBlock:        blk.PrevBlock.String(),
		MerkleRoot:       blk.MerkleRoot.String(),
		Status:           sideStatusProto(blk.Status),
		Published:        blk.Published,
		OnBestChain:      blk.OnBestChain,
		NumConfirmations: num32(blk.Confirmations),
		HasBody:          blk.HasBody,
		TxCount:          uint64(len(blk.TxIDs)),
		Txids:            make([]string, len(txids)),
		Size:             uint64(blk.Size),
	}
	if blk.Published {
		resp.BlockHeight = num32(blk.Height)
		resp.LotteryHeight = blk.LotteryHeight
		resp.PublicationHeight = blk.PubHeight
		resp.PublicationTxid = blk.PubTxID.String()
	}
	for i := range txids {
		resp.Txids[i] = txids[i].String()
	}
	if req.GetIncludeRaw() {
		resp.RawHex = hex.EncodeToString(blk.Raw)
	}
	return resp, nil
}

func (sc *sidechainService) GetTransaction(ctx context.Context, req *apiv1.GetTransactionRequest) (*apiv1.GetTransactionResponse, error) {
	const method = apiv1.SidechainService_GetTransaction_FullMethodName
	txid, err := parseHash("txid", "sidechain transaction id", req.GetTxid())
	if err != nil {
		return nil, toStatus(method, err)
	}
	stx, err := sc.s.backend.SideTransaction(ctx, txid)
	if err == nil && (stx == nil || stx.Tx == nil) {
		err = Errorf(ErrNotFound, "transaction %v is neither in the best "+
			"chain nor in the mempool", txid)
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	raw, err := rawTxHex(stx.Tx)
	if err != nil {
		return nil, toStatus(method, err)
	}
	resp := &apiv1.GetTransactionResponse{
		Txid:      stx.Tx.TxHash().String(),
		RawHex:    raw,
		InMempool: stx.InMempool,
		Confirmed: stx.Confirmed,
	}
	if stx.Confirmed {
		resp.BlockHash = stx.BlockHash.String()
		resp.Height = num32(stx.BlockHeight)
		resp.LotteryHeight = stx.LotteryHeight
		resp.TxIndex = stx.Index
		resp.NumConfirmations = num32(stx.Confirmations)
	}
	resp.Notarized, resp.DpowCounting = stx.Notarized, stx.DpowCounting
	resp.DpowConfirmations = notarize.Confirmations(resp.NumConfirmations,
		stx.Notarized, stx.DpowCounting)
	return resp, nil
}

func (sc *sidechainService) ListUnspent(ctx context.Context, req *apiv1.ListUnspentRequest) (*apiv1.ListUnspentResponse, error) {
	const method = apiv1.SidechainService_ListUnspent_FullMethodName
	if err := checkAddress("address", req.GetAddress()); err != nil {
		return nil, toStatus(method, err)
	}
	p, err := sc.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	us, total, err := sc.s.backend.SideUnspent(ctx, req.GetAddress(), p)
	if err != nil {
		return nil, toStatus(method, err)
	}
	out := make([]*apiv1.SidechainUtxo, len(us))
	for i := range us {
		u := &us[i]
		out[i] = &apiv1.SidechainUtxo{
			Outpoint:      formatOutPoint(u.OutPoint),
			ValueSat:      u.Value,
			PkScript:      hex.EncodeToString(u.PkScript),
			LotteryHeight: u.LotteryHeight,
			Coinbase:      u.Coinbase,
			Spendable:     u.Spendable,
		}
	}
	return &apiv1.ListUnspentResponse{Utxos: out, Total: total}, nil
}

func (sc *sidechainService) GetAddressBalance(ctx context.Context, req *apiv1.GetAddressBalanceRequest) (*apiv1.GetAddressBalanceResponse, error) {
	const method = apiv1.SidechainService_GetAddressBalance_FullMethodName
	if err := checkAddress("address", req.GetAddress()); err != nil {
		return nil, toStatus(method, err)
	}
	b, err := sc.s.backend.SideAddressBalance(ctx, req.GetAddress())
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.GetAddressBalanceResponse{
		Address:      req.GetAddress(),
		TotalSat:     b.Total,
		SpendableSat: b.Spendable,
		ImmatureSat:  b.Immature,
		UtxoCount:    b.Count,
		SpendHeight:  b.SpendHeight,
	}, nil
}

func (sc *sidechainService) GetAddressHistory(ctx context.Context, req *apiv1.GetAddressHistoryRequest) (*apiv1.GetAddressHistoryResponse, error) {
	const method = apiv1.SidechainService_GetAddressHistory_FullMethodName
	if err := checkAddress("address", req.GetAddress()); err != nil {
		return nil, toStatus(method, err)
	}
	blocks, err := historyBlocks(int64(req.GetBlocks()))
	if err != nil {
		return nil, toStatus(method, err)
	}
	p, err := sc.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	h, err := sc.s.backend.SideAddressHistory(ctx, req.GetAddress(), blocks, p)
	if err != nil {
		return nil, toStatus(method, err)
	}
	out := &apiv1.GetAddressHistoryResponse{Address: h.Address, Total: h.Total,
		FromHeight: num32(max(h.FromHeight, 0)), ToHeight: num32(max(h.Tip, 0))}
	for _, t := range h.Txs {
		out.Transactions = append(out.Transactions, &apiv1.SidechainAddressTransaction{
			Txid: t.TxID.String(), Height: num32(max(t.Height, 0)), Confirmations: num32(t.Confirmations),
			ReceivedSat: t.Received, SentSat: t.Sent, NetSat: t.Received - t.Sent, Coinbase: t.Coinbase,
		})
	}
	return out, nil
}

func (sc *sidechainService) SendRawTransaction(ctx context.Context, req *apiv1.SendRawTransactionRequest) (*apiv1.SendRawTransactionResponse, error) {
	const method = apiv1.SidechainService_SendRawTransaction_FullMethodName
	tx, err := parseRawTx("raw_hex", req.GetRawHex())
	if err != nil {
		return nil, toStatus(method, err)
	}
	txid, err := sc.s.backend.SendSideTransaction(ctx, tx)
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.SendRawTransactionResponse{Txid: txid.String()}, nil
}

func (sc *sidechainService) EstimateFee(ctx context.Context, _ *apiv1.EstimateFeeRequest) (*apiv1.EstimateFeeResponse, error) {
	e, err := sc.s.backend.SideFeeEstimate(ctx)
	if err != nil {
		return nil, toStatus(apiv1.SidechainService_EstimateFee_FullMethodName, err)
	}
	return &apiv1.EstimateFeeResponse{
		FeeRateSatKb:    e.FeeRate,
		MinFeeRateSatKb: e.MinFeeRate,
		MempoolTxs:      e.MempoolTxs,
		MempoolBytes:    e.MempoolBytes,
		MempoolFull:     e.MempoolFull,
		FeeRateSatVb:    perVByte(e.FeeRate),
		MinFeeRateSatVb: perVByte(e.MinFeeRate),
	}, nil
}
