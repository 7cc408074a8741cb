package nodeapi

import (
	"context"
	"errors"
	"strings"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/p2p"
)

// Control is the node's own controls, which node/ provides: its shutdown
// and its log levels.
type Control interface {
	// Shutdown asks the node to stop, as SIGINT does, and returns at once.
	Shutdown()

	// LogLevels returns every subsystem with its level, ordered by tag.
	LogLevels() []api.LogLevel

	// SetLogLevels applies a --debuglevel spec; an error means the spec
	// is wrong, in the user's terms, and nothing changed.
	SetLogLevels(spec string) error
}

// Sessions is the peer server's sessions (p2p.Server).
type Sessions interface {
	Peers() []p2p.PeerInfo
	Connect(ctx context.Context, addr string) (p2p.PeerInfo, error)
	Disconnect(target string) ([]p2p.PeerInfo, error)
}

// errNoControl answers the control methods of an adapter without one.
var errNoControl = api.Errorf(api.ErrUnimplemented, "this node takes no "+
	"operator commands through the API")

// errNoSessions answers the session methods of a node without a peer
// server.
var errNoSessions = api.Errorf(api.ErrUnimplemented, "this node runs no "+
	"peer server, so it has no peers")

func peerSession(p p2p.PeerInfo) api.PeerSession {
	return api.PeerSession{ID: uint64(p.ID), Address: p.Addr,
		Inbound: p.Inbound, Persistent: p.Persistent,
		UserAgent: p.UserAgent, ProtocolVersion: p.ProtocolVersion,
		BestHeight: p.BestHeight, BestHash: p.BestBlock,
		BanScore: p.BanScore, Connected: p.ConnectedAt}
}

func peerSessions(ps []p2p.PeerInfo) []api.PeerSession {
	out := make([]api.PeerSession, len(ps))
	for i, p := range ps {
		out[i] = peerSession(p)
	}
	return out
}

// sessionError turns the peer server's Connect and Disconnect errors into
// the API's, in the request's terms.
func sessionError(field string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "p2p: ")
	switch {
	case errors.Is(err, p2p.ErrPeerAddress):
		return api.Errorf(api.ErrInvalidArgument, "%s %s", field, msg)
	case errors.Is(err, p2p.ErrPeerBanned):
		return api.Errorf(api.ErrFailedPrecondition, "%s %s", field, msg)
	case errors.Is(err, p2p.ErrNoSuchPeer):
		return api.Errorf(api.ErrNotFound, "%s %s", field, msg)
	case errors.Is(err, p2p.ErrConnectFailed):
		return api.Errorf(api.ErrUnavailable, "%s %s", field, msg)
	case errors.Is(err, p2p.ErrServerStopped):
		return api.Errorf(api.ErrUnavailable, "the peer server is not "+
			"running (the node is stopping)")
	}
	return err
}

// StopNode implements api.OperatorBackend.
func (b *Adapter) StopNode(context.Context) error {
	if b.control == nil {
		return errNoControl
	}
	b.control.Shutdown()
	return nil
}

// LogLevels implements api.OperatorBackend.
func (b *Adapter) LogLevels(context.Context) ([]api.LogLevel, error) {
	if b.control == nil {
		return nil, errNoControl
	}
	return b.control.LogLevels(), nil
}

// SetLogLevels implements api.OperatorBackend.
func (b *Adapter) SetLogLevels(_ context.Context, spec string) ([]api.LogLevel, error) {
	if b.control == nil {
		return nil, errNoControl
	}
	if err := b.control.SetLogLevels(spec); err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "level_spec: %v", err)
	}
	return b.control.LogLevels(), nil
}

// PeerSessions implements api.OperatorBackend.
func (b *Adapter) PeerSessions(context.Context) ([]api.PeerSession, error) {
	if b.sessions == nil {
		return nil, errNoSessions
	}
	return peerSessions(b.sessions.Peers()), nil
}

// ConnectPeer implements api.OperatorBackend.
func (b *Adapter) ConnectPeer(ctx context.Context, address string) (api.PeerSession, error) {
	if b.sessions == nil {
		return api.PeerSession{}, errNoSessions
	}
	p, err := b.sessions.Connect(ctx, address)
	if err != nil {
		return api.PeerSession{}, sessionError("address", err)
	}
	return peerSession(p), nil
}

// DisconnectPeer implements api.OperatorBackend.
func (b *Adapter) DisconnectPeer(_ context.Context, peer string) ([]api.PeerSession, error) {
	if b.sessions == nil {
		return nil, errNoSessions
	}
	ps, err := b.sessions.Disconnect(peer)
	if err != nil {
		return nil, sessionError("peer", err)
	}
	return peerSessions(ps), nil
}
