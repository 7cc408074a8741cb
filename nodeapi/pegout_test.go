package nodeapi

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// mainAddress returns a regtest mainchain P2WPKH address and its script.
func mainAddress(t testing.TB, seed string) (string, []byte) {
	t.Helper()
	priv, _ := btcec.PrivKeyFromBytes(chainhash.DoubleHashB([]byte(seed)))
	addr, err := btcutil.NewAddressWitnessPubKeyHash(
		btcutil.Hash160(priv.PubKey().SerializeCompressed()), &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	return addr.EncodeAddress(), script
}

// TestPegOutToPayout follows a withdrawal through the API backend over a
// synthetic mainchain that runs the sidechain and the pegbox index: a
// deposit is confirming, matured, then minted; PegOut puts a withdrawal in
// the mempool (pending), a sideblock includes it (included, with a proof
// that verifies), one more makes it payable, VerifyPayout checks a payout
// and its forgeries, and once the payout is mined the withdrawal is paid.
func TestPegOutToPayout(t *testing.T) {
	s := newSideSim(t)
	b, ctx := s.b, context.Background()
	p := b.params
	x, err := pegbox.NewIndex(s.db, p, mainwatch.NewWatchList())
	if err != nil {
		t.Fatal(err)
	}
	s.peg, b.pegbox = x, x
	s.stakers = stakersWeighing(pegKeys(t, 1))
	s.chain.SetDeposits(x.MintSource())

	s.produce() // lottery height 0
	s.produce() // lottery height 1
	for s.mainTip < 100 {
		s.next(nil)
	}
	// The federation of epoch 2 (blocks 100 to 149), elected at 99.
	var fed *pegbox.Federation
	err = s.db.View(func(r store.Reader) error {
		var ok bool
		fed, ok, err = pegbox.FederationAt(r, 2)
		if err == nil && !ok {
			t.Fatal("no federation for epoch 2")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	pegScript, err := fed.PkScript(p.Main)
	if err != nil {
		t.Fatal(err)
	}

	// A deposit of 0.2 BTC to the node's sidechain address: confirming,
	// matured, then minted by the next sideblock.
	nullData, err := opreturn.Encode(p.SidechainID, &opreturn.Deposit{Vout: 0, SideScript: s.own})
	if err != nil {
		t.Fatal(err)
	}
	deposit := wire.NewMsgTx(2)
	deposit.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{0xfe}}, nil, nil))
	deposit.AddTxOut(wire.NewTxOut(20_000_000, pegScript))
	deposit.AddTxOut(wire.NewTxOut(0, nullData))
	depositStatus := func() api.DepositStatus {
		t.Helper()
		found, err := b.Deposit(ctx, api.DepositQuery{TxID: deposit.TxHash()})
		if err != nil || found.Accepted == nil {
			t.Fatalf("deposit: %+v %v", found, err)
		}
		ds, _, err := b.Deposits(ctx, api.Page{Limit: 5})
		if err != nil || len(ds) != 1 || ds[0].Status != found.Accepted.Status {
			t.Fatalf("deposits %+v %v, GetDeposit says %v", ds, err, found.Accepted.Status)
		}
		return found.Accepted.Status
	}
	s.mainTxs = []*wire.MsgTx{deposit}
	s.next(nil) // 101
	if st := depositStatus(); st != api.DepositConfirming {
		t.Fatalf("deposit after one block: %v", st)
	}
	s.next(nil) // 102
	if st := depositStatus(); st != api.DepositMatured {
		t.Fatalf("deposit after two blocks: %v", st)
	}

	// PegOut: a withdrawal output 0 that burns amount + fee budget.
	to, toScript := mainAddress(t, "payee")
	const amount = 10_000_000
	out, err := b.PegOut(ctx, api.PegOutRequest{Amount: amount, Destination: to})
	if err != nil {
		t.Fatal(err)
	}
	if out.Vout != 0 || out.Burned != amount+PegOutDefaultFee {
		t.Fatalf("PegOut %+v", out)
	}
	tx, ok := s.pool.Get(out.TxID)
	if !ok {
		t.Fatalf("withdrawal %v is not in the mempool", out.TxID)
	}
	wantScript, err := sideblock.WithdrawalScript(PegOutDefaultFee, toScript)
	if err != nil {
		t.Fatal(err)
	}
	if tx.TxOut[0].Value != out.Burned || !bytes.Equal(tx.TxOut[0].PkScript, wantScript) ||
		len(tx.TxOut) != 2 || !bytes.Equal(tx.TxOut[1].PkScript, s.own) {
		t.Fatalf("withdrawal transaction %v: outputs %+v", out.TxID, tx.TxOut)
	}
	op := wire.OutPoint{Hash: out.TxID, Index: out.Vout}
	status := func(q api.WithdrawalQuery) *api.WithdrawalStatus {
		t.Helper()
		st, err := b.Withdrawal(ctx, q)
		if err != nil {
			t.Fatalf("Withdrawal(%+v): %v", q, err)
		}
		return st
	}
	byOutPoint := api.WithdrawalQuery{TxID: op.Hash, OutPoint: op, ByOutPoint: true}
	// GetConfirmations follows the same withdrawal: its one figure, the
	// raw depths and the withdrawal's stage.
	confs := func(q api.ConfirmationsQuery) *api.Confirmations {
		t.Helper()
		c, err := b.Confirmations(ctx, q)
		if err != nil {
			t.Fatalf("Confirmations(%+v): %v", q, err)
		}
		return c
	}
	wantConfs := func(what string, c *api.Confirmations, value, side, anchor int32,
		stage api.WithdrawalStage, proven, paid bool) {
		t.Helper()
		a := int32(-1)
		if c.Anchor != nil {
			a = c.Anchor.Confirmations
		}
		if c.Value() != value || c.SideConfirmations != side || a != anchor || c.Notarization != nil ||
			len(c.Withdrawals) != 1 || c.Withdrawals[0].OutPoint != op || c.Withdrawals[0].Stage != stage ||
			c.Withdrawals[0].Proven != proven || c.Withdrawals[0].Paid != paid {
			t.Fatalf("%s: confirmations %+v (value %d, anchor %d), withdrawals %+v; want value %d, "+
				"side %d, anchor %d, %v proven %v paid %v", what, c, c.Value(), a, c.Withdrawals,
				value, side, anchor, stage, proven, paid)
		}
	}
	wantConfs("pending", confs(api.ConfirmationsQuery{ID: op.Hash}), 0, 0, -1, api.WithdrawalPending, false, false)
	// pegbox.OldestUnpaid, which the payout_overdue alarm reads, follows
	// the sideblock as the stages do.
	oldestUnpaid := func() (pegbox.Unpaid, bool) {
		t.Helper()
		var (
			u  pegbox.Unpaid
			ok bool
		)
		err := s.db.View(func(r store.Reader) error {
			var err error
			u, ok, err = pegbox.OldestUnpaid(r, p, 64)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return u, ok
	}
	if u, ok := oldestUnpaid(); ok {
		t.Fatalf("unpaid before any withdrawal is in a block: %+v", u)
	}
	if c := confs(api.ConfirmationsQuery{ID: op.Hash}); !c.InMempool || c.InBlock || c.IsBlock {
		t.Fatalf("pending: %+v", c)
	}
	// Ids of the other chain, and of nothing, are NotFound in words.
	for _, tc := range []struct {
		id   chainhash.Hash
		want string
	}{
		{deposit.TxHash(), "is a mainchain transaction, a deposit to the pegbox"},
		{chainhash.Hash{0xab}, "no sidechain transaction or block"},
	} {
		_, err := b.Confirmations(ctx, api.ConfirmationsQuery{ID: tc.id})
		if !api.IsErrorCode(err, api.ErrNotFound) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Confirmations(%v): %v, want NotFound with %q", tc.id, err, tc.want)
		}
	}
	for _, q := range []api.WithdrawalQuery{{TxID: op.Hash}, byOutPoint} {
		st := status(q)
		if st.Stage != api.WithdrawalPending || st.OutPoint != op || st.Value != out.Burned ||
			st.Fee != PegOutDefaultFee || st.Amount() != amount || st.Address != to ||
			!bytes.Equal(st.PkScript, toScript) || st.RequiredSideDepth != p.SideWithdrawalDepth {
			t.Fatalf("pending withdrawal %+v", st)
		}
	}
	_, err = b.Withdrawal(ctx, api.WithdrawalQuery{TxID: op.Hash,
		OutPoint: wire.OutPoint{Hash: op.Hash, Index: 1}, ByOutPoint: true})
	wantAPICode(t, "the change output", err, api.ErrNotFound)
	_, err = b.Withdrawal(ctx, api.WithdrawalQuery{TxID: chainhash.Hash{1}})
	wantAPICode(t, "an unknown transaction", err, api.ErrNotFound)

	// Refusals.
	sideAddr, _ := otherAddress(t, p)
	pubKeyHex := hex.EncodeToString(s.stakers[0].PubKey.SerializeCompressed())
	for _, tc := range []struct {
		req  api.PegOutRequest
		code api.ErrorCode
		msg  string
	}{
		{api.PegOutRequest{Amount: amount, Destination: sideAddr}, api.ErrInvalidArgument, "a sidechain address was given where a mainchain address is expected"},
		{api.PegOutRequest{Amount: amount, Destination: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}, api.ErrInvalidArgument, "destination_address"},
		{api.PegOutRequest{Amount: amount, Destination: "nonsense"}, api.ErrInvalidArgument, "destination_address"},
		{api.PegOutRequest{Amount: amount, Destination: pubKeyHex}, api.ErrInvalidArgument, "ErrBadWithdrawalDestination"}, // P2PK
		{api.PegOutRequest{Amount: amount, Destination: to, Fee: pegOutMinFee - 1}, api.ErrInvalidArgument, "minimum"},
		{api.PegOutRequest{Amount: p.DustLimit - 1, Destination: to}, api.ErrInvalidArgument, "ErrWithdrawalBelowDust"},
		{api.PegOutRequest{Amount: amount, Destination: to, FeeRate: 1}, api.ErrInvalidArgument, "fee_rate_sat_kb"},
		{api.PegOutRequest{Amount: 100 * simSubsidy, Destination: to}, api.ErrFailedPrecondition, "cannot pay"},
	} {
		_, err := b.PegOut(ctx, tc.req)
		if !api.IsErrorCode(err, tc.code) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("PegOut(%+v): %v, want %v with %q", tc.req, err, tc.code, tc.msg)
		}
	}
	// The smallest fee budget and amount pass.
	small, err := b.PegOut(ctx, api.PegOutRequest{Amount: p.DustLimit, Destination: to,
		Fee: pegOutMinFee})
	if err != nil || small.Burned != p.DustLimit+pegOutMinFee {
		t.Fatalf("the smallest withdrawal: %+v %v", small, err)
	}

	// Included: the sideblock built on lottery 102 mints the deposit and
	// holds both withdrawals.
	block := s.produce() // published in 103
	if st := depositStatus(); st != api.DepositMinted {
		t.Fatalf("deposit after its mint: %v", st)
	}
	// The withdrawal stream's read of the block has both withdrawals.
	if ws, ok, err := b.WithdrawalsIn(ctx, api.SideRef{Height: 2, Hash: block.BlockHash()}); err != nil ||
		!ok || len(ws) != 2 || ws[0].OutPoint != op {
		t.Fatalf("withdrawals in the sideblock: %+v %v %v", ws, ok, err)
	}
	if _, ok, err := b.WithdrawalsIn(ctx, api.SideRef{Height: 1, Hash: block.BlockHash()}); err != nil || ok {
		t.Fatalf("the sideblock at another height: %v %v", ok, err)
	}
	// GetDeposit names the sideblock that minted it.
	if found, err := b.Deposit(ctx, api.DepositQuery{TxID: deposit.TxHash()}); err != nil ||
		found.Accepted.MintedBy == nil || found.Accepted.MintedBy.Hash != block.BlockHash() ||
		found.Accepted.MintedBy.Height != 2 {
		t.Fatalf("minted deposit %+v (%v), want minted by %v at 2", found.Accepted, err, block.BlockHash())
	}
	st := status(byOutPoint)
	if st.Stage != api.WithdrawalIncluded || st.SideBlock != block.BlockHash() || st.SideHeight != 2 ||
		st.SideDepth != 1 || st.PubHeight != 103 || st.PubConfirmations != 1 || st.Count != 2 ||
		st.MerkleRoot != block.Header.MerkleRoot || st.TxRoot != sideblock.CalcTxRoot(block.Transactions) {
		t.Fatalf("included withdrawal %+v", st)
	}
	leaf := sideblock.Withdrawal{OutPoint: op, Value: st.Value, Fee: st.Fee, PkScript: st.PkScript,
		Index: st.Index, Count: st.Count}
	branch := sideblock.MerkleBranch{Index: st.Index, Hashes: st.Branch}
	if err := sideblock.VerifyWithdrawal(branch, &leaf, st.TxRoot, st.MerkleRoot); err != nil {
		t.Fatalf("the proof does not verify: %v", err)
	}
	wantConfs("included", confs(api.ConfirmationsQuery{ID: op.Hash}), 1, 1, 1, api.WithdrawalIncluded, true, false)
	if u, ok := oldestUnpaid(); !ok || u.SideBlock != block.BlockHash() || u.SideHeight != 2 || u.Payable {
		t.Fatalf("oldest unpaid while included: %+v %v", u, ok)
	}
	if c := confs(api.ConfirmationsQuery{ID: op.Hash}); c.InMempool || c.BlockHash != block.BlockHash() ||
		c.BlockHeight != 2 || c.Anchor.Height != 103 || c.Anchor.BlockHash == (chainhash.Hash{}) || c.MainTip != 103 {
		t.Fatalf("included: %+v anchor %+v", c, c.Anchor)
	}
	for _, q := range []api.ConfirmationsQuery{{ID: block.BlockHash()}, {Height: 2, ByHeight: true}} {
		if c := confs(q); !c.IsBlock || c.BlockHash != block.BlockHash() || c.Value() != 1 || len(c.Withdrawals) != 0 {
			t.Fatalf("the block by %+v: %+v", q, c)
		}
	}
	if _, err := b.Confirmations(ctx, api.ConfirmationsQuery{Height: 3, ByHeight: true}); !api.IsErrorCode(err, api.ErrNotFound) ||
		!strings.Contains(err.Error(), "no block at height 3: its tip is at height 2") {
		t.Fatalf("a height above the tip: %v", err)
	}

	// One more sideblock: two deep on both chains, payable.
	s.produce() // published in 104
	if st := status(byOutPoint); st.Stage != api.WithdrawalPayable || st.SideDepth != 2 ||
		st.PubConfirmations != 2 {
		t.Fatalf("withdrawal two deep %+v", st)
	}
	wantConfs("payable", confs(api.ConfirmationsQuery{ID: op.Hash}), 2, 2, 2, api.WithdrawalPayable, true, false)
	// Payable since 104: the sideblock is 2 deep (its child published in
	// 104) and its publication in 103 has 2 confirmations there.
	if u, ok := oldestUnpaid(); !ok || u.SideBlock != block.BlockHash() || !u.Payable || u.PayableSince != 104 {
		t.Fatalf("oldest unpaid while payable: %+v %v (depths %d, %d)", u, ok, p.SideWithdrawalDepth,
			p.WithdrawalConfirmations)
	}

	// The payout the federation would build, with change to the pegbox.
	var coins []pegbox.Coin
	err = s.db.View(func(r store.Reader) error {
		var err error
		coins, err = pegbox.Coins(r)
		return err
	})
	if err != nil || len(coins) != 1 {
		t.Fatalf("pegbox coins %+v %v", coins, err)
	}
	ws := sideblock.BlockWithdrawals(block.Transactions)
	payout, err := pegbox.BuildPayout(block.BlockHash(), ws, coins, pegScript, p.SidechainID, p.DustLimit, 0)
	if err != nil {
		t.Fatal(err)
	}
	verify := func(q api.PayoutQuery) *api.PayoutCheck {
		t.Helper()
		c, err := b.VerifyPayout(ctx, q)
		if err != nil {
			t.Fatalf("VerifyPayout: %v", err)
		}
		return c
	}
	c := verify(api.PayoutQuery{Tx: payout})
	if !c.Valid || c.Seen || c.SideBlock == nil || *c.SideBlock != block.BlockHash() || !c.OnBestChain ||
		len(c.Withdrawals) != 2 || c.Withdrawals[st.Index].OutPoint != op || c.Withdrawals[st.Index].Address != to ||
		c.TxID != payout.TxHash() {
		t.Fatalf("the payout %+v", c)
	}
	_, err = b.VerifyPayout(ctx, api.PayoutQuery{TxID: payout.TxHash()})
	wantAPICode(t, "a payout not mined, by txid", err, api.ErrNotFound)

	// Forgeries are answers, not errors.
	forged := func(code string, change func(tx *wire.MsgTx)) {
		t.Helper()
		tx := payout.Copy()
		change(tx)
		c := verify(api.PayoutQuery{Tx: tx})
		if c.Valid || c.Code != code || c.Message == "" {
			t.Errorf("forged payout (%s): %+v", code, c)
		}
	}
	forged("ErrWrongAmount", func(tx *wire.MsgTx) { tx.TxOut[2].Value++ })
	forged("ErrWrongScript", func(tx *wire.MsgTx) { tx.TxOut[1].PkScript = s.own })
	forged("ErrMissingOutput", func(tx *wire.MsgTx) { tx.TxOut = tx.TxOut[:2] })
	forged("ErrExtraOutput", func(tx *wire.MsgTx) { tx.TxOut[3].PkScript = toScript })
	forged("ErrNotPayout", func(tx *wire.MsgTx) { tx.TxOut = tx.TxOut[1:] })
	forged("ErrWrongSideBlock", func(tx *wire.MsgTx) {
		script, err := opreturn.Encode(p.SidechainID, &opreturn.Payout{SideBlock: chainhash.Hash{7}})
		if err != nil {
			t.Fatal(err)
		}
		tx.TxOut[0].PkScript = script
	})

	// Mined: paid, and the node finds the payout by its txid.
	s.mainTxs = []*wire.MsgTx{payout}
	s.next(nil) // 105
	st = status(api.WithdrawalQuery{TxID: op.Hash})
	if st.Stage != api.WithdrawalPaid || st.PayoutTxID != payout.TxHash() || st.PayoutHeight != 105 ||
		st.PayoutConfirmations != 1 {
		t.Fatalf("paid withdrawal %+v", st)
	}
	c = verify(api.PayoutQuery{TxID: payout.TxHash()})
	if !c.Valid || !c.Seen || c.Height != 105 || c.Confirmations != 1 || len(c.Withdrawals) != 2 {
		t.Fatalf("the mined payout %+v", c)
	}
	// No sideblock in 105: the anchor is 3 deep, the sidechain 2.
	paid := confs(api.ConfirmationsQuery{ID: op.Hash})
	wantConfs("paid", paid, 2, 2, 3, api.WithdrawalPaid, true, true)
	if u, ok := oldestUnpaid(); ok {
		t.Fatalf("unpaid after the payout: %+v", u)
	}
	if w := paid.Withdrawals[0]; w.PayoutTxID != payout.TxHash() || w.PayoutHeight != 105 || w.PayoutConfirmations != 1 {
		t.Fatalf("paid withdrawal's payout %+v", w)
	}
	_, err = b.Confirmations(ctx, api.ConfirmationsQuery{ID: payout.TxHash()})
	if !api.IsErrorCode(err, api.ErrNotFound) || !strings.Contains(err.Error(), "a payout of the federation") {
		t.Fatalf("Confirmations of the payout's txid: %v", err)
	}
}
