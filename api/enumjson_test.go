package api_test

import (
	"encoding/json"
	"testing"

	"github.com/mainstake/sidenode/api"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// TestMarshalJSONEnumWords: enum values print as the README's words, at
// any depth and in lists, and nothing else changes.
func TestMarshalJSONEnumWords(t *testing.T) {
	m := &apiv1.ListDepositsResponse{
		Deposits: []*apiv1.Deposit{
			{Status: apiv1.DepositStatus_DEPOSIT_STATUS_MATURED, ValueSat: 1000, SideAddress: "DEPOSIT_STATUS_MINTED"},
			{Status: apiv1.DepositStatus_DEPOSIT_STATUS_MINTED},
			{Status: apiv1.DepositStatus(99)},
		},
		Total: 3,
	}
	b, err := api.MarshalJSON(m)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Deposits []map[string]any
		Total    string
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if len(got.Deposits) != 3 || got.Total != "3" ||
		got.Deposits[0]["status"] != "matured" || got.Deposits[1]["status"] != "minted" ||
		got.Deposits[2]["status"] != 99.0 ||
		got.Deposits[0]["value_sat"] != "1000" ||
		// A string field that holds an enum's name is no enum.
		got.Deposits[0]["side_address"] != "DEPOSIT_STATUS_MINTED" {
		t.Fatalf("got %s", b)
	}

	for _, c := range []struct {
		m    *apiv1.GetWithdrawalResponse
		want string
	}{
		{&apiv1.GetWithdrawalResponse{Stage: apiv1.WithdrawalStage_WITHDRAWAL_STAGE_PAID}, "paid"},
		{&apiv1.GetWithdrawalResponse{}, "unspecified"},
	} {
		b, err := api.MarshalJSON(c.m)
		var v map[string]any
		if err != nil || json.Unmarshal(b, &v) != nil || v["stage"] != c.want {
			t.Fatalf("%v: got %s, want stage %q", err, b, c.want)
		}
	}
	v := apiv1.SidechainBlockStatus_SIDECHAIN_BLOCK_STATUS_INVALID_ANCESTOR
	if w := api.EnumWord(v.Descriptor().Values().ByNumber(v.Number())); w != "invalid_ancestor" {
		t.Fatalf("EnumWord = %q", w)
	}
}
