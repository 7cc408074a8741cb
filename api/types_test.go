package api_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// uint32Heights are the heights and block counts that are uint32, from
// before the rule that makes every one an int32. A uint32 is a number in
// JSON as an int32 is, so they keep their type and no twin: a twin would
// say the same thing twice with the same JSON type.
var uint32Heights = map[string]string{
	"sidenode.api.v1.Ticket.lock_height":                 "the stake's lock, as the mainchain's CLTV reads it",
	"sidenode.api.v1.CreateStakeResponse.lock_height":    "the same in the answer to create",
	"sidenode.api.v1.CreateStakeRequest.lock_blocks":     "a request's block count",
	"sidenode.api.v1.ListSideTransactionsRequest.blocks": "a request's block count: the last blocks to scan",
}

// requestOnly64 are 64-bit heights in requests alone. protojson reads a
// 64-bit integer from a JSON number as well as a string, so no client
// sees the difference; gRPC clients keep the field they have.
var requestOnly64 = map[string]string{
	"sidenode.api.v1.GetBlockRequest.height": "the block's height, in a oneof with its hash",
}

// kbFeeRates are the sidechain fee rates in sat/kB, kept next to their
// sat/vB twins for the clients that use them.
var kbFeeRates = map[string]bool{
	"sidenode.api.v1.EstimateFeeResponse.fee_rate_sat_kb":     true,
	"sidenode.api.v1.EstimateFeeResponse.min_fee_rate_sat_kb": true,
	"sidenode.api.v1.SendSideRequest.fee_rate_sat_kb":         true,
	"sidenode.api.v1.PegOutRequest.fee_rate_sat_kb":           true,
}

// isHeightLike says whether a field's name makes it a height, a depth, a
// confirmation count or a count of blocks.
func isHeightLike(name string) bool {
	return name == "height" || strings.HasSuffix(name, "_height") ||
		strings.Contains(name, "depth") || strings.Contains(name, "confirmations") ||
		name == "min_conf" || name == "blocks" || strings.HasSuffix(name, "_blocks") ||
		strings.HasSuffix(name, "_block_count")
}

// TestFieldTypes walks every field of every message of the API and checks
// one type per concept (api/doc.go, "Types"): heights, depths,
// confirmations and counts of blocks are int32 (a JSON number); amounts
// (_sat) are int64 (a JSON string, as lnd writes its amounts); fee rates
// are int64 sat/vB (_sat_vb). A deprecated 64-bit height must have an
// int32 twin that the server fills (int32Twins).
func TestFieldTypes(t *testing.T) {
	twins := api.Int32Twins()
	checked := 0
	var walk func(md protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		for i := 0; i < md.Messages().Len(); i++ {
			walk(md.Messages().Get(i))
		}
		fields := md.Fields()
		for i := 0; i < fields.Len(); i++ {
			fd := fields.Get(i)
			full, name, kind := string(fd.FullName()), string(fd.Name()), fd.Kind()
			integer := kind != protoreflect.StringKind && kind != protoreflect.BoolKind &&
				kind != protoreflect.BytesKind && kind != protoreflect.MessageKind &&
				kind != protoreflect.EnumKind
			deprecated := fd.Options().(*descriptorpb.FieldOptions).GetDeprecated()
			switch {
			case !integer, md.IsMapEntry():
			case strings.Contains(name, "fee_rate"):
				checked++
				if kind != protoreflect.Int64Kind ||
					!strings.HasSuffix(name, "_sat_vb") && !kbFeeRates[full] {
					t.Errorf("%s is a fee rate: it must be an int64 in sat/vB (_sat_vb), not a %v", full, kind)
				}
			case strings.HasSuffix(name, "_sat") || strings.Contains(name, "amount") ||
				strings.Contains(name, "value") || strings.Contains(name, "balance") ||
				strings.Contains(name, "fee"):
				checked++
				if kind != protoreflect.Int64Kind || !strings.HasSuffix(name, "_sat") {
					t.Errorf("%s is an amount: it must be an int64 in sat (_sat), not a %v", full, kind)
				}
			case isHeightLike(name):
				checked++
				switch {
				case kind == protoreflect.Int32Kind:
					if _, ok := twins[full]; ok {
						t.Errorf("%s is an int32 and in int32Twins", full)
					}
				case kind == protoreflect.Uint32Kind && uint32Heights[full] != "":
				case requestOnly64[full] != "":
				case deprecated && twins[full] != "":
					twin := md.Fields().ByName(protoreflect.Name(twins[full]))
					if twin == nil || twin.Kind() != protoreflect.Int32Kind {
						t.Errorf("%s: its twin %s is no int32 field of %s", full, twins[full], md.FullName())
					}
				default:
					t.Errorf("%s is a height, depth or confirmation count: it must be an int32, not a %v "+
						"(add an int32 twin, deprecate it and list it in int32Twins)", full, kind)
				}
			}
		}
	}
	protoregistry.GlobalFiles.RangeFilesByPackage("sidenode.api.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := 0; i < fd.Messages().Len(); i++ {
			walk(fd.Messages().Get(i))
		}
		return true
	})
	if checked < 100 {
		t.Fatalf("checked only %d fields: is the package registered?", checked)
	}
	t.Logf("checked %d fields", checked)
	for _, list := range []map[string]string{uint32Heights, requestOnly64} {
		for name := range list {
			if _, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name)); err != nil {
				t.Errorf("allowlisted %s is no field", name)
			}
		}
	}
	for old := range twins {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(old))
		if fd, ok := d.(protoreflect.FieldDescriptor); err != nil || !ok ||
			!fd.Options().(*descriptorpb.FieldOptions).GetDeprecated() {
			t.Errorf("int32Twins: %s is no deprecated field", old)
		}
	}
}

// setField sets the field name of m, by protoreflect: the tests set
// deprecated fields without naming them in Go.
func setField(m proto.Message, name string, v protoreflect.Value) {
	r := m.ProtoReflect()
	r.Set(r.Descriptor().Fields().ByName(protoreflect.Name(name)), v)
}

// getField reads the field name of m.
func getField(m proto.Message, name string) protoreflect.Value {
	r := m.ProtoReflect()
	return r.Get(r.Descriptor().Fields().ByName(protoreflect.Name(name)))
}

// deprecatedRef is a cursor that gives its height in the deprecated
// uint64 field.
func deprecatedRef(height uint64, hash string) *apiv1.SidechainBlockRef {
	r := &apiv1.SidechainBlockRef{Hash: hash}
	setField(r, "height", protoreflect.ValueOfUint64(height))
	return r
}

// TestInt32TwinsFilled: the server fills a deprecated 64-bit height and its
// int32 twin alike, in answers and in streams, and reads a cursor from
// either field.
func TestInt32TwinsFilled(t *testing.T) {
	b := apitest.NewBackend(0)
	b.InfoValue.Sidechain.TipHeight = 2
	srv := apitest.StartServer(t, b, nil)
	c := dial(t, srv, api.ReadOnlyCredFilename)
	ctx := context.Background()

	blk, err := c.sidechain.GetBlock(ctx, &apiv1.GetBlockRequest{
		Block: &apiv1.GetBlockRequest_Height{Height: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if blk.GetBlockHeight() != 2 || getField(blk, "height").Uint() != 2 ||
		blk.GetNumConfirmations() != 1 || getField(blk, "confirmations").Uint() != 1 {
		t.Fatalf("GetBlock: %v", blk)
	}
	info, err := c.node.GetInfo(ctx, &apiv1.GetInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if s := info.GetSidechain(); s.GetHeight() != 2 || getField(s, "tip_height").Uint() != 2 {
		t.Fatalf("GetInfo: %v", s)
	}

	// A stream, with the cursor in the deprecated field, then in the twin.
	first := b.SideBlocks[b.SideBest[1]]
	for _, cur := range []*apiv1.SidechainBlockRef{
		deprecatedRef(1, first.Hash.String()),
		{BlockHeight: 1, Hash: first.Hash.String()},
	} {
		sctx, cancel := context.WithCancel(ctx)
		st, err := c.subscription.SubscribeSideblocks(sctx, &apiv1.SubscribeSideblocksRequest{Cursor: cur})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := st.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if s := ev.GetState(); s.GetHeight() != 2 || getField(s, "tip_height").Uint() != 2 {
			t.Fatalf("cursor %v: state %v", cur, ev)
		}
		if ev, err = st.Recv(); err != nil {
			t.Fatal(err)
		}
		if blk := ev.GetConnected(); blk.GetBlockHeight() != 2 || getField(blk, "height").Uint() != 2 {
			t.Fatalf("cursor %v: event %v, want block 2", cur, ev)
		}
		cancel()
	}

	// Both fields, different: refused, naming both.
	both := deprecatedRef(1, first.Hash.String())
	both.BlockHeight = 2
	st, err := c.subscription.SubscribeSideblocks(ctx, &apiv1.SubscribeSideblocksRequest{Cursor: both})
	if err == nil {
		_, err = st.Recv()
	}
	wantCode(t, "both heights", err, codes.InvalidArgument)
	if msg := err.Error(); !strings.Contains(msg, "cursor.block_height (2) and cursor.height (1) differ") {
		t.Fatalf("message %q", msg)
	}
}
