package nodeapi

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/sideblock"
)

// Mining is the pow engine's side of MiningService: its block template,
// a signal of when the template changes, block intake and the chain's
// difficulty. The node implements it on a pow network; Env.Mining is nil
// on the others. The adapter does the rest: the long polls, the
// extranonce, the merkle branch, the per-transaction figures, the BIP22
// reasons and the hashrate estimate.
type Mining interface {
	// MiningTemplate returns the template on the best tip now. It
	// should not build a new one at every call: the node keeps one
	// until TemplateChanged fires.
	MiningTemplate(ctx context.Context) (*MiningTemplate, error)

	// TemplateChanged returns a channel that is closed when the
	// template changes: a new best tip, or mempool transactions that
	// pay more. The node closes it and makes a new one at each change.
	TemplateChanged() <-chan struct{}

	// SubmitBlock processes a mined block, raw as headerchain.Bytes
	// encodes it (the adapter has checked that it decodes). It returns
	// nil once the block is valid and on the best chain or a valid
	// branch; ErrMiningInconclusive when it is kept undecided (an
	// orphan); a headerchain.RuleError (or a sideblock.RuleError, from
	// connecting it) when a rule refuses it. Any other error is the
	// node's failure, not the block's.
	SubmitBlock(ctx context.Context, raw []byte) error

	// MiningInfo returns the best chain's newest blocks, the next
	// block's bits and how far the tip is behind its schedule.
	MiningInfo(ctx context.Context) (*MiningInfo, error)
}

// ErrMiningInconclusive is what Mining.SubmitBlock returns for a block
// it keeps without judging it in full: its parent is unknown.
var ErrMiningInconclusive = errors.New("block kept undecided: its parent is unknown")

// MiningTemplate is a block to mine on the best tip, as the node builds
// it.
type MiningTemplate struct {
	// Header carries Version, PrevBlock (the tip), Bits (the next
	// block's) and the node's clock as Timestamp (MinTime if that is
	// later).
	Header wire.BlockHeader
	Height int32

	// MinTime is the earliest time the block may carry: one second after
	// the median time past.
	MinTime time.Time

	// Coinbase has one input whose signature script holds the height
	// and the main reference, at most 91 bytes so that the adapter can
	// append the 9-byte extranonce push; it pays the subsidy and the
	// fees of Txs.
	Coinbase *wire.MsgTx

	// Txs follow the coinbase, each after the transactions it spends.
	Txs []MiningTx
}

// MiningTx is a transaction of a template and the fee it pays.
type MiningTx struct {
	Tx  *wire.MsgTx
	Fee int64
}

// MiningInfo is the pow chain's state for MiningService.GetMiningInfo.
type MiningInfo struct {
	// Recent are the best chain's newest blocks, the tip first: at
	// least the tip, at most MiningRecentBlocks.
	Recent []MinedBlock

	// NextBits are the bits the next block must carry.
	NextBits uint32

	// ScheduleOffset is asert.ScheduleOffset for the next block: seconds
	// the tip is behind (positive) or ahead of (negative) the schedule
	// of the next block's era.
	ScheduleOffset int64
}

// MiningRecentBlocks is the most blocks MiningInfo.Recent holds.
const MiningRecentBlocks = api.MaxRecentBlocks

// MinedBlock is a block of the best chain.
type MinedBlock struct {
	Height  int32
	Hash    chainhash.Hash
	Time    time.Time
	Bits    uint32
	TxCount int
}

// extraNonceSize is the size of the extranonce the adapter appends to the
// coinbase's signature script, as one push: pow/miner's own size.
const extraNonceSize = 8

// maxCoinbaseScript is the largest coinbase signature script (§6).
const maxCoinbaseScript = 100

// noMining answers a call on a node without a Mining.
func (b *Adapter) noMining() error {
	if b.params != nil && b.params.Engine != chainparams.PoW {
		return api.Errorf(api.ErrFailedPrecondition, "network %s runs the %v "+
			"engine; mining applies to pow networks", b.network, b.params.Engine)
	}
	return api.Errorf(api.ErrFailedPrecondition, "this node serves no mining "+
		"on network %s", b.network)
}

// BlockTemplate implements api.MiningBackend. With longPollID the current
// template's id, it waits for TemplateChanged or ctx: no goroutine of its
// own, nothing left behind when the caller goes away.
func (b *Adapter) BlockTemplate(ctx context.Context, longPollID string) (*api.BlockTemplate, error) {
	if b.mining == nil {
		return nil, b.noMining()
	}
	for {
		changed := b.mining.TemplateChanged()
		mt, err := b.mining.MiningTemplate(ctx)
		if err != nil {
			return nil, err
		}
		t, err := b.apiTemplate(mt)
		if err != nil {
			return nil, err
		}
		if longPollID == "" || t.LongPollID != longPollID {
			return t, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// apiTemplate completes the node's template: the coinbase with a zero
// extranonce, the figures of each transaction, the merkle data and the
// long poll id.
func (b *Adapter) apiTemplate(mt *MiningTemplate) (*api.BlockTemplate, error) {
	if mt.Coinbase == nil || len(mt.Coinbase.TxIn) != 1 {
		return nil, errors.New("the node's block template has no coinbase of one input")
	}
	script := mt.Coinbase.TxIn[0].SignatureScript
	if len(script)+1+extraNonceSize > maxCoinbaseScript {
		return nil, fmt.Errorf("the node's coinbase signature script is %d bytes: "+
			"no room for the %d-byte extranonce push", len(script), 1+extraNonceSize)
	}
	push, err := txscript.NewScriptBuilder().AddData(make([]byte, extraNonceSize)).Script()
	if err != nil {
		return nil, err
	}
	cb := mt.Coinbase.Copy()
	cb.TxIn[0].SignatureScript = append(append([]byte(nil), script...), push...)

	t := &api.BlockTemplate{
		Header:           mt.Header,
		Height:           mt.Height,
		Target:           blockchain.CompactToBig(mt.Header.Bits),
		MinTime:          mt.MinTime,
		ExtraNonceOffset: extraNonceOffset(cb),
		ExtraNonceSize:   extraNonceSize,
		WeightLimit:      headerchain.MaxBlockWeight,
		SizeLimit:        headerchain.MaxBlockWeight / headerchain.BaseSizeFactor,
		SigOpLimit:       sideblock.MaxBlockSigOpsCost,
		Algorithm:        b.algorithmAt(mt.Height),
	}
	t.MaxTime = mt.Header.Timestamp
	if b.params != nil && b.params.Pow != nil {
		t.MaxTime = t.MaxTime.Add(b.params.Pow.MaxFutureBlockTime)
	}
	t.Header.MerkleRoot, t.Header.Nonce = chainhash.Hash{}, 0
	if t.Header.Timestamp.Before(t.MinTime) {
		t.Header.Timestamp = t.MinTime
	}

	var fees int64
	txs := make([]*wire.MsgTx, 0, 1+len(mt.Txs))
	txs = append(txs, cb)
	ids := make([]chainhash.Hash, 0, 1+len(mt.Txs))
	ids = append(ids, cb.TxHash())
	pos := make(map[chainhash.Hash]int32, len(mt.Txs))
	t.Txs = make([]api.TemplateTx, len(mt.Txs))
	for i, mtx := range mt.Txs {
		if mtx.Tx == nil {
			return nil, fmt.Errorf("the node's block template has no transaction at %d", i+1)
		}
		tt := templateTx(mtx.Tx)
		tt.Fee = mtx.Fee
		tt.Depends = []int32{}
		seen := make(map[int32]bool)
		for _, in := range mtx.Tx.TxIn {
			if p, ok := pos[in.PreviousOutPoint.Hash]; ok && !seen[p] {
				seen[p] = true
				tt.Depends = append(tt.Depends, p)
			}
		}
		id := mtx.Tx.TxHash()
		pos[id] = int32(i + 1)
		ids = append(ids, id)
		t.Txs[i] = tt
		fees += mtx.Fee
		txs = append(txs, mtx.Tx)
	}
	t.Coinbase = templateTx(cb)
	t.Coinbase.Fee = fees
	for _, out := range cb.TxOut {
		t.CoinbaseValue += out.Value
	}
	t.WithdrawalRoot = sideblock.WithdrawalRoot(sideblock.BlockWithdrawals(txs))
	t.CoinbaseBranch = coinbaseBranch(ids)
	t.LongPollID = longPollID(t, ids)
	return t, nil
}

// templateTx returns a transaction's signature operations, counted as the
// block weight counts them, and its weight.
func templateTx(tx *wire.MsgTx) api.TemplateTx {
	sigOps := blockchain.CountSigOps(btcutil.NewTx(tx))
	return api.TemplateTx{Tx: tx, SigOps: int64(sigOps),
		Weight: int64(headerchain.Weight(uint64(tx.SerializeSize()), uint64(sigOps)))}
}

// extraNonceOffset returns where the last extraNonceSize bytes of the
// coinbase's signature script are in its serialization: after the
// version, the witness marker and flag if it has witnesses, the input
// count, the outpoint and the script's length.
func extraNonceOffset(cb *wire.MsgTx) int {
	n := 4
	if cb.HasWitness() {
		n += 2
	}
	script := cb.TxIn[0].SignatureScript
	n += wire.VarIntSerializeSize(uint64(len(cb.TxIn))) + 36 +
		wire.VarIntSerializeSize(uint64(len(script))) + len(script)
	return n - extraNonceSize
}

// coinbaseBranch returns the siblings of the first txid on its path to
// Bitcoin's merkle root of the txids, bottom up: a level of odd length
// pairs its last node with itself.
func coinbaseBranch(ids []chainhash.Hash) []chainhash.Hash {
	level := append([]chainhash.Hash(nil), ids...)
	var branch []chainhash.Hash
	for len(level) > 1 {
		branch = append(branch, level[1])
		next := make([]chainhash.Hash, 0, (len(level)+1)/2)
		for i := 0; i < len(level); i += 2 {
			right := level[i]
			if i+1 < len(level) {
				right = level[i+1]
			}
			next = append(next, blockchain.HashMerkleBranches(&level[i], &right))
		}
		level = next
	}
	return branch
}

// longPollID names a template by what a miner's work depends on: the tip
// (first, in display order, as miners show it), the bits, the height and
// every transaction, the coinbase included; not the time.
func longPollID(t *api.BlockTemplate, ids []chainhash.Hash) string {
	h := sha256.New()
	h.Write(t.Header.PrevBlock[:])
	var buf [8]byte
	binary.LittleEndian.PutUint32(buf[:4], t.Header.Bits)
	binary.LittleEndian.PutUint32(buf[4:], uint32(t.Height))
	h.Write(buf[:])
	binary.LittleEndian.PutUint32(buf[:4], uint32(t.Header.Version))
	h.Write(buf[:4])
	for i := range ids {
		h.Write(ids[i][:])
	}
	return t.Header.PrevBlock.String() + hex.EncodeToString(h.Sum(nil)[:8])
}

// algorithmAt returns the name of the proof-of-work hash at height.
func (b *Adapter) algorithmAt(height int32) string {
	if era, ok := b.eraAt(height); ok {
		return era.Algorithm.String()
	}
	return ""
}

func (b *Adapter) eraAt(height int32) (chainparams.PowEra, bool) {
	if b.params == nil || b.params.Pow == nil {
		return chainparams.PowEra{}, false
	}
	return b.params.Pow.EraAt(height)
}

// SubmitBlock implements api.MiningBackend: bytes that do not decode are
// InvalidArgument; the node's verdict becomes a SubmitResult with BIP22's
// reason and the rule's code.
func (b *Adapter) SubmitBlock(ctx context.Context, raw []byte) (*api.SubmitResult, error) {
	if b.mining == nil {
		return nil, b.noMining()
	}
	blk, err := headerchain.DecodeBlock(raw)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "data is not a block: "+
			"its %d bytes are not an 80-byte header and a body as the node "+
			"encodes them (%v)", len(raw), err)
	}
	res := &api.SubmitResult{Hash: blk.BlockHash(), Height: -1}
	if len(blk.Transactions) > 0 {
		if h, err := sideblock.ExtractCoinbaseHeight(blk.Transactions[0]); err == nil {
			res.Height = h
		}
	}
	err = b.mining.SubmitBlock(ctx, raw)
	if err == nil {
		res.Accepted = true
		return res, nil
	}
	var apiErr *api.Error
	switch {
	case errors.As(err, &apiErr):
		return nil, err
	case errors.Is(err, ErrMiningInconclusive):
		res.Reason, res.Message = "inconclusive", err.Error()
		return res, nil
	}
	reason, code, ok := submitReason(err)
	if !ok {
		return nil, err
	}
	res.Reason, res.RuleCode, res.Message = reason, code, err.Error()
	return res, nil
}

// headerReasons are BIP22's reasons for the header chain's codes.
var headerReasons = map[headerchain.ErrorCode]string{
	headerchain.ErrDuplicateBlock:    "duplicate",
	headerchain.ErrKnownInvalid:      "duplicate-invalid",
	headerchain.ErrUnknownParent:     "bad-prevblk",
	headerchain.ErrBadBits:           "bad-diffbits",
	headerchain.ErrTargetOutOfRange:  "bad-diffbits",
	headerchain.ErrTimeTooOld:        "time-too-old",
	headerchain.ErrTimeTooNew:        "time-too-new",
	headerchain.ErrHighHash:          "high-hash",
	headerchain.ErrTooFarAhead:       "bad-prevblk",
	headerchain.ErrOrphanTooBig:      "bad-blk-length",
	headerchain.ErrBadMerkleRoot:     "bad-txnmrklroot",
	headerchain.ErrBlockTooHeavy:     "bad-blk-weight",
	headerchain.ErrBadCoinbaseHeight: "bad-cb-height",
	headerchain.ErrInvalidated:       "rejected",
}

// bodyReasons are BIP22's reasons for the sidechain's codes that a body
// may fail; any other sidechain code is "bad-txns".
var bodyReasons = map[sideblock.ErrorCode]string{
	sideblock.ErrBadEncoding:           "bad-blk-length",
	sideblock.ErrNoTransactions:        "bad-blk-length",
	sideblock.ErrBlockTooBig:           "bad-blk-length",
	sideblock.ErrBadMerkleRoot:         "bad-txnmrklroot",
	sideblock.ErrDuplicateTx:           "bad-txns-duplicate",
	sideblock.ErrFirstTxNotCoinbase:    "bad-cb-missing",
	sideblock.ErrMultipleCoinbases:     "bad-cb-multiple",
	sideblock.ErrBadCoinbaseScriptLen:  "bad-cb-length",
	sideblock.ErrMissingCoinbaseHeight: "bad-cb-height",
	sideblock.ErrBadCoinbaseHeight:     "bad-cb-height",
	sideblock.ErrBadCoinbaseValue:      "bad-cb-amount",
	sideblock.ErrTooManySigOps:         "bad-blk-sigops",
}

// submitReason returns BIP22's reason and the rule's code of a rule error:
// the sidechain's rule when the error names one (a body that fails
// sideblock's checks, when decoded or connected), else the header chain's;
// false for an error that is no rule's.
func submitReason(err error) (reason, code string, ok bool) {
	if sc, ok := sideblock.ErrorCodeOf(err); ok {
		if r, ok := bodyReasons[sc]; ok {
			return r, sc.String(), true
		}
		return "bad-txns", sc.String(), true
	}
	if hc, ok := headerchain.ErrorCodeOf(err); ok {
		if r, ok := headerReasons[hc]; ok {
			return r, hc.String(), true
		}
		return "rejected", hc.String(), true
	}
	return "", "", false
}

// MiningInfo implements api.MiningBackend: the node's figures, and what
// follows from them and the params: targets, difficulty, hashrate, the
// algorithms.
func (b *Adapter) MiningInfo(ctx context.Context, recent int) (*api.MiningInfo, error) {
	if b.mining == nil {
		return nil, b.noMining()
	}
	mi, err := b.mining.MiningInfo(ctx)
	if err != nil {
		return nil, err
	}
	if len(mi.Recent) == 0 {
		return nil, api.Errorf(api.ErrUnavailable, "the node has no best chain yet")
	}
	out := &api.MiningInfo{
		Network:        b.network,
		NextBits:       mi.NextBits,
		NextTarget:     blockchain.CompactToBig(mi.NextBits),
		ScheduleOffset: mi.ScheduleOffset,
	}
	for i := range mi.Recent {
		out.Recent = append(out.Recent, b.minedBlock(&mi.Recent[i]))
	}
	out.Tip = out.Recent[0]
	out.Target = blockchain.CompactToBig(out.Tip.Bits)
	if era, ok := b.eraAt(out.Tip.Height); ok && out.Target.Sign() > 0 {
		out.Difficulty, _ = new(big.Rat).SetFrac(era.PowLimit, out.Target).Float64()
	}
	next := out.Tip.Height + 1
	out.Algorithm = b.algorithmAt(next)
	if era, ok := b.eraAt(next); ok {
		out.IdealBlockTime, out.HalfLife = era.IdealBlockTime, era.HalfLife
	}
	out.HashPS, out.HashrateBlocks = hashrate(mi.Recent)
	if recent < len(out.Recent) {
		out.Recent = out.Recent[:recent]
	}
	return out, nil
}

func (b *Adapter) minedBlock(m *MinedBlock) api.MinedBlock {
	return api.MinedBlock{Height: m.Height, Hash: m.Hash, Time: m.Time,
		Bits: m.Bits, Algorithm: b.algorithmAt(m.Height), TxCount: int32(m.TxCount)}
}

// hashrate estimates the network's hashes a second from blocks, newest
// first: the work of all but the oldest over the time from the oldest to
// the newest (btcd's getnetworkhashps estimate). It returns the number of
// blocks whose work counted; 0 and 0 when there are fewer than two or
// the time does not move forward.
func hashrate(blocks []MinedBlock) (float64, int32) {
	if len(blocks) < 2 {
		return 0, 0
	}
	span := blocks[0].Time.Unix() - blocks[len(blocks)-1].Time.Unix()
	if span <= 0 {
		return 0, 0
	}
	work := new(big.Int)
	for _, blk := range blocks[:len(blocks)-1] {
		work.Add(work, blockchain.CalcWork(blk.Bits))
	}
	hps, _ := new(big.Rat).SetFrac(work, big.NewInt(span)).Float64()
	return hps, int32(len(blocks) - 1)
}
