package p2p

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"

	p2pv1 "github.com/mainstake/sidenode/proto/sidenode/p2p/v1"
)

// Errors of the operator's Connect and Disconnect, wrapped with the
// address or peer they concern; tell them apart with errors.Is.
var (
	// ErrPeerAddress: Connect was given no host:port.
	ErrPeerAddress = errors.New("not a host:port address")

	// ErrPeerBanned: Connect was given an address the operator banned.
	ErrPeerBanned = errors.New("the address is banned")

	// ErrNoSuchPeer: Disconnect matched no session.
	ErrNoSuchPeer = errors.New("no session with that peer")

	// ErrConnectFailed: Connect reached no handshake.
	ErrConnectFailed = errors.New("could not connect")
)

// errOperatorDisconnect is why Disconnect ends a session.
var errOperatorDisconnect = errors.New("disconnected by the operator")

// checkPeerAddress checks that addr is host:port with a port from 1 to
// 65535.
func checkPeerAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || strings.ContainsAny(host, " \t\n/") {
		return fmt.Errorf("%q: %w (want host:port, such as "+
			"192.0.2.7:18555 or [::1]:18555)", addr, ErrPeerAddress)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return fmt.Errorf("%q: %w: the port must be a number from 1 to "+
			"65535", addr, ErrPeerAddress)
	}
	return nil
}

// Connect dials addr once, as the operator asked, and waits until the
// handshake succeeds or the attempt fails, or ctx ends. The session is
// temporary: it is not redialled when it ends. It returns the new
// session's PeerInfo; the error wraps ErrPeerAddress, ErrPeerBanned,
// ErrServerStopped or ErrConnectFailed (with the reason), or is ctx's
// error, in which case the attempt goes on without the caller.
func (s *Server) Connect(ctx context.Context, addr string) (PeerInfo, error) {
	if err := checkPeerAddress(addr); err != nil {
		return PeerInfo{}, err
	}
	if !s.running() {
		return PeerInfo{}, ErrServerStopped
	}
	if b, ok, _ := s.bannedAddr(addr); ok {
		return PeerInfo{}, fmt.Errorf("%s: %w (ban %s until %v); lift "+
			"the ban first", addr, ErrPeerBanned, b.Target,
			b.Until.Format(time.RFC3339))
	}
	cc, err := grpc.NewClient("passthrough:///"+addr, s.dialOpts...)
	if err != nil {
		return PeerInfo{}, fmt.Errorf("%s: %w: %v", addr, ErrConnectFailed, err)
	}
	// The session belongs to the Server, not to the caller: it lives on
	// after the call, until it ends or the Server stops.
	sctx, cancel := context.WithCancel(s.ctx)
	stream, err := p2pv1.NewPeerServiceClient(cc).Exchange(sctx)
	if err != nil {
		cancel()
		_ = cc.Close()
		return PeerInfo{}, fmt.Errorf("%s: %w: %v", addr, ErrConnectFailed, err)
	}
	p := s.newPeer(clientConn{stream: stream}, addr, false, false)
	ended := make(chan struct{})
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		cancel()
		_ = cc.Close()
		return PeerInfo{}, ErrServerStopped
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer close(ended)
		defer func() { _ = cc.Close() }()
		defer cancel()
		_, _ = s.runSession(p)
	}()
	log.Infof("Operator dialled %s", addr)
	select {
	case <-p.handshakeDone:
		return p.info(), nil
	case <-ended:
		reason := p.reason()
		if reason == nil || errors.Is(reason, ErrServerStopped) {
			reason = errors.New("the session ended before the handshake")
		}
		return PeerInfo{}, fmt.Errorf("%s: %w: %v", addr, ErrConnectFailed, reason)
	case <-ctx.Done():
		return PeerInfo{}, ctx.Err()
	}
}

// Disconnect closes the handshaken sessions that target names: a session
// id as PeerInfo.ID prints it, or an address as PeerInfo.Addr shows it.
// A configured peer is dialled again after its retry interval. It
// returns the sessions it closed; the error wraps ErrNoSuchPeer when none
// matched.
func (s *Server) Disconnect(target string) ([]PeerInfo, error) {
	target = strings.TrimSpace(target)
	id, idErr := strconv.ParseUint(target, 10, 64)
	s.mu.Lock()
	var hit []*peer
	for _, p := range s.peers {
		if (idErr == nil && uint64(p.id) == id) || p.addr == target {
			hit = append(hit, p)
		}
	}
	infos := make([]PeerInfo, len(hit))
	for i, p := range hit {
		infos[i] = p.info()
	}
	s.mu.Unlock()
	if len(hit) == 0 {
		return nil, fmt.Errorf("%q: %w (list the sessions with their ids "+
			"and addresses first)", target, ErrNoSuchPeer)
	}
	for _, p := range hit {
		log.Infof("Disconnecting peer %v: the operator asked", p)
		p.disconnect(errOperatorDisconnect)
	}
	return infos, nil
}
