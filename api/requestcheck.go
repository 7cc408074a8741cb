package api

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// transportSlack is how many times MaxMsgSize the gRPC transport reads
// before it refuses a message by itself. Between MaxMsgSize and that
// limit the server answers InvalidArgument with the size; above it
// grpc-go answers ResourceExhausted from the length prefix alone, without
// reading the message.
const transportSlack = 4

// checkRequest refuses with InvalidArgument a request larger than limit
// bytes and one that carries a field the server does not know: a field
// from a newer client would otherwise be dropped silently, and a write
// method must not run without an option its caller set. It then fills
// the int32 twins of deprecated fields (twinRequest).
func checkRequest(req any, limit int) error {
	m, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	if n := proto.Size(m); n > limit {
		return status.Errorf(codes.InvalidArgument, "request of %d bytes is "+
			"above the maximum message size of %d bytes", n, limit)
	}
	if err := checkKnown(m.ProtoReflect(), ""); err != nil {
		return err
	}
	return twinRequest(m)
}

// checkUnary is the unary interceptor that runs checkRequest, and
// twinResponse on the answer.
func (s *Server) checkUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo,
	handler grpc.UnaryHandler) (any, error) {

	limit := s.cfg.MaxMsgSize
	if info != nil && info.FullMethod == apiv1.MiningService_SubmitBlock_FullMethodName {
		limit = max(limit, maxSubmitBlockMsg)
	}
	if err := checkRequest(req, limit); err != nil {
		return nil, err
	}
	resp, err := handler(ctx, req)
	if err == nil {
		twinResponse(resp)
	}
	return resp, err
}

// decodedUnary returns the first unary interceptor: it takes the error
// codec recorded for a request it could not decode (always, so that no
// record stays behind), and answers it with InvalidArgument once tok has
// checked the credential and the permission, whose refusals come first.
// grpc-go decodes a request before any interceptor runs, but nothing of
// one that failed is used.
func decodedUnary(codec *requestCodec, tok *tokens) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo,
		handler grpc.UnaryHandler) (any, error) {

		if err := codec.undecodable(req); err != nil {
			if aerr := tok.authorize(ctx, info.FullMethod); aerr != nil {
				return nil, aerr
			}
			return nil, err
		}
		return handler(ctx, req)
	}
}

// checkStream returns the stream interceptor that runs checkRequest on
// every message a stream receives, after the error codec recorded for
// one it could not decode.
func (s *Server) checkStream(codec *requestCodec) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo,
		handler grpc.StreamHandler) error {

		return handler(srv, &checkedStream{ServerStream: ss,
			limit: s.cfg.MaxMsgSize, codec: codec})
	}
}

type checkedStream struct {
	grpc.ServerStream
	limit int
	codec *requestCodec
}

// SendMsg implements grpc.ServerStream: it fills the int32 twins of the
// message's deprecated fields (twinResponse).
func (c *checkedStream) SendMsg(m any) error {
	twinResponse(m)
	return c.ServerStream.SendMsg(m)
}

// RecvMsg implements grpc.ServerStream.
func (c *checkedStream) RecvMsg(m any) error {
	if err := c.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if c.codec != nil {
		if err := c.codec.undecodable(m); err != nil {
			return err
		}
	}
	return checkRequest(m, c.limit)
}

// checkKnown returns an InvalidArgument error naming the first unknown
// field in m or in any message it holds.
func checkKnown(m protoreflect.Message, path string) error {
	if unknown := m.GetUnknown(); len(unknown) > 0 {
		num, _, _ := protowire.ConsumeTag(unknown)
		where := string(m.Descriptor().Name())
		if path != "" {
			where = path
		}
		return status.Errorf(codes.InvalidArgument, "%s has field number %d, "+
			"which this server does not know (is the client newer than the "+
			"server?)", where, num)
	}
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := string(fd.Name())
		if path != "" {
			name = path + "." + name
		}
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() == nil {
				return true
			}
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				err = checkKnown(mv.Message(), fmt.Sprintf("%s[%v]", name, k.Interface()))
				return err == nil
			})
		case fd.IsList():
			if fd.Message() == nil {
				return true
			}
			list := v.List()
			for i := 0; i < list.Len() && err == nil; i++ {
				err = checkKnown(list.Get(i).Message(), fmt.Sprintf("%s[%d]", name, i))
			}
		case fd.Message() != nil:
			err = checkKnown(v.Message(), name)
		}
		return err == nil
	})
	return err
}
