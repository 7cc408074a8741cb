package node_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/devnet"
	"github.com/mainstake/sidenode/opreturn"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
	"github.com/mainstake/sidenode/sideblock"
)

// TestPegReorgs runs four staking sidenodes, a federation of four (three
// signatures needed), over a real btcd whose blocks the test chooses, and
// checks that the peg follows mainchain reorgs (docs/protocol.md, "Peg"):
//
//  1. a deposit reorganized away at one confirmation, and double-spent so
//     that it never comes back, is never minted;
//  2. a deposit reorganized away after a sideblock minted it takes the
//     minting sideblock off the best sidechain and the minted coins with
//     it;
//  3. a withdrawal whose sideblock's publication is reorganized away, and
//     kept out, is never paid under that sideblock, even when the late
//     header transaction is mined afterwards; the withdrawal goes back to
//     every node's mempool and is paid once, under the sideblock that then
//     holds it.
//
// After each, every node agrees on the sidechain and the supply audit
// matches to the satoshi.
func TestPegReorgs(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	net := newNet(t, []string{"a", "b", "c", "d"},
		400_000_000, 300_000_000, 200_000_000, 100_000_000)
	all := net.Nodes
	for _, n := range all {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	e := &e2e{t: t, net: net, produced: make(map[string]int)}
	h := net.H
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()

	// The stakes confirm in the block before an epoch's last block, which
	// elects the first federation: no block is mined one at a time before
	// the stakers are there.
	L := net.Params.PegEpochLength
	if _, err := h.Generate(uint32(3*L - 3)); err != nil {
		t.Fatal(err)
	}
	if _, err := net.RegisterStakes(2000); err != nil {
		t.Fatal(err)
	}
	e.mine(all)
	e.mine(all)

	dial := func(n *devnet.Node) *grpc.ClientConn {
		conn, err := n.Dial()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	conns := make([]*grpc.ClientConn, len(all))
	for i, n := range all {
		conns[i] = dial(n)
	}
	peg := apiv1.NewPegServiceClient(conns[0])
	side := apiv1.NewSidechainServiceClient(conns[0])
	wlt := apiv1.NewWalletServiceClient(conns[0])

	pegInfo := func() *apiv1.GetPegInfoResponse {
		t.Helper()
		info, err := peg.GetPegInfo(ctx, &apiv1.GetPegInfoRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	info := pegInfo()
	if f := info.Federation; f.Threshold != 3 || len(f.Pubkeys) != 4 {
		t.Fatalf("federation %v, want 3 of 4", f)
	}
	pegAddr, err := btcutil.DecodeAddress(info.Federation.Address, h.Params)
	if err != nil {
		t.Fatal(err)
	}
	pegScript, err := txscript.PayToAddrScript(pegAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("federation elected at mainchain %d after %v", info.TipHeight,
		time.Since(start).Round(time.Millisecond))

	// checkAudit checks every node's supply audit against the deposits
	// and withdrawals the test expects on the best chains.
	checkNodeAudit := func(i int, what string, accepted, minted, burned, paid int64) {
		t.Helper()
		info, err := apiv1.NewPegServiceClient(conns[i]).GetPegInfo(ctx, &apiv1.GetPegInfoRequest{})
		if err != nil {
			t.Fatal(err)
		}
		a := info.Audit
		if !a.Matches || a.AcceptedSat != accepted || a.MintedSat != minted ||
			a.BurnedSat != burned || a.PaidSat != paid || a.UnbackedSat != 0 ||
			a.PegboxBalanceSat != accepted-paid || a.SideDestroyedSat != 0 {
			t.Fatalf("%s: %s's audit %v, want accepted %d, minted %d, burned %d, paid %d",
				what, all[i].Spec.Name, a, accepted, minted, burned, paid)
		}
	}
	checkAudit := func(what string, accepted, minted, burned, paid int64) {
		t.Helper()
		for i := range conns {
			checkNodeAudit(i, what, accepted, minted, burned, paid)
		}
	}

	deposit := func(sideScript []byte, value int64) *wire.MsgTx {
		t.Helper()
		return depositTo(t, net, pegScript, sideScript, value)
	}
	getDeposit := func(tx *wire.MsgTx) (*apiv1.Deposit, error) {
		d, err := peg.GetDeposit(ctx, &apiv1.GetDepositRequest{
			Deposit: &apiv1.GetDepositRequest_Txid{Txid: tx.TxHash().String()}})
		if err != nil {
			return nil, err
		}
		if d.GetAccepted() == nil {
			t.Fatalf("deposit %v refused: %v", tx.TxHash(), d)
		}
		return d.GetAccepted(), nil
	}
	notFound := func(what string, err error) {
		t.Helper()
		if status.Code(err) != codes.NotFound {
			t.Fatalf("%s: %v, want NotFound", what, err)
		}
	}
	// freshSide returns the sidechain address and script of a new key
	// that no node holds, whose balance is the minted deposits alone.
	freshSide := func() (string, []byte) {
		t.Helper()
		key, err := btcec.NewPrivateKey()
		if err != nil {
			t.Fatal(err)
		}
		addr, err := sideblock.SideP2WPKHAddress(key.PubKey(), net.Params)
		if err != nil {
			t.Fatal(err)
		}
		script, err := txscript.PayToAddrScript(addr)
		if err != nil {
			t.Fatal(err)
		}
		return addr.EncodeAddress(), script
	}
	balance := func(addr string) *apiv1.GetAddressBalanceResponse {
		t.Helper()
		b, err := side.GetAddressBalance(ctx, &apiv1.GetAddressBalanceRequest{Address: addr})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// mineUntil mines blocks one at a time until done, at most max.
	mineUntil := func(what string, max int, done func() bool) {
		t.Helper()
		for i := 0; !done(); i++ {
			if i == max {
				t.Fatalf("%s: not after %d blocks", what, max)
			}
			e.mine(all)
		}
	}
	minted := func(tx *wire.MsgTx) func() bool {
		return func() bool {
			d, err := getDeposit(tx)
			return err == nil && d.Status == apiv1.DepositStatus_DEPOSIT_STATUS_MINTED
		}
	}
	// reorg replaces the blocks from height from up with depth+1 blocks
	// that leave out the transactions exclude matches, then mines a block
	// of the conflicts alone, so that what was left out never comes back,
	// and waits until every node has followed.
	reorg := func(from int32, exclude func(*wire.MsgTx) bool, conflicts ...*wire.MsgTx) {
		t.Helper()
		height, _, err := h.Tip()
		if err != nil {
			t.Fatal(err)
		}
		marks := make([]int, len(all))
		for i, n := range all {
			marks[i] = n.Mark()
		}
		if _, err := h.ReorgExcluding(uint32(height-from+1), 1, exclude); err != nil {
			t.Fatal(err)
		}
		if len(conflicts) > 0 {
			if _, err := h.MineBlock(conflicts); err != nil {
				t.Fatal(err)
			}
		}
		for i, n := range all {
			waitTip(t, net, n, marks[i])
		}
	}
	txidIs := func(tx *wire.MsgTx) func(*wire.MsgTx) bool {
		return func(m *wire.MsgTx) bool { return m.TxHash() == tx.TxHash() }
	}
	doubleSpend := func(tx *wire.MsgTx) *wire.MsgTx {
		t.Helper()
		c, err := h.DoubleSpend(tx, 2)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	// A deposit to node a's own sidechain address, to withdraw from in
	// part 3. It is minted.
	aSide, err := wlt.GetSideAddress(ctx, &apiv1.GetSideAddressRequest{})
	if err != nil {
		t.Fatal(err)
	}
	aAddr, err := sideblock.DecodeSideAddress(aSide.Address, net.Params)
	if err != nil {
		t.Fatal(err)
	}
	aScript, err := txscript.PayToAddrScript(aAddr)
	if err != nil {
		t.Fatal(err)
	}
	const value0 = 100_000_000
	dep0 := deposit(aScript, value0)
	e.mine(all)

	// 1. A deposit confirmed once, then reorganized away and double-spent
	// before it matured: it is never minted.
	addr1, script1 := freshSide()
	const value1 = 70_000_000
	dep1 := deposit(script1, value1)
	e.mine(all)
	conf1, _, err := h.Tip()
	if err != nil {
		t.Fatal(err)
	}
	d, err := getDeposit(dep1)
	if err != nil || d.Status != apiv1.DepositStatus_DEPOSIT_STATUS_CONFIRMING ||
		d.Confirmations != 1 || d.ConfHeight != conf1 || d.ValueSat != value1 {
		t.Fatalf("deposit 1 at one confirmation: %v %v", d, err)
	}
	checkAudit("deposit 1 confirmed", value0+value1, 0, 0, 0)

	conflict1 := doubleSpend(dep1)
	reorg(conf1, txidIs(dep1), conflict1)
	t.Logf("deposit 1 %v confirmed in block %d, reorganized away; its double spend %v "+
		"mined", dep1.TxHash(), conf1, conflict1.TxHash())
	if n := confirmationsOf(t, net, dep1.TxHash()); n != 0 {
		t.Fatalf("deposit 1 has %d confirmations after the reorg", n)
	}
	// Past the height where it would have been minted, and deposit 0,
	// which the reorg left alone, is.
	mineUntil("deposit 0 minted", 8, minted(dep0))
	e.mine(all)
	settle(t, e, all)
	_, err = getDeposit(dep1)
	notFound("deposit 1 after its block was reorganized away", err)
	if b := balance(addr1); b.TotalSat != 0 || b.UtxoCount != 0 {
		t.Fatalf("deposit 1's recipient holds %v", b)
	}
	if info := pegInfo(); info.DepositCount != 1 || info.PegboxBalanceSat != value0 {
		t.Fatalf("after deposit 1's reorg: %d deposits, pegbox %d sat", info.DepositCount,
			info.PegboxBalanceSat)
	}
	checkAudit("deposit 1 reorganized away", value0, value0, 0, 0)
	if b := balance(aSide.Address); b.SpendableSat != value0 {
		t.Fatalf("node a's spendable sidechain coins %d, want deposit 0's %d", b.SpendableSat, value0)
	}
	t.Logf("part 1 done after %v", time.Since(start).Round(time.Millisecond))

	// 2. A deposit minted, then reorganized away from below the sideblock
	// that minted it, and double-spent: that sideblock leaves the best
	// sidechain on every node, and the minted coins with it.
	addr2, script2 := freshSide()
	const value2 = 40_000_000
	dep2 := deposit(script2, value2)
	e.mine(all)
	conf2, _, err := h.Tip()
	if err != nil {
		t.Fatal(err)
	}
	mineUntil("deposit 2 minted", 8, minted(dep2))
	settle(t, e, all)
	b2 := balance(addr2)
	if b2.TotalSat != value2 || b2.UtxoCount != 1 {
		t.Fatalf("deposit 2's recipient holds %v, want %d sat", b2, value2)
	}
	utxos, err := side.ListUnspent(ctx, &apiv1.ListUnspentRequest{Address: addr2})
	if err != nil || len(utxos.Utxos) != 1 {
		t.Fatalf("deposit 2's recipient's outputs: %v %v", utxos, err)
	}
	mintTxid, _, _ := strings.Cut(utxos.Utxos[0].Outpoint, ":")
	mint, err := side.GetTransaction(ctx, &apiv1.GetTransactionRequest{Txid: mintTxid})
	if err != nil || !mint.Confirmed || mint.TxIndex != 1 {
		t.Fatalf("mint transaction %s: %v %v", mintTxid, mint, err)
	}
	mintBlock := mint.BlockHash
	onBest := func(conn *grpc.ClientConn, hash string) bool {
		t.Helper()
		b, err := apiv1.NewSidechainServiceClient(conn).GetBlock(ctx,
			&apiv1.GetBlockRequest{Block: &apiv1.GetBlockRequest_Hash{Hash: hash}})
		if status.Code(err) == codes.NotFound {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		return b.OnBestChain
	}
	for i, conn := range conns {
		if !onBest(conn, mintBlock) {
			t.Fatalf("%s: the sideblock %s that minted deposit 2 is not on the best chain",
				all[i].Spec.Name, mintBlock)
		}
	}
	checkAudit("deposit 2 minted", value0+value2, value0+value2, 0, 0)

	t.Logf("deposit 2 %v confirmed in block %d, minted by sideblock %s", dep2.TxHash(),
		conf2, mintBlock)
	reorg(conf2, txidIs(dep2), doubleSpend(dep2))
	e.mine(all)
	settle(t, e, all)
	for i, conn := range conns {
		if onBest(conn, mintBlock) {
			t.Fatalf("%s: the sideblock %s that minted deposit 2 is still on the best chain",
				all[i].Spec.Name, mintBlock)
		}
	}
	if got, err := side.GetTransaction(ctx, &apiv1.GetTransactionRequest{Txid: mintTxid}); err == nil &&
		(got.Confirmed || got.InMempool) {
		t.Fatalf("deposit 2's mint transaction is still there: %v", got)
	}
	if b := balance(addr2); b.TotalSat != 0 || b.UtxoCount != 0 {
		t.Fatalf("deposit 2's recipient still holds %v", b)
	}
	_, err = getDeposit(dep2)
	notFound("deposit 2 after its block was reorganized away", err)
	checkAudit("deposit 2 reorganized away", value0, value0, 0, 0)
	t.Logf("part 2 done after %v", time.Since(start).Round(time.Millisecond))

	// 3. A withdrawal in sideblock X; X's publication is reorganized away
	// before X is deep enough to pay, and kept out.
	_, addrs, _, err := txscript.ExtractPkScriptAddrs(h.MiningScript, h.Params)
	if err != nil || len(addrs) != 1 {
		t.Fatalf("mining address: %v", err)
	}
	const amount, fee = 30_000_000, 5_000
	out, err := wlt.PegOut(ctx, &apiv1.PegOutRequest{AmountSat: amount,
		DestinationAddress: addrs[0].EncodeAddress(), FeeSat: fee})
	if err != nil {
		t.Fatal(err)
	}
	outpoint := out.Txid + ":" + strconv.FormatUint(uint64(out.Vout), 10)
	raw, err := side.GetTransaction(ctx, &apiv1.GetTransactionRequest{Txid: out.Txid})
	if err != nil || !raw.InMempool {
		t.Fatalf("withdrawal %s: %v %v", out.Txid, raw, err)
	}
	// Every producer must have it before the next draw.
	for i, conn := range conns {
		for {
			got, err := apiv1.NewSidechainServiceClient(conn).GetTransaction(ctx,
				&apiv1.GetTransactionRequest{Txid: out.Txid})
			if err == nil && got.InMempool {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("%s never got the withdrawal: %v", all[i].Spec.Name, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	withdrawal := func(conn *grpc.ClientConn) (*apiv1.GetWithdrawalResponse, error) {
		return apiv1.NewPegServiceClient(conn).GetWithdrawal(ctx,
			&apiv1.GetWithdrawalRequest{Outpoint: outpoint})
	}
	// A node connects a sideblock in the batch of its publication only if
	// the body came before the block; every node must have connected X,
	// and dropped the withdrawal from its mempool, before X's publication
	// is reorganized away. So before each block, every node gets the
	// bodies of the headers waiting in btcd's mempool.
	waitBodies := func() {
		t.Helper()
		pool, err := h.Client().GetRawMempool()
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range pool {
			tx, err := h.Client().GetRawTransaction(id)
			if err != nil {
				continue // mined or evicted since
			}
			_, p, err := opreturn.FindInTx(tx.MsgTx(), net.Params.SidechainID)
			hdr, ok := p.(*opreturn.Header)
			if err != nil || !ok {
				continue
			}
			sh := sideblock.Header{PrevBlock: hdr.PrevBlock, MerkleRoot: hdr.MerkleRoot}
			hash := sh.BlockHash()
			for i, conn := range conns {
				deadline := time.Now().Add(10 * time.Second)
				for {
					b, err := apiv1.NewSidechainServiceClient(conn).GetBlock(ctx,
						&apiv1.GetBlockRequest{Block: &apiv1.GetBlockRequest_Hash{Hash: hash.String()}})
					if err == nil && b.HasBody {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("%s never got the body of sideblock %v: %v %v",
							all[i].Spec.Name, hash, b, err)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		}
	}
	var w *apiv1.GetWithdrawalResponse
	included := func() bool {
		var stages []string
		for _, conn := range conns {
			got, err := withdrawal(conn)
			if err != nil {
				t.Fatal(err)
			}
			w = got
			stages = append(stages, got.Stage.String()+" "+got.SideblockHash)
		}
		for _, s := range stages[1:] {
			if s != stages[0] {
				t.Fatalf("the nodes disagree on the withdrawal: %v", stages)
			}
		}
		if w.Stage == apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PENDING {
			waitBodies()
			return false
		}
		return true
	}
	mineUntil("withdrawal included", 6, included)
	tip, _, err := h.Tip()
	if err != nil {
		t.Fatal(err)
	}
	if w.Stage != apiv1.WithdrawalStage_WITHDRAWAL_STAGE_INCLUDED || w.PublicationHeight != tip ||
		w.SideblockHash == "" {
		t.Fatalf("withdrawal at mainchain %d: %v", tip, w)
	}
	x := w.SideblockHash
	xBlock, err := side.GetBlock(ctx, &apiv1.GetBlockRequest{Block: &apiv1.GetBlockRequest_Hash{Hash: x}})
	if err != nil || !xBlock.Published || xBlock.PublicationHeight != tip {
		t.Fatalf("sideblock X %s: %v %v", x, xBlock, err)
	}
	xHeader, err := chainhash.NewHashFromStr(xBlock.PublicationTxid)
	if err != nil {
		t.Fatal(err)
	}
	checkAudit("withdrawal included", value0, value0, amount+fee, 0)
	// publishes reports whether a mainchain transaction's 'H' payload
	// publishes X.
	xHash, err := chainhash.NewHashFromStr(x)
	if err != nil {
		t.Fatal(err)
	}
	publishesX := func(tx *wire.MsgTx) bool {
		_, p, err := opreturn.FindInTx(tx, net.Params.SidechainID)
		hdr, ok := p.(*opreturn.Header)
		if err != nil || !ok {
			return false
		}
		sh := sideblock.Header{PrevBlock: hdr.PrevBlock, MerkleRoot: hdr.MerkleRoot}
		return sh.BlockHash() == *xHash
	}
	xTx, err := h.Client().GetRawTransaction(xHeader)
	if err != nil || !publishesX(xTx.MsgTx()) {
		t.Fatalf("X's publication %v does not publish X: %v", xHeader, err)
	}
	fork := tip
	t.Logf("withdrawal %s in sideblock X %s, published in block %d by %v", outpoint, x, tip,
		xHeader)
	reorg(tip, publishesX)

	// X left the best chain with its publication, and every node put its
	// transactions back in the mempool, as a sidechain reorg does: the
	// withdrawal is pending again, or already in a sideblock of the new
	// branch, never in X.
	for i, conn := range conns {
		got, err := withdrawal(conn)
		if err != nil || got.SideblockHash == x || (got.Stage != apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PENDING &&
			got.Stage != apiv1.WithdrawalStage_WITHDRAWAL_STAGE_INCLUDED) {
			t.Fatalf("%s: the withdrawal after X's publication was reorganized away: %v %v",
				all[i].Spec.Name, got, err)
		}
		if onBest(conn, x) {
			t.Fatalf("%s: X is on the best chain after its publication was reorganized away",
				all[i].Spec.Name)
		}
	}
	// Each node's audit burns the withdrawal once its own best chain
	// includes it again; nodes may be a sideblock apart.
	for i, conn := range conns {
		burned := int64(0)
		if got, err := withdrawal(conn); err == nil &&
			got.Stage != apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PENDING {
			burned = amount + fee
		}
		checkNodeAudit(i, "withdrawal reorganized away", value0, value0, burned, 0)
	}

	// The header transaction that published X waits in btcd's mempool; a
	// plain block mines it, too late to count for X's draw. Unless X's
	// ticket won a draw after the reorg: its new header spends the same
	// publisher output and, header transactions signalling BIP125,
	// replaced X's in btcd's mempool; X's is then never mined.
	e.mine(all)
	late, err := h.Client().GetRawTransactionVerbose(xHeader)
	switch {
	case err == nil && late.Confirmations == 1:
		// It counts only if X's ticket happens to have won the draw
		// after the block before: then X is published at a lottery
		// height that is not its coinbase's. Fork choice then finds X
		// invalid when it tries it (X longer than the tip), or never
		// tries it (the tip as long, and published earlier) and leaves
		// it staged; never valid.
		lateHeight, _, err := h.Tip()
		if err != nil {
			t.Fatal(err)
		}
		pub, err := apiv1.NewMainchainServiceClient(conns[0]).GetPublication(ctx,
			&apiv1.GetPublicationRequest{Height: lateHeight})
		if err != nil && status.Code(err) != codes.NotFound {
			t.Fatal(err)
		}
		if pub.GetBlockHash() == x {
			xBlock, err := side.GetBlock(ctx, &apiv1.GetBlockRequest{Block: &apiv1.GetBlockRequest_Hash{Hash: x}})
			if err != nil || xBlock.Status == apiv1.SidechainBlockStatus_SIDECHAIN_BLOCK_STATUS_VALID ||
				xBlock.OnBestChain {
				t.Fatalf("X, published late in block %d, is valid: %v %v", lateHeight, xBlock, err)
			}
			t.Logf("X's header transaction mined late in block %d, won the slot; X is %v",
				lateHeight, xBlock.Status)
		} else {
			t.Logf("X's header transaction mined late in block %d, ignored", lateHeight)
		}
	default:
		// Replaced: its publisher input is spent by another
		// transaction, in a block or in the mempool.
		in := xTx.MsgTx().TxIn[0].PreviousOutPoint
		out, terr := h.Client().GetTxOut(&in.Hash, in.Index, true)
		if terr != nil || out != nil {
			t.Fatalf("X's header transaction was neither mined late (%v %v) nor replaced: "+
				"its input %v is unspent (%v %v)", late, err, in, out, terr)
		}
		t.Logf("X's header transaction was replaced by a later header of its ticket")
	}

	// The same withdrawal goes into another sideblock Y and is paid once,
	// under Y.
	paid := func() bool {
		got, err := withdrawal(conns[0])
		if err == nil && got.Stage == apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PAID {
			w = got
			return true
		}
		return false
	}
	mineUntil("withdrawal paid", 12, paid)
	t.Logf("withdrawal back from the mempool, in sideblock Y %s published in block %d, paid by %s "+
		"in block %d", w.SideblockHash, w.PublicationHeight, w.PayoutTxid, w.PayoutHeight)
	if w.SideblockHash == x || w.PayoutTxid == "" {
		t.Fatalf("withdrawal paid under %s (X is %s): %v", w.SideblockHash, x, w)
	}
	v, err := peg.VerifyPayout(ctx, &apiv1.VerifyPayoutRequest{Txid: w.PayoutTxid})
	if err != nil || !v.Valid || v.SideblockHash != w.SideblockHash {
		t.Fatalf("VerifyPayout %s: %v %v", w.PayoutTxid, v, err)
	}
	e.mine(all)
	e.mine(all)
	settle(t, e, all)

	// Every payout mined since the fork: one, for Y; none names X.
	height, _, err := h.Tip()
	if err != nil {
		t.Fatal(err)
	}
	var payouts []string
	for ht := fork; ht <= height; ht++ {
		hash, err := h.Client().GetBlockHash(int64(ht))
		if err != nil {
			t.Fatal(err)
		}
		block, err := h.Client().GetBlock(hash)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range block.Transactions {
			if _, p, err := opreturn.FindInTx(tx, net.Params.SidechainID); err == nil {
				if po, ok := p.(*opreturn.Payout); ok {
					payouts = append(payouts, po.SideBlock.String())
				}
			}
		}
	}
	if len(payouts) != 1 || payouts[0] != w.SideblockHash {
		t.Fatalf("payouts mined since mainchain %d name %v, want only Y %s", fork, payouts,
			w.SideblockHash)
	}
	for i, conn := range conns {
		if onBest(conn, x) {
			t.Fatalf("%s: X is on the best chain", all[i].Spec.Name)
		}
		got, err := withdrawal(conn)
		if err != nil || got.Stage != apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PAID ||
			got.SideblockHash != w.SideblockHash || got.PayoutTxid != w.PayoutTxid {
			t.Fatalf("%s: withdrawal %v %v, want paid by %s under Y", all[i].Spec.Name, got, err,
				w.PayoutTxid)
		}
	}
	// Node a keeps the change, less the sidechain fee.
	if b := balance(aSide.Address); b.SpendableSat >= value0-amount-fee ||
		b.SpendableSat < value0-amount-fee-100_000 {
		t.Fatalf("node a's spendable sidechain coins %d after the withdrawal of %d",
			b.SpendableSat, amount+fee)
	}
	checkAudit("withdrawal paid", value0, value0, amount+fee, amount+fee)
	t.Logf("done after %v: produced %v", time.Since(start).Round(time.Millisecond), e.produced)
}

// confirmationsOf returns how many blocks of btcd's best chain confirm
// txid: 0 when none does.
func confirmationsOf(t *testing.T, net *devnet.Net, txid chainhash.Hash) uint64 {
	t.Helper()
	v, err := net.H.Client().GetRawTransactionVerbose(&txid)
	if err != nil {
		return 0
	}
	return v.Confirmations
}
