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

// TestPoolService reads every PoolService method with the read-only
// credential and checks the fields the server fills from the backend's
// figures: the reject total, the statuses, the times, the pages.
func TestPoolService(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(0), nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()

	st, err := c.pool.GetPoolStats(ctx, &apiv1.GetPoolStatsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	r := st.GetSharesRejected()
	if st.Connections != 3 || st.HashPs != 3e9 || st.HashrateWindowSeconds != 600 ||
		st.SharesAccepted != 1500 || r.GetTotal() != 11 || r.GetBadNtime() != 4 ||
		r.GetStale() != 3 || st.Scheme != "pplns" || st.CommissionPpm != 10_000 ||
		st.BlocksOrphaned != 1 || !st.AuditOk || len(st.Listen) != 1 {
		t.Fatalf("stats %v", st)
	}

	ws, err := c.pool.ListPoolWorkers(ctx, &apiv1.ListPoolWorkersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if ws.Total != 2 || len(ws.Workers) != 2 || ws.Workers[0].Name != apitest.PoolWorkerA ||
		ws.Workers[0].LastShareTime != 1_700_000_000 || ws.Workers[1].LastShareTime != 0 ||
		ws.Workers[0].PayoutAddress != apitest.SideAddress ||
		ws.Workers[0].SharesRejected.GetTotal() != 6 || ws.Workers[1].OwedSat != 250_000 {
		t.Fatalf("workers %v", ws)
	}
	one, err := c.pool.ListPoolWorkers(ctx, &apiv1.ListPoolWorkersRequest{Worker: apitest.PoolWorkerB, Limit: 1, Offset: 5})
	if err != nil || len(one.Workers) != 1 || one.Workers[0].Name != apitest.PoolWorkerB {
		t.Fatalf("one worker: %v, %v", one, err)
	}
	_, err = c.pool.ListPoolWorkers(ctx, &apiv1.ListPoolWorkersRequest{Worker: "carol"})
	wantCode(t, "unknown worker", err, codes.NotFound)
	_, err = c.pool.ListPoolWorkers(ctx, &apiv1.ListPoolWorkersRequest{Worker: strings.Repeat("w", api.MaxWorkerName+1)})
	wantCode(t, "long worker name", err, codes.InvalidArgument)
	if !strings.Contains(status.Convert(err).Message(), "worker has 257 bytes") {
		t.Errorf("long worker name: %v", err)
	}

	bs, err := c.pool.ListPoolBlocks(ctx, &apiv1.ListPoolBlocksRequest{Reversed: true, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if bs.Total != 3 || len(bs.Blocks) != 2 || bs.Blocks[0].Height != 29 ||
		bs.Blocks[0].Status != apiv1.PoolBlockStatus_POOL_BLOCK_STATUS_PENDING ||
		bs.Blocks[1].Status != apiv1.PoolBlockStatus_POOL_BLOCK_STATUS_ORPHANED ||
		bs.Blocks[0].Confirmations != 2 || len(bs.Blocks[0].Hash) != 64 {
		t.Fatalf("blocks %v", bs)
	}

	a, err := c.pool.GetPoolAudit(ctx, &apiv1.GetPoolAuditRequest{Offset: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Ok || a.Total != 3 || len(a.Blocks) != 2 || a.Blocks[0].EarnedSat != 0 ||
		a.EarnedSat != a.PaidSat+a.OwedSat+a.FeeSat || !a.Blocks[1].Ok {
		t.Fatalf("audit %v", a)
	}

	ps, err := c.pool.ListPoolPayouts(ctx, &apiv1.ListPoolPayoutsRequest{Reversed: true, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if ps.Total != 4 || len(ps.Payouts) != 1 || ps.Payouts[0].Height != -1 ||
		ps.Payouts[0].Txid != apitest.PoolPayoutTxID(3) || len(ps.Payouts[0].Outputs) != 2 ||
		ps.Payouts[0].Outputs[1].Worker != apitest.PoolWorkerB {
		t.Fatalf("payouts %v", ps)
	}

	// Pages above the maximum page size are refused, as everywhere.
	_, err = c.pool.ListPoolBlocks(ctx, &apiv1.ListPoolBlocksRequest{Limit: 1 << 30})
	wantCode(t, "blocks page", err, codes.InvalidArgument)
	_, err = c.pool.ListPoolPayouts(ctx, &apiv1.ListPoolPayoutsRequest{Limit: 1 << 30})
	wantCode(t, "payouts page", err, codes.InvalidArgument)
	_, err = c.pool.GetPoolAudit(ctx, &apiv1.GetPoolAuditRequest{Limit: 1 << 30})
	wantCode(t, "audit page", err, codes.InvalidArgument)
	_, err = c.pool.ListPoolWorkers(ctx, &apiv1.ListPoolWorkersRequest{Limit: 1 << 30})
	wantCode(t, "workers page", err, codes.InvalidArgument)
}

// TestPoolServiceNoPool: a node without a pool answers every method
// FailedPrecondition, in words that name the flag.
func TestPoolServiceNoPool(t *testing.T) {
	b := apitest.NewBackend(0)
	b.SetNoPool(true)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"stats":   func() error { _, err := c.pool.GetPoolStats(ctx, &apiv1.GetPoolStatsRequest{}); return err },
		"workers": func() error { _, err := c.pool.ListPoolWorkers(ctx, &apiv1.ListPoolWorkersRequest{}); return err },
		"blocks":  func() error { _, err := c.pool.ListPoolBlocks(ctx, &apiv1.ListPoolBlocksRequest{}); return err },
		"audit":   func() error { _, err := c.pool.GetPoolAudit(ctx, &apiv1.GetPoolAuditRequest{}); return err },
		"payouts": func() error { _, err := c.pool.ListPoolPayouts(ctx, &apiv1.ListPoolPayoutsRequest{}); return err },
	} {
		err := call()
		wantCode(t, name, err, codes.FailedPrecondition)
		if !strings.Contains(status.Convert(err).Message(), "--stratum") {
			t.Errorf("%s: %v does not name --stratum", name, err)
		}
	}
}

// TestRESTPool reads the pool's stats and blocks through the gateway with
// the read-only credential: proto field names, statuses as words.
func TestRESTPool(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(0), nil)
	client := restClient(t, srv)
	ro := credential(t, srv, api.ReadOnlyCredFilename)
	code, body := restDo(t, client, srv, ro, restCall{verb: "GET", path: "/v1/pool/stats"})
	wantREST(t, "stats", code, body, http.StatusOK, codes.OK)
	var st struct {
		Connections    int    `json:"connections"`
		SharesAccepted string `json:"shares_accepted"`
		SharesRejected struct {
			LowDifficulty string `json:"low_difficulty"`
		} `json:"shares_rejected"`
		AuditOK bool `json:"audit_ok"`
	}
	if err := json.Unmarshal(body, &st); err != nil || st.Connections != 3 ||
		st.SharesAccepted != "1500" || st.SharesRejected.LowDifficulty != "2" || !st.AuditOK {
		t.Fatalf("stats %s: %v", body, err)
	}
	code, body = restDo(t, client, srv, ro, restCall{verb: "GET", path: "/v1/pool/blocks?reversed=true"})
	wantREST(t, "blocks", code, body, http.StatusOK, codes.OK)
	if !strings.Contains(string(body), `"status":"POOL_BLOCK_STATUS_PENDING"`) {
		t.Fatalf("blocks %s", body)
	}
	code, body = restDo(t, client, srv, ro, restCall{verb: "GET", path: "/v1/pool/workers?worker=carol"})
	wantREST(t, "unknown worker", code, body, http.StatusNotFound, codes.NotFound)
}
