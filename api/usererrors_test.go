package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// goTerms matches what a message in the user's terms never holds: a Go
// error identifier, a strconv, encoding/hex or protobuf library message, a
// Go package prefix.
var goTerms = regexp.MustCompile(`\bErr[A-Z]|strconv|invalid syntax|parsing "|encoding/hex|` +
	`invalid byte|proto: |MsgTx|BtcDecode|unexpected EOF|\bsideblock: |\bp2p: |\bpegbox: |\bwallet: `)

// badRequests are REST requests the node refuses, each with a part of its
// message: the field as the user typed it, the unit, the chain, or what to
// do next. Over REST each goes through the gRPC server, so the same
// messages reach gRPC clients.
var badRequests = []struct {
	verb, path, body string
	status           int
	want             string
}{
	{"GET", "/v1/sidetxs/zz", "", 400, "txid is not a sidechain transaction id: want 64 hex digits"},
	{"GET", "/v1/sidetxs/" + strings.Repeat("zz", 32), "", 400, "is not hex"},
	{"GET", "/v1/peg/outpoints/abc", "", 400, "want a mainchain outpoint, txid:vout"},
	{"GET", "/v1/peg/outpoints/" + strings.Repeat("ab", 32) + ":x", "", 400, "output index"},
	{"GET", "/v1/peg/verifypayout?raw_tx_hex=zz", "", 400, "raw_tx_hex is not hex"},
	{"GET", "/v1/peg/verifypayout?raw_tx_hex=0200", "", 400, "raw_tx_hex is not a transaction"},
	{"GET", "/v1/winner/-1", "", 400, "height -1 is negative"},
	{"GET", "/v1/tickets?limit=5000", "", 400, "page through the list with offset"},
	{"POST", "/v1/sidetxs", `{"raw_hex": "zz"}`, 400, "raw_hex is not hex"},
	{"POST", "/v1/sidetxs", `{"raw_tx_hex": "zz"}`, 400, "the body takes the request's fields by their names"},
	{"POST", "/v1/sidetxs", `{"raw_hex": "02000000"}`, 400, "raw_hex is not a transaction"},
	{"POST", "/v1/wallet/pegout", `{"amount_sat": 10, "destination_address": "` + apitest.MainAddress + `"}`, 400, "amount_sat 10 is below the dust limit"},
	{"POST", "/v1/wallet/pegout", `{"amount_sat": 70000, "destination_address": "nonsense"}`, 400, "destination_address"},
	{"POST", "/v1/wallet/stakes", `{"amount_sat": -1, "lock_blocks": 10}`, 400, "amount_sat"},
	{"POST", "/v1/peers/connect", `{"address": ""}`, 400, "address is empty"},
	{"POST", "/v1/debuglevel", `{"level_spec": "loud"}`, 400, "unknown log level"},
}

// TestErrorsInUserTerms sends each bad request and checks the status, the
// message, and that no message holds Go's terms; the rule's name, where
// there is one, travels as a detail (google.rpc.ErrorInfo), not in the
// message.
func TestErrorsInUserTerms(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	client := restClient(t, srv)
	cred := credential(t, srv, api.AdminCredFilename)
	for _, tc := range badRequests {
		what := tc.verb + " " + tc.path + " " + tc.body
		code, body := restDo(t, client, srv, cred, restCall{verb: tc.verb, path: tc.path, body: tc.body})
		var st struct {
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &st); err != nil {
			t.Errorf("%s: body %q: %v", what, body, err)
			continue
		}
		if code != tc.status {
			t.Errorf("%s: HTTP %d, want %d (%s)", what, code, tc.status, st.Message)
		}
		if !strings.Contains(st.Message, tc.want) {
			t.Errorf("%s: message %q does not contain %q", what, st.Message, tc.want)
		}
		if m := goTerms.FindString(st.Message); m != "" {
			t.Errorf("%s: message %q holds %q, not the user's terms", what, st.Message, m)
		}
	}
	if code, _ := restDo(t, client, srv, cred, restCall{verb: "GET", path: "/v1/info"}); code != http.StatusOK {
		t.Fatalf("the node is not left as it was: GET /v1/info answers %d", code)
	}
}

// TestRuleNameInDetail checks that a rule's name that started a backend's
// message reaches a gRPC client as the reason of an ErrorInfo detail, and
// the message says the rest in words.
func TestRuleNameInDetail(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(3), nil)
	_, err := dial(t, srv, api.AdminCredFilename).wallet.PegOut(context.Background(),
		&apiv1.PegOutRequest{AmountSat: 10, DestinationAddress: apitest.MainAddress})
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "amount_sat 10 is below") {
		t.Fatalf("status %v", st)
	}
	if reason := ruleReason(err); reason != "ErrWithdrawalBelowDust" {
		t.Fatalf("reason %q, want ErrWithdrawalBelowDust; details %v", reason, st.Details())
	}
}

// ruleReason returns the rule's name of err's ErrorInfo detail, "" for
// none.
func ruleReason(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == api.ErrorDomain {
			return info.GetReason()
		}
	}
	return ""
}
