package api

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

func withUnknown(t *testing.T, m proto.Message, num protowire.Number) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, "from a newer client")
}

func TestCheckRequest(t *testing.T) {
	// A nested unknown field: the second utxo of a list carries one.
	inner := withUnknown(t, &apiv1.SidechainUtxo{Outpoint: "x:1"}, 77)
	outer, err := proto.Marshal(&apiv1.ListUnspentResponse{
		Utxos: []*apiv1.SidechainUtxo{{Outpoint: "x:0"}}})
	if err != nil {
		t.Fatal(err)
	}
	outer = protowire.AppendTag(outer, 1, protowire.BytesType)
	outer = protowire.AppendBytes(outer, inner)

	tests := []struct {
		name string
		data []byte
		msg  proto.Message
		want codes.Code
		text string
	}{
		{"known fields", mustMarshal(t, &apiv1.GetWinnerRequest{Height: 7}),
			&apiv1.GetWinnerRequest{}, codes.OK, ""},
		{"unknown field", withUnknown(t, &apiv1.GetWinnerRequest{Height: 7}, 99),
			&apiv1.GetWinnerRequest{}, codes.InvalidArgument, "field number 99"},
		{"nested unknown field", outer, &apiv1.ListUnspentResponse{},
			codes.InvalidArgument, "utxos[1] has field number 77"},
		{"oversized", mustMarshal(t, &apiv1.SendRawTransactionRequest{RawHex: strings.Repeat("ab", 150)}),
			&apiv1.SendRawTransactionRequest{}, codes.InvalidArgument, "303 bytes"},
	}
	for _, tc := range tests {
		if err := proto.Unmarshal(tc.data, tc.msg); err != nil {
			t.Fatal(err)
		}
		err := checkRequest(tc.msg, 200)
		if got := status.Code(err); got != tc.want {
			t.Errorf("%s: code %v, want %v (%v)", tc.name, got, tc.want, err)
			continue
		}
		if tc.text != "" && !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: %q does not say %q", tc.name, err, tc.text)
		}
	}
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
