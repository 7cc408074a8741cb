package api

import (
	"time"

	"context"
	"encoding/hex"
	"math"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// maxInfoTickets is how many of the node's own ticket ids GetInfo lists;
// ListStakes pages through all of them.
const maxInfoTickets = 100

// page checks a list request's paging fields and returns the Page for the
// backend. A limit of 0 takes the default page size; a limit above the
// maximum page size is InvalidArgument, never clamped.
func (s *Server) page(offset uint64, limit uint32, reversed bool) (Page, error) {
	switch {
	case limit == 0:
		limit = s.cfg.DefaultPageSize
	case limit > s.cfg.MaxPageSize:
		return Page{}, Errorf(ErrInvalidArgument, "limit %d is above the "+
			"maximum page size %d: page through the list with offset",
			limit, s.cfg.MaxPageSize)
	}
	return Page{Offset: offset, Limit: limit, Reversed: reversed}, nil
}

// checkHeight rejects a negative block height.
func checkHeight(height int32) error {
	if height < 0 {
		return Errorf(ErrInvalidArgument, "height %d is negative", height)
	}
	return nil
}

// checkFeeRate rejects a negative fee rate (0 means the node's default);
// field names the request field in the error.
func checkFeeRate(field string, rate int64) error {
	if rate < 0 {
		return Errorf(ErrInvalidArgument, "%s %d is negative", field, rate)
	}
	return nil
}

func hashString(h *chainhash.Hash) string {
	if h == nil {
		return ""
	}
	return h.String()
}

func ticketProto(t *Ticket) *apiv1.Ticket {
	return &apiv1.Ticket{
		Id:                t.ID,
		Txid:              t.TxID.String(),
		StakeOutpoint:     formatOutPoint(t.Stake),
		ValueSat:          t.Value,
		LockHeight:        t.LockHeight,
		ConfHeight:        t.ConfHeight,
		Pubkey:            hex.EncodeToString(t.PubKey),
		Live:              t.EndHeight < 0,
		EndHeight:         t.EndHeight,
		PublisherOutpoint: formatOutPoint(t.Publisher),
		Weight:            t.Weight.String(),
		State:             string(t.State),
		StakeState:        t.StakeState,
		WithdrawalTxid:    hashString(t.Withdrawal),
		WithdrawnHeight:   t.WithdrawnHeight,
		OwnerKeyHash:      hex.EncodeToString(t.OwnerKeyHash),
	}
}

func ticketsProto(ts []Ticket) []*apiv1.Ticket {
	out := make([]*apiv1.Ticket, len(ts))
	for i := range ts {
		out[i] = ticketProto(&ts[i])
	}
	return out
}

// nodeService implements NodeService.
type nodeService struct {
	apiv1.UnimplementedNodeServiceServer
	s *Server
}

func (n *nodeService) GetInfo(ctx context.Context, _ *apiv1.GetInfoRequest) (*apiv1.GetInfoResponse, error) {
	info, err := n.s.backend.Info(ctx)
	if err != nil {
		return nil, toStatus(apiv1.NodeService_GetInfo_FullMethodName, err)
	}
	mc := info.Mainchain
	tipHash := ""
	if mc.TipHeight >= 0 {
		tipHash = mc.TipHash.String()
	}
	backendHash := ""
	if mc.BackendHash != (chainhash.Hash{}) {
		backendHash = mc.BackendHash.String()
	}
	own := info.OwnTickets
	if len(own) > maxInfoTickets {
		own = own[:maxInfoTickets]
	}
	return &apiv1.GetInfoResponse{
		Version:     info.Version,
		Network:     info.Network,
		SidechainId: info.SidechainID,
		Mainchain: &apiv1.MainchainState{
			TipHeight:     mc.TipHeight,
			TipHash:       tipHash,
			Backend:       mc.Backend,
			Connected:     mc.Connected,
			BackendHeight: mc.BackendHeight,
			Synced:        mc.Synced,
			LastError:     mc.LastError,
			BackendHash:   backendHash,
			FilterHeight:  mc.FilterHeight,
			HeaderHeight:  mc.HeaderHeight,
			BackendPeers:  mc.BackendPeers,
			Progress:      mc.Progress,
		},
		Sidechain: &apiv1.SidechainState{
			Height:  num32(info.Sidechain.TipHeight),
			TipHash: hashString(info.Sidechain.TipHash),
		},
		NumTickets:       info.NumTickets,
		OwnTicketCount:   uint64(len(info.OwnTickets)),
		OwnTicketIds:     append([]uint64{}, own...),
		Wins:             info.Wins,
		Publications:     info.Publications,
		Misses:           info.Misses,
		StateHash:        info.StateHash.String(),
		HeadersBroadcast: info.HeadersBroadcast,
		MissReasons:      info.MissReasons,
		SidechainPeers:   uint32(max(info.SidechainPeers, 0)),
		Notarization:     notarizationStatusProto(info.Notarization),
	}, nil
}

// notarizationStatusProto converts the notarization's health; nil stays
// absent.
func notarizationStatusProto(s *NotarizationStatus) *apiv1.NotarizationStatus {
	if s == nil {
		return nil
	}
	out := &apiv1.NotarizationStatus{
		LagBlocks:        s.LagBlocks,
		AgeSeconds:       int64(s.Age / time.Second),
		Health:           s.Health,
		IrregularSeconds: int64(s.IrregularAge / time.Second),
		InactiveSeconds:  int64(s.InactiveAge / time.Second),
		Interval:         s.Interval,
		NextHeight:       s.NextHeight,
		DpowCounting:     s.DpowCounting,
	}
	if n := s.Last; n != nil {
		p := notarizationProto(n)
		out.Notarized = true
		out.NotarizedHeight, out.NotarizedBlock = p.NotarizedHeight, p.NotarizedBlock
		out.Txid, out.MainHeight, out.Confirmations = p.Txid, p.Height, p.Confirmations
		out.BlockTime, out.Season = p.BlockTime, p.Season
		out.Signers, out.SignerPubkeys = p.Signers, p.SignerPubkeys
	}
	return out
}

func (n *nodeService) GetStateHash(ctx context.Context, req *apiv1.GetStateHashRequest) (*apiv1.GetStateHashResponse, error) {
	const method = apiv1.NodeService_GetStateHash_FullMethodName
	if err := checkHeight(req.GetHeight()); err != nil {
		return nil, toStatus(method, err)
	}
	block, sum, err := n.s.backend.StateHash(ctx, req.GetHeight())
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.GetStateHashResponse{
		Height:    req.GetHeight(),
		BlockHash: block.String(),
		StateHash: sum.String(),
	}, nil
}

func (m *mainchainService) GetMainTransaction(ctx context.Context, req *apiv1.GetMainTransactionRequest) (*apiv1.GetMainTransactionResponse, error) {
	const method = apiv1.MainchainService_GetMainTransaction_FullMethodName
	txid, err := parseHash("txid", "mainchain transaction id", req.GetTxid())
	if err != nil {
		return nil, toStatus(method, err)
	}
	t, err := m.s.backend.MainTransaction(ctx, txid)
	if err != nil {
		return nil, toStatus(method, err)
	}
	out := &apiv1.GetMainTransactionResponse{Txid: txid.String(), RawHex: txHex(t.Tx),
		NumConfirmations: t.Confirmations, Source: t.Source}
	if t.BlockHash != nil {
		out.BlockHash = t.BlockHash.String()
	}
	return out, nil
}

// mainchainService implements MainchainService.
type mainchainService struct {
	apiv1.UnimplementedMainchainServiceServer
	s *Server
}

func (m *mainchainService) ListTickets(ctx context.Context, req *apiv1.ListTicketsRequest) (*apiv1.ListTicketsResponse, error) {
	const method = apiv1.MainchainService_ListTickets_FullMethodName
	p, err := m.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	ts, total, err := m.s.backend.Tickets(ctx, p)
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.ListTicketsResponse{Tickets: ticketsProto(ts), Total: total}, nil
}

func (m *mainchainService) GetWinner(ctx context.Context, req *apiv1.GetWinnerRequest) (*apiv1.GetWinnerResponse, error) {
	const method = apiv1.MainchainService_GetWinner_FullMethodName
	if err := checkHeight(req.GetHeight()); err != nil {
		return nil, toStatus(method, err)
	}
	w, err := m.s.backend.Winner(ctx, req.GetHeight())
	if err == nil && w == nil {
		err = Errorf(ErrNotFound, "no winner after block %d", req.GetHeight())
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	resp := &apiv1.GetWinnerResponse{
		Height:      w.Height,
		BlockHash:   w.BlockHash.String(),
		TicketId:    w.Ticket,
		TotalWeight: w.TotalWeight.String(),
		SidechainId: w.SidechainID,
		OwnTicket:   w.Own,
	}
	if w.HasProof {
		resp.R, resp.RangeStart, resp.RangeEnd = w.R.String(), w.Start.String(), w.End.String()
	}
	return resp, nil
}

// drawWinnerProto converts a winner for the lottery stream.
func drawWinnerProto(w *Winner) *apiv1.DrawWinner {
	out := &apiv1.DrawWinner{
		TicketId:    w.Ticket,
		TotalWeight: w.TotalWeight.String(),
		SidechainId: w.SidechainID,
		OwnTicket:   w.Own,
	}
	if w.HasProof {
		out.R, out.RangeStart, out.RangeEnd = w.R.String(), w.Start.String(), w.End.String()
	}
	return out
}

func publicationProto(p *Publication) *apiv1.Publication {
	return &apiv1.Publication{
		Height:     p.Height,
		TicketId:   p.Ticket,
		Txid:       p.TxID.String(),
		TxIndex:    p.TxIndex,
		PrevBlock:  p.PrevBlock.String(),
		MerkleRoot: p.MerkleRoot.String(),
		BlockHash:  p.BlockHash.String(),
	}
}

func (m *mainchainService) ListPublications(ctx context.Context, req *apiv1.ListPublicationsRequest) (*apiv1.ListPublicationsResponse, error) {
	const method = apiv1.MainchainService_ListPublications_FullMethodName
	p, err := m.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	ps, total, err := m.s.backend.ListPublications(ctx, p)
	if err != nil {
		return nil, toStatus(method, err)
	}
	out := make([]*apiv1.Publication, len(ps))
	for i := range ps {
		out[i] = publicationProto(&ps[i])
	}
	return &apiv1.ListPublicationsResponse{Publications: out, Total: total}, nil
}

func (m *mainchainService) ListMissedSlots(ctx context.Context, req *apiv1.ListMissedSlotsRequest) (*apiv1.ListMissedSlotsResponse, error) {
	const method = apiv1.MainchainService_ListMissedSlots_FullMethodName
	p, err := m.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	ms, total, err := m.s.backend.ListMissedSlots(ctx, p)
	if err != nil {
		return nil, toStatus(method, err)
	}
	out := make([]*apiv1.MissedSlot, len(ms))
	for i := range ms {
		out[i] = &apiv1.MissedSlot{
			Height:     ms[i].Height,
			BlockHash:  ms[i].BlockHash.String(),
			TicketId:   ms[i].Ticket,
			OwnTicket:  ms[i].Own,
			MissReason: ms[i].Reason,
		}
	}
	return &apiv1.ListMissedSlotsResponse{MissedSlots: out, Total: total}, nil
}

func (m *mainchainService) GetPublication(ctx context.Context, req *apiv1.GetPublicationRequest) (*apiv1.GetPublicationResponse, error) {
	const method = apiv1.MainchainService_GetPublication_FullMethodName
	if err := checkHeight(req.GetHeight()); err != nil {
		return nil, toStatus(method, err)
	}
	p, err := m.s.backend.Publication(ctx, req.GetHeight())
	if err == nil && p == nil {
		err = Errorf(ErrNotFound, "no publication in block %d", req.GetHeight())
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.GetPublicationResponse{
		Height:     p.Height,
		TicketId:   p.Ticket,
		Txid:       p.TxID.String(),
		TxIndex:    p.TxIndex,
		PrevBlock:  p.PrevBlock.String(),
		MerkleRoot: p.MerkleRoot.String(),
		BlockHash:  p.BlockHash.String(),
	}, nil
}

// walletService implements WalletService.
type walletService struct {
	apiv1.UnimplementedWalletServiceServer
	s *Server
}

func (w *walletService) NewAddress(ctx context.Context, _ *apiv1.NewAddressRequest) (*apiv1.NewAddressResponse, error) {
	addr, err := w.s.backend.NewAddress(ctx)
	if err != nil {
		return nil, toStatus(apiv1.WalletService_NewAddress_FullMethodName, err)
	}
	return &apiv1.NewAddressResponse{Address: addr}, nil
}

func (w *walletService) GetBalance(ctx context.Context, req *apiv1.GetBalanceRequest) (*apiv1.GetBalanceResponse, error) {
	const method = apiv1.WalletService_GetBalance_FullMethodName
	minConf := req.GetMinConf()
	switch {
	case minConf < 0:
		return nil, toStatus(method, Errorf(ErrInvalidArgument,
			"min_conf %d is negative", minConf))
	}
	b, err := w.s.backend.Balance(ctx, minConf)
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.GetBalanceResponse{
		TotalSat:     b.Total,
		SpendableSat: b.Spendable,
		MinConf:      minConf,

		ConfirmedSat:        b.Confirmed,
		IncomingSat:         b.Incoming,
		UnconfirmedSat:      b.Unconfirmed,
		SpentUnconfirmedSat: b.SpentUnconfirmed,
		MempoolWatched:      b.MempoolWatched,
	}, nil
}

func (w *walletService) CreateStake(ctx context.Context, req *apiv1.CreateStakeRequest) (*apiv1.CreateStakeResponse, error) {
	const method = apiv1.WalletService_CreateStake_FullMethodName
	var err error
	switch {
	case req.GetAmountSat() <= 0:
		err = Errorf(ErrInvalidArgument, "amount_sat %d is not positive", req.GetAmountSat())
	case req.GetLockBlocks() == 0:
		err = Errorf(ErrInvalidArgument, "lock_blocks is zero")
	case req.GetLockBlocks() > math.MaxInt32:
		err = Errorf(ErrInvalidArgument, "lock_blocks %d is too large", req.GetLockBlocks())
	default:
		err = checkFeeRate("fee_rate_sat_vb", req.GetFeeRateSatVb())
	}
	var owner []byte
	if err == nil && req.GetOwnerPubkey() != "" {
		owner, err = parseOwnerPubKey(req.GetOwnerPubkey())
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	res, err := w.s.backend.CreateStake(ctx, StakeRequest{
		Amount:      req.GetAmountSat(),
		LockBlocks:  req.GetLockBlocks(),
		FeeRate:     req.GetFeeRateSatVb(),
		PSBTOnly:    req.GetPsbtOnly(),
		OwnerPubKey: owner,
	})
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.CreateStakeResponse{
		Txid:         hashString(res.TxID),
		Psbt:         res.PSBT,
		LockHeight:   res.LockHeight,
		Pubkey:       hex.EncodeToString(res.PubKey),
		OwnerKeyHash: hex.EncodeToString(res.OwnerKeyHash),
	}, nil
}

// parseOwnerPubKey reads owner_pubkey: a 33-byte compressed key on the
// curve, hex.
func parseOwnerPubKey(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != btcec.PubKeyBytesLenCompressed || (b[0] != 2 && b[0] != 3) {
		return nil, Errorf(ErrInvalidArgument, "owner_pubkey %q is not a "+
			"33-byte compressed public key in hex (66 hex digits, "+
			"starting 02 or 03)", s)
	}
	if _, err := btcec.ParsePubKey(b); err != nil {
		return nil, Errorf(ErrInvalidArgument, "owner_pubkey %q is not a "+
			"point of the curve: %v", s, err)
	}
	return b, nil
}

func (w *walletService) ListStakes(ctx context.Context, req *apiv1.ListStakesRequest) (*apiv1.ListStakesResponse, error) {
	const method = apiv1.WalletService_ListStakes_FullMethodName
	p, err := w.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	ts, total, err := w.s.backend.ListStakes(ctx, p)
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.ListStakesResponse{Tickets: ticketsProto(ts), Total: total}, nil
}

func (w *walletService) WithdrawStake(ctx context.Context, req *apiv1.WithdrawStakeRequest) (*apiv1.WithdrawStakeResponse, error) {
	const method = apiv1.WalletService_WithdrawStake_FullMethodName
	wr := WithdrawRequest{
		Destination: req.GetDestinationAddress(),
		FeeRate:     req.GetFeeRateSatVb(),
		PSBTOnly:    req.GetPsbtOnly(),
	}
	var err error
	switch stake := req.GetStake().(type) {
	case *apiv1.WithdrawStakeRequest_TicketId:
		wr.TicketID = stake.TicketId
	case *apiv1.WithdrawStakeRequest_StakeOutpoint:
		wr.Stake, err = parseOutPoint("stake_outpoint", "mainchain", stake.StakeOutpoint)
		wr.ByOutPoint = true
	default:
		err = Errorf(ErrInvalidArgument, "name the stake with ticket_id or stake_outpoint")
	}
	if err == nil {
		err = checkFeeRate("fee_rate_sat_vb", wr.FeeRate)
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	res, err := w.s.backend.WithdrawStake(ctx, wr)
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.WithdrawStakeResponse{Txid: hashString(res.TxID), Psbt: res.PSBT}, nil
}

func (w *walletService) RenewStake(ctx context.Context, req *apiv1.RenewStakeRequest) (*apiv1.RenewStakeResponse, error) {
	const method = apiv1.WalletService_RenewStake_FullMethodName
	rr := RenewRequest{
		LockBlocks: uint32(max(req.GetLockBlocks(), 0)),
		FeeRate:    req.GetFeeRateSatVb(),
		SignedPSBT: req.GetSignedPsbt(),
	}
	var err error
	switch stake := req.GetStake().(type) {
	case *apiv1.RenewStakeRequest_TicketId:
		rr.TicketID = stake.TicketId
	case *apiv1.RenewStakeRequest_StakeOutpoint:
		rr.Stake, err = parseOutPoint("stake_outpoint", "mainchain", stake.StakeOutpoint)
		rr.ByOutPoint = true
	default:
		err = Errorf(ErrInvalidArgument, "name the stake with ticket_id or stake_outpoint")
	}
	switch {
	case err != nil:
	case req.GetLockBlocks() < 0 || (req.GetLockBlocks() == 0 && req.GetSignedPsbt() == ""):
		err = Errorf(ErrInvalidArgument, "lock_blocks %d is not positive", req.GetLockBlocks())
	default:
		err = checkFeeRate("fee_rate_sat_vb", rr.FeeRate)
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	res, err := w.s.backend.RenewStake(ctx, rr)
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.RenewStakeResponse{Txid: hashString(res.TxID), Psbt: res.PSBT,
		LockHeight: int32(res.LockHeight), AmountSat: res.Amount}, nil
}

func (w *walletService) TopUpStake(ctx context.Context, req *apiv1.TopUpStakeRequest) (*apiv1.TopUpStakeResponse, error) {
	const method = apiv1.WalletService_TopUpStake_FullMethodName
	if err := checkAmount("amount_sat", req.GetAmountSat()); err != nil {
		return nil, toStatus(method, err)
	}
	res, err := w.s.backend.TopUpStake(ctx, req.GetTicketId(), req.GetAmountSat())
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.TopUpStakeResponse{PendingSat: res.Pending,
		PublisherValueSat: res.PublisherValue, ConfirmedSat: res.Confirmed}, nil
}

func (w *walletService) GetSideAddress(ctx context.Context, _ *apiv1.GetSideAddressRequest) (*apiv1.GetSideAddressResponse, error) {
	addr, err := w.s.backend.SideAddress(ctx)
	if err != nil {
		return nil, toStatus(apiv1.WalletService_GetSideAddress_FullMethodName, err)
	}
	return &apiv1.GetSideAddressResponse{Address: addr}, nil
}

func (w *walletService) GetSideBalance(ctx context.Context, _ *apiv1.GetSideBalanceRequest) (*apiv1.GetSideBalanceResponse, error) {
	b, err := w.s.backend.SideBalance(ctx)
	if err != nil {
		return nil, toStatus(apiv1.WalletService_GetSideBalance_FullMethodName, err)
	}
	return &apiv1.GetSideBalanceResponse{
		Address:      b.Address,
		TotalSat:     b.Total,
		SpendableSat: b.Spendable,
		ImmatureSat:  b.Immature,
		PendingSat:   b.Pending,
		UtxoCount:    b.Count,
		SpendHeight:  b.SpendHeight,
		IncomingSat:  b.Incoming,
	}, nil
}

func (w *walletService) SendSide(ctx context.Context, req *apiv1.SendSideRequest) (*apiv1.SendSideResponse, error) {
	const method = apiv1.WalletService_SendSide_FullMethodName
	err := checkAddress("to_address", req.GetToAddress())
	if err == nil {
		err = checkAmount("amount_sat", req.GetAmountSat())
	}
	var rate int64
	if err == nil {
		rate, err = sideFeeRate("fee_rate_sat_kb", req.GetFeeRateSatKb(), "fee_rate_sat_vb", req.GetFeeRateSatVb())
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	txid, err := w.s.backend.SendSide(ctx, req.GetToAddress(), req.GetAmountSat(), rate)
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.SendSideResponse{Txid: txid.String()}, nil
}
