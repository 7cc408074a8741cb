package blocktests

import (
	"bytes"
	"encoding/binary"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	sb "github.com/mainstake/sidenode/sideblock"
)

// fee is the fee of ordinary test transactions.
const fee = 1000

// rawWithdrawal builds a withdrawal-tagged script without WithdrawalScript's
// checks, to make malformed ones.
func rawWithdrawal(fee uint64, dest []byte) []byte {
	payload := append([]byte(nil), sb.WithdrawalTag[:]...)
	payload = binary.BigEndian.AppendUint64(payload, fee)
	payload = append(payload, dest...)
	s, err := txscript.NullDataScript(payload)
	must(err)
	return s
}

// flip flips the lowest bit of b[i].
func flip(b []byte, i int) { b[i] ^= 0x01 }

// scenarios is the block tree, as a list of named steps. Each step builds a
// block with nextBlock (name, parent, changes) and ends in accepted() or
// rejected(code). Lottery heights follow the parent's by one unless atHeight
// says otherwise.
func (g *generator) scenarios() {
	p := g.params

	// ---------------------------------------------------------------
	// The first blocks. Coins come from the coinbase subsidy.
	//
	//   b0 (h1) -> b1 (h2) -> b2 (h3) -> b3 (h101) -> ...
	// ---------------------------------------------------------------
	g.nextBlock("b0", "")
	g.accepted()
	g.nextBlock("b1", "b0")
	g.accepted()
	g.nextBlock("b2", "b1")
	g.accepted()

	// Coinbase maturity is counted in lottery heights: b0's coinbase
	// (h1) is spendable from h1+SideCoinbaseMaturity = h101 on.
	fanout := func(in spendableOut, n int) *wire.MsgTx {
		each := (in.value - fee) / int64(n)
		outs := make([]*wire.TxOut, n)
		for i := range outs {
			outs[i] = wire.NewTxOut(each, g.p2wpkh(g.alice))
		}
		return g.createTx([]spendableOut{in}, outs...)
	}
	cb0 := g.coinbaseOut("b0")
	g.nextBlock("immature-coinbase-spend", "b2",
		atHeight(1+sb.SideCoinbaseMaturity-1), withTxs(fanout(cb0, 50)))
	g.rejected(sb.ErrImmatureSpend)

	fan := fanout(cb0, 50)
	g.nextBlock("b3", "b2", atHeight(1+sb.SideCoinbaseMaturity), withTxs(fan))
	g.accepted()
	for i := range fan.TxOut {
		g.pool = append(g.pool, outOf(fan, uint32(i)))
	}

	// ---------------------------------------------------------------
	// Body shape and merkle root.
	// ---------------------------------------------------------------
	out := g.take()
	g.nextBlock("bad-merkle-root", "b3",
		withTxs(g.spendTx(out, fee)), corruptMerkleRoot())
	g.rejected(sb.ErrBadMerkleRoot)

	g.nextBlock("no-transactions", "b3", withoutTransactions())
	g.rejected(sb.ErrNoTransactions)

	g.nextBlock("missing-coinbase", "b3",
		withoutCoinbase(), withTxs(g.spendTx(out, fee)))
	g.rejected(sb.ErrFirstTxNotCoinbase)

	second, err := sb.NewCoinbaseTx(g.heights["b3"]+1, []byte("second"),
		wire.NewTxOut(0, g.p2wpkh(g.bob)))
	must(err)
	g.nextBlock("second-coinbase", "b3", withTxs(second))
	g.rejected(sb.ErrMultipleCoinbases)

	g.nextBlock("duplicate-coinbase", "b3", repeatCoinbase())
	g.rejected(sb.ErrDuplicateTx)

	dup := g.spendTx(out, fee)
	g.nextBlock("duplicate-tx", "b3", withTxs(dup, dup))
	g.rejected(sb.ErrDuplicateTx)

	// CVE-2012-2459: [cb, tx1, tx2] and [cb, tx1, tx2, tx2] have the same
	// txRoot. A peer that repeats the last transaction hands out a bad
	// copy of a good block; the copy is rejected as a body problem, and
	// the real body is then accepted under the same header.
	tx1, tx2 := g.spendTx(out, fee), g.spendTx(g.take(), fee)
	g.nextBlock("b4", "b3", withTxs(tx1, tx2))
	g.mutatedCopy("b4-with-repeated-tail", "b4", func(b *sb.Block) {
		b.Transactions = append(b.Transactions, tx2)
	})
	g.rejected(sb.ErrDuplicateTx)
	g.setTip("b4")
	g.accepted()

	// ---------------------------------------------------------------
	// The coinbase: height, script length, value.
	// ---------------------------------------------------------------
	h5 := g.heights["b4"] + 1
	g.nextBlock("coinbase-height-wrong", "b4", coinbaseHeight(h5+1))
	g.rejected(sb.ErrBadCoinbaseHeight)

	g.nextBlock("coinbase-height-missing", "b4",
		coinbaseSigScript([]byte{txscript.OP_NOP, txscript.OP_NOP}))
	g.rejected(sb.ErrMissingCoinbaseHeight)

	g.nextBlock("coinbase-height-not-minimal", "b4",
		coinbaseSigScript([]byte{txscript.OP_DATA_2, byte(h5), 0x00}))
	g.rejected(sb.ErrMissingCoinbaseHeight)

	g.nextBlock("coinbase-height-pushdata1", "b4",
		coinbaseSigScript([]byte{txscript.OP_PUSHDATA1, 0x01, byte(h5)}))
	g.rejected(sb.ErrMissingCoinbaseHeight)

	negative, err := txscript.NewScriptBuilder().AddInt64(-int64(h5)).
		AddData([]byte("negative")).Script()
	must(err)
	g.nextBlock("coinbase-height-negative", "b4", coinbaseSigScript(negative))
	g.rejected(sb.ErrMissingCoinbaseHeight)

	g.nextBlock("coinbase-script-too-short", "b4",
		coinbaseSigScript([]byte{txscript.OP_0}))
	g.rejected(sb.ErrBadCoinbaseScriptLen)

	long, err := sb.CoinbaseScript(h5, bytes.Repeat([]byte{'x'}, 98))
	must(err)
	g.nextBlock("coinbase-script-too-long", "b4", coinbaseSigScript(long))
	g.rejected(sb.ErrBadCoinbaseScriptLen)

	out = g.take()
	g.nextBlock("coinbase-overpays", "b4",
		withTxs(g.spendTx(out, 5000)), coinbasePays(1))
	g.rejected(sb.ErrBadCoinbaseValue)

	// Exactly subsidy + fees.
	g.nextBlock("b5", "b4", withTxs(g.spendTx(out, 5000)))
	g.accepted()

	// Paying less burns the difference.
	g.nextBlock("b6", "b5", coinbasePays(-p.SideSubsidy))
	g.accepted()

	// ---------------------------------------------------------------
	// Spending: missing outputs, double spends, chains in a block.
	// ---------------------------------------------------------------
	outA := g.take()
	g.nextBlock("double-spend-in-block", "b6",
		withTxs(g.spendTx(outA, fee), g.spendTx(outA, 2*fee)))
	g.rejected(sb.ErrDoubleSpend)

	unknown := spendableOut{
		op:    wire.OutPoint{Hash: chainhash.DoubleHashH([]byte("nowhere"))},
		value: btcutil.SatoshiPerBitcoin,
	}
	g.nextBlock("spend-unknown-output", "b6", withTxs(g.spendTx(unknown, fee)))
	g.rejected(sb.ErrMissingTxOut)

	g.nextBlock("spend-own-coinbase", "b6", spendOwnCoinbase())
	g.rejected(sb.ErrImmatureSpend)

	chainA := g.spendTx(outA, fee)
	chainB := g.spendTx(outOf(chainA, 0), fee)
	g.nextBlock("spend-before-create", "b6", withTxs(chainB, chainA))
	g.rejected(sb.ErrMissingTxOut)

	// A transaction may spend an output of an earlier one in the block.
	g.nextBlock("b7", "b6", withTxs(chainA, chainB))
	g.accepted()

	g.nextBlock("double-spend-across-blocks", "b7",
		withTxs(g.spendTx(outA, 3*fee)))
	g.rejected(sb.ErrMissingTxOut)

	// ---------------------------------------------------------------
	// Forks: the same output spent on two branches.
	//
	//   b7 -> b8a -> b9a
	//     \-> b8b -> b9b
	// ---------------------------------------------------------------
	outF := g.take()
	g.nextBlock("b8a", "b7", withTxs(g.spendTx(outF, fee)))
	g.accepted()
	g.nextBlock("b8b", "b7", withTxs(g.spendTx(outF, 2*fee)))
	g.accepted()
	g.nextBlock("respend-on-branch-a", "b8a", withTxs(g.spendTx(outF, 3*fee)))
	g.rejected(sb.ErrMissingTxOut)
	g.nextBlock("b9b", "b8b", withTxs(g.spendTx(g.take(), fee)))
	g.accepted()
	g.nextBlock("b9a", "b8a", withTxs(g.spendTx(g.take(), fee)))
	g.accepted()

	// ---------------------------------------------------------------
	// Amounts.
	// ---------------------------------------------------------------
	outB := g.take()
	alice := g.p2wpkh(g.alice)
	g.nextBlock("output-above-input", "b9a", withTxs(g.createTx(
		[]spendableOut{outB}, wire.NewTxOut(outB.value+1, alice))))
	g.rejected(sb.ErrSpendTooHigh)

	g.nextBlock("output-negative", "b9a", withTxs(g.createTx(
		[]spendableOut{outB}, wire.NewTxOut(-1, alice))))
	g.rejected(sb.ErrBadTxOutValue)

	g.nextBlock("output-above-max-satoshi", "b9a", withTxs(g.createTx(
		[]spendableOut{outB}, wire.NewTxOut(btcutil.MaxSatoshi+1, alice))))
	g.rejected(sb.ErrBadTxOutValue)

	g.nextBlock("outputs-sum-overflow", "b9a", withTxs(g.createTx(
		[]spendableOut{outB},
		wire.NewTxOut(btcutil.MaxSatoshi, alice),
		wire.NewTxOut(btcutil.MaxSatoshi, alice))))
	g.rejected(sb.ErrBadTxOutValue)

	// Outputs equal to inputs: no fee, valid.
	g.nextBlock("b10", "b9a", withTxs(g.createTx(
		[]spendableOut{outB}, wire.NewTxOut(outB.value, alice))))
	g.accepted()

	// ---------------------------------------------------------------
	// Transaction sanity (blockchain.CheckTransactionSanity).
	// ---------------------------------------------------------------
	outC := g.take()
	noInputs := wire.NewMsgTx(2)
	noInputs.AddTxOut(wire.NewTxOut(0, alice))
	g.nextBlock("tx-without-inputs", "b10", withTxs(noInputs))
	g.rejected(sb.ErrNoTxInputs)

	g.nextBlock("tx-without-outputs", "b10",
		withTxs(g.createTx([]spendableOut{outC})))
	g.rejected(sb.ErrNoTxOutputs)

	g.nextBlock("tx-duplicate-inputs", "b10", withTxs(g.createTx(
		[]spendableOut{outC, outC}, wire.NewTxOut(outC.value, alice))))
	g.rejected(sb.ErrDuplicateTxInputs)

	null := spendableOut{op: wire.OutPoint{Index: wire.MaxPrevOutIndex}}
	g.nextBlock("tx-null-input", "b10", withTxs(g.createTx(
		[]spendableOut{outC, null}, wire.NewTxOut(outC.value, alice))))
	g.rejected(sb.ErrBadTxInput)

	// ---------------------------------------------------------------
	// Scripts: P2WPKH.
	// ---------------------------------------------------------------
	badSig := g.spendTx(outC, fee)
	flip(badSig.TxIn[0].Witness[0], 10)
	g.nextBlock("p2wpkh-bad-signature", "b10", withTxs(badSig))
	g.rejected(sb.ErrScriptValidation)

	wrongKey := g.spendTx(outC, fee)
	g.resignWith(wrongKey, 0, g.bob)
	g.nextBlock("p2wpkh-wrong-key", "b10", withTxs(wrongKey))
	g.rejected(sb.ErrScriptValidation)

	// b11 also creates taproot outputs: a BIP86 key, a tree spent by
	// script path, and a tree spent by key path.
	p2trKey := g.p2trKey(g.bob)
	p2trScript := g.p2trTree(key("carol"), g.bob, lockP2TRScript)
	p2trTreeKey := g.p2trTree(key("dave"), g.bob, lockP2TRKey)
	outD := g.take()
	third := (outD.value - fee) / 3
	mkTaproot := g.createTx([]spendableOut{outD},
		wire.NewTxOut(third, p2trKey),
		wire.NewTxOut(third, p2trScript),
		wire.NewTxOut(third, p2trTreeKey))
	g.nextBlock("b11", "b10", withTxs(g.spendTx(outC, fee), mkTaproot))
	g.accepted()

	// ---------------------------------------------------------------
	// Scripts: taproot key path (BIP86 and tweaked by a tree).
	// ---------------------------------------------------------------
	tK, tS, tT := outOf(mkTaproot, 0), outOf(mkTaproot, 1), outOf(mkTaproot, 2)
	badSig = g.spendTx(tK, fee)
	flip(badSig.TxIn[0].Witness[0], 5)
	g.nextBlock("p2tr-key-bad-signature", "b11", withTxs(badSig))
	g.rejected(sb.ErrScriptValidation)

	wrongKey = g.spendTx(tK, fee)
	g.resignWith(wrongKey, 0, g.alice)
	g.nextBlock("p2tr-key-wrong-key", "b11", withTxs(wrongKey))
	g.rejected(sb.ErrScriptValidation)

	g.nextBlock("b12", "b11", withTxs(g.spendTx(tK, fee)))
	g.accepted()

	// ---------------------------------------------------------------
	// Scripts: taproot script path.
	// ---------------------------------------------------------------
	badSig = g.spendTx(tS, fee)
	flip(badSig.TxIn[0].Witness[0], 5)
	g.nextBlock("p2tr-script-bad-signature", "b12", withTxs(badSig))
	g.rejected(sb.ErrScriptValidation)

	wrongKey = g.spendTx(tS, fee)
	g.resignWith(wrongKey, 0, g.alice)
	g.nextBlock("p2tr-script-wrong-leaf-key", "b12", withTxs(wrongKey))
	g.rejected(sb.ErrScriptValidation)

	badControl := g.spendTx(tS, fee)
	flip(badControl.TxIn[0].Witness[2], 40)
	g.nextBlock("p2tr-script-bad-control-block", "b12", withTxs(badControl))
	g.rejected(sb.ErrScriptValidation)

	g.nextBlock("b13", "b12", withTxs(g.spendTx(tS, fee), g.spendTx(tT, fee)))
	g.accepted()

	// ---------------------------------------------------------------
	// Lock times: nLockTime against the lottery height, BIP68.
	// ---------------------------------------------------------------
	h14 := g.heights["b13"] + 1
	outL := g.take()
	lockAt := func(lt uint32) func(*wire.MsgTx) {
		return func(tx *wire.MsgTx) {
			tx.LockTime = lt
			tx.TxIn[0].Sequence = 0
		}
	}
	g.nextBlock("locktime-not-reached", "b13", withTxs(g.createTxWith(
		lockAt(uint32(h14)), []spendableOut{outL},
		wire.NewTxOut(outL.value-fee, alice))))
	g.rejected(sb.ErrUnfinalizedTx)

	g.nextBlock("locktime-is-a-time", "b13", withTxs(g.createTxWith(
		lockAt(txscript.LockTimeThreshold+1), []spendableOut{outL},
		wire.NewTxOut(outL.value-fee, alice))))
	g.rejected(sb.ErrUnfinalizedTx)

	// Passed one height ago; and a far lock with final sequences.
	outR := g.take()
	relSource := g.spendTx(outR, fee)
	finalSeqs := g.createTxWith(func(tx *wire.MsgTx) {
		tx.LockTime = 400_000_000
	}, []spendableOut{g.take()}, wire.NewTxOut(outR.value-fee, alice))
	g.nextBlock("b14", "b13", withTxs(g.createTxWith(
		lockAt(uint32(h14-1)), []spendableOut{outL},
		wire.NewTxOut(outL.value-fee, alice)), relSource, finalSeqs))
	g.accepted()

	// relSource's output was created at h14; a relative lock of 3 is met
	// at h14+3.
	rel := outOf(relSource, 0)
	relLock := func(seq uint32, version int32) func(*wire.MsgTx) {
		return func(tx *wire.MsgTx) {
			tx.Version = version
			tx.TxIn[0].Sequence = seq
		}
	}
	g.nextBlock("sequence-lock-not-met", "b14", atHeight(h14+2),
		withTxs(g.createTxWith(relLock(3, 2), []spendableOut{rel},
			wire.NewTxOut(rel.value-fee, alice))))
	g.rejected(sb.ErrSequenceLock)

	g.nextBlock("sequence-lock-in-seconds", "b14", atHeight(h14+100),
		withTxs(g.createTxWith(
			relLock(wire.SequenceLockTimeIsSeconds|1, 2),
			[]spendableOut{rel}, wire.NewTxOut(rel.value-fee, alice))))
	g.rejected(sb.ErrSequenceLock)

	// Met at h14+3; and a version 1 transaction ignores BIP68.
	outV1 := g.take()
	g.nextBlock("b15", "b14", atHeight(h14+3), withTxs(
		g.createTxWith(relLock(3, 2), []spendableOut{rel},
			wire.NewTxOut(rel.value-fee, alice)),
		g.createTxWith(relLock(1000, 1), []spendableOut{outV1},
			wire.NewTxOut(outV1.value-fee, alice))))
	g.accepted()

	// ---------------------------------------------------------------
	// Signature operations: MaxBlockSigOpsCost is 80,000; a legacy
	// sigop costs 4, a P2WPKH input 1.
	// ---------------------------------------------------------------
	outS := g.take()
	checksigs := func(n int) *wire.MsgTx {
		return g.createTx([]spendableOut{outS},
			wire.NewTxOut(outS.value-fee, alice),
			wire.NewTxOut(0, bytes.Repeat([]byte{txscript.OP_CHECKSIG}, n)))
	}
	g.nextBlock("sigops-legacy-over", "b15", withTxs(checksigs(20_001)))
	g.rejected(sb.ErrTooManySigOps)

	// 80,000 legacy passes CheckBlockSanity; the witness sigop of the
	// P2WPKH input makes it 80,001 in CheckConnectBlock.
	g.nextBlock("sigops-witness-over", "b15", withTxs(checksigs(20_000)))
	g.rejected(sb.ErrTooManySigOps)

	g.nextBlock("b16", "b15", withTxs(checksigs(19_999)))
	g.accepted()

	// ---------------------------------------------------------------
	// Block size.
	// ---------------------------------------------------------------
	g.nextBlock("block-too-big", "b16", padBodyTo(sb.MaxBlockSize+1))
	g.rejected(sb.ErrBlockTooBig)

	g.nextBlock("b17", "b16", padBodyTo(sb.MaxBlockSize))
	g.accepted()

	// ---------------------------------------------------------------
	// Withdrawals. b18 has five, in two transactions, to every kind of
	// destination, one exactly at the dust limit; and OP_RETURN outputs
	// that are only data.
	// ---------------------------------------------------------------
	outW1, outW2 := g.take(), g.take()
	dust := p.DustLimit
	p2sh, err := txscript.PayToAddrScript(mustAddr(
		btcutil.NewAddressScriptHash([]byte{txscript.OP_TRUE}, p.Main)))
	must(err)
	p2wsh, err := txscript.PayToAddrScript(mustAddr(
		btcutil.NewAddressWitnessScriptHash(
			bytes.Repeat([]byte{7}, 32), p.Main)))
	must(err)
	plainData, err := txscript.NullDataScript([]byte("hello"))
	must(err)
	otherKind, err := txscript.NullDataScript([]byte("PMSx other kind"))
	must(err)
	truncated := []byte{txscript.OP_RETURN, txscript.OP_PUSHDATA1, 80, 'P', 'M', 'S', 'w'}

	w1 := g.createTx([]spendableOut{outW1},
		wire.NewTxOut(10_000_000, withdrawal(1000, g.mainP2WPKH(g.alice))),
		wire.NewTxOut(20_000_000, withdrawal(0, g.mainP2TR(g.bob))),
		wire.NewTxOut(dust+500, withdrawal(500, g.mainP2PKH(g.alice))),
		wire.NewTxOut(1000, plainData),
		wire.NewTxOut(outW1.value-30_000_000-dust-500-1000-fee, alice))
	w2 := g.createTx([]spendableOut{outW2},
		wire.NewTxOut(0, otherKind),
		wire.NewTxOut(0, truncated),
		wire.NewTxOut(30_000_000, withdrawal(2000, p2sh)),
		wire.NewTxOut(40_000_000, withdrawal(3000, p2wsh)),
		wire.NewTxOut(outW2.value-70_000_000-fee, alice))
	g.nextBlock("b18", "b17", withTxs(w1, w2))
	g.accepted()

	outW := g.take()
	withOutput := func(value int64, script []byte) mutator {
		return withTxs(g.createTx([]spendableOut{outW},
			wire.NewTxOut(value, script),
			wire.NewTxOut(outW.value-value-fee, alice)))
	}
	good := withdrawal(1000, g.mainP2WPKH(g.bob))
	payload := good[2:]

	nonMinimal := append([]byte{txscript.OP_RETURN, txscript.OP_PUSHDATA1,
		byte(len(payload))}, payload...)
	g.nextBlock("withdrawal-non-minimal-push", "b18",
		withOutput(1_000_000, nonMinimal))
	g.rejected(sb.ErrBadWithdrawalScript)

	trailing := append(append([]byte(nil), good...), txscript.OP_1)
	g.nextBlock("withdrawal-trailing-opcode", "b18",
		withOutput(1_000_000, trailing))
	g.rejected(sb.ErrBadWithdrawalScript)

	g.nextBlock("withdrawal-without-destination", "b18",
		withOutput(1_000_000, rawWithdrawal(1000, nil)))
	g.rejected(sb.ErrBadWithdrawalScript)

	g.nextBlock("withdrawal-fee-above-max-satoshi", "b18",
		withOutput(1_000_000, rawWithdrawal(btcutil.MaxSatoshi+1,
			g.mainP2WPKH(g.bob))))
	g.rejected(sb.ErrBadWithdrawalScript)

	g.nextBlock("withdrawal-to-nonstandard-script", "b18",
		withOutput(1_000_000, rawWithdrawal(1000,
			[]byte{txscript.OP_TRUE})))
	g.rejected(sb.ErrBadWithdrawalDestination)

	g.nextBlock("withdrawal-below-dust", "b18",
		withOutput(dust+999, withdrawal(1000, g.mainP2WPKH(g.bob))))
	g.rejected(sb.ErrWithdrawalBelowDust)

	g.nextBlock("withdrawal-fee-above-value", "b18",
		withOutput(1000, withdrawal(2000, g.mainP2WPKH(g.bob))))
	g.rejected(sb.ErrWithdrawalBelowDust)

	g.nextBlock("coinbase-withdrawal", "b18",
		coinbasePays(-1_000_000),
		coinbaseOutputs(wire.NewTxOut(1_000_000, good)))
	g.rejected(sb.ErrCoinbaseWithdrawal)

	// One withdrawal alone: the tree is its leaf.
	g.nextBlock("b19", "b18", withOutput(1_000_000, good))
	g.accepted()

	g.mintScenarios()
}

// mintScenarios mint the test network's deposits (Deposits), all due from
// lottery height MintHeight on, on two branches from b19.
//
//	b19 -> b20 (h MintHeight, mints all) -> b21 (nothing due) -> b22 (spends a mint)
//	    \-> b20-late (h MintHeight+5, mints all)
func (g *generator) mintScenarios() {
	deps := g.deposits()
	mint := func(ds []sb.Deposit) *wire.MsgTx {
		tx, err := sb.NewMintTx(ds)
		must(err)
		return tx
	}
	full := mint(deps)
	before := atHeight(MintHeight - 1)
	at := atHeight(MintHeight)

	g.nextBlock("mint-before-due", "b19", before, withTxs(full))
	g.rejected(sb.ErrBadMint)

	g.nextBlock("mint-missing", "b19", at)
	g.rejected(sb.ErrBadMint)

	g.nextBlock("mint-too-few", "b19", at, withTxs(mint(deps[:2])))
	g.rejected(sb.ErrBadMint)

	g.nextBlock("mint-skips-first", "b19", at, withTxs(mint(deps[1:])))
	g.rejected(sb.ErrBadMint)

	more := append(append([]sb.Deposit(nil), deps...),
		sb.Deposit{Seq: 3, Value: 1000, PkScript: g.p2wpkh(g.alice)})
	g.nextBlock("mint-too-many", "b19", at, withTxs(mint(more)))
	g.rejected(sb.ErrBadMint)

	wrongValue := mint(deps)
	wrongValue.TxOut[1].Value++
	g.nextBlock("mint-wrong-value", "b19", at, withTxs(wrongValue))
	g.rejected(sb.ErrBadMint)

	wrongScript := mint(deps)
	wrongScript.TxOut[2].PkScript = g.p2wpkh(g.bob)
	g.nextBlock("mint-wrong-script", "b19", at, withTxs(wrongScript))
	g.rejected(sb.ErrBadMint)

	badSig := mint(deps)
	badSig.TxIn[0].SignatureScript = []byte{txscript.OP_0}
	g.nextBlock("mint-bad-signature-script", "b19", at, withTxs(badSig))
	g.rejected(sb.ErrBadMint)

	g.nextBlock("mint-not-second", "b19", at,
		withTxs(g.spendTx(g.take(), fee), full))
	g.rejected(sb.ErrMisplacedMint)

	withMore := mint(deps)
	withMore.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{1}}, nil, nil))
	g.nextBlock("mint-with-second-input", "b19", at, withTxs(withMore))
	g.rejected(sb.ErrMisplacedMint)

	g.nextBlock("b20", "b19", at, withTxs(full))
	g.accepted()

	// The branch has minted everything due: the next block mints
	// nothing, and may not mint again.
	g.nextBlock("mint-again", "b20", withTxs(mint(deps)))
	g.rejected(sb.ErrBadMint)

	g.nextBlock("b21", "b20")
	g.accepted()

	// Minted outputs are not coinbases: spendable at once.
	g.nextBlock("b22", "b21", withTxs(g.spendTx(outOf(full, 0), fee)))
	g.accepted()

	// Another branch mints the same deposits later, in its own block.
	g.nextBlock("b20-late", "b19", atHeight(MintHeight+5), withTxs(mint(deps)))
	g.accepted()
}

// mustAddr returns an address or panics.
func mustAddr[A btcutil.Address](a A, err error) A {
	must(err)
	return a
}
