package api

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// Limits of MiningService.
const (
	// MaxLongPolls is the most GetBlockTemplate long polls the server
	// holds at once; it refuses more with ResourceExhausted.
	MaxLongPolls = 64

	// AdminLongPolls of MaxLongPolls are kept for the admin credential,
	// which miners use, as AdminStreams are for streams.
	AdminLongPolls = 16

	// maxLongPollID bounds a request's long_poll_id; the node's ids are
	// far shorter.
	maxLongPollID = 256

	// maxSubmitBlockMsg is the largest SubmitBlock request: a block of
	// the pow engine's largest size (4,000,000 WU at 4 WU a byte) in
	// hex, and room for the message's framing. It may exceed
	// MaxMsgSize, which bounds every other request, up to the
	// transport's transportSlack·MaxMsgSize (4 MiB by default).
	maxSubmitBlockMsg = 2*1_000_000 + 1024

	// MaxRecentBlocks is the most blocks GetMiningInfo lists, and
	// DefaultRecentBlocks how many it lists when the request says 0.
	MaxRecentBlocks     = 120
	DefaultRecentBlocks = 10
)

// restSubmitBlockPath is SubmitBlock's REST route, whose body may be as
// large as maxSubmitBlockMsg.
const restSubmitBlockPath = "/v1/mining/submit"

// MiningBackend serves MiningService. A node of an engine without mining
// answers every method with ErrFailedPrecondition naming its engine.
type MiningBackend interface {
	// BlockTemplate returns the template to mine on the best tip. With a
	// longPollID that is the current template's, it waits until the
	// template changes or ctx ends (then it returns ctx's error);
	// otherwise it answers at once.
	BlockTemplate(ctx context.Context, longPollID string) (*BlockTemplate, error)

	// SubmitBlock judges a mined block: raw is the 80-byte header and
	// the body. A refused block is a SubmitResult with Accepted false;
	// raw that does not decode as a block is ErrInvalidArgument.
	SubmitBlock(ctx context.Context, raw []byte) (*SubmitResult, error)

	// MiningInfo returns the chain's mining state with the newest recent
	// blocks (1 to MaxRecentBlocks) listed.
	MiningInfo(ctx context.Context, recent int) (*MiningInfo, error)
}

// TemplateTx is a transaction of a block template.
type TemplateTx struct {
	Tx     *wire.MsgTx
	Fee    int64
	SigOps int64
	Weight int64
	// Depends are the 1-based positions, among the template's
	// transactions after the coinbase, of those whose outputs it spends.
	Depends []int32
}

// BlockTemplate is a block to mine.
type BlockTemplate struct {
	// Header has Version, PrevBlock, Bits and the node's clock as
	// Timestamp; the miner fills the merkle root and the nonce.
	Header wire.BlockHeader
	Height int32
	Target *big.Int

	MinTime, MaxTime time.Time

	// Coinbase is the coinbase with a zero extranonce of
	// ExtraNonceSize bytes at ExtraNonceOffset of its serialization.
	Coinbase                         TemplateTx
	ExtraNonceOffset, ExtraNonceSize int
	CoinbaseValue                    int64
	Txs                              []TemplateTx

	WithdrawalRoot chainhash.Hash
	// CoinbaseBranch is the coinbase txid's merkle path to the tx root.
	CoinbaseBranch []chainhash.Hash

	LongPollID                         string
	WeightLimit, SizeLimit, SigOpLimit int64
	Algorithm                          string
}

// SubmitResult is the node's verdict on a submitted block.
type SubmitResult struct {
	Accepted bool
	// Reason is BIP22's reason ("high-hash"), empty when accepted;
	// RuleCode the failing rule's code ("ErrHighHash"), empty when no
	// rule failed; Message the refusal in words.
	Reason, RuleCode, Message string
	Hash                      chainhash.Hash
	// Height is what the coinbase claims, -1 for none.
	Height int32
}

// MinedBlock is a block of the best chain, for MiningInfo.
type MinedBlock struct {
	Height    int32
	Hash      chainhash.Hash
	Time      time.Time
	Bits      uint32
	Algorithm string
	TxCount   int32
}

// MiningInfo is a pow chain's mining state.
type MiningInfo struct {
	Network string
	Tip     MinedBlock
	Target  *big.Int
	// Difficulty is the tip's pow limit over its target.
	Difficulty float64
	// HashPS estimates the network's hashes a second from HashrateBlocks
	// of the newest blocks.
	HashPS         float64
	HashrateBlocks int32
	NextBits       uint32
	NextTarget     *big.Int
	// ScheduleOffset is seconds behind (positive) or ahead of
	// (negative) the schedule.
	ScheduleOffset           int64
	Algorithm                string
	IdealBlockTime, HalfLife int64
	// Recent are the newest blocks, the tip first.
	Recent []MinedBlock
}

type miningService struct {
	apiv1.UnimplementedMiningServiceServer
	s *Server
}

// GetBlockTemplate answers at once, or, given the current template's
// long_poll_id, holds the call until the template changes. A long poll is
// admitted as a stream is, from its own pool (MaxLongPolls, AdminLongPolls
// kept for admin), and ends with the client, or with the server's stop.
func (m *miningService) GetBlockTemplate(ctx context.Context, req *apiv1.GetBlockTemplateRequest) (*apiv1.GetBlockTemplateResponse, error) {
	const method = apiv1.MiningService_GetBlockTemplate_FullMethodName
	id := req.GetLongPollId()
	if len(id) > maxLongPollID {
		return nil, toStatus(method, Errorf(ErrInvalidArgument, "long_poll_id "+
			"has %d characters, more than any template's id (%d at most): "+
			"give the long_poll_id of a template, or none", len(id), maxLongPollID))
	}
	var stopped <-chan struct{}
	if id != "" {
		r := callerRole(ctx)
		quit, err := m.s.polls.enter(r)
		if err != nil {
			return nil, err
		}
		defer m.s.polls.leave(r)
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		// Ends with the call (cancel) or with the server (quit).
		go func() {
			select {
			case <-quit:
				cancel()
			case <-ctx.Done():
			}
		}()
		stopped = quit
	}
	t, err := m.s.backend.BlockTemplate(ctx, id)
	if err != nil {
		select {
		case <-stopped:
			return nil, errStopping
		default:
		}
		return nil, toStatus(method, err)
	}
	resp, err := templateProto(t)
	if err != nil {
		return nil, toStatus(method, err)
	}
	return resp, nil
}

func templateProto(t *BlockTemplate) (*apiv1.GetBlockTemplateResponse, error) {
	if t.Coinbase.Tx == nil {
		return nil, fmt.Errorf("template at height %d has no coinbase", t.Height)
	}
	cbHex, err := rawTxHex(t.Coinbase.Tx)
	if err != nil {
		return nil, err
	}
	cbID := t.Coinbase.Tx.TxHash()
	resp := &apiv1.GetBlockTemplateResponse{
		Version:           t.Header.Version,
		PreviousBlockHash: t.Header.PrevBlock.String(),
		CoinbaseTxn: &apiv1.CoinbaseTransaction{
			Data:             cbHex,
			Txid:             cbID.String(),
			ExtranonceOffset: int32(t.ExtraNonceOffset),
			ExtranonceSize:   int32(t.ExtraNonceSize),
			FeeSat:           t.Coinbase.Fee,
			Sigops:           t.Coinbase.SigOps,
			Weight:           t.Coinbase.Weight,
		},
		CoinbaseValueSat: t.CoinbaseValue,
		WithdrawalRoot:   hex.EncodeToString(t.WithdrawalRoot[:]),
		Target:           TargetHex(t.Target),
		Bits:             BitsHex(t.Header.Bits),
		Height:           t.Height,
		CurTime:          t.Header.Timestamp.Unix(),
		MinTime:          t.MinTime.Unix(),
		MaxTime:          t.MaxTime.Unix(),
		Mutable:          []string{"time", "coinbase/extranonce"},
		LongPollId:       t.LongPollID,
		WeightLimit:      t.WeightLimit,
		SizeLimit:        t.SizeLimit,
		SigopLimit:       t.SigOpLimit,
		Algorithm:        t.Algorithm,
		NonceRange:       "00000000ffffffff",
	}
	for i := range t.CoinbaseBranch {
		resp.CoinbaseMerkleBranch = append(resp.CoinbaseMerkleBranch,
			hex.EncodeToString(t.CoinbaseBranch[i][:]))
	}
	resp.Transactions = make([]*apiv1.TemplateTransaction, len(t.Txs))
	for i := range t.Txs {
		tx := &t.Txs[i]
		data, err := rawTxHex(tx.Tx)
		if err != nil {
			return nil, err
		}
		txid, wtxid := tx.Tx.TxHash(), tx.Tx.WitnessHash()
		resp.Transactions[i] = &apiv1.TemplateTransaction{
			Data:    data,
			Txid:    txid.String(),
			Hash:    wtxid.String(),
			FeeSat:  tx.Fee,
			Sigops:  tx.SigOps,
			Weight:  tx.Weight,
			Depends: append([]int32(nil), tx.Depends...),
		}
	}
	return resp, nil
}

// SubmitBlock decodes the hex and hands the block to the backend.
func (m *miningService) SubmitBlock(ctx context.Context, req *apiv1.SubmitBlockRequest) (*apiv1.SubmitBlockResponse, error) {
	const method = apiv1.MiningService_SubmitBlock_FullMethodName
	raw, err := parseHexBytes("data", req.GetData())
	if err != nil {
		return nil, toStatus(method, err)
	}
	res, err := m.s.backend.SubmitBlock(ctx, raw)
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.SubmitBlockResponse{
		Accepted:     res.Accepted,
		RejectReason: res.Reason,
		RuleCode:     res.RuleCode,
		Message:      res.Message,
		BlockHash:    res.Hash.String(),
		Height:       res.Height,
	}, nil
}

// GetMiningInfo checks recent_blocks and reports the backend's state.
func (m *miningService) GetMiningInfo(ctx context.Context, req *apiv1.GetMiningInfoRequest) (*apiv1.GetMiningInfoResponse, error) {
	const method = apiv1.MiningService_GetMiningInfo_FullMethodName
	n := int(req.GetRecentBlocks())
	switch {
	case n < 0 || n > MaxRecentBlocks:
		return nil, toStatus(method, Errorf(ErrInvalidArgument, "recent_blocks "+
			"%d is out of range: give 1 to %d blocks, or 0 for %d", n,
			MaxRecentBlocks, DefaultRecentBlocks))
	case n == 0:
		n = DefaultRecentBlocks
	}
	mi, err := m.s.backend.MiningInfo(ctx, n)
	if err != nil {
		return nil, toStatus(method, err)
	}
	resp := &apiv1.GetMiningInfoResponse{
		Height:                mi.Tip.Height,
		Hash:                  mi.Tip.Hash.String(),
		Bits:                  BitsHex(mi.Tip.Bits),
		Target:                TargetHex(mi.Target),
		Difficulty:            mi.Difficulty,
		NetworkHashPs:         mi.HashPS,
		HashrateBlocks:        mi.HashrateBlocks,
		NextBits:              BitsHex(mi.NextBits),
		NextTarget:            TargetHex(mi.NextTarget),
		ScheduleOffsetSeconds: mi.ScheduleOffset,
		Algorithm:             mi.Algorithm,
		IdealBlockTimeSeconds: mi.IdealBlockTime,
		HalfLifeSeconds:       mi.HalfLife,
		Network:               mi.Network,
	}
	for i := range mi.Recent {
		if i == n {
			break
		}
		b := &mi.Recent[i]
		resp.RecentBlocks = append(resp.RecentBlocks, &apiv1.MinedBlock{
			Height: b.Height, Hash: b.Hash.String(), Time: b.Time.Unix(),
			Bits: BitsHex(b.Bits), Algorithm: b.Algorithm, TxCount: b.TxCount,
		})
	}
	return resp, nil
}

// BitsHex writes compact bits as 8 hex digits, as getblocktemplate does.
func BitsHex(bits uint32) string { return fmt.Sprintf("%08x", bits) }

// TargetHex writes a target as 64 hex digits, big-endian; "" for none.
func TargetHex(t *big.Int) string {
	if t == nil || t.Sign() < 0 || t.BitLen() > 256 {
		return ""
	}
	var b [32]byte
	return hex.EncodeToString(t.FillBytes(b[:]))
}
