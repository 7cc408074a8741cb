package sideblock

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/btcsuite/btclog"

	"github.com/mainstake/sidenode/chainparams"
)

// ScriptFlags are the script verification flags of the sidechain:
// txscript.StandardVerifyFlags, so that P2WPKH, P2WSH and taproot (key path
// and script path) spends verify exactly as Bitcoin's standardness rules
// verify them, CLTV and CSV included.
const ScriptFlags = txscript.StandardVerifyFlags

// coinbaseMaturity returns the coinbase maturity of a network. It is the one
// place to change when the value becomes a chainparams parameter.
func coinbaseMaturity(_ *chainparams.Params) int32 {
	return SideCoinbaseMaturity
}

// maxBodySize is MaxBlockSize, as CheckBlockSanity applies it. A variable
// only so that a benchmark can check a block of Bitcoin's full weight,
// which is above it.
var maxBodySize = MaxBlockSize

// noClock is the "block time" passed to btcd's finality check: the
// sidechain has no clock, so a time-based nLockTime never passes.
var noClock = time.Unix(0, 0)

// CheckBlockSanity performs the checks that need no chain state: the body
// matches the header and is well formed. In order, it checks:
//
//   - the block has transactions (ErrNoTransactions) and none is nil
//     (ErrBadEncoding), and its body is at most MaxBlockSize bytes
//     (ErrBlockTooBig);
//   - hashMerkleRoot commits to the body (ErrBadMerkleRoot), and no txid
//     repeats (ErrDuplicateTx). Every later failure is therefore about
//     data the header commits to; see ErrorCode.MarksHeaderInvalid;
//   - tx[0] is a coinbase (ErrFirstTxNotCoinbase) and no other is
//     (ErrMultipleCoinbases);
//   - every transaction passes blockchain.CheckTransactionSanity, its codes
//     mapped to this package's (ErrNoTxInputs, ErrNoTxOutputs,
//     ErrBadTxOutValue, ErrDuplicateTxInputs, ErrBadCoinbaseScriptLen,
//     ErrBadTxInput, ErrBadTransaction);
//   - the coinbase starts with a lottery height (ErrMissingCoinbaseHeight);
//   - legacy sigops cost at most MaxBlockSigOpsCost (ErrTooManySigOps);
//   - every withdrawal output is well formed (ErrBadWithdrawalScript,
//     ErrBadWithdrawalDestination), pays at least params.DustLimit after
//     its fee (ErrWithdrawalBelowDust), and is not in the coinbase
//     (ErrCoinbaseWithdrawal).
//
// Errors are RuleErrors.
func CheckBlockSanity(block *Block, params *chainparams.Params) error {
	return checkBlockSanity(block, params, true)
}

// checkBlockSanity is CheckBlockSanity, with the merkle root check left out
// when checkRoot is false: for a probe block that this package built around
// one transaction, whose root would match by construction.
func checkBlockSanity(block *Block, params *chainparams.Params, checkRoot bool) error {
	msgTxs := block.Transactions
	if len(msgTxs) == 0 {
		return ruleError(ErrNoTransactions, "block has no transactions")
	}
	for i, tx := range msgTxs {
		if tx == nil {
			return ruleErrorf(ErrBadEncoding, "transaction %d is nil", i)
		}
	}
	if size := block.BodySize(); size > maxBodySize {
		return ruleErrorf(ErrBlockTooBig,
			"body is %d bytes, max %d", size, maxBodySize)
	}
	txs := utilTxs(msgTxs)

	// The body must be the one the header commits to before anything
	// about its content can count against the header.
	if checkRoot {
		if root := calcBlockMerkleRoot(txs); root != block.Header.MerkleRoot {
			return ruleErrorf(ErrBadMerkleRoot,
				"header merkle root %v, body commits to %v",
				block.Header.MerkleRoot, root)
		}
	}
	seen := make(map[chainhash.Hash]struct{}, len(txs))
	for _, tx := range txs {
		if _, dup := seen[*tx.Hash()]; dup {
			return ruleErrorf(ErrDuplicateTx,
				"transaction %v appears twice", tx.Hash())
		}
		seen[*tx.Hash()] = struct{}{}
	}

	if !IsCoinbase(msgTxs[0]) {
		return ruleError(ErrFirstTxNotCoinbase,
			"first transaction is not a coinbase")
	}
	for i, tx := range msgTxs[1:] {
		if IsCoinbase(tx) {
			return ruleErrorf(ErrMultipleCoinbases,
				"transaction %d is a second coinbase", i+1)
		}
	}
	if err := checkMintPlacement(msgTxs); err != nil {
		return err
	}

	for i, tx := range txs {
		if err := blockchain.CheckTransactionSanity(tx); err != nil {
			return wrapTxSanityError(i, tx, err)
		}
	}

	if _, err := ExtractCoinbaseHeight(msgTxs[0]); err != nil {
		return err
	}

	sigOps := 0
	for _, tx := range txs {
		sigOps += blockchain.CountSigOps(tx) * blockchain.WitnessScaleFactor
		if sigOps > MaxBlockSigOpsCost {
			return ruleErrorf(ErrTooManySigOps,
				"legacy sigop cost above %d", MaxBlockSigOpsCost)
		}
	}

	return checkWithdrawals(txs, params)
}

// wrapTxSanityError turns an error of blockchain.CheckTransactionSanity into
// a RuleError of this package.
func wrapTxSanityError(i int, tx *btcutil.Tx, err error) error {
	code := ErrBadTransaction
	var berr blockchain.RuleError
	if errors.As(err, &berr) {
		switch berr.ErrorCode {
		case blockchain.ErrNoTxInputs:
			code = ErrNoTxInputs
		case blockchain.ErrNoTxOutputs:
			code = ErrNoTxOutputs
		case blockchain.ErrTxTooBig:
			// Unreachable: a transaction larger than a block
			// fails the block size check first.
			code = ErrBlockTooBig
		case blockchain.ErrBadTxOutValue:
			code = ErrBadTxOutValue
		case blockchain.ErrDuplicateTxInputs:
			code = ErrDuplicateTxInputs
		case blockchain.ErrBadCoinbaseScriptLen:
			code = ErrBadCoinbaseScriptLen
		case blockchain.ErrBadTxInput:
			code = ErrBadTxInput
		}
	}
	return ruleErrorf(code, "transaction %d (%v): %v", i, tx.Hash(), err)
}

// checkWithdrawals applies the withdrawal rules to every output.
func checkWithdrawals(txs []*btcutil.Tx, params *chainparams.Params) error {
	for i, tx := range txs {
		for vout, out := range tx.MsgTx().TxOut {
			fee, _, ok, err := ParseWithdrawalScript(out.PkScript)
			if !ok {
				continue
			}
			where := fmt.Sprintf("output %v:%d", tx.Hash(), vout)
			if err != nil {
				var rerr RuleError
				if errors.As(err, &rerr) {
					rerr.Description = where + ": " + rerr.Description
					return rerr
				}
				return err
			}
			if i == 0 {
				return ruleErrorf(ErrCoinbaseWithdrawal,
					"%s: the coinbase cannot withdraw", where)
			}
			if out.Value-fee < params.DustLimit {
				return ruleErrorf(ErrWithdrawalBelowDust,
					"%s: withdraws %d − fee %d, below the dust "+
						"limit %d", where, out.Value, fee,
					params.DustLimit)
			}
		}
	}
	return nil
}

// prevOutSet is what script verification needs of one transaction.
type prevOutSet struct {
	tx       *wire.MsgTx
	index    int // in the block
	prevOuts map[wire.OutPoint]*wire.TxOut
}

// CheckConnectBlock checks a block that passed CheckBlockSanity against the
// state it would connect to: view holds the unspent outputs after its
// parent, and lotteryHeight is the mainchain height of the lottery it won
// (the caller has checked that the header extends the view's block and that
// lotteryHeight is above the parent's). view is not changed.
//
// It checks that the coinbase height is lotteryHeight (ErrBadCoinbaseHeight)
// and then, transaction by transaction: nLockTime (ErrUnfinalizedTx); every
// input exists and is unspent (ErrMissingTxOut), also with respect to the
// block's own earlier transactions (ErrDoubleSpend), and outputs of earlier
// transactions of the block may be spent; coinbase maturity
// (ErrImmatureSpend); input amounts (ErrBadTxInValue); BIP68 relative locks
// (ErrSequenceLock); outputs do not exceed inputs (ErrSpendTooHigh); the sum
// of fees (ErrBadFees); the block's total sigop cost (ErrTooManySigOps).
// Then that the coinbase pays at most fees + params.SideSubsidy
// (ErrBadCoinbaseValue), and last, because it is the expensive part, every
// input's scripts with txscript (ErrScriptValidation): ScriptFlags, a
// txscript.MultiPrevOutFetcher over the transaction's previous outputs and
// its txscript.TxSigHashes. The inputs are verified by a pool of up to one
// goroutine per CPU; when several inputs fail, the error is always that of
// the first in block order, as if they had been verified one by one.
//
// It returns the block's fees and the outputs it spends in input order
// (what ApplyBlock will return as undo data).
func CheckConnectBlock(block *Block, lotteryHeight int32, view UtxoView, params *chainparams.Params) (int64, []SpentOutput, error) {
	msgTxs := block.Transactions
	if len(msgTxs) == 0 {
		return 0, nil, ruleError(ErrNoTransactions,
			"block has no transactions")
	}
	cbHeight, err := ExtractCoinbaseHeight(msgTxs[0])
	if err != nil {
		return 0, nil, err
	}
	if cbHeight != lotteryHeight {
		return 0, nil, ruleErrorf(ErrBadCoinbaseHeight,
			"coinbase height %d, block connects at lottery height %d",
			cbHeight, lotteryHeight)
	}

	txs := utilTxs(msgTxs)
	maturity := coinbaseMaturity(params)

	// created and spentHere layer the block's own effects over view.
	created := make(map[wire.OutPoint]*Utxo)
	spentHere := make(map[wire.OutPoint]struct{})
	addOutputs := func(tx *btcutil.Tx, isCoinbase bool) {
		for vout, out := range tx.MsgTx().TxOut {
			if isUnspendable(out.PkScript) {
				continue
			}
			op := wire.OutPoint{Hash: *tx.Hash(), Index: uint32(vout)}
			created[op] = &Utxo{
				Value:      out.Value,
				PkScript:   out.PkScript,
				Height:     lotteryHeight,
				IsCoinbase: isCoinbase,
			}
		}
	}

	// sigView gives btcd's sigop counter the previous outputs.
	sigView := blockchain.NewUtxoViewpoint()
	sigOpCost := 0

	var (
		spent    []SpentOutput
		fees     int64
		toVerify = make([]prevOutSet, 0, len(txs)-1)
	)
	for i, tx := range txs {
		msgTx := tx.MsgTx()
		if !blockchain.IsFinalizedTransaction(tx, lotteryHeight, noClock) {
			return 0, nil, ruleErrorf(ErrUnfinalizedTx,
				"transaction %d (%v) has lock time %d at lottery "+
					"height %d", i, tx.Hash(), msgTx.LockTime,
				lotteryHeight)
		}

		if createsCoins(i, msgTx) {
			// The coinbase, or the mint transaction: no input to
			// fetch, no fee. CheckMint checks what a mint pays.
			cost, err := blockchain.GetSigOpCost(tx, true, sigView, true, true)
			if err != nil {
				return 0, nil, ruleErrorf(ErrTooManySigOps,
					"transaction %d sigops: %v", i, err)
			}
			sigOpCost += cost
			addOutputs(tx, i == 0)
			continue
		}

		prevOuts := make(map[wire.OutPoint]*wire.TxOut, len(msgTx.TxIn))
		var totalIn int64
		for j, in := range msgTx.TxIn {
			op := in.PreviousOutPoint
			if _, dup := spentHere[op]; dup {
				return 0, nil, ruleErrorf(ErrDoubleSpend,
					"input %d of transaction %d (%v) spends "+
						"%v, already spent in this block",
					j, i, tx.Hash(), op)
			}
			u, ok := created[op]
			if !ok {
				u, ok = view.FetchUtxo(op)
			}
			if !ok {
				return 0, nil, ruleErrorf(ErrMissingTxOut,
					"input %d of transaction %d (%v) spends "+
						"%v, which is not unspent", j, i,
					tx.Hash(), op)
			}
			if u.IsCoinbase && lotteryHeight-u.Height < maturity {
				return 0, nil, ruleErrorf(ErrImmatureSpend,
					"input %d of transaction %d (%v) spends "+
						"coinbase output %v of lottery height "+
						"%d at %d; needs %d", j, i, tx.Hash(),
					op, u.Height, lotteryHeight, maturity)
			}
			if u.Value < 0 || u.Value > btcutil.MaxSatoshi {
				return 0, nil, ruleErrorf(ErrBadTxInValue,
					"input %d of transaction %d (%v) has value "+
						"%d", j, i, tx.Hash(), u.Value)
			}
			totalIn += u.Value
			if totalIn > btcutil.MaxSatoshi {
				return 0, nil, ruleErrorf(ErrBadTxInValue,
					"inputs of transaction %d (%v) sum above %d",
					i, tx.Hash(), int64(btcutil.MaxSatoshi))
			}
			if err := checkSequenceLock(msgTx, j, u, lotteryHeight); err != nil {
				return 0, nil, ruleErrorf(ErrSequenceLock,
					"input %d of transaction %d (%v): %v", j, i,
					tx.Hash(), err)
			}

			spentHere[op] = struct{}{}
			delete(created, op)
			spent = append(spent, SpentOutput{OutPoint: op, Utxo: *u})
			txOut := wire.NewTxOut(u.Value, u.PkScript)
			prevOuts[op] = txOut
			sigView.Entries()[op] = blockchain.NewUtxoEntry(
				txOut, u.Height, u.IsCoinbase)
		}

		var totalOut int64
		for _, out := range msgTx.TxOut {
			totalOut += out.Value // bounded by CheckTransactionSanity
		}
		if totalOut > totalIn {
			return 0, nil, ruleErrorf(ErrSpendTooHigh,
				"transaction %d (%v) spends %d, its inputs are "+
					"worth %d", i, tx.Hash(), totalOut, totalIn)
		}
		fees += totalIn - totalOut
		if fees > btcutil.MaxSatoshi {
			return 0, nil, ruleErrorf(ErrBadFees,
				"fees of the block sum above %d",
				int64(btcutil.MaxSatoshi))
		}

		cost, err := blockchain.GetSigOpCost(tx, false, sigView, true, true)
		if err != nil {
			return 0, nil, ruleErrorf(ErrTooManySigOps,
				"transaction %d (%v) sigops: %v", i, tx.Hash(), err)
		}
		sigOpCost += cost
		if sigOpCost > MaxBlockSigOpsCost {
			return 0, nil, ruleErrorf(ErrTooManySigOps,
				"sigop cost above %d at transaction %d",
				MaxBlockSigOpsCost, i)
		}

		toVerify = append(toVerify, prevOutSet{tx: msgTx, index: i, prevOuts: prevOuts})
		addOutputs(tx, false)
	}

	var cbOut int64
	for _, out := range msgTxs[0].TxOut {
		cbOut += out.Value // bounded by CheckTransactionSanity
	}
	if maxCb := fees + params.SideSubsidy; cbOut > maxCb {
		return 0, nil, ruleErrorf(ErrBadCoinbaseValue,
			"coinbase pays %d, fees %d + subsidy %d allow %d",
			cbOut, fees, params.SideSubsidy, maxCb)
	}

	if err := verifyAllScripts(toVerify); err != nil {
		return 0, nil, err
	}

	if log.Level() <= btclog.LevelTrace {
		log.Tracef("Checked block %v at lottery height %d: %d "+
			"transactions, fees %d, sigop cost %d", block.BlockHash(),
			lotteryHeight, len(txs), fees, sigOpCost)
	}
	return fees, spent, nil
}

// checkSequenceLock applies BIP68 to input j of tx, which spends u, in a
// block at lotteryHeight. Lottery heights take the place of block heights.
func checkSequenceLock(tx *wire.MsgTx, j int, u *Utxo, lotteryHeight int32) error {
	if uint32(tx.Version) < 2 {
		return nil
	}
	seq := tx.TxIn[j].Sequence
	if seq&wire.SequenceLockTimeDisabled != 0 {
		return nil
	}
	if seq&wire.SequenceLockTimeIsSeconds != 0 {
		return fmt.Errorf("relative time lock 0x%08x: the sidechain "+
			"has no clock", seq)
	}
	n := int64(seq & wire.SequenceLockTimeMask)
	if int64(u.Height)+n > int64(lotteryHeight) {
		return fmt.Errorf("relative lock of %d on an output of lottery "+
			"height %d is not met at %d", n, u.Height, lotteryHeight)
	}
	return nil
}

// scriptErrorString describes a txscript error; some have an empty
// description, so the code is added.
func scriptErrorString(err error) string {
	var serr txscript.Error
	if errors.As(err, &serr) {
		return fmt.Sprintf("%v: %s", serr.ErrorCode, serr.Description)
	}
	return err.Error()
}

// scriptWorkers bounds the goroutines that verify one block's scripts.
// A variable so that a test can force the parallel path on any machine.
var scriptWorkers = runtime.NumCPU()

// scriptJob is one input to verify: input in of toVerify[set].
type scriptJob struct {
	set, in int
}

// verifyAllScripts runs the script engine on every input of sets, spread
// over up to scriptWorkers goroutines, and returns the error of the
// failing input that comes first in block order (transaction, then input),
// whichever goroutine finds it first, so the result never depends on
// scheduling.
//
// Inputs are handed out in block order from a shared counter; a worker
// skips only inputs after the lowest failure found so far. The lowest
// failure only decreases, so every input before the final one has been
// verified, and none of them failed.
func verifyAllScripts(sets []prevOutSet) error {
	var jobs []scriptJob
	for k := range sets {
		for j := range sets[k].tx.TxIn {
			jobs = append(jobs, scriptJob{set: k, in: j})
		}
	}
	if len(jobs) == 0 {
		return nil
	}

	// Each transaction's fetcher and sighash midstate are computed
	// once, by the first worker that needs them.
	type txHashes struct {
		once    sync.Once
		fetcher *txscript.MultiPrevOutFetcher
		hashes  *txscript.TxSigHashes
	}
	perTx := make([]txHashes, len(sets))
	verify := func(job scriptJob) error {
		s := &sets[job.set]
		h := &perTx[job.set]
		h.once.Do(func() {
			h.fetcher = txscript.NewMultiPrevOutFetcher(s.prevOuts)
			h.hashes = txscript.NewTxSigHashes(s.tx, h.fetcher)
		})
		return verifyInput(s, job.in, h.fetcher, h.hashes)
	}

	workers := scriptWorkers
	if workers > len(jobs) {
		workers = len(jobs)
	}
	if workers <= 1 {
		for _, job := range jobs {
			if err := verify(job); err != nil {
				return err
			}
		}
		return nil
	}

	var (
		next    atomic.Int64 // next job to hand out
		lowest  atomic.Int64 // index of the lowest failure, or len(jobs)
		errs    = make([]error, len(jobs))
		wg      sync.WaitGroup
		numJobs = int64(len(jobs))
	)
	lowest.Store(numJobs)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= numJobs || i > lowest.Load() {
					return
				}
				err := verify(jobs[i])
				if err == nil {
					continue
				}
				errs[i] = err
				for {
					cur := lowest.Load()
					if i >= cur || lowest.CompareAndSwap(cur, i) {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	if i := lowest.Load(); i < numJobs {
		return errs[i]
	}
	return nil
}

// verifyInput runs the script engine on input j of one transaction.
func verifyInput(s *prevOutSet, j int, fetcher txscript.PrevOutputFetcher, hashes *txscript.TxSigHashes) error {
	in := s.tx.TxIn[j]
	prev := s.prevOuts[in.PreviousOutPoint]
	vm, err := txscript.NewEngine(prev.PkScript, s.tx, j,
		ScriptFlags, nil, hashes, prev.Value, fetcher)
	if err != nil {
		return ruleErrorf(ErrScriptValidation,
			"input %d of transaction %d (%v): %v", j, s.index,
			s.tx.TxHash(), scriptErrorString(err))
	}
	if err := vm.Execute(); err != nil {
		return ruleErrorf(ErrScriptValidation,
			"input %d of transaction %d (%v): %v", j, s.index,
			s.tx.TxHash(), scriptErrorString(err))
	}
	return nil
}
