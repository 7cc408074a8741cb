package api

import (
	"context"
	"encoding/hex"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
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
	case DepositMinted:
		return apiv1.DepositStatus_DEPOSIT_STATUS_MINTED
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
		MintedBy:      mintedByProto(d.MintedBy),
	}
}

func mintedByProto(r *SideRef) *apiv1.SidechainBlockRef {
	if r == nil {
		return nil
	}
	return &apiv1.SidechainBlockRef{BlockHeight: num32(max(r.Height, 0)), Hash: r.Hash.String()}
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
	for _, o := range r.PegboxOutputs {
		out.PegboxOutputs = append(out.PegboxOutputs, &apiv1.PegboxOutput{
			Outpoint: formatOutPoint(o.OutPoint),
			ValueSat: o.Value,
			Address:  o.Address,
		})
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
	resp.CurrentPegboxBalanceSat = info.CurrentBalance
	resp.RotationCount = info.Rotations
	if r := info.LastRotation; r != nil {
		resp.LastRotation = &apiv1.PegRotation{Txid: r.TxID.String(), Height: r.Height,
			Epoch: r.Epoch, SpentSat: r.Spent, MovedSat: r.Moved}
	}
	a := info.Audit
	pegged, pending, unpaid, fees, bumps, destroyed, matches := a.Derived()
	resp.Audit = &apiv1.PegAudit{
		PegboxBalanceSat: a.PegboxBalance, AcceptedSat: a.Accepted,
		UnbackedSat: a.Unbacked, OutflowSat: a.Outflow, MintedSat: a.Minted,
		BurnedSat: a.Burned, PaidSat: a.Paid, PeggedSupplySat: pegged,
		PendingMintSat: pending, UnpaidSat: unpaid, PegboxFeesSat: fees,
		Matches: matches, RotationFeesSat: a.RotationFees, BumpFeesSat: bumps,
		SideBlockCount: num32(a.SideBlocks), SideSubsidySat: a.SideSubsidy,
		SideUtxoValueSat: a.SideUtxoValue, SideDestroyedSat: destroyed,
		UnexplainedSat: a.Unexplained, UnexplainedCount: uint64(len(a.UnexplainedSpends)),
		UncheckedSat: a.Unchecked, UncheckedCount: a.UncheckedCount,
	}
	for _, u := range a.UnexplainedSpends {
		resp.Audit.UnexplainedSpends = append(resp.Audit.UnexplainedSpends, &apiv1.UnexplainedSpend{
			Txid: u.TxID.String(), Height: u.Height, TxIndex: u.TxIndex, Code: u.Code,
			Message: u.Message, SpentSat: u.Spent, OutSat: u.Out})
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

func (p *pegService) ListPegboxCoins(ctx context.Context, req *apiv1.ListPegboxCoinsRequest) (*apiv1.ListPegboxCoinsResponse, error) {
	const method = apiv1.PegService_ListPegboxCoins_FullMethodName
	pg, err := p.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	cs, total, err := p.s.backend.PegboxCoins(ctx, pg)
	if err != nil {
		return nil, toStatus(method, err)
	}
	out := make([]*apiv1.PegboxCoin, len(cs))
	for i, c := range cs {
		out[i] = &apiv1.PegboxCoin{Outpoint: formatOutPoint(c.OutPoint), ValueSat: c.Value,
			Address: c.Address, Height: c.Height, Confirmations: c.Confirmations}
	}
	return &apiv1.ListPegboxCoinsResponse{Coins: out, Total: total}, nil
}

func (p *pegService) GetDeposit(ctx context.Context, req *apiv1.GetDepositRequest) (*apiv1.GetDepositResponse, error) {
	const method = apiv1.PegService_GetDeposit_FullMethodName
	var (
		q   DepositQuery
		err error
	)
	switch d := req.GetDeposit().(type) {
	case *apiv1.GetDepositRequest_Txid:
		q.TxID, err = parseHash("txid", "mainchain transaction id", d.Txid)
	case *apiv1.GetDepositRequest_Outpoint:
		q.OutPoint, err = parseOutPoint("outpoint", "mainchain", d.Outpoint)
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

func (w *walletService) PegOut(ctx context.Context, req *apiv1.PegOutRequest) (*apiv1.PegOutResponse, error) {
	const method = apiv1.WalletService_PegOut_FullMethodName
	err := checkAmount("amount_sat", req.GetAmountSat())
	if err == nil {
		err = checkAddress("destination_address", req.GetDestinationAddress())
	}
	if err == nil && (req.GetFeeSat() < 0 || req.GetFeeSat() > btcutil.MaxSatoshi) {
		err = Errorf(ErrInvalidArgument, "fee_sat %d is not between 0 and %d",
			req.GetFeeSat(), int64(btcutil.MaxSatoshi))
	}
	if err == nil && req.GetAmountSat()+req.GetFeeSat() > btcutil.MaxSatoshi {
		err = Errorf(ErrInvalidArgument, "amount_sat + fee_sat is %d, above %d",
			req.GetAmountSat()+req.GetFeeSat(), int64(btcutil.MaxSatoshi))
	}
	var rate int64
	if err == nil {
		rate, err = sideFeeRate("fee_rate_sat_kb", req.GetFeeRateSatKb(), "fee_rate_sat_vb", req.GetFeeRateSatVb())
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	res, err := w.s.backend.PegOut(ctx, PegOutRequest{
		Amount:      req.GetAmountSat(),
		Destination: req.GetDestinationAddress(),
		Fee:         req.GetFeeSat(),
		FeeRate:     rate,
	})
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.PegOutResponse{Txid: res.TxID.String(), Vout: res.Vout,
		BurnedSat: res.Burned}, nil
}

// withdrawalStageProto converts a withdrawal stage; an unknown one is
// UNSPECIFIED.
func withdrawalStageProto(s WithdrawalStage) apiv1.WithdrawalStage {
	switch s {
	case WithdrawalPending:
		return apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PENDING
	case WithdrawalIncluded:
		return apiv1.WithdrawalStage_WITHDRAWAL_STAGE_INCLUDED
	case WithdrawalPayable:
		return apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PAYABLE
	case WithdrawalPaid:
		return apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PAID
	}
	return apiv1.WithdrawalStage_WITHDRAWAL_STAGE_UNSPECIFIED
}

// parseWithdrawal parses a GetWithdrawalRequest's outpoint: txid:vout, or
// a txid alone.
func parseWithdrawal(s string) (WithdrawalQuery, error) {
	var (
		q   WithdrawalQuery
		err error
	)
	switch {
	case s == "":
		err = Errorf(ErrInvalidArgument, "outpoint is empty: name the "+
			"withdrawal as txid:vout, or by its txid")
	case strings.Contains(s, ":"):
		q.OutPoint, err = parseOutPoint("outpoint", "sidechain", s)
		q.TxID, q.ByOutPoint = q.OutPoint.Hash, true
	default:
		q.TxID, err = parseHash("outpoint", "sidechain transaction id", s)
	}
	return q, err
}

func (p *pegService) GetWithdrawal(ctx context.Context, req *apiv1.GetWithdrawalRequest) (*apiv1.GetWithdrawalResponse, error) {
	const method = apiv1.PegService_GetWithdrawal_FullMethodName
	q, err := parseWithdrawal(req.GetOutpoint())
	if err != nil {
		return nil, toStatus(method, err)
	}
	st, err := p.s.backend.Withdrawal(ctx, q)
	if err == nil && st == nil {
		err = Errorf(ErrNotFound, "no withdrawal in transaction %v", q.TxID)
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	resp := &apiv1.GetWithdrawalResponse{
		Stage:                 withdrawalStageProto(st.Stage),
		Outpoint:              formatOutPoint(st.OutPoint),
		ValueSat:              st.Value,
		FeeSat:                st.Fee,
		AmountSat:             st.Amount(),
		DestinationAddress:    st.Address,
		DestinationScript:     hex.EncodeToString(st.PkScript),
		RequiredSideDepth:     st.RequiredSideDepth,
		RequiredConfirmations: st.RequiredConfirmations,
	}
	if st.Stage == WithdrawalPending {
		return resp, nil
	}
	resp.SideblockHash = st.SideBlock.String()
	resp.SideBlockHeight = num32(max(st.SideHeight, 0))
	resp.SideBlockDepth = num32(max(st.SideDepth, 0))
	resp.PublicationHeight = st.PubHeight
	resp.PublicationConfirmations = st.PubConfirmations
	resp.Index, resp.Count = st.Index, st.Count
	branch := make([]string, len(st.Branch))
	for i, h := range st.Branch {
		branch[i] = hex.EncodeToString(h[:])
	}
	resp.Proof = &apiv1.WithdrawalProof{Branch: branch, TxRoot: st.TxRoot.String(),
		MerkleRoot: st.MerkleRoot.String()}
	if st.Stage == WithdrawalPaid {
		resp.PayoutTxid = st.PayoutTxID.String()
		resp.PayoutHeight = st.PayoutHeight
		resp.PayoutConfirmations = st.PayoutConfirmations
	}
	return resp, nil
}

func withdrawalProto(w *Withdrawal) *apiv1.Withdrawal {
	return &apiv1.Withdrawal{
		Outpoint:           formatOutPoint(w.OutPoint),
		ValueSat:           w.Value,
		FeeSat:             w.Fee,
		AmountSat:          w.Amount(),
		DestinationAddress: w.Address,
		DestinationScript:  hex.EncodeToString(w.PkScript),
	}
}

func (p *pegService) VerifyPayout(ctx context.Context, req *apiv1.VerifyPayoutRequest) (*apiv1.VerifyPayoutResponse, error) {
	const method = apiv1.PegService_VerifyPayout_FullMethodName
	var (
		q   PayoutQuery
		err error
	)
	switch {
	case req.GetTxid() == "" && req.GetRawTxHex() == "":
		err = Errorf(ErrInvalidArgument, "name the payout with txid, or give it as raw_tx_hex")
	case req.GetRawTxHex() == "":
		q.TxID, err = parseHash("txid", "mainchain transaction id", req.GetTxid())
	default:
		q.Tx, err = parseRawTx("raw_tx_hex", req.GetRawTxHex())
		if err == nil {
			q.TxID = q.Tx.TxHash()
		}
		if err == nil && req.GetTxid() != "" {
			var txid chainhash.Hash
			txid, err = parseHash("txid", "mainchain transaction id", req.GetTxid())
			if err == nil && txid != q.TxID {
				err = Errorf(ErrInvalidArgument, "txid %v is not the id of raw_tx_hex, %v",
					txid, q.TxID)
			}
		}
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	res, err := p.s.backend.VerifyPayout(ctx, q)
	if err == nil && res == nil {
		err = Errorf(ErrNotFound, "no payout %v", q.TxID)
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	resp := &apiv1.VerifyPayoutResponse{
		Valid:                res.Valid,
		Txid:                 res.TxID.String(),
		Seen:                 res.Seen,
		SideblockOnBestChain: res.OnBestChain,
	}
	if !res.Valid {
		resp.Code = res.Code
		resp.Reason = res.Code + ": " + res.Message
	}
	if res.SideBlock != nil {
		resp.SideblockHash = res.SideBlock.String()
	}
	for i := range res.Withdrawals {
		resp.Withdrawals = append(resp.Withdrawals, withdrawalProto(&res.Withdrawals[i]))
	}
	if res.Seen {
		resp.PayoutHeight, resp.PayoutConfirmations = res.Height, res.Confirmations
	}
	return resp, nil
}
