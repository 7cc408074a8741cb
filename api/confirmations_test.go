package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// TestConfirmationsValue pins the one figure: the smaller of the
// sidechain's and the anchor's confirmations, 0 without a best-chain
// block or an anchor.
func TestConfirmationsValue(t *testing.T) {
	anchor := func(n int32) *api.Anchor { return &api.Anchor{Confirmations: n} }
	for _, tc := range []struct {
		name string
		c    api.Confirmations
		want int32
	}{
		{"mempool only", api.Confirmations{InMempool: true}, 0},
		{"side shallower than the anchor", api.Confirmations{InBlock: true, OnBestChain: true,
			SideConfirmations: 2, Anchor: anchor(5)}, 2},
		{"anchor shallower than the side", api.Confirmations{InBlock: true, OnBestChain: true,
			SideConfirmations: 9, Anchor: anchor(3)}, 3},
		{"off the best chain", api.Confirmations{InBlock: true, SideConfirmations: 0, Anchor: anchor(3)}, 0},
		{"not published", api.Confirmations{InBlock: true, OnBestChain: true, SideConfirmations: 4}, 0},
	} {
		if got := tc.c.Value(); got != tc.want {
			t.Errorf("%s: Value() = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestConfirmationsDpow pins dPoW counting (dpowconfs): with it on, 0
// unconfirmed, 1 until notarized, the raw figure once notarized; with it
// off the raw figure; RawValue always the raw figure.
func TestConfirmationsDpow(t *testing.T) {
	confirmed := api.Confirmations{InBlock: true, OnBestChain: true, SideConfirmations: 4,
		Anchor: &api.Anchor{Confirmations: 6}}
	for _, tc := range []struct {
		name            string
		c               api.Confirmations
		dpow, notarized bool
		want            int32
	}{
		{"unconfirmed", api.Confirmations{InMempool: true}, true, false, 0},
		{"confirmed, not notarized", confirmed, true, false, 1},
		{"notarized", confirmed, true, true, 4},
		{"counting off", confirmed, false, false, 4},
	} {
		c := tc.c
		c.Dpow, c.Notarized = tc.dpow, tc.notarized
		if got := c.Value(); got != tc.want {
			t.Errorf("%s: Value() = %d, want %d", tc.name, got, tc.want)
		}
		if got, raw := c.RawValue(), tc.c.RawValue(); got != raw {
			t.Errorf("%s: RawValue() = %d, want %d", tc.name, got, raw)
		}
	}
}

func TestGetConfirmations(t *testing.T) {
	b := apitest.NewBackend(0)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()

	// Block at height 1: 2 sidechain confirmations, published in
	// mainchain block 102 with the tip at 104 (3 confirmations).
	r, err := c.sidechain.GetConfirmations(ctx, &apiv1.GetConfirmationsRequest{
		Target: &apiv1.GetConfirmationsRequest_Height{Height: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetKind() != apiv1.ConfirmationsKind_CONFIRMATIONS_KIND_BLOCK || r.GetTxid() != "" ||
		r.GetBlockHash() != b.SideBest[1].String() || r.GetSideConfirmations() != 2 ||
		!r.GetAnchored() || r.GetAnchor().GetHeight() != 102 || r.GetAnchor().GetConfirmations() != 3 ||
		r.GetConfirmations() != 2 || r.GetNotarization() != nil || r.GetMainTipHeight() != apitest.FakeMainTip {
		t.Errorf("block 1: %v", r)
	}

	// A confirmed transaction, by id, is its block's figures.
	txid := b.SideBlocks[b.SideBest[0]].TxIDs[0]
	r, err = c.sidechain.GetConfirmations(ctx, &apiv1.GetConfirmationsRequest{
		Target: &apiv1.GetConfirmationsRequest_Id{Id: txid.String()}})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetKind() != apiv1.ConfirmationsKind_CONFIRMATIONS_KIND_TRANSACTION || r.GetTxid() != txid.String() ||
		r.GetBlockHeight() != 0 || r.GetSideConfirmations() != 3 || r.GetConfirmations() != 3 {
		t.Errorf("tx in block 0: %v", r)
	}

	// In the mempool: 0.
	r, err = c.sidechain.GetConfirmations(ctx, &apiv1.GetConfirmationsRequest{
		Target: &apiv1.GetConfirmationsRequest_Id{Id: mempoolTxID}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.GetInMempool() || r.GetConfirmations() != 0 || r.GetAnchored() || r.GetBlockHash() != "" {
		t.Errorf("mempool tx: %v", r)
	}
}

// TestGetConfirmationsBadInput: garbage and unknown ids, in the user's
// terms.
func TestGetConfirmationsBadInput(t *testing.T) {
	b := apitest.NewBackend(0)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		req  *apiv1.GetConfirmationsRequest
		code codes.Code
		want string
	}{
		{"nothing named", &apiv1.GetConfirmationsRequest{}, codes.InvalidArgument, "name the transaction or block"},
		{"garbage", &apiv1.GetConfirmationsRequest{Target: &apiv1.GetConfirmationsRequest_Id{Id: "<script>"}},
			codes.InvalidArgument, "id is not a sidechain transaction id or sideblock hash"},
		{"not hex", &apiv1.GetConfirmationsRequest{Target: &apiv1.GetConfirmationsRequest_Id{Id: strings.Repeat("zz", 32)}},
			codes.InvalidArgument, "it is not hex"},
		{"unknown", &apiv1.GetConfirmationsRequest{Target: &apiv1.GetConfirmationsRequest_Id{Id: strings.Repeat("ab", 32)}},
			codes.NotFound, "no sidechain transaction or block"},
		{"negative height", &apiv1.GetConfirmationsRequest{Target: &apiv1.GetConfirmationsRequest_Height{Height: -1}},
			codes.InvalidArgument, "height -1 is negative"},
		{"height above the tip", &apiv1.GetConfirmationsRequest{Target: &apiv1.GetConfirmationsRequest_Height{Height: 99}},
			codes.NotFound, "no block at height 99"},
	} {
		_, err := c.sidechain.GetConfirmations(ctx, tc.req)
		st := status.Convert(err)
		if st.Code() != tc.code || !strings.Contains(st.Message(), tc.want) {
			t.Errorf("%s: %v %q, want %v containing %q", tc.name, st.Code(), st.Message(), tc.code, tc.want)
		}
	}
}

func TestAlarms(t *testing.T) {
	b := apitest.NewBackend(0)
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	stalled := api.Alarm{Code: "sidechain_stalled", Critical: true, Message: "no sideblock",
		Raised: time.Unix(1_800_000_000, 0), Height: 7}
	b.RaiseAlarm(stalled)
	list, err := c.node.ListAlarms(ctx, &apiv1.ListAlarmsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetAlarms()) != 1 || list.GetAlarms()[0].GetReason() != apiv1.AlarmReason_ALARM_REASON_SIDECHAIN_STALLED ||
		list.GetAlarms()[0].GetSeverity() != apiv1.AlarmSeverity_ALARM_SEVERITY_CRITICAL ||
		list.GetAlarms()[0].GetRaisedHeight() != 7 || list.GetAlarms()[0].GetRaisedUnix() != 1_800_000_000 {
		t.Fatalf("ListAlarms = %v", list)
	}

	stream, err := c.node.SubscribeAlarms(ctx, &apiv1.SubscribeAlarmsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if st := m.GetState(); st == nil || len(st.GetAlarms()) != 1 || st.GetAlarms()[0].GetCode() != "sidechain_stalled" {
		t.Fatalf("first message %v, want the state with the stalled alarm", m)
	}
	b.RaiseAlarm(api.Alarm{Code: "backend_disconnected", Message: "gone"})
	b.ClearAlarm("sidechain_stalled")
	for _, want := range []struct {
		raised bool
		reason apiv1.AlarmReason
	}{
		{true, apiv1.AlarmReason_ALARM_REASON_BACKEND_DISCONNECTED},
		{false, apiv1.AlarmReason_ALARM_REASON_SIDECHAIN_STALLED},
	} {
		m, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		ev := m.GetChanged()
		if ev == nil || ev.GetRaised() != want.raised || ev.GetAlarm().GetReason() != want.reason {
			t.Fatalf("event %v, want raised=%v %v", m, want.raised, want.reason)
		}
	}
}
