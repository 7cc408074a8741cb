package api

import (
	"context"
	"encoding/hex"

	"github.com/btcsuite/btcd/wire"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// federationProto converts a federation; nil stays nil.
func federationProto(f *PegFederation) *apiv1.Federation {
	if f == nil {
		return nil
	}
	keys := make([]string, len(f.Keys))
	for i, k := range f.Keys {
		keys[i] = hex.EncodeToString(k)
	}
	return &apiv1.Federation{
		Epoch:         f.Epoch,
		Pubkeys:       keys,
		Threshold:     uint32(max(f.Threshold, 0)),
		Address:       f.Address,
		WitnessScript: hex.EncodeToString(f.WitnessScript),
	}
}

// depositStatusProto converts a deposit status; an unknown one is
// UNSPECIFIED.
func depositStatusProto(s DepositStatus) apiv1.DepositStatus {
	switch s {
	case DepositConfirming:
		return apiv1.DepositStatus_DEPOSIT_STATUS_CONFIRMING
	case DepositMatured:
		return apiv1.DepositStatus_DEPOSIT_STATUS_MATURED
	}
	return apiv1.DepositStatus_DEPOSIT_STATUS_UNSPECIFIED
}

func depositProto(d *Deposit) *apiv1.Deposit {
	return &apiv1.Deposit{
		Seq:           d.Seq,
		Outpoint:      formatOutPoint(d.OutPoint),
		Txid:          d.OutPoint.Hash.String(),
		Vout:          d.OutPoint.Index,
		ValueSat:      d.Value,
		PegboxAddress: d.PegboxAddress,
		SideScript:    hex.EncodeToString(d.SideScript),
		SideAddress:   d.SideAddress,
		ConfHeight:    d.Height,
		TxIndex:       d.TxIndex,
		Confirmations: d.Confirmations,
		MatureHeight:  d.MatureHeight,
		Status:        depositStatusProto(d.Status),
	}
}

func refusedProto(r *RefusedDeposit) *apiv1.RefusedDeposit {
	out := &apiv1.RefusedDeposit{
		Txid:          r.TxID.String(),
		Height:        r.Height,
		TxIndex:       r.TxIndex,
		Confirmations: r.Confirmations,
		Reason:        r.Reason,
		Message:       r.Message,
	}
	if r.HasOutPoint {
		out.Outpoint = formatOutPoint(r.OutPoint)
		out.ValueSat = r.Value
		out.Address = r.Address
		out.SideScript = hex.EncodeToString(r.SideScript)
		out.SideAddress = r.SideAddress
	}
	return out
}

// pegService implements PegService.
type pegService struct {
	apiv1.UnimplementedPegServiceServer
	s *Server
}

func (p *pegService) GetPegInfo(ctx context.Context, _ *apiv1.GetPegInfoRequest) (*apiv1.GetPegInfoResponse, error) {
	info, err := p.s.backend.PegInfo(ctx)
	if err != nil {
		return nil, toStatus(apiv1.PegService_GetPegInfo_FullMethodName, err)
	}
	resp := &apiv1.GetPegInfoResponse{
		TipHeight:            info.TipHeight,
		Epoch:                info.Epoch,
		EpochStartHeight:     info.EpochStart,
		NextEpochHeight:      info.NextEpoch,
		Federation:           federationProto(&info.Federation),
		PreviousFederation:   federationProto(info.Previous),
		PegboxBalanceSat:     info.Balance,
		PegboxCoinCount:      info.Coins,
		DepositCount:         info.Deposits,
		MaturedDepositCount:  info.Matured,
		DepositConfirmations: info.DepositConfirmations,
		DustLimitSat:         info.DustLimit,
	}
	if info.Previous != nil {
		resp.GraceEndHeight = info.GraceEnd
	}
	return resp, nil
}

func (p *pegService) ListDeposits(ctx context.Context, req *apiv1.ListDepositsRequest) (*apiv1.ListDepositsResponse, error) {
	const method = apiv1.PegService_ListDeposits_FullMethodName
	pg, err := p.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	ds, total, err := p.s.backend.Deposits(ctx, pg)
	if err != nil {
		return nil, toStatus(method, err)
	}
	out := make([]*apiv1.Deposit, len(ds))
	for i := range ds {
		out[i] = depositProto(&ds[i])
	}
	return &apiv1.ListDepositsResponse{Deposits: out, Total: total}, nil
}

func (p *pegService) ListRefusedDeposits(ctx context.Context, req *apiv1.ListRefusedDepositsRequest) (*apiv1.ListRefusedDepositsResponse, error) {
	const method = apiv1.PegService_ListRefusedDeposits_FullMethodName
	pg, err := p.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	rs, total, err := p.s.backend.RefusedDeposits(ctx, pg)
	if err != nil {
		return nil, toStatus(method, err)
	}
	out := make([]*apiv1.RefusedDeposit, len(rs))
	for i := range rs {
		out[i] = refusedProto(&rs[i])
	}
	return &apiv1.ListRefusedDepositsResponse{Refused: out, Total: total}, nil
}

func (p *pegService) GetDeposit(ctx context.Context, req *apiv1.GetDepositRequest) (*apiv1.GetDepositResponse, error) {
	const method = apiv1.PegService_GetDeposit_FullMethodName
	var (
		q   DepositQuery
		err error
	)
	switch d := req.GetDeposit().(type) {
	case *apiv1.GetDepositRequest_Txid:
		q.TxID, err = parseHash("txid", d.Txid)
	case *apiv1.GetDepositRequest_Outpoint:
		q.OutPoint, err = parseOutPoint("outpoint", d.Outpoint)
		q.TxID, q.ByOutPoint = q.OutPoint.Hash, true
	default:
		err = Errorf(ErrInvalidArgument, "name the deposit with txid or outpoint")
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	found, err := p.s.backend.Deposit(ctx, q)
	if err == nil && (found == nil || (found.Accepted == nil && found.Refused == nil)) {
		err = Errorf(ErrNotFound, "no deposit in transaction %v", q.TxID)
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	if found.Accepted != nil {
		return &apiv1.GetDepositResponse{Deposit: &apiv1.GetDepositResponse_Accepted{
			Accepted: depositProto(found.Accepted)}}, nil
	}
	return &apiv1.GetDepositResponse{Deposit: &apiv1.GetDepositResponse_Refused{
		Refused: refusedProto(found.Refused)}}, nil
}

func (w *walletService) PegIn(ctx context.Context, req *apiv1.PegInRequest) (*apiv1.PegInResponse, error) {
	const method = apiv1.WalletService_PegIn_FullMethodName
	err := checkAmount("amount_sat", req.GetAmountSat())
	if err == nil {
		err = checkAddress("side_address", req.GetSideAddress())
	}
	if err == nil {
		err = checkFeeRate("fee_rate_sat_vb", req.GetFeeRateSatVb())
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	res, err := w.s.backend.PegIn(ctx, PegInRequest{
		Amount:      req.GetAmountSat(),
		SideAddress: req.GetSideAddress(),
		FeeRate:     req.GetFeeRateSatVb(),
		PSBTOnly:    req.GetPsbtOnly(),
	})
	if err != nil {
		return nil, toStatus(method, err)
	}
	resp := &apiv1.PegInResponse{
		Txid:                hashString(res.TxID),
		Psbt:                res.PSBT,
		DepositVout:         res.Vout,
		PegboxAddress:       res.PegboxAddress,
		Epoch:               res.Epoch,
		AcceptedUntilHeight: res.AcceptedUntil,
		SideScript:          hex.EncodeToString(res.SideScript),
	}
	if res.TxID != nil {
		resp.DepositOutpoint = formatOutPoint(wire.OutPoint{Hash: *res.TxID, Index: res.Vout})
	}
	return resp, nil
}
