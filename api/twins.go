package api

import (
	"math"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A height, depth or confirmation count is an int32 in every message, a
// number in JSON (api/doc.go, "Types"). The fields that were uint64 or
// int64 before that rule, which JSON writes as strings, stay, deprecated,
// and each has an int32 twin next to it. The server fills both: the
// services set the twin; twinResponse copies it into the deprecated field
// of every message the server sends (a service that set only the
// deprecated field has its twin filled from it), and twinRequest reads
// either from a request (a cursor), and refuses both when they differ.
// Only this file names the deprecated fields, through protoreflect.

// int32Twins maps each deprecated 64-bit field, by its full name, to the
// name of its int32 twin in the same message.
var int32Twins = map[protoreflect.FullName]protoreflect.Name{
	"sidenode.api.v1.SidechainState.tip_height":                "height",
	"sidenode.api.v1.Peer.best_height":                         "best_block_height",
	"sidenode.api.v1.GetWithdrawalResponse.sideblock_height":   "side_block_height",
	"sidenode.api.v1.GetWithdrawalResponse.side_depth":         "side_block_depth",
	"sidenode.api.v1.PegAudit.side_blocks":                     "side_block_count",
	"sidenode.api.v1.GetBlockResponse.height":                  "block_height",
	"sidenode.api.v1.GetBlockResponse.confirmations":           "num_confirmations",
	"sidenode.api.v1.GetTransactionResponse.block_height":      "height",
	"sidenode.api.v1.GetTransactionResponse.confirmations":     "num_confirmations",
	"sidenode.api.v1.SidechainBlockRef.height":                 "block_height",
	"sidenode.api.v1.SidechainBlock.height":                    "block_height",
	"sidenode.api.v1.SideWalletTransaction.block_height":       "height",
	"sidenode.api.v1.SideWalletTransaction.confirmations":      "num_confirmations",
	"sidenode.api.v1.ListSideTransactionsResponse.from_height": "from_block_height",
	"sidenode.api.v1.ListSideTransactionsResponse.to_height":   "to_block_height",
	"sidenode.api.v1.WalletCoin.confirmations":                 "num_confirmations",
	"sidenode.api.v1.WalletTransaction.confirmations":          "num_confirmations",
}

// twinPair is a deprecated field and its twin.
type twinPair struct{ old, twin protoreflect.FieldDescriptor }

// twinsOf returns the pairs of a message type.
func twinsOf(md protoreflect.MessageDescriptor) []twinPair {
	var out []twinPair
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if name, ok := int32Twins[fd.FullName()]; ok {
			if twin := fields.ByName(name); twin != nil {
				out = append(out, twinPair{fd, twin})
			}
		}
	}
	return out
}

// oldValue returns the deprecated field's value as an int64.
func oldValue(m protoreflect.Message, fd protoreflect.FieldDescriptor) int64 {
	v := m.Get(fd)
	if fd.Kind() == protoreflect.Uint64Kind {
		return int64(min(v.Uint(), math.MaxInt64))
	}
	return v.Int()
}

// setOld sets the deprecated field to n (0 for a negative n in an unsigned
// field).
func setOld(m protoreflect.Message, fd protoreflect.FieldDescriptor, n int64) {
	if fd.Kind() == protoreflect.Uint64Kind {
		m.Set(fd, protoreflect.ValueOfUint64(uint64(max(n, 0))))
		return
	}
	m.Set(fd, protoreflect.ValueOfInt64(n))
}

// clamp32 is n as an int32, clamped.
func clamp32(n int64) int32 {
	return int32(max(min(n, math.MaxInt32), math.MinInt32))
}

// twinResponse fills both fields of every pair in m and the messages it
// holds: the twin wins when set.
func twinResponse(resp any) {
	if m, ok := resp.(proto.Message); ok {
		_ = walkTwins(m.ProtoReflect(), "", func(m protoreflect.Message, p twinPair, _ string) error {
			if twin := m.Get(p.twin).Int(); twin != 0 {
				setOld(m, p.old, twin)
			} else if old := oldValue(m, p.old); old != 0 {
				m.Set(p.twin, protoreflect.ValueOfInt32(clamp32(old)))
			}
			return nil
		})
	}
}

// twinRequest fills both fields of every pair in a request from the one
// the client set, and refuses a request that sets both to different
// values, naming them as the client wrote them.
func twinRequest(req any) error {
	m, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	return walkTwins(m.ProtoReflect(), "", func(m protoreflect.Message, p twinPair, path string) error {
		twin, old := m.Get(p.twin).Int(), oldValue(m, p.old)
		switch {
		case twin != 0 && old != 0 && twin != old:
			return status.Errorf(codes.InvalidArgument, "%s%s (%d) and %s%s (%d) "+
				"differ: give one of them", path, p.twin.Name(), twin, path, p.old.Name(), old)
		case twin != 0:
			setOld(m, p.old, twin)
		case old != 0:
			if old > math.MaxInt32 {
				return status.Errorf(codes.InvalidArgument, "%s%s %d is too "+
					"large: the highest height is %d", path, p.old.Name(), old, math.MaxInt32)
			}
			m.Set(p.twin, protoreflect.ValueOfInt32(int32(old)))
		}
		return nil
	})
}

// walkTwins calls f for every pair of m and of the messages m holds;
// path is the field path to the message, ending in ".", "" for m.
func walkTwins(m protoreflect.Message, path string,
	f func(protoreflect.Message, twinPair, string) error) error {

	for _, p := range twinsOf(m.Descriptor()) {
		if err := f(m, p, path); err != nil {
			return err
		}
	}
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Message() == nil || fd.IsMap() {
			return true
		}
		name := path + string(fd.Name())
		if fd.IsList() {
			list := v.List()
			for i := 0; i < list.Len() && err == nil; i++ {
				err = walkTwins(list.Get(i).Message(), name+".", f)
			}
		} else {
			err = walkTwins(v.Message(), name+".", f)
		}
		return err == nil
	})
	return err
}

// num32 is n as an int32, clamped: the type of every height, depth and
// confirmation count in the API's messages.
func num32[T ~int | ~int32 | ~int64 | ~uint32 | ~uint64](n T) int32 {
	if n < 0 {
		return int32(max(int64(n), math.MinInt32))
	}
	if uint64(n) > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(n)
}
