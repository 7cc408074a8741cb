package p2p

import (
	"google.golang.org/grpc"

	p2pv1 "github.com/mainstake/sidenode/proto/sidenode/p2p/v1"
)

// conn is one direction-neutral Exchange stream. The dialling side holds
// the client end and the dialled side the server end; behind conn the
// session code is the same for both. One goroutine may call Send while
// another calls Recv, but never two of either at once.
type conn interface {
	// Send sends one message, blocking on flow control.
	Send(*p2pv1.Message) error

	// Recv receives one message. The message may be nil or empty if the
	// peer sent an empty envelope; validate rejects it.
	Recv() (*p2pv1.Message, error)
}

// clientConn is the dialling side's end of an Exchange stream.
type clientConn struct {
	stream grpc.BidiStreamingClient[p2pv1.ExchangeRequest, p2pv1.ExchangeResponse]
}

// Send sends m in an ExchangeRequest.
func (c clientConn) Send(m *p2pv1.Message) error {
	return c.stream.Send(&p2pv1.ExchangeRequest{Message: m})
}

// Recv receives the message of an ExchangeResponse.
func (c clientConn) Recv() (*p2pv1.Message, error) {
	r, err := c.stream.Recv()
	if err != nil {
		return nil, err
	}
	return r.GetMessage(), nil
}

// serverConn is the dialled side's end of an Exchange stream.
type serverConn struct {
	stream grpc.BidiStreamingServer[p2pv1.ExchangeRequest, p2pv1.ExchangeResponse]
}

// Send sends m in an ExchangeResponse.
func (c serverConn) Send(m *p2pv1.Message) error {
	return c.stream.Send(&p2pv1.ExchangeResponse{Message: m})
}

// Recv receives the message of an ExchangeRequest.
func (c serverConn) Recv() (*p2pv1.Message, error) {
	r, err := c.stream.Recv()
	if err != nil {
		return nil, err
	}
	return r.GetMessage(), nil
}

// envelopeOverhead is the most bytes the ExchangeRequest/Response envelope
// adds to a Message: one tag byte and a length varint.
const envelopeOverhead = 1 + 5
