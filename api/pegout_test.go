package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/wire"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

func TestPegOut(t *testing.T) {
	b := apitest.NewBackend(3)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.AdminCredFilename)
	ctx := context.Background()

	resp, err := c.wallet.PegOut(ctx, &apiv1.PegOutRequest{AmountSat: 250_000,
		DestinationAddress: apitest.MainAddress, FeeSat: 2_000, FeeRateSatKb: 1_500})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetTxid()) != 64 || resp.GetVout() != 0 || resp.GetBurnedSat() != 252_000 {
		t.Errorf("peg-out %v", resp)
	}
	want := api.PegOutRequest{Amount: 250_000, Destination: apitest.MainAddress, Fee: 2_000,
		FeeRate: 1_500}
	if got := b.LastPegOut(); got == nil || *got != want {
		t.Errorf("backend got %+v, want %+v", got, want)
	}
	// The default fee budget is the backend's.
	resp, err = c.wallet.PegOut(ctx, &apiv1.PegOutRequest{AmountSat: 250_000,
		DestinationAddress: apitest.MainAddress})
	if err != nil || resp.GetBurnedSat() != 255_000 || b.LastPegOut().Fee != 0 {
		t.Errorf("default fee budget: %v %v", resp, err)
	}

	for _, req := range []*apiv1.PegOutRequest{
		{AmountSat: 0, DestinationAddress: apitest.MainAddress},
		{AmountSat: -1, DestinationAddress: apitest.MainAddress},
		{AmountSat: 21e14 + 1, DestinationAddress: apitest.MainAddress},
		{AmountSat: 21e14, DestinationAddress: apitest.MainAddress, FeeSat: 1},
		{AmountSat: 100_000, DestinationAddress: apitest.MainAddress, FeeSat: -1},
		{AmountSat: 100_000, DestinationAddress: apitest.MainAddress, FeeSat: 21e14 + 1},
		{AmountSat: 100_000, DestinationAddress: apitest.MainAddress, FeeRateSatKb: -1},
		{AmountSat: 100_000},
		{AmountSat: 100_000, DestinationAddress: apitest.SideAddress},              // a sidechain address: the backend
		{AmountSat: 100_000, DestinationAddress: "bc1qnotanaddress"},               // the backend
		{AmountSat: 545, DestinationAddress: apitest.MainAddress},                  // below dust: the backend
		{AmountSat: 100_000, DestinationAddress: apitest.MainAddress, FeeSat: 999}, // the backend
	} {
		_, err := c.wallet.PegOut(ctx, req)
		wantCode(t, "PegOut "+req.String(), err, codes.InvalidArgument)
	}

	b.SetWalletErr(api.Errorf(api.ErrNoWallet, "no wallet"))
	_, err = c.wallet.PegOut(ctx, &apiv1.PegOutRequest{AmountSat: 100_000,
		DestinationAddress: apitest.MainAddress})
	wantCode(t, "PegOut without a wallet", err, codes.FailedPrecondition)
	b.SetWalletErr(nil)

	ro := dial(t, srv, api.ReadOnlyCredFilename)
	_, err = ro.wallet.PegOut(ctx, &apiv1.PegOutRequest{AmountSat: 100_000,
		DestinationAddress: apitest.MainAddress})
	wantCode(t, "PegOut with the read-only credential", err, codes.PermissionDenied)
}

func TestGetWithdrawal(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()
	get := func(s string) (*apiv1.GetWithdrawalResponse, error) {
		return c.peg.GetWithdrawal(ctx, &apiv1.GetWithdrawalRequest{Outpoint: s})
	}

	pending := apitest.WithdrawalTxID(0).String()
	w, err := get(pending)
	if err != nil {
		t.Fatal(err)
	}
	if w.GetStage() != apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PENDING || w.GetOutpoint() != pending+":0" ||
		w.GetAmountSat() != apitest.PayoutAmount || w.GetValueSat() != apitest.PayoutAmount+5_000 ||
		w.GetFeeSat() != 5_000 || w.GetDestinationAddress() != apitest.MainAddress ||
		!strings.HasPrefix(w.GetDestinationScript(), "0014") || w.GetSideblockHash() != "" ||
		w.GetProof() != nil || w.GetRequiredSideDepth() != 2 || w.GetRequiredConfirmations() != 2 {
		t.Errorf("pending withdrawal %v", w)
	}

	// Included: by its txid, the first withdrawal output (1), and by
	// outpoint.
	included := apitest.WithdrawalTxID(1).String()
	for _, s := range []string{included, included + ":1"} {
		w, err = get(s)
		if err != nil {
			t.Fatal(err)
		}
		p := w.GetProof()
		if w.GetStage() != apiv1.WithdrawalStage_WITHDRAWAL_STAGE_INCLUDED || w.GetOutpoint() != included+":1" ||
			len(w.GetSideblockHash()) != 64 || w.GetSideBlockHeight() != 2 || w.GetSideBlockDepth() != 1 ||
			w.GetPublicationHeight() != 103 || w.GetPublicationConfirmations() != 1 ||
			w.GetIndex() != 0 || w.GetCount() != 2 || p == nil || len(p.GetBranch()) != 1 ||
			len(p.GetBranch()[0]) != 64 || len(p.GetTxRoot()) != 64 || len(p.GetMerkleRoot()) != 64 ||
			w.GetPayoutTxid() != "" {
			t.Errorf("included withdrawal %s: %v", s, w)
		}
	}
	// Branch hashes are in internal order, the roots in display order:
	// the fake's hash(0x31) starts 31 32, hash(0x32) ends 33 32.
	if !strings.HasPrefix(w.GetProof().GetBranch()[0], "3132") ||
		!strings.HasSuffix(w.GetProof().GetTxRoot(), "3332") {
		t.Errorf("proof byte order %v", w.GetProof())
	}

	paid := apitest.WithdrawalTxID(2).String()
	w, err = get(paid + ":0")
	if err != nil || w.GetStage() != apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PAID ||
		w.GetPayoutTxid() != apitest.PayoutTxID(0).String() || w.GetPayoutHeight() != 104 ||
		w.GetPayoutConfirmations() != 1 || len(w.GetProof().GetBranch()) != 0 || w.GetCount() != 1 {
		t.Errorf("paid withdrawal %v %v", w, err)
	}

	for _, s := range []string{included + ":0", strings.Repeat("00", 32), strings.Repeat("00", 32) + ":3"} {
		_, err := get(s)
		wantCode(t, "GetWithdrawal "+s, err, codes.NotFound)
	}
	for _, s := range []string{"", "zz" + paid[2:], paid[2:], paid + ":", paid + ":x",
		paid + ":4294967296", "zz" + paid[2:] + ":0", ":0"} {
		_, err := get(s)
		wantCode(t, "GetWithdrawal "+s, err, codes.InvalidArgument)
	}
	_, err = get("zz" + paid[2:])
	if !strings.Contains(status.Convert(err).Message(), "not hex") {
		t.Errorf("malformed hex: %v", err)
	}
}

func TestVerifyPayout(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()
	verify := func(req *apiv1.VerifyPayoutRequest) (*apiv1.VerifyPayoutResponse, error) {
		return c.peg.VerifyPayout(ctx, req)
	}

	good := apitest.PayoutTxID(0).String()
	v, err := verify(&apiv1.VerifyPayoutRequest{Txid: good})
	if err != nil {
		t.Fatal(err)
	}
	ws := v.GetWithdrawals()
	if !v.GetValid() || v.GetReason() != "" || v.GetCode() != "" || v.GetTxid() != good ||
		len(v.GetSideblockHash()) != 64 || !v.GetSeen() || v.GetPayoutHeight() != 104 ||
		v.GetPayoutConfirmations() != 1 || !v.GetSideblockOnBestChain() || len(ws) != 1 ||
		ws[0].GetAmountSat() != apitest.PayoutAmount || ws[0].GetDestinationAddress() != apitest.MainAddress ||
		ws[0].GetOutpoint() != apitest.WithdrawalTxID(2).String()+":0" {
		t.Errorf("valid payout %v", v)
	}

	// A bad payout is an answer, not an error.
	v, err = verify(&apiv1.VerifyPayoutRequest{Txid: apitest.PayoutTxID(1).String()})
	if err != nil || v.GetValid() || v.GetCode() != "ErrWrongAmount" ||
		!strings.HasPrefix(v.GetReason(), "ErrWrongAmount: output 1 pays") {
		t.Errorf("bad payout %v %v", v, err)
	}

	// A raw transaction the node has not seen, with or without its txid.
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 3}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(0, []byte{0x6a}))
	tx.AddTxOut(wire.NewTxOut(apitest.PayoutAmount, []byte{0x51}))
	raw := txHex(tx)
	for _, req := range []*apiv1.VerifyPayoutRequest{
		{RawTxHex: raw},
		{RawTxHex: raw, Txid: tx.TxHash().String()},
	} {
		v, err = verify(req)
		if err != nil || !v.GetValid() || v.GetSeen() || v.GetTxid() != tx.TxHash().String() {
			t.Errorf("raw payout %v: %v %v", req, v, err)
		}
	}
	tx.TxOut[1].Value--
	v, err = verify(&apiv1.VerifyPayoutRequest{RawTxHex: txHex(tx)})
	if err != nil || v.GetValid() || v.GetCode() != "ErrWrongAmount" {
		t.Errorf("bad raw payout %v %v", v, err)
	}

	_, err = verify(&apiv1.VerifyPayoutRequest{Txid: strings.Repeat("00", 32)})
	wantCode(t, "unknown payout", err, codes.NotFound)
	for _, req := range []*apiv1.VerifyPayoutRequest{
		{},
		{Txid: "zz" + good[2:]},
		{Txid: good[2:]},
		{Txid: good + ":0"},
		{RawTxHex: "zz"},
		{RawTxHex: raw[:len(raw)-2]},
		{RawTxHex: raw + "00"},
		{RawTxHex: raw, Txid: good},
		{RawTxHex: raw, Txid: "zz"},
	} {
		_, err := verify(req)
		wantCode(t, "VerifyPayout "+req.String(), err, codes.InvalidArgument)
	}
}

// TestWithdrawalREST reads a withdrawal and checks payouts through the
// REST gateway, and withdraws with a POST.
func TestWithdrawalREST(t *testing.T) {
	b := apitest.NewBackend(3)
	srv := apitest.StartServer(t, b, nil)
	client := restClient(t, srv)
	ro := credential(t, srv, api.ReadOnlyCredFilename)
	admin := credential(t, srv, api.AdminCredFilename)

	op := apitest.WithdrawalTxID(1).String() + ":1"
	code, body := restDo(t, client, srv, ro, restCall{verb: "GET", path: "/v1/peg/withdrawals/" + op})
	var w map[string]any
	if code != http.StatusOK || json.Unmarshal(body, &w) != nil || w["outpoint"] != op ||
		w["stage"] != "WITHDRAWAL_STAGE_INCLUDED" || w["amount_sat"] != "49995000" ||
		w["sideblock_height"] != "2" {
		t.Errorf("GET /v1/peg/withdrawals/%s: HTTP %d %s", op, code, body)
	}
	code, body = restDo(t, client, srv, ro, restCall{verb: "GET",
		path: "/v1/peg/verifypayout?txid=" + apitest.PayoutTxID(1).String()})
	var v map[string]any
	if code != http.StatusOK || json.Unmarshal(body, &v) != nil || v["valid"] == true ||
		v["code"] != "ErrWrongAmount" {
		t.Errorf("GET /v1/peg/verifypayout: HTTP %d %s", code, body)
	}
	code, body = restDo(t, client, srv, admin, restCall{verb: "POST", path: "/v1/wallet/pegout",
		body: `{"destination_address": "` + apitest.MainAddress + `", "amount_sat": "70000", "fee_rate_sat_kb": "2000"}`})
	var out map[string]any
	if code != http.StatusOK || json.Unmarshal(body, &out) != nil || out["burned_sat"] != "75000" {
		t.Errorf("POST /v1/wallet/pegout: HTTP %d %s", code, body)
	}
	want := api.PegOutRequest{Amount: 70_000, Destination: apitest.MainAddress, FeeRate: 2_000}
	if got := b.LastPegOut(); got == nil || *got != want {
		t.Errorf("backend got %+v, want %+v", got, want)
	}

	for _, path := range []string{"/v1/peg/withdrawals/xyz", "/v1/peg/payouts/xyz",
		"/v1/peg/verifypayout", "/v1/peg/verifypayout?raw_tx_hex=zz"} {
		code, body = restDo(t, client, srv, ro, restCall{verb: "GET", path: path})
		wantREST(t, "GET "+path, code, body, http.StatusBadRequest, codes.InvalidArgument)
	}
	code, body = restDo(t, client, srv, ro, restCall{verb: "GET",
		path: "/v1/peg/withdrawals/" + strings.Repeat("00", 32)})
	wantREST(t, "unknown withdrawal", code, body, http.StatusNotFound, codes.NotFound)
}
