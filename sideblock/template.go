package sideblock

import (
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
	base := &storeView{r: r}
	view := newOverlayView(base)

	// A coinbase with the largest value it can have, for sizes and
	// sigops.
	maxCb, err := NewCoinbaseTx(lotteryHeight, TemplateCoinbaseExtra,
		wire.NewTxOut(btcutil.MaxSatoshi, payTo))
	if err != nil {
		return nil, err
	}
	size := wire.MaxVarIntPayload + maxCb.SerializeSize()
	sigOps := blockchain.CountSigOps(btcutil.NewTx(maxCb)) * blockchain.WitnessScaleFactor
	probeCb, err := NewCoinbaseTx(lotteryHeight, TemplateCoinbaseExtra,
		wire.NewTxOut(0, []byte{txscript.OP_TRUE}))
	if err != nil {
		return nil, err
	}

	// The deposits due come first, right after the coinbase.
	var head []*wire.MsgTx
	due, err := DueDeposits(r, c.deposits, tip.minted, lotteryHeight)
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

	cb, err := NewCoinbaseTx(lotteryHeight, TemplateCoinbaseExtra,
		wire.NewTxOut(fees+c.params.SideSubsidy, payTo))
	if err != nil {
		return nil, err
	}
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
