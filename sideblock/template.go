package sideblock

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/store"
)

// TemplateCoinbaseExtra is the data pushed after the lottery height in the
// coinbases of templates. A coinbase signature script must be at least two
// bytes, and a lottery height up to 16 pushes as one.
var TemplateCoinbaseExtra = []byte("sidenode")

// TemplateTxBytes is the room for transactions that a node gives
// Mempool.Select when it builds a template, and that fee estimates
// (Mempool.EstimateFee) are made for: MaxBlockSize less room for the
// coinbase.
const TemplateTxBytes = MaxBlockSize - 10_000

// NewBlockTemplate builds a block on the best tip as r shows it, for
// lottery height lotteryHeight: a coinbase carrying lotteryHeight that pays
// the fees plus SideSubsidy to payTo, followed by those of txs, in their
// order, that are valid on the tip together with the ones before them
// (the others are skipped), as long as the block stays within
// MaxBlockSize and MaxBlockSigOpsCost. The result passes CheckBlockSanity
// and CheckConnectBlock at lotteryHeight on the tip.
//
// r is the Reader of DB.View, or the Writer of a batch after
// ConnectMainBlock. The node calls it after a draw it won (lottery height:
// the mainchain block the draw followed), stages the block with
// StageOwnBody and publishes its header. Mempool.Select gives txs in an
// order that fits.
func (c *Chain) NewBlockTemplate(r store.Reader, lotteryHeight int32, payTo []byte, txs []*wire.MsgTx) (*Block, error) {
	tip, err := readTip(r)
	if err != nil {
		return nil, err
	}
	if lotteryHeight <= tip.lotteryHeight {
		return nil, fmt.Errorf("sideblock: template at lottery height "+
			"%d cannot extend tip %v of lottery height %d",
			lotteryHeight, tip.hash, tip.lotteryHeight)
	}
	script, err := CoinbaseScript(lotteryHeight, TemplateCoinbaseExtra)
	if err != nil {
		return nil, err
	}
	return c.newTemplate(r, tip, lotteryHeight, lotteryHeight, script, payTo, txs)
}

// NewOwnClockTemplate builds a block on the best tip of an own-clock chain
// (NewOwnClockChain) as r shows it: as NewBlockTemplate, at the tip's
// height + 1, with a coinbase that names ref as its main reference
// (OwnClockCoinbaseScript, with extra as the miner's extranonce room) and
// mints the deposits due at ref. ref must be on the mainchain r shows and
// no lower than the tip's reference; the caller picks it MainRefDepth
// blocks below its mainchain tip (docs/protocol.md §9.0).
func (c *Chain) NewOwnClockTemplate(r store.Reader, ref MainRef, payTo, extra []byte, txs []*wire.MsgTx) (*Block, error) {
	if !c.ownClock {
		return nil, errors.New("sideblock: NewOwnClockTemplate on a " +
			"chain without its own clock")
	}
	tip, err := readTip(r)
	if err != nil {
		return nil, err
	}
	if tip.height < 0 {
		return nil, errors.New("sideblock: the genesis block is not " +
			"connected yet (the mainchain is still syncing)")
	}
	rec, err := mustRecordIn(r, tip.hash)
	if err != nil {
		return nil, err
	}
	if ref.Height < rec.PubHeight {
		return nil, fmt.Errorf("sideblock: main reference %v is below "+
			"the tip's, at mainchain height %d", ref, rec.PubHeight)
	}
	script, err := OwnClockCoinbaseScript(tip.height+1, ref, extra)
	if err != nil {
		return nil, err
	}
	return c.newTemplate(r, tip, tip.height+1, ref.Height, script, payTo, txs)
}

// newTemplate builds a block on tip at lotteryHeight whose coinbase has
// the signature script cbScript and that mints what is due at mintHeight.
func (c *Chain) newTemplate(r store.Reader, tip tipState, lotteryHeight, mintHeight int32, cbScript, payTo []byte, txs []*wire.MsgTx) (*Block, error) {
	// A coinbase with the largest value it can have, for sizes and
	// sigops.
	maxCb := coinbaseWithScript(cbScript, wire.NewTxOut(btcutil.MaxSatoshi, payTo))
	size := wire.MaxVarIntPayload + maxCb.SerializeSize()
	sigOps := blockchain.CountSigOps(btcutil.NewTx(maxCb)) * blockchain.WitnessScaleFactor
	probeCb := coinbaseWithScript(cbScript, wire.NewTxOut(0, []byte{txscript.OP_TRUE}))

	// The deposits due come first, right after the coinbase.
	var head []*wire.MsgTx
	due, err := DueDeposits(r, c.deposits, tip.minted, mintHeight)
	if err != nil {
		return nil, err
	}
	if len(due) > 0 {
		mint, err := NewMintTx(due)
		if err != nil {
			return nil, err
		}
		head = append(head, mint)
		size += mint.SerializeSize()
		sigOps += blockchain.CountSigOps(btcutil.NewTx(mint)) * blockchain.WitnessScaleFactor
	}
	base := &storeView{r: r}
	view := newOverlayView(base)

	var (
		included []*wire.MsgTx
		fees     int64
	)
	for _, tx := range txs {
		if tx == nil || IsCoinbase(tx) || IsMintTx(tx) {
			continue
		}
		txSize := tx.SerializeSize()
		if size+txSize > MaxBlockSize {
			continue
		}
		probe := NewBlock(tip.hash, []*wire.MsgTx{probeCb, tx})
		if err := CheckBlockSanity(probe, c.params); err != nil {
			log.Debugf("Template skips %v: %v", tx.TxHash(), err)
			continue
		}
		fee, _, err := CheckConnectBlock(probe, lotteryHeight, view, c.params)
		if base.err != nil {
			return nil, base.err
		}
		if err != nil {
			log.Debugf("Template skips %v: %v", tx.TxHash(), err)
			continue
		}
		cost, err := sigOpCost(tx, view)
		if err != nil || sigOps+cost > MaxBlockSigOpsCost {
			continue
		}
		if fees+fee > btcutil.MaxSatoshi {
			continue
		}
		applyTx(view, tx, lotteryHeight)
		included = append(included, tx)
		size += txSize
		sigOps += cost
		fees += fee
	}

	cb := coinbaseWithScript(cbScript, wire.NewTxOut(fees+c.params.SideSubsidy, payTo))
	block := NewBlock(tip.hash, append(append([]*wire.MsgTx{cb}, head...), included...))

	// The pieces were checked one by one; check the whole.
	if err := CheckBlockSanity(block, c.params); err != nil {
		return nil, fmt.Errorf("sideblock: template fails sanity: %w", err)
	}
	if err := CheckMint(block, due); err != nil {
		return nil, fmt.Errorf("sideblock: template mints wrong: %w", err)
	}
	check := &storeView{r: r}
	if _, _, err := CheckConnectBlock(block, lotteryHeight, check, c.params); err != nil {
		if check.err != nil {
			return nil, check.err
		}
		return nil, fmt.Errorf("sideblock: template does not connect: %w", err)
	}
	log.Debugf("Template on %v at lottery height %d: %d transactions, "+
		"fees %d, %d bytes", tip.hash, lotteryHeight, len(block.Transactions),
		fees, block.BodySize())
	return block, nil
}

// sigOpCost returns the signature operation cost of tx as
// CheckConnectBlock counts it, with its previous outputs from view.
func sigOpCost(tx *wire.MsgTx, view UtxoView) (int, error) {
	entries := blockchain.NewUtxoViewpoint()
	for _, in := range tx.TxIn {
		u, ok := view.FetchUtxo(in.PreviousOutPoint)
		if !ok {
			return 0, fmt.Errorf("input %v missing", in.PreviousOutPoint)
		}
		entries.Entries()[in.PreviousOutPoint] = blockchain.NewUtxoEntry(
			wire.NewTxOut(u.Value, u.PkScript), u.Height, u.IsCoinbase)
	}
	return blockchain.GetSigOpCost(btcutil.NewTx(tx), false, entries, true, true)
}
