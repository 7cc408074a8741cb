package api

import (
	"context"
	"encoding/hex"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/notarize"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// ConfirmationsBackend serves SidechainService.GetConfirmations.
type ConfirmationsBackend interface {
	// Confirmations returns the confirmations status of the sidechain
	// transaction or block q names: a transaction of the best chain or
	// of the mempool first, then a block the node knows (published or
	// staged), by hash or best-chain height. ErrNotFound, in the user's
	// terms, when there is none; a message that says so when the id is
	// a mainchain transaction or block the node knows.
	Confirmations(ctx context.Context, q ConfirmationsQuery) (*Confirmations, error)
}

// ConfirmationsQuery names a sidechain transaction or block: ID, a txid
// or block hash, or with ByHeight the best chain's block at Height.
type ConfirmationsQuery struct {
	ID       chainhash.Hash
	Height   int32
	ByHeight bool
}

// Anchor is a sideblock header's publication on the mainchain.
type Anchor struct {
	TxID          chainhash.Hash
	Height        int32
	BlockHash     chainhash.Hash
	Confirmations int32
}

// Notarization is a notarization that counts (dPoW, docs/protocol.md
// §13): mainchain transaction TxID in block Height (timestamp BlockTime,
// Unix seconds) with Confirmations, notarizing sideblock NotarizedBlock at
// NotarizedHeight, signed by the notaries Signers (indexes in Season,
// with their keys SignerPubKeys, compressed).
type Notarization struct {
	TxID            chainhash.Hash
	Height          int32
	Confirmations   int32
	NotarizedHeight int32
	NotarizedBlock  chainhash.Hash
	BlockTime       int64
	Season          int
	Signers         []int
	SignerPubKeys   [][]byte
}

// WithdrawalConfirmation is how far one withdrawal output has come.
type WithdrawalConfirmation struct {
	OutPoint wire.OutPoint
	Stage    WithdrawalStage

	// Proven: a best-chain sideblock holds it, so its branch proves it
	// against a published header. Paid: its sideblock's payout is mined,
	// PayoutTxID in mainchain block PayoutHeight with
	// PayoutConfirmations.
	Proven              bool
	Paid                bool
	PayoutTxID          chainhash.Hash
	PayoutHeight        int32
	PayoutConfirmations int32
}

// Confirmations is the confirmations status of a sidechain transaction
// (IsBlock false) or block.
type Confirmations struct {
	IsBlock   bool
	TxID      chainhash.Hash
	InMempool bool

	// InBlock: BlockHash is the block (the transaction's block), at
	// sidechain height BlockHeight; OnBestChain whether it is on the best
	// chain, and SideConfirmations its raw count (1 at the tip, 0 off the
	// best chain).
	InBlock           bool
	BlockHash         chainhash.Hash
	BlockHeight       int32
	OnBestChain       bool
	SideConfirmations int32

	// Anchor is the block header's publication, nil when not published.
	Anchor *Anchor

	// Notarization is the last notarization that counts when it covers
	// the block (Notarized: the block is on the best chain at or below
	// the notarized height), nil otherwise. Dpow says whether Value
	// counts dPoW-style.
	Notarization *Notarization
	Notarized    bool
	Dpow         bool

	Withdrawals []WithdrawalConfirmation

	// MainTip and SideTip are the tips the figures were read at (SideTip
	// -1 for an empty sidechain).
	MainTip int32
	SideTip int32
}

// Value returns the confirmations figure an exchange can use as it is
// (docs/protocol.md, "Confirmations status"): RawValue, counted
// dPoW-style when Dpow is set (notarize.Confirmations: 1 until
// Notarized).
func (c *Confirmations) Value() int32 {
	return notarize.Confirmations(c.RawValue(), c.Notarized, c.Dpow)
}

// RawValue returns the figure before dPoW counting: 0 when the
// transaction or block is in no block of the best sidechain, or its
// header is not published; otherwise the smaller of the sidechain
// confirmations and the Bitcoin confirmations of the header's
// publication. Undoing the block takes a sidechain reorg that deep, or a
// Bitcoin reorg that deep, so it counts only the depth both chains give.
func (c *Confirmations) RawValue() int32 {
	if !c.InBlock || !c.OnBestChain || c.Anchor == nil || c.SideConfirmations <= 0 {
		return 0
	}
	return max(min(c.SideConfirmations, c.Anchor.Confirmations), 0)
}

func (sc *sidechainService) GetConfirmations(ctx context.Context, req *apiv1.GetConfirmationsRequest) (*apiv1.GetConfirmationsResponse, error) {
	const method = apiv1.SidechainService_GetConfirmations_FullMethodName
	var (
		q   ConfirmationsQuery
		err error
	)
	switch t := req.GetTarget().(type) {
	case *apiv1.GetConfirmationsRequest_Id:
		q.ID, err = parseHash("id", "sidechain transaction id or sideblock hash", t.Id)
	case *apiv1.GetConfirmationsRequest_Height:
		q.Height, q.ByHeight = t.Height, true
		if t.Height < 0 {
			err = Errorf(ErrInvalidArgument, "height %d is negative: sidechain "+
				"heights start at 0", t.Height)
		}
	default:
		err = Errorf(ErrInvalidArgument, "name the transaction or block with "+
			"id (a txid or sideblock hash) or height")
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	c, err := sc.s.backend.Confirmations(ctx, q)
	if err == nil && c == nil {
		err = Errorf(ErrNotFound, "no such sidechain transaction or block")
	}
	if err != nil {
		return nil, toStatus(method, err)
	}
	return confirmationsProto(c), nil
}

// confirmationsProto converts a confirmations status.
func confirmationsProto(c *Confirmations) *apiv1.GetConfirmationsResponse {
	out := &apiv1.GetConfirmationsResponse{
		Kind:              apiv1.ConfirmationsKind_CONFIRMATIONS_KIND_TRANSACTION,
		InMempool:         c.InMempool,
		OnBestChain:       c.OnBestChain,
		Confirmations:     c.Value(),
		RawConfirmations:  c.RawValue(),
		Notarized:         c.Notarized,
		DpowCounting:      c.Dpow,
		SideConfirmations: max(c.SideConfirmations, 0),
		Anchored:          c.Anchor != nil,
		MainTipHeight:     c.MainTip,
		SideTipHeight:     c.SideTip,
		Withdrawals:       make([]*apiv1.WithdrawalConfirmations, len(c.Withdrawals)),
	}
	if c.IsBlock {
		out.Kind = apiv1.ConfirmationsKind_CONFIRMATIONS_KIND_BLOCK
	} else {
		out.Txid = c.TxID.String()
	}
	if c.InBlock {
		out.BlockHash, out.BlockHeight = c.BlockHash.String(), c.BlockHeight
	}
	if a := c.Anchor; a != nil {
		out.Anchor = &apiv1.Anchor{Txid: a.TxID.String(), Height: a.Height,
			BlockHash: a.BlockHash.String(), Confirmations: a.Confirmations}
	}
	if n := c.Notarization; n != nil {
		out.Notarization = notarizationProto(n)
	}
	for i := range c.Withdrawals {
		w := &c.Withdrawals[i]
		pw := &apiv1.WithdrawalConfirmations{Outpoint: w.OutPoint.String(),
			Stage: withdrawalStageProto(w.Stage), Proven: w.Proven, Paid: w.Paid}
		if w.Paid {
			pw.PayoutTxid, pw.PayoutHeight = w.PayoutTxID.String(), w.PayoutHeight
			pw.PayoutConfirmations = w.PayoutConfirmations
		}
		out.Withdrawals[i] = pw
	}
	return out
}

// notarizationProto converts a notarization.
func notarizationProto(n *Notarization) *apiv1.Notarization {
	out := &apiv1.Notarization{Txid: n.TxID.String(), Height: n.Height,
		Confirmations: n.Confirmations, NotarizedHeight: n.NotarizedHeight,
		NotarizedBlock: n.NotarizedBlock.String(), Season: uint32(max(n.Season, 0)),
		BlockTime: n.BlockTime}
	for _, s := range n.Signers {
		out.Signers = append(out.Signers, uint32(max(s, 0)))
	}
	for _, k := range n.SignerPubKeys {
		out.SignerPubkeys = append(out.SignerPubkeys, hex.EncodeToString(k))
	}
	return out
}
