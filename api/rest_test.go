package api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// restCall is one REST request, for tables of methods.
type restCall struct {
	method string // full gRPC name
	verb   string
	path   string
	body   string
	stream bool // server-streaming: read the first line, then hang up
}

// sideBlockHash is the hash of the fake backend's sideblock at height 1.
var sideBlockHash = apitest.NewBackend(0).SideBest[1].String()

// restCalls calls every method over REST with a valid request, and the
// methods with two bindings through both.
var restCalls = []restCall{
	{apiv1.OperatorService_StopDaemon_FullMethodName, "POST", "/v1/stop", `{}`, false},
	{apiv1.OperatorService_GetDebugLevel_FullMethodName, "GET", "/v1/debuglevel", "", false},
	{apiv1.OperatorService_SetDebugLevel_FullMethodName, "POST", "/v1/debuglevel", `{"level_spec": "PEER=debug"}`, false},
	{apiv1.OperatorService_ListPeers_FullMethodName, "GET", "/v1/peers", "", false},
	{apiv1.OperatorService_ConnectPeer_FullMethodName, "POST", "/v1/peers/connect", `{"address": "192.0.2.7:18555"}`, false},
	{apiv1.OperatorService_DisconnectPeer_FullMethodName, "POST", "/v1/peers/disconnect", `{"peer": "192.0.2.7:18555"}`, false},
	{apiv1.NodeService_GetInfo_FullMethodName, "GET", "/v1/info", "", false},
	{apiv1.NodeService_GetStateHash_FullMethodName, "GET", "/v1/statehash/5", "", false},
	{apiv1.NodeService_ListBans_FullMethodName, "GET", "/v1/peers/bans", "", false},
	{apiv1.NodeService_BanPeer_FullMethodName, "POST", "/v1/peers/bans", `{"target": "192.0.2.7", "duration_seconds": 60}`, false},
	{apiv1.NodeService_UnbanPeer_FullMethodName, "POST", "/v1/peers/unban", `{"target": "192.0.2.7"}`, false},
	{apiv1.NodeService_ListAlarms_FullMethodName, "GET", "/v1/alarms", "", false},
	{apiv1.NodeService_SubscribeAlarms_FullMethodName, "GET", "/v1/subscribe/alarms", "", true},

	{apiv1.MainchainService_ListTickets_FullMethodName, "GET", "/v1/tickets?offset=1&limit=2&reversed=true", "", false},
	{apiv1.MainchainService_GetWinner_FullMethodName, "GET", "/v1/winner/10", "", false},
	{apiv1.MainchainService_GetPublication_FullMethodName, "GET", "/v1/publication/11", "", false},
	{apiv1.MainchainService_ListPublications_FullMethodName, "GET", "/v1/publications?limit=5", "", false},
	{apiv1.MainchainService_ListMissedSlots_FullMethodName, "GET", "/v1/missedslots?reversed=true", "", false},
	{apiv1.MainchainService_GetMainTransaction_FullMethodName, "GET", "/v1/maintxs/" + apitest.ForeignMainTxID.String(), "", false},

	{apiv1.SidechainService_GetBlock_FullMethodName, "GET", "/v1/sideblocks/height/1?limit=2&include_raw=true", "", false},
	{apiv1.SidechainService_GetBlock_FullMethodName, "GET", "/v1/sideblocks/" + sideBlockHash, "", false},
	{apiv1.SidechainService_GetTransaction_FullMethodName, "GET", "/v1/sidetxs/" + mempoolTxID, "", false},
	{apiv1.SidechainService_GetConfirmations_FullMethodName, "GET", "/v1/confirmations/" + mempoolTxID, "", false},
	{apiv1.SidechainService_GetConfirmations_FullMethodName, "GET", "/v1/confirmations/height/1", "", false},
	{apiv1.SidechainService_ListUnspent_FullMethodName, "GET", "/v1/sideaddresses/" + apitest.SideAddress + "/utxos?limit=1", "", false},
	{apiv1.SidechainService_GetAddressBalance_FullMethodName, "GET", "/v1/sideaddresses/" + apitest.SideAddress + "/balance", "", false},
	{apiv1.SidechainService_GetAddressHistory_FullMethodName, "GET", "/v1/sideaddresses/" + apitest.SideAddress + "/history?blocks=10&limit=1", "", false},
	{apiv1.SidechainService_SendRawTransaction_FullMethodName, "POST", "/v1/sidetxs", `{"raw_hex": "` + sampleTxHex + `"}`, false},
	{apiv1.SidechainService_EstimateFee_FullMethodName, "GET", "/v1/sidefee", "", false},

	{apiv1.WalletService_NewAddress_FullMethodName, "POST", "/v1/wallet/address", "", false},
	{apiv1.WalletService_GetBalance_FullMethodName, "GET", "/v1/wallet/balance?min_conf=2", "", false},
	{apiv1.WalletService_CreateStake_FullMethodName, "POST", "/v1/wallet/stakes", `{"amount_sat": "100000000", "lock_blocks": 1000}`, false},
	{apiv1.WalletService_ListStakes_FullMethodName, "GET", "/v1/wallet/stakes", "", false},
	{apiv1.WalletService_WithdrawStake_FullMethodName, "POST", "/v1/wallet/stakes/withdraw", `{"ticket_id": "1"}`, false},
	{apiv1.WalletService_RenewStake_FullMethodName, "POST", "/v1/wallet/stakes/renew", `{"ticket_id": "1", "lock_blocks": 20}`, false},
	{apiv1.WalletService_TopUpStake_FullMethodName, "POST", "/v1/wallet/stakes/topup", `{"ticket_id": "1", "amount_sat": "50000"}`, false},
	{apiv1.WalletService_GetSideAddress_FullMethodName, "GET", "/v1/wallet/sideaddress", "", false},
	{apiv1.WalletService_GetSideBalance_FullMethodName, "GET", "/v1/wallet/sidebalance", "", false},
	{apiv1.WalletService_SendSide_FullMethodName, "POST", "/v1/wallet/sidesend", `{"to_address": "` + apitest.OtherSideAddress + `", "amount_sat": "10000"}`, false},

	{apiv1.WalletService_SendMain_FullMethodName, "POST", "/v1/wallet/send", `{"to_address": "` + apitest.MainAddress + `", "amount_sat": "10000", "fee_rate_sat_vb": "3"}`, false},
	{apiv1.WalletService_ListCoins_FullMethodName, "GET", "/v1/wallet/coins?min_conf=0&limit=5", "", false},
	{apiv1.WalletService_ListWalletTransactions_FullMethodName, "GET", "/v1/wallet/transactions?reversed=true", "", false},
	{apiv1.WalletService_GetWalletTransaction_FullMethodName, "GET", "/v1/wallet/transactions/" + apitest.WalletTxID.String(), "", false},
	{apiv1.WalletService_BumpFee_FullMethodName, "POST", "/v1/wallet/bumpfee", `{"txid": "` + apitest.WalletTxID.String() + `", "fee_rate_sat_vb": "10"}`, false},
	{apiv1.WalletService_ChangePassphrase_FullMethodName, "POST", "/v1/wallet/changepassphrase", `{"current_passphrase": "` + apitest.FakePassphrase + `", "new_passphrase": "x"}`, false},
	{apiv1.WalletService_BackupSeed_FullMethodName, "POST", "/v1/wallet/backupseed", `{"passphrase": "` + apitest.FakePassphrase + `"}`, false},
	{apiv1.WalletService_CreateWallet_FullMethodName, "POST", "/v1/wallet/create", `{"passphrase": "x"}`, false},
	{apiv1.WalletService_UnlockWallet_FullMethodName, "POST", "/v1/wallet/unlock", `{"passphrase": "` + apitest.FakePassphrase + `"}`, false},
	{apiv1.WalletService_ListSideTransactions_FullMethodName, "GET", "/v1/wallet/sidetransactions?blocks=10&reversed=true", "", false},
	{apiv1.WalletService_PegIn_FullMethodName, "POST", "/v1/wallet/pegin", `{"side_address": "` + apitest.SideAddress + `", "amount_sat": "100000", "psbt_only": true}`, false},
	{apiv1.WalletService_PegOut_FullMethodName, "POST", "/v1/wallet/pegout", `{"destination_address": "` + apitest.MainAddress + `", "amount_sat": "100000", "fee_sat": "2000"}`, false},

	{apiv1.PegService_GetPegInfo_FullMethodName, "GET", "/v1/peg", "", false},
	{apiv1.PegService_ListDeposits_FullMethodName, "GET", "/v1/peg/deposits?limit=2&reversed=true", "", false},
	{apiv1.PegService_ListRefusedDeposits_FullMethodName, "GET", "/v1/peg/refused?offset=1", "", false},
	{apiv1.PegService_ListPegboxCoins_FullMethodName, "GET", "/v1/peg/coins?reversed=true", "", false},
	{apiv1.PegService_GetDeposit_FullMethodName, "GET", "/v1/peg/deposits/" + apitest.DepositTxID(1).String(), "", false},
	{apiv1.PegService_GetDeposit_FullMethodName, "GET", "/v1/peg/outpoints/" + apitest.RefusedTxID(0).String() + ":1", "", false},
	{apiv1.PegService_GetWithdrawal_FullMethodName, "GET", "/v1/peg/withdrawals/" + apitest.WithdrawalTxID(1).String() + ":1", "", false},
	{apiv1.PegService_GetWithdrawal_FullMethodName, "GET", "/v1/peg/withdrawals/" + apitest.WithdrawalTxID(0).String(), "", false},
	{apiv1.PegService_VerifyPayout_FullMethodName, "GET", "/v1/peg/payouts/" + apitest.PayoutTxID(0).String(), "", false},
	{apiv1.PegService_VerifyPayout_FullMethodName, "GET", "/v1/peg/verifypayout?raw_tx_hex=" + sampleTxHex, "", false},

	{apiv1.SubscriptionService_SubscribeSideblocks_FullMethodName, "GET", "/v1/subscribe/sideblocks", "", true},
	{apiv1.SubscriptionService_SubscribeLottery_FullMethodName, "GET", "/v1/subscribe/lottery", "", true},
	{apiv1.PegService_SubscribeDeposits_FullMethodName, "GET", "/v1/subscribe/deposits", "", true},
	{apiv1.PegService_SubscribeWithdrawals_FullMethodName, "GET", "/v1/subscribe/withdrawals", "", true},
	{apiv1.WalletService_SubscribeWalletTransactions_FullMethodName, "GET", "/v1/subscribe/wallet", "", true},

	{apiv1.MiningService_GetBlockTemplate_FullMethodName, "GET", "/v1/mining/template", "", false},
	{apiv1.MiningService_GetBlockTemplate_FullMethodName, "GET", "/v1/mining/template?long_poll_id=other", "", false},
	{apiv1.MiningService_SubmitBlock_FullMethodName, "POST", "/v1/mining/submit", `{"data": "` + sampleBlockHex + `"}`, false},
	{apiv1.MiningService_GetMiningInfo_FullMethodName, "GET", "/v1/mining/info?recent_blocks=3", "", false},

	{apiv1.PoolService_GetPoolStats_FullMethodName, "GET", "/v1/pool/stats", "", false},
	{apiv1.PoolService_ListPoolWorkers_FullMethodName, "GET", "/v1/pool/workers?worker=bob", "", false},
	{apiv1.PoolService_ListPoolBlocks_FullMethodName, "GET", "/v1/pool/blocks?reversed=true&limit=2", "", false},
	{apiv1.PoolService_GetPoolAudit_FullMethodName, "GET", "/v1/pool/audit?offset=1", "", false},
	{apiv1.PoolService_ListPoolPayouts_FullMethodName, "GET", "/v1/pool/payouts", "", false},
}

// TestRESTCallsCoverPermissions keeps restCalls in step with the
// permission map, so that the REST credential tests cover every method.
func TestRESTCallsCoverPermissions(t *testing.T) {
	perms := api.Permissions()
	for _, c := range restCalls {
		if _, ok := perms[c.method]; !ok {
			t.Errorf("%s: no permission entry", c.method)
		}
	}
	for m := range perms {
		found := false
		for _, c := range restCalls {
			found = found || c.method == m
		}
		if !found {
			t.Errorf("%s: not called by restCalls", m)
		}
	}
}

func isWrite(method string) bool {
	return api.Permissions()[method].Action == api.Write
}

// restClient is an HTTPS client that trusts the server's certificate
// alone.
func restClient(t testing.TB, srv *apitest.Server) *http.Client {
	t.Helper()
	if srv.Config.DisableTLS {
		return &http.Client{}
	}
	pem, err := os.ReadFile(filepath.Join(srv.Dir, api.TLSCertFilename))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in tls.cert")
	}
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}
}

// restURL returns the URL of path on the server's gateway.
func restURL(srv *apitest.Server, path string) string {
	scheme := "https"
	if srv.Config.DisableTLS {
		scheme = "http"
	}
	return scheme + "://" + srv.RESTAddr + path
}

// credential returns the hex contents of a credential file of srv, "" for
// none.
func credential(t testing.TB, srv *apitest.Server, file string) string {
	t.Helper()
	if file == "" {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(srv.Dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// restDo sends one request with the credential cred (hex, "" for none)
// and returns the status and the body; of a stream, its first line.
func restDo(t testing.TB, client *http.Client, srv *apitest.Server, cred string, c restCall) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, c.verb, restURL(srv, c.path), body)
	if err != nil {
		t.Fatal(err)
	}
	if cred != "" {
		req.Header.Set("Authorization", "Bearer "+cred)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.verb, c.path, err)
	}
	defer resp.Body.Close()
	var out []byte
	if c.stream {
		out, err = bufio.NewReader(resp.Body).ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			err = nil
		}
	} else {
		out, err = io.ReadAll(resp.Body)
	}
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", c.verb, c.path, err)
	}
	return resp.StatusCode, out
}

// restError returns the gRPC code and message of an error body: a
// google.rpc.Status, or a stream's {"error": status}.
func restError(t testing.TB, body []byte) (codes.Code, string) {
	t.Helper()
	var st struct {
		Code    *int   `json:"code"`
		Message string `json:"message"`
		Error   *struct {
			Code    *int   `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("error body %q is not JSON: %v", body, err)
	}
	if st.Error != nil {
		st.Code, st.Message = st.Error.Code, st.Error.Message
	}
	if st.Code == nil {
		t.Fatalf("error body %q has no code", body)
	}
	return codes.Code(*st.Code), st.Message
}

// wantREST checks a response's status and, for an error, its gRPC code.
func wantREST(t *testing.T, what string, status int, body []byte, wantStatus int, wantCode codes.Code) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("%s: HTTP %d (%s), want %d", what, status, bytes.TrimSpace(body), wantStatus)
		return
	}
	if wantStatus == http.StatusOK {
		if !json.Valid(body) {
			t.Errorf("%s: body %q is not JSON", what, body)
		}
		return
	}
	if code, msg := restError(t, body); code != wantCode {
		t.Errorf("%s: code %v (%s), want %v", what, code, msg, wantCode)
	}
}

func (c restCall) String() string { return c.verb + " " + c.path }

func TestRESTReadOnlyCredential(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(5), nil)
	client := restClient(t, srv)
	ro := credential(t, srv, api.ReadOnlyCredFilename)
	for _, c := range restCalls {
		status, body := restDo(t, client, srv, ro, c)
		if isWrite(c.method) {
			wantREST(t, c.String(), status, body, http.StatusForbidden, codes.PermissionDenied)
		} else {
			wantREST(t, c.String(), status, body, http.StatusOK, codes.OK)
		}
	}
}

func TestRESTAdminCredential(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(5), nil)
	client := restClient(t, srv)
	admin := credential(t, srv, api.AdminCredFilename)
	for _, c := range restCalls {
		status, body := restDo(t, client, srv, admin, c)
		wantREST(t, c.String(), status, body, http.StatusOK, codes.OK)
	}
}

func TestRESTNoCredential(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(5), nil)
	client := restClient(t, srv)
	for _, c := range restCalls {
		status, body := restDo(t, client, srv, "", c)
		wantREST(t, c.String(), status, body, http.StatusUnauthorized, codes.Unauthenticated)
	}
	// A wrong or malformed credential, and the admin one twice.
	admin := credential(t, srv, api.AdminCredFilename)
	info := restCall{verb: "GET", path: "/v1/info"}
	for _, cred := range []string{strings.Repeat("ab", 32), admin[:62], "zz" + admin[2:]} {
		status, body := restDo(t, client, srv, cred, info)
		wantREST(t, "credential "+cred, status, body, http.StatusUnauthorized, codes.Unauthenticated)
	}
	req, _ := http.NewRequest("GET", restURL(srv, "/v1/info"), nil)
	req.Header.Add("Authorization", "Bearer "+admin)
	req.Header.Add("Authorization", "Bearer "+admin)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	wantREST(t, "two Authorization headers", resp.StatusCode, body, http.StatusUnauthorized, codes.Unauthenticated)
}

// TestRESTProtoNames checks that JSON uses the proto field names, in
// responses and requests, and that hashes are hex as over gRPC.
func TestRESTProtoNames(t *testing.T) {
	b := apitest.NewBackend(5)
	srv := apitest.StartServer(t, b, nil)
	client := restClient(t, srv)
	admin := credential(t, srv, api.AdminCredFilename)

	status, body := restDo(t, client, srv, admin, restCall{verb: "GET", path: "/v1/info"})
	if status != http.StatusOK {
		t.Fatalf("GET /v1/info: %d %s", status, body)
	}
	for _, want := range []string{`"tip_height"`, `"sidechain_id"`, `"own_ticket_ids"`, `"state_hash"`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("GET /v1/info: no %s in %s", want, body)
		}
	}
	if bytes.Contains(body, []byte(`"tipHeight"`)) {
		t.Errorf("GET /v1/info: JSON names in %s", body)
	}
	var info apiv1.GetInfoResponse
	if err := protojson.Unmarshal(body, &info); err != nil {
		t.Fatal(err)
	}
	if info.GetMainchain().GetTipHash() != b.InfoValue.Mainchain.TipHash.String() ||
		info.GetStateHash() != b.InfoValue.StateHash.String() || info.GetNetwork() != "regtest" {
		t.Errorf("GET /v1/info: %v", &info)
	}

	// Requests in proto names reach the backend.
	status, body = restDo(t, client, srv, admin, restCall{verb: "POST", path: "/v1/wallet/stakes",
		body: `{"amount_sat": "500000000", "lock_blocks": 1000, "fee_rate_sat_vb": "3", "psbt_only": true}`})
	if status != http.StatusOK {
		t.Fatalf("POST /v1/wallet/stakes: %d %s", status, body)
	}
	want := api.StakeRequest{Amount: 5e8, LockBlocks: 1000, FeeRate: 3, PSBTOnly: true}
	if got := b.LastStake(); got == nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("backend got %+v, want %+v", got, want)
	}
	if !bytes.Contains(body, []byte(`"lock_height"`)) || !bytes.Contains(body, []byte(`"psbt"`)) {
		t.Errorf("POST /v1/wallet/stakes: %s", body)
	}

	// A block by hash, paged; hashes in display order.
	status, body = restDo(t, client, srv, admin, restCall{verb: "GET",
		path: "/v1/sideblocks/" + sideBlockHash + "?limit=1&reversed=true"})
	if status != http.StatusOK {
		t.Fatalf("GET sideblock: %d %s", status, body)
	}
	var blk apiv1.GetBlockResponse
	if err := protojson.Unmarshal(body, &blk); err != nil {
		t.Fatal(err)
	}
	if blk.GetHash() != sideBlockHash || blk.GetBlockHeight() != 1 || len(blk.GetTxids()) > 1 {
		t.Errorf("GET sideblock: %v", &blk)
	}
	wantBlk := b.LastBlockRequest()
	if wantBlk == nil || wantBlk.ByHeight || wantBlk.Hash.String() != sideBlockHash {
		t.Errorf("backend got %+v", wantBlk)
	}

	// Query parameters in proto names, and the withdrawal's oneof.
	status, body = restDo(t, client, srv, admin, restCall{verb: "GET", path: "/v1/tickets?limit=2&reversed=true"})
	var tickets apiv1.ListTicketsResponse
	if status != http.StatusOK || protojson.Unmarshal(body, &tickets) != nil ||
		len(tickets.GetTickets()) != 2 || tickets.GetTickets()[0].GetId() != 4 || tickets.GetTotal() != 5 {
		t.Errorf("GET /v1/tickets: %d %s", status, body)
	}
	txid := strings.Repeat("01", 31) + "ff"
	status, body = restDo(t, client, srv, admin, restCall{verb: "POST", path: "/v1/wallet/stakes/withdraw",
		body: `{"stake_outpoint": "` + txid + `:7", "destination_address": "bcrt1qdest"}`})
	if status != http.StatusOK {
		t.Fatalf("withdraw: %d %s", status, body)
	}
	if got := b.LastWithdraw(); got == nil || !got.ByOutPoint || got.Stake.String() != txid+":7" ||
		got.Destination != "bcrt1qdest" {
		t.Errorf("backend got %+v", got)
	}
}

// TestRESTBadInput sends malformed requests: each is refused with HTTP
// 400 and InvalidArgument, with a message that says what is wrong.
func TestRESTBadInput(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(5), func(cfg *api.Config) {
		cfg.MaxMsgSize = 1024
		cfg.MaxPageSize = 50
		cfg.DefaultPageSize = 10
	})
	client := restClient(t, srv)
	admin := credential(t, srv, api.AdminCredFilename)
	stake := "/v1/wallet/stakes"
	big := `{"destination_address": "` + strings.Repeat("x", 2048) + `", "ticket_id": "1"}`
	for _, tc := range []struct {
		call restCall
		msg  string // in the message
	}{
		{restCall{verb: "POST", path: stake, body: `{"amount_sat": "1", "bogus": 1}`}, "unknown field"},
		{restCall{verb: "POST", path: stake, body: `{"amountSat": "1", "lock_blocks": 10, "extra": {}}`}, "unknown field"},
		{restCall{verb: "POST", path: stake, body: `{"amount_sat": `}, ""},
		{restCall{verb: "POST", path: stake, body: `{"amount_sat": "1"} {"amount_sat": "2"}`}, ""},
		{restCall{verb: "POST", path: stake, body: `[1, 2]`}, ""},
		{restCall{verb: "POST", path: stake, body: `{"amount_sat": "abc"}`}, ""},
		{restCall{verb: "POST", path: stake, body: `{"lock_blocks": -1}`}, ""},
		{restCall{verb: "POST", path: stake, body: `{"amount_sat": "0", "lock_blocks": 10}`}, "amount_sat"},
		{restCall{verb: "POST", path: stake + "?amount_sat=1", body: `{}`}, "body"},
		{restCall{verb: "POST", path: "/v1/wallet/stakes/withdraw", body: big}, "larger than the 1024 bytes"},
		{restCall{verb: "POST", path: "/v1/wallet/stakes/withdraw",
			body: `{"stake_outpoint": "zz` + strings.Repeat("0", 62) + `:0"}`}, "not hex"},
		{restCall{verb: "POST", path: "/v1/wallet/stakes/withdraw", body: `{"ticket_id": "1", "stake_outpoint": "x"}`}, ""},
		{restCall{verb: "POST", path: "/v1/sidetxs", body: `{"raw_hex": "zz"}`}, "not hex"},
		{restCall{verb: "GET", path: "/v1/sidetxs/zz" + strings.Repeat("0", 62)}, "not hex"},
		{restCall{verb: "GET", path: "/v1/sideblocks/abcd"}, "hex digits"},
		{restCall{verb: "GET", path: "/v1/sideblocks/" + sideBlockHash + "?height=1"}, "oneof"},
		{restCall{verb: "GET", path: "/v1/tickets?limit=51"}, "maximum page size"},
		{restCall{verb: "GET", path: "/v1/tickets?limit=4294967296"}, ""},
		{restCall{verb: "GET", path: "/v1/tickets?limit=-1"}, ""},
		{restCall{verb: "GET", path: "/v1/tickets?limt=5"}, "unknown query parameter"},
		{restCall{verb: "GET", path: "/v1/winner/abc"}, ""},
		{restCall{verb: "GET", path: "/v1/winner/-1"}, "negative"},
		{restCall{verb: "GET", path: "/v1/wallet/balance?min_conf=x"}, ""},
	} {
		status, body := restDo(t, client, srv, admin, tc.call)
		wantREST(t, tc.call.String(), status, body, http.StatusBadRequest, codes.InvalidArgument)
		if status == http.StatusBadRequest {
			if _, msg := restError(t, body); !strings.Contains(msg, tc.msg) {
				t.Errorf("%v: message %q does not say %q", tc.call, msg, tc.msg)
			}
		}
	}

	// A body above the limit without a Content-Length (chunked): refused
	// as it is read, never decoded from its first part.
	req, _ := http.NewRequest("POST", restURL(srv, "/v1/wallet/stakes/withdraw"),
		io.MultiReader(strings.NewReader(big)))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.ContentLength = -1
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	wantREST(t, "chunked body above the limit", resp.StatusCode, body, http.StatusBadRequest, codes.InvalidArgument)

	// Routing errors are JSON too.
	status, body := restDo(t, client, srv, admin, restCall{verb: "GET", path: "/v1/nothing"})
	wantREST(t, "unknown path", status, body, http.StatusNotFound, codes.NotFound)
	status, body = restDo(t, client, srv, admin, restCall{verb: "GET", path: "/v1/wallet/sidesend"})
	wantREST(t, "GET on a POST path", status, body, http.StatusMethodNotAllowed, codes.Unimplemented)
}

// TestRESTBackendErrors maps backend errors to HTTP statuses the standard
// gateway way.
func TestRESTBackendErrors(t *testing.T) {
	b := apitest.NewBackend(3)
	srv := apitest.StartServer(t, b, nil)
	client := restClient(t, srv)
	admin := credential(t, srv, api.AdminCredFilename)
	for _, tc := range []struct {
		err    error
		status int
		code   codes.Code
	}{
		{api.Errorf(api.ErrNoWallet, "no wallet"), http.StatusBadRequest, codes.FailedPrecondition},
		{api.Errorf(api.ErrNotFound, "no ticket"), http.StatusNotFound, codes.NotFound},
		{api.Errorf(api.ErrUnavailable, "backend down"), http.StatusServiceUnavailable, codes.Unavailable},
		{api.Errorf(api.ErrUnimplemented, "not yet"), http.StatusNotImplemented, codes.Unimplemented},
		{errors.New("disk on fire"), http.StatusInternalServerError, codes.Internal},
	} {
		b.SetWalletErr(tc.err)
		status, body := restDo(t, client, srv, admin, restCall{verb: "POST", path: "/v1/wallet/address"})
		wantREST(t, tc.err.Error(), status, body, tc.status, tc.code)
	}
	b.SetWalletErr(nil)
	status, body := restDo(t, client, srv, admin, restCall{verb: "GET", path: "/v1/winner/9"})
	wantREST(t, "no winner", status, body, http.StatusNotFound, codes.NotFound)
}

func TestRESTNoTLS(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), func(cfg *api.Config) {
		cfg.DisableTLS = true
	})
	client := restClient(t, srv)
	status, body := restDo(t, client, srv, credential(t, srv, api.ReadOnlyCredFilename),
		restCall{verb: "GET", path: "/v1/info"})
	wantREST(t, "GET /v1/info over HTTP", status, body, http.StatusOK, codes.OK)
}

func TestRESTDisabled(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), func(cfg *api.Config) {
		cfg.RESTListeners = nil
	})
	if addrs := srv.RESTAddrs(); addrs != nil || srv.RESTAddr != "" {
		t.Errorf("REST gateway listening on %v without RESTListeners", addrs)
	}
}

// TestRESTStop checks that Stop closes the gateway's port.
func TestRESTStop(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	client := restClient(t, srv)
	status, _ := restDo(t, client, srv, credential(t, srv, api.ReadOnlyCredFilename),
		restCall{verb: "GET", path: "/v1/info"})
	if status != http.StatusOK {
		t.Fatalf("HTTP %d", status)
	}
	srv.Stop()
	if c, err := net.Dial("tcp", srv.RESTAddr); err == nil {
		c.Close()
		t.Errorf("REST port %s still open after Stop", srv.RESTAddr)
	}
}

// TestRESTStartFailsOnTakenPort: a taken REST port makes Start fail, and
// the server then listens on nothing, gRPC included.
func TestRESTStartFailsOnTakenPort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	// A port that is free now, for the gRPC listener.
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	grpcAddr := free.Addr().String()
	free.Close()

	cfg := api.DefaultConfig(t.TempDir(), "regtest")
	cfg.Listeners = []string{grpcAddr}
	cfg.RESTListeners = []string{"127.0.0.1:0", taken.Addr().String()}
	srv, err := api.New(cfg, apitest.NewBackend(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err == nil {
		srv.Stop()
		t.Fatal("Start on a taken REST port succeeded")
	} else if !strings.Contains(err.Error(), taken.Addr().String()) || !strings.Contains(err.Error(), "REST") {
		t.Errorf("error %q does not name the REST address", err)
	}
	if len(srv.Addrs()) != 0 || len(srv.RESTAddrs()) != 0 {
		t.Errorf("a failed Start left listeners %v %v", srv.Addrs(), srv.RESTAddrs())
	}
	// The gRPC port was let go.
	lis, err := net.Listen("tcp", grpcAddr)
	if err != nil {
		t.Errorf("gRPC port still taken after a failed Start: %v", err)
	} else {
		lis.Close()
	}
	srv.Stop()
}

func TestRESTConfig(t *testing.T) {
	dir := t.TempDir()
	base := api.DefaultConfig(dir, "regtest")
	if len(base.RESTListeners) != 1 || base.RESTListeners[0] != "127.0.0.1:18561" {
		t.Errorf("default REST listeners %v", base.RESTListeners)
	}
	for network, want := range map[string]string{
		"mainnet": "8561", "testnet3": "18571", "signet": "38561", "regtest": "18561", "simnet": "18591",
	} {
		if port, ok := api.DefaultRESTPort(network); !ok || port != want {
			t.Errorf("%s: REST port %s, want %s", network, port, want)
		}
		grpcPort, _ := api.DefaultPort(network)
		if grpcPort == want {
			t.Errorf("%s: REST and gRPC share port %s", network, want)
		}
	}
	for _, tc := range []struct {
		name   string
		modify func(*api.Config)
		ok     bool
	}{
		{"default", func(*api.Config) {}, true},
		{"no REST", func(c *api.Config) { c.RESTListeners = nil }, true},
		{"remote REST", func(c *api.Config) { c.RESTListeners = []string{"0.0.0.0:18561"} }, false},
		{"remote REST allowed", func(c *api.Config) {
			c.RESTListeners = []string{"0.0.0.0:18561"}
			c.AllowRemote = true
		}, true},
		{"remote REST without TLS", func(c *api.Config) {
			c.RESTListeners = []string{"192.0.2.1:18561"}
			c.AllowRemote, c.DisableTLS = true, true
		}, false},
		{"REST on the gRPC port", func(c *api.Config) { c.RESTListeners = []string{"127.0.0.1:18560"} }, false},
		{"bad REST address", func(c *api.Config) { c.RESTListeners = []string{"127.0.0.1"} }, false},
		{"REST port 0 twice", func(c *api.Config) { c.RESTListeners = []string{"127.0.0.1:0", "127.0.0.1:0"} }, true},
	} {
		cfg := api.DefaultConfig(dir, "regtest")
		tc.modify(&cfg)
		_, err := api.New(cfg, apitest.NewBackend(0))
		if tc.ok && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !tc.ok && !errors.Is(err, api.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", tc.name, err)
		}
	}
}
