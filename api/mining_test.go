package api_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// sampleBlockHex is 81 bytes the fake backend accepts as a block (it
// refuses those that start with a zero byte as high-hash).
var sampleBlockHex = "01" + strings.Repeat("00", 80)

func TestGetBlockTemplate(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(0), nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	resp, err := c.mining.GetBlockTemplate(context.Background(), &apiv1.GetBlockTemplateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.LongPollId != "fake-1" || resp.Height != 1 || resp.Bits != "207fffff" ||
		resp.Target != "7fffff"+strings.Repeat("0", 58) || resp.Algorithm != "sha256d" ||
		len(resp.Transactions) != 1 || resp.CoinbaseTxn == nil || resp.CoinbaseValueSat != 5_000_000_001 {
		t.Fatalf("template %v", resp)
	}
	cb := resp.CoinbaseTxn
	data, err := hex.DecodeString(cb.Data)
	if err != nil {
		t.Fatal(err)
	}
	if cb.ExtranonceSize != 8 || int(cb.ExtranonceOffset+cb.ExtranonceSize) > len(data) {
		t.Fatalf("extranonce %d+%d in a coinbase of %d bytes", cb.ExtranonceOffset, cb.ExtranonceSize, len(data))
	}
	tx := resp.Transactions[0]
	if tx.FeeSat != 500 || tx.Sigops != 1 || tx.Weight != 500 || tx.Txid == "" || tx.Hash == "" ||
		len(resp.CoinbaseMerkleBranch) != 1 || len(resp.WithdrawalRoot) != 64 {
		t.Fatalf("transaction %v, branch %v, withdrawal root %q", tx, resp.CoinbaseMerkleBranch, resp.WithdrawalRoot)
	}
	if len(resp.Mutable) == 0 || resp.NonceRange != "00000000ffffffff" || resp.WeightLimit != 4_000_000 {
		t.Fatalf("mutable %v, nonce range %q, weight limit %d", resp.Mutable, resp.NonceRange, resp.WeightLimit)
	}

	// An id that is not the current template's answers at once.
	resp, err = c.mining.GetBlockTemplate(context.Background(), &apiv1.GetBlockTemplateRequest{LongPollId: "stale"})
	if err != nil || resp.LongPollId != "fake-1" {
		t.Fatalf("stale id: %v, %v", resp, err)
	}
	_, err = c.mining.GetBlockTemplate(context.Background(), &apiv1.GetBlockTemplateRequest{
		LongPollId: strings.Repeat("x", 257)})
	wantCode(t, "long id", err, codes.InvalidArgument)
}

// longPoll starts a long poll for the template id in a goroutine and
// returns the channel of its answer.
func longPoll(ctx context.Context, c clients, id string) <-chan pollResult {
	out := make(chan pollResult, 1)
	go func() {
		resp, err := c.mining.GetBlockTemplate(ctx, &apiv1.GetBlockTemplateRequest{LongPollId: id})
		out <- pollResult{resp, err}
	}()
	return out
}

type pollResult struct {
	resp *apiv1.GetBlockTemplateResponse
	err  error
}

func TestLongPollNewTemplate(t *testing.T) {
	b := apitest.NewBackend(0)
	waiting := b.LongPollWaiting()
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.AdminCredFilename)
	res := longPoll(context.Background(), c, "fake-1")
	<-waiting
	b.NewTemplate()
	r := <-res
	if r.err != nil || r.resp.LongPollId != "fake-2" {
		t.Fatalf("long poll: %v, %v", r.resp, r.err)
	}
	if n := api.LongPolls(srv.Server); n != 0 {
		t.Errorf("%d long polls held after the answer", n)
	}
}

// waitLongPolls waits until srv holds n long polls.
func waitLongPolls(t *testing.T, srv *apitest.Server, n int) {
	t.Helper()
	for api.LongPolls(srv.Server) != n {
		time.Sleep(time.Millisecond)
	}
}

func TestLongPollCanceled(t *testing.T) {
	b := apitest.NewBackend(0)
	waiting := b.LongPollWaiting()
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx, cancel := context.WithCancel(context.Background())
	res := longPoll(ctx, c, "fake-1")
	<-waiting
	cancel()
	r := <-res
	wantCode(t, "canceled long poll", r.err, codes.Canceled)
	// The server lets go of it: the backend's wait ended with the call.
	waitLongPolls(t, srv, 0)
}

func TestLongPollLimit(t *testing.T) {
	b := apitest.NewBackend(0)
	waiting := b.LongPollWaiting()
	srv := apitest.StartServer(t, b, nil)
	api.SetMaxLongPolls(srv.Server, 2, 1)
	ro := dial(t, srv, api.ReadOnlyCredFilename)
	admin := dial(t, srv, api.AdminCredFilename)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// refused checks that a long poll is refused, not admitted (which
	// the backend's wait would show).
	refused := func(what string, c clients) {
		t.Helper()
		select {
		case r := <-longPoll(ctx, c, "fake-1"):
			wantCode(t, what, r.err, codes.ResourceExhausted)
		case <-waiting:
			t.Fatalf("%s: admitted", what)
		}
	}
	first := longPoll(ctx, ro, "fake-1")
	<-waiting
	refused("second read-only long poll", ro)
	// A template without waiting is no long poll: not counted.
	if _, err := ro.mining.GetBlockTemplate(ctx, &apiv1.GetBlockTemplateRequest{}); err != nil {
		t.Errorf("template without long poll: %v", err)
	}
	second := longPoll(ctx, admin, "fake-1")
	select {
	case <-waiting:
	case r := <-second:
		t.Fatalf("admin long poll: %v, %v", r.resp, r.err)
	}
	refused("third long poll", admin)

	b.NewTemplate()
	for _, res := range []<-chan pollResult{first, second} {
		if r := <-res; r.err != nil || r.resp.LongPollId != "fake-2" {
			t.Errorf("long poll: %v, %v", r.resp, r.err)
		}
	}
	waitLongPolls(t, srv, 0)
}

func TestLongPollServerStop(t *testing.T) {
	b := apitest.NewBackend(0)
	waiting := b.LongPollWaiting()
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.AdminCredFilename)
	res := longPoll(context.Background(), c, "fake-1")
	<-waiting
	srv.Stop()
	r := <-res
	wantCode(t, "long poll at stop", r.err, codes.Unavailable)
}

func TestSubmitBlock(t *testing.T) {
	b := apitest.NewBackend(0)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.AdminCredFilename)
	ctx := context.Background()

	resp, err := c.mining.SubmitBlock(ctx, &apiv1.SubmitBlockRequest{Data: sampleBlockHex})
	if err != nil || !resp.Accepted || resp.RejectReason != "" || resp.Height != 7 {
		t.Fatalf("good block: %v, %v", resp, err)
	}
	resp, err = c.mining.SubmitBlock(ctx, &apiv1.SubmitBlockRequest{Data: strings.Repeat("00", 81)})
	if err != nil || resp.Accepted || resp.RejectReason != "high-hash" || resp.RuleCode != "ErrHighHash" {
		t.Fatalf("refused block: %v, %v", resp, err)
	}
	for _, data := range []string{"", "0g", "abc", "00"} {
		_, err := c.mining.SubmitBlock(ctx, &apiv1.SubmitBlockRequest{Data: data})
		wantCode(t, "data "+data, err, codes.InvalidArgument)
		if msg := status.Convert(err).Message(); !strings.Contains(msg, "data") {
			t.Errorf("data %q: message %q does not name the field", data, msg)
		}
	}

	// A block may be larger than the other requests (MaxMsgSize, 1 MiB).
	big := "01" + strings.Repeat("ab", api.MaxSubmitBlockMsg/2-16)
	if resp, err := c.mining.SubmitBlock(ctx, &apiv1.SubmitBlockRequest{Data: big}); err != nil || !resp.Accepted {
		t.Fatalf("block of %d hex digits: %v, %v", len(big), resp, err)
	}
	huge := "01" + strings.Repeat("ab", api.MaxSubmitBlockMsg/2)
	_, err = c.mining.SubmitBlock(ctx, &apiv1.SubmitBlockRequest{Data: huge})
	wantCode(t, "block above the limit", err, codes.InvalidArgument)

	// The read-only credential may not submit.
	ro := dial(t, srv, api.ReadOnlyCredFilename)
	_, err = ro.mining.SubmitBlock(ctx, &apiv1.SubmitBlockRequest{Data: sampleBlockHex})
	wantCode(t, "read-only submit", err, codes.PermissionDenied)
}

func TestGetMiningInfo(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(0), nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()
	resp, err := c.mining.GetMiningInfo(ctx, &apiv1.GetMiningInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Height != 30 || len(resp.RecentBlocks) != api.DefaultRecentBlocks ||
		resp.RecentBlocks[0].Height != 30 || resp.ScheduleOffsetSeconds != -12 ||
		resp.NextBits != "207fffff" || resp.NetworkHashPs != 1234.5 || resp.Network != "powregtest" {
		t.Fatalf("mining info %v", resp)
	}
	for _, n := range []int32{-1, api.MaxRecentBlocks + 1} {
		_, err := c.mining.GetMiningInfo(ctx, &apiv1.GetMiningInfoRequest{RecentBlocks: n})
		wantCode(t, "recent_blocks", err, codes.InvalidArgument)
	}
}

// TestRESTMining sends a block as large as a block may be through the
// gateway, whose other POSTs take far less, and reads a template.
func TestRESTMining(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(0), nil)
	client := restClient(t, srv)
	admin := credential(t, srv, api.AdminCredFilename)
	big := "01" + strings.Repeat("ab", 1_000_000-1)
	status, body := restDo(t, client, srv, admin, restCall{verb: "POST",
		path: "/v1/mining/submit", body: `{"data": "` + big + `"}`})
	wantREST(t, "large block", status, body, http.StatusOK, codes.OK)
	var sub struct {
		Accepted bool `json:"accepted"`
	}
	if err := json.Unmarshal(body, &sub); err != nil || !sub.Accepted {
		t.Fatalf("submit answer %s: %v", body, err)
	}

	status, body = restDo(t, client, srv, admin, restCall{verb: "GET", path: "/v1/mining/template"})
	wantREST(t, "template", status, body, http.StatusOK, codes.OK)
	var tmpl struct {
		CoinbaseTxn struct {
			Data string `json:"data"`
		} `json:"coinbase_txn"`
		LongPollID string `json:"long_poll_id"`
	}
	if err := json.Unmarshal(body, &tmpl); err != nil || tmpl.LongPollID != "fake-1" || tmpl.CoinbaseTxn.Data == "" {
		t.Fatalf("template %s: %v", body, err)
	}
}
