package api

import (
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
)

// requestCodec is the server's codec: grpc-go's proto codec, except that
// a request it cannot decode is not an error of the codec, which grpc-go
// would answer with Internal before any interceptor runs, but an error
// recorded for the message, which the interceptors answer after the
// credential check, with InvalidArgument (undecodable). A malformed
// request is the caller's error, never the server's.
type requestCodec struct {
	base encoding.CodecV2

	// failed maps a message that could not be decoded to its error,
	// until undecodable takes it.
	failed sync.Map
}

func newRequestCodec() *requestCodec {
	return &requestCodec{base: encoding.GetCodecV2(proto.Name)}
}

// Marshal implements encoding.CodecV2.
func (c *requestCodec) Marshal(v any) (mem.BufferSlice, error) {
	return c.base.Marshal(v)
}

// Unmarshal implements encoding.CodecV2: it records an error for v
// rather than return it.
func (c *requestCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if err := c.base.Unmarshal(data, v); err != nil {
		c.failed.Store(v, err)
	}
	return nil
}

// Name implements encoding.CodecV2.
func (c *requestCodec) Name() string { return c.base.Name() }

// undecodable returns, and forgets, the InvalidArgument error of a
// message that could not be decoded, nil for one that was.
func (c *requestCodec) undecodable(v any) error {
	err, ok := c.failed.LoadAndDelete(v)
	if !ok {
		return nil
	}
	return status.Errorf(codes.InvalidArgument, "the request is not a "+
		"protobuf message of the method's request type: %v", err)
}
