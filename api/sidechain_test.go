package api_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// sampleTx is a segwit transaction for SendRawTransaction, and
// sampleTxHex its wire encoding.
var (
	sampleTx    = newSampleTx()
	sampleTxHex = txHex(sampleTx)
)

func newSampleTx() *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{7}, Index: 3}, nil,
		[][]byte{{1, 2, 3}, {4, 5}}))
	tx.AddTxOut(wire.NewTxOut(12_345, []byte{0x51}))
	return tx
}

func txHex(tx *wire.MsgTx) string {
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		panic(err)
	}
	return hex.EncodeToString(buf.Bytes())
}

// mempoolTxID is the id of the fake backend's mempool transaction.
var mempoolTxID = func() string {
	for txid, tx := range apitest.NewBackend(0).SideTxs {
		if tx.InMempool {
			return txid.String()
		}
	}
	panic("the fake backend has no mempool transaction")
}()

func TestSidechainBlocks(t *testing.T) {
	b := apitest.NewBackend(0)
	srv := apitest.StartServer(t, b, func(cfg *api.Config) {
		cfg.MaxPageSize = 4
		cfg.DefaultPageSize = 3
	})
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()

	tip := b.SideBlocks[b.SideBest[2]]
	byHeight, err := c.sidechain.GetBlock(ctx, &apiv1.GetBlockRequest{
		Block: &apiv1.GetBlockRequest_Height{Height: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if byHeight.GetHash() != tip.Hash.String() || byHeight.GetBlockHeight() != 2 ||
		byHeight.GetLotteryHeight() != 102 || byHeight.GetPublicationHeight() != 103 ||
		byHeight.GetPublicationTxid() != tip.PubTxID.String() ||
		byHeight.GetPrevBlock() != b.SideBest[1].String() ||
		byHeight.GetStatus() != apiv1.SidechainBlockStatus_SIDECHAIN_BLOCK_STATUS_VALID ||
		!byHeight.GetPublished() || !byHeight.GetOnBestChain() || byHeight.GetNumConfirmations() != 1 ||
		!byHeight.GetHasBody() || byHeight.GetSize() != 250 || byHeight.GetRawHex() != "" {
		t.Errorf("block by height %v", byHeight)
	}
	// Display order: hash(0x42) has internal bytes 42 43 ... 61.
	if !strings.HasPrefix(byHeight.GetHash(), "61605f") {
		t.Errorf("hash %q is not in display order", byHeight.GetHash())
	}
	// The default page of three transaction ids out of five.
	if byHeight.GetTxCount() != 5 || len(byHeight.GetTxids()) != 3 ||
		byHeight.GetTxids()[0] != tip.TxIDs[0].String() {
		t.Errorf("txids %d %v", byHeight.GetTxCount(), byHeight.GetTxids())
	}

	byHash, err := c.sidechain.GetBlock(ctx, &apiv1.GetBlockRequest{
		Block:  &apiv1.GetBlockRequest_Hash{Hash: tip.Hash.String()},
		Offset: 1, Limit: 2, Reversed: true, IncludeRaw: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := byHash.GetTxids(); len(got) != 2 || got[0] != tip.TxIDs[3].String() ||
		got[1] != tip.TxIDs[2].String() {
		t.Errorf("reversed page %v", got)
	}
	if byHash.GetRawHex() != "dead02" {
		t.Errorf("raw %q", byHash.GetRawHex())
	}
	if req := b.LastBlockRequest(); req == nil || req.ByHeight || req.Hash != tip.Hash || !req.Raw {
		t.Errorf("backend got %+v", req)
	}

	// A staged body whose header is not published.
	staged, err := c.sidechain.GetBlock(ctx, &apiv1.GetBlockRequest{
		Block: &apiv1.GetBlockRequest_Hash{Hash: hashOf(0x50)}})
	if err != nil {
		t.Fatal(err)
	}
	if staged.GetStatus() != apiv1.SidechainBlockStatus_SIDECHAIN_BLOCK_STATUS_UNPUBLISHED ||
		staged.GetPublished() || staged.GetPublicationTxid() != "" || staged.GetTxCount() != 1 {
		t.Errorf("staged block %v", staged)
	}

	_, err = c.sidechain.GetBlock(ctx, &apiv1.GetBlockRequest{
		Block: &apiv1.GetBlockRequest_Height{Height: 3}})
	wantCode(t, "height above the tip", err, codes.NotFound)
	_, err = c.sidechain.GetBlock(ctx, &apiv1.GetBlockRequest{
		Block: &apiv1.GetBlockRequest_Hash{Hash: hashOf(0x99)}})
	wantCode(t, "unknown hash", err, codes.NotFound)
	_, err = c.sidechain.GetBlock(ctx, &apiv1.GetBlockRequest{
		Block: &apiv1.GetBlockRequest_Height{Height: 1}, Limit: 5})
	wantCode(t, "limit above the maximum page size", err, codes.InvalidArgument)
}

// hashOf returns the display string of the fake backend's hash(b).
func hashOf(b byte) string {
	var h chainhash.Hash
	for i := range h {
		h[i] = b + byte(i)
	}
	return h.String()
}

func TestSidechainTransactions(t *testing.T) {
	b := apitest.NewBackend(0)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.AdminCredFilename)
	ctx := context.Background()

	tip := b.SideBlocks[b.SideBest[2]]
	want := b.SideTxs[tip.TxIDs[4]]
	got, err := c.sidechain.GetTransaction(ctx, &apiv1.GetTransactionRequest{Txid: tip.TxIDs[4].String()})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetTxid() != tip.TxIDs[4].String() || got.GetRawHex() != txHex(want.Tx) ||
		!got.GetConfirmed() || got.GetInMempool() || got.GetBlockHash() != tip.Hash.String() ||
		got.GetHeight() != 2 || got.GetLotteryHeight() != 102 || got.GetTxIndex() != 4 ||
		got.GetNumConfirmations() != 1 {
		t.Errorf("confirmed transaction %v", got)
	}

	pool, err := c.sidechain.GetTransaction(ctx, &apiv1.GetTransactionRequest{Txid: mempoolTxID})
	if err != nil {
		t.Fatal(err)
	}
	if !pool.GetInMempool() || pool.GetConfirmed() || pool.GetBlockHash() != "" || pool.GetTxid() != mempoolTxID {
		t.Errorf("mempool transaction %v", pool)
	}
	_, err = c.sidechain.GetTransaction(ctx, &apiv1.GetTransactionRequest{Txid: hashOf(0x01)})
	wantCode(t, "unknown transaction", err, codes.NotFound)

	sent, err := c.sidechain.SendRawTransaction(ctx, &apiv1.SendRawTransactionRequest{RawHex: sampleTxHex})
	if err != nil {
		t.Fatal(err)
	}
	if sent.GetTxid() != sampleTx.TxHash().String() {
		t.Errorf("txid %s, want %v", sent.GetTxid(), sampleTx.TxHash())
	}
	if tx := b.LastRawTx(); tx == nil || tx.TxHash() != sampleTx.TxHash() ||
		len(tx.TxIn[0].Witness) != 2 {
		t.Errorf("backend got %v", tx)
	}
	// The backend's refusal, its code and the rule's name.
	coinbase := wire.NewMsgTx(2)
	coinbase.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: wire.MaxPrevOutIndex}, []byte{1, 2}, nil))
	coinbase.AddTxOut(wire.NewTxOut(1, []byte{0x51}))
	_, err = c.sidechain.SendRawTransaction(ctx, &apiv1.SendRawTransactionRequest{RawHex: txHex(coinbase)})
	wantCode(t, "refused transaction", err, codes.InvalidArgument)
	if reason := ruleReason(err); reason != "ErrMempoolCoinbase" {
		t.Errorf("%v: reason %q does not name the rule", err, reason)
	}

	for _, raw := range []string{"", "zz", sampleTxHex[:20], sampleTxHex + "00", sampleTxHex[:len(sampleTxHex)-1]} {
		_, err := c.sidechain.SendRawTransaction(ctx, &apiv1.SendRawTransactionRequest{RawHex: raw})
		wantCode(t, "raw_hex "+raw, err, codes.InvalidArgument)
		if msg := status.Convert(err).Message(); !strings.Contains(msg, "raw_hex") {
			t.Errorf("%q: message %q does not name the field", raw, msg)
		}
	}

	fee, err := c.sidechain.EstimateFee(ctx, &apiv1.EstimateFeeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if fee.GetFeeRateSatKb() != 1_500 || fee.GetMinFeeRateSatKb() != 1_000 || fee.GetMempoolTxs() != 1 {
		t.Errorf("fee estimate %v", fee)
	}
}

func TestSidechainAddresses(t *testing.T) {
	b := apitest.NewBackend(0)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()

	all := b.SideUtxos[apitest.SideAddress]
	list, err := c.sidechain.ListUnspent(ctx, &apiv1.ListUnspentRequest{Address: apitest.SideAddress})
	if err != nil {
		t.Fatal(err)
	}
	if list.GetTotal() != 3 || len(list.GetUtxos()) != 3 {
		t.Fatalf("unspent %v", list)
	}
	u := list.GetUtxos()[1]
	if u.GetOutpoint() != all[1].OutPoint.String() || u.GetValueSat() != 70_000 ||
		u.GetLotteryHeight() != 101 || u.GetCoinbase() || !u.GetSpendable() ||
		u.GetPkScript() != hex.EncodeToString(all[1].PkScript) {
		t.Errorf("utxo %v", u)
	}
	page, err := c.sidechain.ListUnspent(ctx, &apiv1.ListUnspentRequest{
		Address: apitest.SideAddress, Limit: 1, Reversed: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.GetUtxos()) != 1 || page.GetUtxos()[0].GetOutpoint() != all[2].OutPoint.String() ||
		page.GetUtxos()[0].GetSpendable() {
		t.Errorf("newest first %v", page)
	}

	bal, err := c.sidechain.GetAddressBalance(ctx, &apiv1.GetAddressBalanceRequest{Address: apitest.SideAddress})
	if err != nil {
		t.Fatal(err)
	}
	if bal.GetAddress() != apitest.SideAddress || bal.GetTotalSat() != 10_000_070_000 ||
		bal.GetSpendableSat() != 5_000_070_000 || bal.GetImmatureSat() != 5_000_000_000 ||
		bal.GetUtxoCount() != 3 || bal.GetSpendHeight() != 103 {
		t.Errorf("balance %v", bal)
	}
	empty, err := c.sidechain.GetAddressBalance(ctx, &apiv1.GetAddressBalanceRequest{Address: apitest.OtherSideAddress})
	if err != nil || empty.GetTotalSat() != 0 || empty.GetUtxoCount() != 0 {
		t.Errorf("balance of an unused address %v, %v", empty, err)
	}

	for _, addr := range []string{"", "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"} {
		_, err := c.sidechain.ListUnspent(ctx, &apiv1.ListUnspentRequest{Address: addr})
		wantCode(t, "ListUnspent "+addr, err, codes.InvalidArgument)
		_, err = c.sidechain.GetAddressBalance(ctx, &apiv1.GetAddressBalanceRequest{Address: addr})
		wantCode(t, "GetAddressBalance "+addr, err, codes.InvalidArgument)
	}
}

func TestSideWallet(t *testing.T) {
	b := apitest.NewBackend(0)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.AdminCredFilename)
	ctx := context.Background()

	addr, err := c.wallet.GetSideAddress(ctx, &apiv1.GetSideAddressRequest{})
	if err != nil || addr.GetAddress() != apitest.SideAddress {
		t.Fatalf("side address %v, %v", addr, err)
	}
	bal, err := c.wallet.GetSideBalance(ctx, &apiv1.GetSideBalanceRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if bal.GetAddress() != apitest.SideAddress || bal.GetSpendableSat() != 5_000_020_000 ||
		bal.GetPendingSat() != 50_000 || bal.GetImmatureSat() != 5_000_000_000 ||
		bal.GetTotalSat() != bal.GetSpendableSat()+bal.GetImmatureSat()+bal.GetPendingSat() {
		t.Errorf("side balance %v", bal)
	}

	sent, err := c.wallet.SendSide(ctx, &apiv1.SendSideRequest{
		ToAddress: apitest.OtherSideAddress, AmountSat: 70_000, FeeRateSatKb: 2_000})
	if err != nil {
		t.Fatal(err)
	}
	if sent.GetTxid() != b.SendSideTxID.String() {
		t.Errorf("txid %s", sent.GetTxid())
	}
	if got := b.LastSend(); got == nil || *got != (apitest.SideSend{
		To: apitest.OtherSideAddress, Amount: 70_000, FeeRate: 2_000}) {
		t.Errorf("backend got %+v", got)
	}

	for _, req := range []*apiv1.SendSideRequest{
		{AmountSat: 1},
		{ToAddress: apitest.OtherSideAddress},
		{ToAddress: apitest.OtherSideAddress, AmountSat: -1},
		{ToAddress: apitest.OtherSideAddress, AmountSat: 21e14 + 1},
		{ToAddress: apitest.OtherSideAddress, AmountSat: 1, FeeRateSatKb: -1},
		{ToAddress: "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", AmountSat: 1},
	} {
		_, err := c.wallet.SendSide(ctx, req)
		wantCode(t, req.String(), err, codes.InvalidArgument)
	}
	_, err = c.wallet.SendSide(ctx, &apiv1.SendSideRequest{
		ToAddress: apitest.OtherSideAddress, AmountSat: 6e9})
	wantCode(t, "more than the spendable balance", err, codes.FailedPrecondition)
}

func TestSidechainInvalidArguments(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(0), nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()
	for _, req := range []*apiv1.GetBlockRequest{
		{},
		{Block: &apiv1.GetBlockRequest_Hash{Hash: ""}},
		{Block: &apiv1.GetBlockRequest_Hash{Hash: "abcd"}},
		{Block: &apiv1.GetBlockRequest_Hash{Hash: "zz" + hashOf(0x40)[2:]}},
		{Block: &apiv1.GetBlockRequest_Height{Height: 1 << 31}},
	} {
		_, err := c.sidechain.GetBlock(ctx, req)
		wantCode(t, req.String(), err, codes.InvalidArgument)
	}
	for _, txid := range []string{"", "00", hashOf(0x40) + "00"} {
		_, err := c.sidechain.GetTransaction(ctx, &apiv1.GetTransactionRequest{Txid: txid})
		wantCode(t, "txid "+txid, err, codes.InvalidArgument)
	}
}

func TestSidechainBackendErrors(t *testing.T) {
	b := apitest.NewBackend(0)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.AdminCredFilename)
	ctx := context.Background()
	for _, tc := range []struct {
		err         error
		want        codes.Code
		msg, reason string
	}{
		{api.Errorf(api.ErrFailedPrecondition, "ErrMissingTxOut: spent"), codes.FailedPrecondition, "spent", "ErrMissingTxOut"},
		{api.Errorf(api.ErrInvalidArgument, "ErrMempoolLowFee: pays 10 sat/kB"), codes.InvalidArgument, "pays 10 sat/kB", "ErrMempoolLowFee"},
		{api.Errorf(api.ErrUnavailable, "no peers"), codes.Unavailable, "no peers", ""},
		{errors.New("store closed"), codes.Internal, "store closed", ""},
	} {
		b.SetSidechainErr(tc.err)
		_, err := c.sidechain.SendRawTransaction(ctx, &apiv1.SendRawTransactionRequest{RawHex: sampleTxHex})
		wantCode(t, tc.err.Error(), err, tc.want)
		if msg := status.Convert(err).Message(); msg != tc.msg || ruleReason(err) != tc.reason {
			t.Errorf("%v: message %q, reason %q", tc.err, msg, ruleReason(err))
		}
		_, err = c.sidechain.EstimateFee(ctx, &apiv1.EstimateFeeRequest{})
		wantCode(t, tc.err.Error(), err, tc.want)
	}
}

// TestAddressHistory: GetAddressHistory answers the backend's history of
// the address asked for, in the window and page asked for, and refuses a
// bad address or a window above the maximum; over REST too.
func TestAddressHistory(t *testing.T) {
	b := apitest.NewBackend(0)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()

	h, err := c.sidechain.GetAddressHistory(ctx, &apiv1.GetAddressHistoryRequest{Address: apitest.SideAddress})
	if err != nil {
		t.Fatal(err)
	}
	txs := h.GetTransactions()
	if h.GetAddress() != apitest.SideAddress || h.GetTotal() != 2 || len(txs) != 2 ||
		h.GetFromHeight() != 0 || h.GetToHeight() != 2 {
		t.Fatalf("history %v", h)
	}
	if spend := txs[1]; spend.GetHeight() != 2 || spend.GetConfirmations() != 1 ||
		spend.GetReceivedSat() != 1_000 || spend.GetSentSat() != 5_000_000_000 ||
		spend.GetNetSat() != 1_000-5_000_000_000 || spend.GetCoinbase() {
		t.Errorf("spend %v", spend)
	}
	if !txs[0].GetCoinbase() || txs[0].GetNetSat() != 5_000_000_000 {
		t.Errorf("coinbase %v", txs[0])
	}
	// The newest first, one a page; and a window of one block.
	page, err := c.sidechain.GetAddressHistory(ctx, &apiv1.GetAddressHistoryRequest{
		Address: apitest.SideAddress, Limit: 1, Reversed: true})
	if err != nil || len(page.GetTransactions()) != 1 || page.GetTransactions()[0].GetHeight() != 2 || page.GetTotal() != 2 {
		t.Errorf("newest first %v %v", page, err)
	}
	one, err := c.sidechain.GetAddressHistory(ctx, &apiv1.GetAddressHistoryRequest{
		Address: apitest.SideAddress, Blocks: 1})
	if err != nil || one.GetTotal() != 1 || one.GetFromHeight() != 2 {
		t.Errorf("window of one block %v %v", one, err)
	}
	other, err := c.sidechain.GetAddressHistory(ctx, &apiv1.GetAddressHistoryRequest{Address: apitest.OtherSideAddress})
	if err != nil || other.GetAddress() != apitest.OtherSideAddress || other.GetTotal() != 1 ||
		other.GetTransactions()[0].GetSentSat() != 0 {
		t.Errorf("history of the payee %v %v", other, err)
	}

	for _, req := range []*apiv1.GetAddressHistoryRequest{
		{Address: ""},
		{Address: "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"},
		{Address: apitest.SideAddress, Blocks: 10_001},
		{Address: apitest.SideAddress, Blocks: -1},
	} {
		_, err := c.sidechain.GetAddressHistory(ctx, req)
		wantCode(t, "GetAddressHistory "+req.String(), err, codes.InvalidArgument)
	}

	client := restClient(t, srv)
	cred := credential(t, srv, api.ReadOnlyCredFilename)
	status, body := restDo(t, client, srv, cred, restCall{verb: "GET",
		path: "/v1/sideaddresses/" + apitest.SideAddress + "/history?blocks=1"})
	var rest apiv1.GetAddressHistoryResponse
	if status != http.StatusOK || protojson.Unmarshal(body, &rest) != nil || rest.GetTotal() != 1 ||
		rest.GetTransactions()[0].GetTxid() != txs[1].GetTxid() {
		t.Errorf("GET history: %d %s", status, body)
	}
	status, body = restDo(t, client, srv, cred, restCall{verb: "GET",
		path: "/v1/sideaddresses/" + apitest.SideAddress + "/history?blocks=20000"})
	wantREST(t, "history above the maximum window", status, body, http.StatusBadRequest, codes.InvalidArgument)
	if _, msg := restError(t, body); !strings.Contains(msg, "blocks 20000") {
		t.Errorf("message %q does not name blocks", msg)
	}
}
