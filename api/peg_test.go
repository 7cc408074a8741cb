package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

func TestPegInfo(t *testing.T) {
	b := apitest.NewBackend(3)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()

	info, err := c.peg.GetPegInfo(ctx, &apiv1.GetPegInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	fed := info.GetFederation()
	if info.GetTipHeight() != 11 || info.GetNextEpochHeight() != 50 || fed == nil ||
		fed.GetThreshold() != 1 || len(fed.GetPubkeys()) != 1 || len(fed.GetPubkeys()[0]) != 66 ||
		!strings.HasPrefix(fed.GetAddress(), "bcrt1q") || !strings.HasSuffix(fed.GetWitnessScript(), "51ae") {
		t.Errorf("peg info %v", info)
	}
	if info.GetPreviousFederation() != nil || info.GetGraceEndHeight() != 0 {
		t.Errorf("previous federation %v until %d, want none", info.GetPreviousFederation(),
			info.GetGraceEndHeight())
	}
	if info.GetDepositCount() != 3 || info.GetMaturedDepositCount() != 2 ||
		info.GetPegboxBalanceSat() != 3_000_000 || info.GetDepositConfirmations() != 2 ||
		info.GetDustLimitSat() != 546 {
		t.Errorf("peg info counts %v", info)
	}

	b.SetNoFederation(true)
	_, err = c.peg.GetPegInfo(ctx, &apiv1.GetPegInfoRequest{})
	wantCode(t, "GetPegInfo without a federation", err, codes.FailedPrecondition)
	if !strings.Contains(status.Convert(err).Message(), "no federation yet") {
		t.Errorf("message %q", status.Convert(err).Message())
	}
}

func TestListDeposits(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), func(cfg *api.Config) {
		cfg.MaxPageSize = 2
		cfg.DefaultPageSize = 2
	})
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()

	page, err := c.peg.ListDeposits(ctx, &apiv1.ListDepositsRequest{Reversed: true})
	if err != nil {
		t.Fatal(err)
	}
	ds := page.GetDeposits()
	if page.GetTotal() != 3 || len(ds) != 2 || ds[0].GetSeq() != 2 || ds[1].GetSeq() != 1 {
		t.Fatalf("reversed page %v", page)
	}
	d := ds[0]
	// Display order: the fake's hash(0xd2) has internal bytes d2 d3 ...,
	// so its display string ends with d2.
	if !strings.HasSuffix(d.GetTxid(), "d3d2") || d.GetOutpoint() != d.GetTxid()+":0" ||
		d.GetStatus() != apiv1.DepositStatus_DEPOSIT_STATUS_CONFIRMING ||
		d.GetSideAddress() != apitest.SideAddress || d.GetSideScript()[:4] != "0014" ||
		d.GetConfirmations() != 1 || d.GetMatureHeight() != 12 || d.GetPegboxAddress() == "" {
		t.Errorf("deposit %v", d)
	}
	if ds[1].GetStatus() != apiv1.DepositStatus_DEPOSIT_STATUS_MATURED {
		t.Errorf("deposit 1 status %v", ds[1].GetStatus())
	}
	page, err = c.peg.ListDeposits(ctx, &apiv1.ListDepositsRequest{Offset: 2})
	if err != nil || len(page.GetDeposits()) != 1 || page.GetDeposits()[0].GetSeq() != 2 {
		t.Errorf("offset 2: %v %v", page, err)
	}
	page, err = c.peg.ListDeposits(ctx, &apiv1.ListDepositsRequest{Offset: 1 << 62, Limit: 2})
	if err != nil || len(page.GetDeposits()) != 0 || page.GetTotal() != 3 {
		t.Errorf("offset past the end: %v %v", page, err)
	}
	_, err = c.peg.ListDeposits(ctx, &apiv1.ListDepositsRequest{Limit: 3})
	wantCode(t, "ListDeposits above the maximum page size", err, codes.InvalidArgument)
	_, err = c.peg.ListDeposits(ctx, &apiv1.ListDepositsRequest{Limit: 1 << 31})
	wantCode(t, "ListDeposits with a huge limit", err, codes.InvalidArgument)

	refused, err := c.peg.ListRefusedDeposits(ctx, &apiv1.ListRefusedDepositsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	rs := refused.GetRefused()
	if refused.GetTotal() != 2 || len(rs) != 2 {
		t.Fatalf("refused %v", refused)
	}
	if rs[0].GetReason() != "ErrDepositDust" || rs[0].GetOutpoint() != rs[0].GetTxid()+":1" ||
		rs[0].GetValueSat() != 300 || rs[0].GetMessage() == "" || rs[0].GetAddress() == "" {
		t.Errorf("dust refusal %v", rs[0])
	}
	if outs := rs[0].GetPegboxOutputs(); len(outs) != 1 || outs[0].GetOutpoint() != rs[0].GetOutpoint() ||
		outs[0].GetValueSat() != 300 || outs[0].GetAddress() != rs[0].GetAddress() ||
		len(rs[1].GetPegboxOutputs()) != 0 {
		t.Errorf("pegbox outputs of the refusals %v", rs)
	}
	// A refusal that names no output has no outpoint, value or scripts.
	if rs[1].GetReason() != "ErrBadDepositVout" || rs[1].GetOutpoint() != "" ||
		rs[1].GetSideScript() != "" || rs[1].GetTxid() == "" || rs[1].GetHeight() != 11 {
		t.Errorf("vout refusal %v", rs[1])
	}
	_, err = c.peg.ListRefusedDeposits(ctx, &apiv1.ListRefusedDepositsRequest{Limit: 1000})
	wantCode(t, "ListRefusedDeposits above the maximum page size", err, codes.InvalidArgument)
}

func TestGetDeposit(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()
	get := func(req *apiv1.GetDepositRequest) (*apiv1.GetDepositResponse, error) {
		return c.peg.GetDeposit(ctx, req)
	}
	byTxid := func(s string) *apiv1.GetDepositRequest {
		return &apiv1.GetDepositRequest{Deposit: &apiv1.GetDepositRequest_Txid{Txid: s}}
	}
	byOutpoint := func(s string) *apiv1.GetDepositRequest {
		return &apiv1.GetDepositRequest{Deposit: &apiv1.GetDepositRequest_Outpoint{Outpoint: s}}
	}

	d1 := apitest.DepositTxID(1).String()
	resp, err := get(byTxid(d1))
	if err != nil {
		t.Fatal(err)
	}
	if a := resp.GetAccepted(); a == nil || a.GetSeq() != 1 || a.GetTxid() != d1 || resp.GetRefused() != nil {
		t.Errorf("by txid: %v", resp)
	}
	resp, err = get(byOutpoint(d1 + ":0"))
	if err != nil || resp.GetAccepted().GetSeq() != 1 {
		t.Errorf("by outpoint: %v %v", resp, err)
	}
	_, err = get(byOutpoint(d1 + ":1"))
	wantCode(t, "another output of a deposit", err, codes.NotFound)
	resp, err = get(byTxid(apitest.DepositTxID(0).String()))
	if err != nil || resp.GetAccepted().GetStatus() != apiv1.DepositStatus_DEPOSIT_STATUS_MINTED {
		t.Errorf("minted deposit: %v %v", resp, err)
	}

	r1 := apitest.RefusedTxID(1).String()
	resp, err = get(byTxid(r1))
	if err != nil || resp.GetRefused().GetReason() != "ErrBadDepositVout" || resp.GetAccepted() != nil {
		t.Errorf("refused by txid: %v %v", resp, err)
	}
	resp, err = get(byOutpoint(apitest.RefusedTxID(0).String() + ":1"))
	if err != nil || resp.GetRefused().GetReason() != "ErrDepositDust" {
		t.Errorf("refused by outpoint: %v %v", resp, err)
	}

	_, err = get(byTxid(strings.Repeat("00", 32)))
	wantCode(t, "unknown txid", err, codes.NotFound)
	for _, req := range []*apiv1.GetDepositRequest{
		{},
		byTxid(""),
		byTxid("zz" + d1[2:]),
		byTxid(d1[2:]),
		byTxid(d1 + ":0"),
		byOutpoint(d1),
		byOutpoint(d1 + ":x"),
		byOutpoint(d1 + ":4294967296"),
		byOutpoint("zz" + d1[2:] + ":0"),
	} {
		_, err := get(req)
		wantCode(t, "GetDeposit "+req.String(), err, codes.InvalidArgument)
	}
	_, err = get(byTxid("zz" + d1[2:]))
	if !strings.Contains(status.Convert(err).Message(), "not hex") {
		t.Errorf("malformed hex: %v", err)
	}
}

func TestPegIn(t *testing.T) {
	b := apitest.NewBackend(3)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.AdminCredFilename)
	ctx := context.Background()

	resp, err := c.wallet.PegIn(ctx, &apiv1.PegInRequest{AmountSat: 250_000,
		SideAddress: apitest.OtherSideAddress, FeeRateSatVb: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetTxid()) != 64 || resp.GetDepositOutpoint() != resp.GetTxid()+":0" ||
		resp.GetPsbt() != "" || resp.GetPegboxAddress() == "" || resp.GetAcceptedUntilHeight() != 59 {
		t.Errorf("funded peg-in %v", resp)
	}
	want := api.PegInRequest{Amount: 250_000, SideAddress: apitest.OtherSideAddress, FeeRate: 3}
	if got := b.LastPegIn(); got == nil || *got != want {
		t.Errorf("backend got %+v, want %+v", got, want)
	}

	// The PSBT needs no wallet.
	b.SetWalletErr(api.Errorf(api.ErrNoWallet, "no wallet"))
	resp, err = c.wallet.PegIn(ctx, &apiv1.PegInRequest{AmountSat: 250_000,
		SideAddress: apitest.SideAddress, PsbtOnly: true})
	if err != nil || resp.GetPsbt() == "" || resp.GetTxid() != "" || resp.GetDepositOutpoint() != "" {
		t.Errorf("PSBT peg-in: %v %v", resp, err)
	}
	_, err = c.wallet.PegIn(ctx, &apiv1.PegInRequest{AmountSat: 250_000,
		SideAddress: apitest.SideAddress})
	wantCode(t, "funded peg-in without a wallet", err, codes.FailedPrecondition)
	b.SetWalletErr(nil)

	for _, req := range []*apiv1.PegInRequest{
		{AmountSat: 0, SideAddress: apitest.SideAddress},
		{AmountSat: -1, SideAddress: apitest.SideAddress},
		{AmountSat: 21e14 + 1, SideAddress: apitest.SideAddress},
		{AmountSat: 545, SideAddress: apitest.SideAddress}, // below dust: the backend
		{AmountSat: 100_000},
		{AmountSat: 100_000, SideAddress: "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"},
		{AmountSat: 100_000, SideAddress: apitest.SideAddress, FeeRateSatVb: -1},
	} {
		_, err := c.wallet.PegIn(ctx, req)
		wantCode(t, "PegIn "+req.String(), err, codes.InvalidArgument)
	}

	b.SetNoFederation(true)
	_, err = c.wallet.PegIn(ctx, &apiv1.PegInRequest{AmountSat: 100_000,
		SideAddress: apitest.SideAddress, PsbtOnly: true})
	wantCode(t, "PegIn without a federation", err, codes.FailedPrecondition)

	ro := dial(t, srv, api.ReadOnlyCredFilename)
	_, err = ro.wallet.PegIn(ctx, &apiv1.PegInRequest{AmountSat: 100_000,
		SideAddress: apitest.SideAddress, PsbtOnly: true})
	wantCode(t, "PegIn with the read-only credential", err, codes.PermissionDenied)
}

// TestPegREST reads the pegbox through the REST gateway: proto field
// names, 64-bit integers as strings, the status enum by name, and an
// outpoint with its colon in the path.
func TestPegREST(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	client := restClient(t, srv)
	ro := credential(t, srv, api.ReadOnlyCredFilename)

	code, body := restDo(t, client, srv, ro, restCall{verb: "GET",
		path: "/v1/peg/deposits?limit=1&offset=1"})
	if code != http.StatusOK {
		t.Fatalf("HTTP %d %s", code, body)
	}
	var page struct {
		Deposits []map[string]any `json:"deposits"`
		Total    string           `json:"total"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	if page.Total != "3" || len(page.Deposits) != 1 || page.Deposits[0]["seq"] != "1" ||
		page.Deposits[0]["status"] != "DEPOSIT_STATUS_MATURED" || page.Deposits[0]["value_sat"] != "1000000" {
		t.Errorf("page %s", body)
	}

	op := apitest.RefusedTxID(0).String() + ":1"
	code, body = restDo(t, client, srv, ro, restCall{verb: "GET", path: "/v1/peg/outpoints/" + op})
	var got struct {
		Refused map[string]any `json:"refused"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &got) != nil || got.Refused["outpoint"] != op {
		t.Errorf("GET /v1/peg/outpoints/%s: HTTP %d %s", op, code, body)
	}
	if outs, _ := got.Refused["pegbox_outputs"].([]any); len(outs) != 1 ||
		outs[0].(map[string]any)["outpoint"] != op || outs[0].(map[string]any)["value_sat"] != "300" {
		t.Errorf("GET /v1/peg/outpoints/%s: pegbox outputs in %s", op, body)
	}
	code, body = restDo(t, client, srv, ro, restCall{verb: "GET", path: "/v1/peg/deposits/xyz"})
	wantREST(t, "GET /v1/peg/deposits/xyz", code, body, http.StatusBadRequest, codes.InvalidArgument)
	code, body = restDo(t, client, srv, ro, restCall{verb: "GET", path: "/v1/peg/refused?limit=5000"})
	wantREST(t, "GET /v1/peg/refused?limit=5000", code, body, http.StatusBadRequest, codes.InvalidArgument)
	code, body = restDo(t, client, srv, ro, restCall{verb: "GET", path: "/v1/peg/deposits?limt=5"})
	wantREST(t, "GET /v1/peg/deposits?limt=5", code, body, http.StatusBadRequest, codes.InvalidArgument)
}

// TestPegAuditDerived checks the audit's identity: the pegbox holds the
// pegged coins, pending mints, unpaid withdrawals and unbacked coins, less
// the fees it paid itself, each kind of which must not be negative.
func TestPegAuditDerived(t *testing.T) {
	base := api.PegAudit{Accepted: 1000, Unbacked: 50, Minted: 900, Burned: 300, Paid: 200,
		Outflow: 230, RotationFees: 10, SideSubsidy: 5000, SideUtxoValue: 5590}
	// Pegged 600 + pending 100 + unpaid 100 + unbacked 50 − fees 30; the
	// sidechain holds its subsidy and the pegged coins, less 10 burned.
	base.PegboxBalance = 820
	pegged, pending, unpaid, fees, bumps, destroyed, ok := base.Derived()
	if !ok || pegged != 600 || pending != 100 || unpaid != 100 || fees != 30 || bumps != 20 ||
		destroyed != 10 {
		t.Fatalf("derived %d %d %d %d %d %d %v", pegged, pending, unpaid, fees, bumps, destroyed, ok)
	}
	// An unexplained spend is no bump fee.
	hidden := base
	hidden.Outflow += 44_000
	hidden.Unexplained = 44_000
	hidden.PegboxBalance -= 44_000
	if _, _, _, fees, bumps, _, _ := hidden.Derived(); fees != 30 || bumps != 20 {
		t.Fatalf("an unexplained spend counted as fees %d, bumps %d", fees, bumps)
	}
	for name, mod := range map[string]func(*api.PegAudit){
		"a satoshi short":       func(a *api.PegAudit) { a.PegboxBalance-- },
		"a satoshi over":        func(a *api.PegAudit) { a.PegboxBalance++ },
		"rotation fees too big": func(a *api.PegAudit) { a.RotationFees = 31 },
		"negative rotation fees": func(a *api.PegAudit) {
			a.RotationFees = -1
		},
		"minted more than accepted": func(a *api.PegAudit) {
			a.Minted, a.Accepted, a.PegboxBalance = 1100, 1000, 820
		},
		"sidechain coins from nowhere": func(a *api.PegAudit) { a.SideUtxoValue = 5601 },
		"paid more than burned": func(a *api.PegAudit) {
			a.Paid, a.Outflow = 400, 430
		},
		// 44,000 more left the pegbox through a spend no rule allows:
		// the balance identity holds, but the spend is no fee.
		"an unexplained spend": func(a *api.PegAudit) {
			a.Outflow += 44_000
			a.Unexplained = 44_000
			a.PegboxBalance -= 44_000
			a.UnexplainedSpends = []api.PegUnexplained{{Code: "ErrSpendNoPayload", Out: 44_000}}
		},
		"an unexplained spend of nothing": func(a *api.PegAudit) {
			a.UnexplainedSpends = []api.PegUnexplained{{Code: "ErrDepositSpendsPegbox"}}
		},
		// A payout the node cannot check yet, without the body.
		"an unchecked payout": func(a *api.PegAudit) {
			a.Outflow += 41_000
			a.Unchecked, a.UncheckedCount = 41_000, 1
			a.PegboxBalance -= 41_000
		},
	} {
		a := base
		mod(&a)
		if _, _, _, _, _, _, ok := a.Derived(); ok {
			t.Errorf("%s: the audit matches", name)
		}
	}
}

// TestListPegboxCoins pages through the pegbox's coins over gRPC and REST,
// oldest first or newest first, with the read-only credential.
func TestListPegboxCoins(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()
	resp, err := c.peg.ListPegboxCoins(ctx, &apiv1.ListPegboxCoinsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	cs := resp.GetCoins()
	if resp.GetTotal() != 3 || len(cs) != 3 {
		t.Fatalf("coins %v", resp)
	}
	for i, coin := range cs {
		if coin.GetOutpoint() != apitest.DepositTxID(i).String()+":0" || coin.GetValueSat() != 1_000_000 ||
			coin.GetAddress() == "" || coin.GetHeight() != int32(9+i) || coin.GetConfirmations() != int32(3-i) {
			t.Errorf("coin %d: %v", i, coin)
		}
	}
	resp, err = c.peg.ListPegboxCoins(ctx, &apiv1.ListPegboxCoinsRequest{Reversed: true, Limit: 1})
	if err != nil || len(resp.GetCoins()) != 1 || resp.GetCoins()[0].GetOutpoint() != cs[2].GetOutpoint() {
		t.Errorf("the newest coin: %v %v", resp, err)
	}
	_, err = c.peg.ListPegboxCoins(ctx, &apiv1.ListPegboxCoinsRequest{Limit: 5000})
	wantCode(t, "ListPegboxCoins above the maximum page size", err, codes.InvalidArgument)

	client := restClient(t, srv)
	ro := credential(t, srv, api.ReadOnlyCredFilename)
	code, body := restDo(t, client, srv, ro, restCall{verb: "GET", path: "/v1/peg/coins?limit=1&offset=1"})
	var page struct {
		Coins []map[string]any `json:"coins"`
		Total string           `json:"total"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &page) != nil || page.Total != "3" ||
		len(page.Coins) != 1 || page.Coins[0]["outpoint"] != cs[1].GetOutpoint() ||
		page.Coins[0]["value_sat"] != "1000000" || page.Coins[0]["height"] != float64(10) {
		t.Errorf("GET /v1/peg/coins: HTTP %d %s", code, body)
	}
}
