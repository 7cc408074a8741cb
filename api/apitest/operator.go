package apitest

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/mainstake/sidenode/api"
)

// operator is the fake OperatorService state: stop requests, log levels
// and peer sessions.
type operator struct {
	stops    int
	levels   map[string]string
	sessions []api.PeerSession
	nextID   uint64
}

// StopRequests returns how many times StopNode was called.
func (b *Backend) StopRequests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.operator.stops
}

// AddPeerSession adds a session to the fake peer list and returns its id.
func (b *Backend) AddPeerSession(address string, inbound bool) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.operator.add(address, inbound)
}

func (o *operator) add(address string, inbound bool) uint64 {
	o.nextID++
	o.sessions = append(o.sessions, api.PeerSession{ID: o.nextID,
		Address: address, Inbound: inbound, UserAgent: "sidenode:fake",
		ProtocolVersion: 1, Connected: time.Unix(1_700_000_000, 0)})
	return o.nextID
}

// fakeSubsystems are the fake node's log subsystems.
var fakeSubsystems = []string{"PEER", "RPCS", "SDND"}

func (o *operator) list() []api.LogLevel {
	if o.levels == nil {
		o.levels = make(map[string]string)
		for _, t := range fakeSubsystems {
			o.levels[t] = "info"
		}
	}
	out := make([]api.LogLevel, 0, len(o.levels))
	for t, l := range o.levels {
		out = append(out, api.LogLevel{Tag: t, Level: l})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tag < out[j].Tag })
	return out
}

// StopNode implements api.OperatorBackend: it counts the requests.
func (b *Backend) StopNode(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.operator.stops++
	return nil
}

// LogLevels implements api.OperatorBackend.
func (b *Backend) LogLevels(context.Context) ([]api.LogLevel, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.operator.list(), nil
}

// SetLogLevels implements api.OperatorBackend for specs of one level or
// TAG=level entries, with the levels the node knows.
func (b *Backend) SetLogLevels(_ context.Context, spec string) ([]api.LogLevel, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.operator.list()
	set := make(map[string]string)
	for _, e := range strings.Split(spec, ",") {
		tag, level, pair := strings.Cut(strings.TrimSpace(e), "=")
		if !pair {
			tag, level = "", tag
		}
		switch level {
		case "trace", "debug", "info", "warn", "error", "critical", "off":
		default:
			return nil, api.Errorf(api.ErrInvalidArgument, "unknown log "+
				"level %q: use trace, debug, info, warn, error, critical "+
				"or off", level)
		}
		if _, ok := b.operator.levels[tag]; tag != "" && !ok {
			return nil, api.Errorf(api.ErrInvalidArgument, "unknown log "+
				"subsystem %q: show the subsystems with debuglevel --show", tag)
		}
		set[tag] = level
	}
	for tag, level := range set {
		if tag == "" {
			for t := range b.operator.levels {
				b.operator.levels[t] = level
			}
		}
	}
	for tag, level := range set {
		if tag != "" {
			b.operator.levels[tag] = level
		}
	}
	return b.operator.list(), nil
}

// PeerSessions implements api.OperatorBackend.
func (b *Backend) PeerSessions(context.Context) ([]api.PeerSession, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]api.PeerSession(nil), b.operator.sessions...), nil
}

// ConnectPeer implements api.OperatorBackend: any host:port connects;
// host "unreachable" does not.
func (b *Backend) ConnectPeer(_ context.Context, address string) (api.PeerSession, error) {
	host, _, err := net.SplitHostPort(address)
	switch {
	case err != nil:
		return api.PeerSession{}, api.Errorf(api.ErrInvalidArgument,
			"address %q is not host:port", address)
	case host == "unreachable":
		return api.PeerSession{}, api.Errorf(api.ErrUnavailable,
			"could not connect to %s", address)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.operator.add(address, false)
	return b.operator.sessions[len(b.operator.sessions)-1], nil
}

// DisconnectPeer implements api.OperatorBackend.
func (b *Backend) DisconnectPeer(_ context.Context, peer string) ([]api.PeerSession, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var hit, keep []api.PeerSession
	for _, s := range b.operator.sessions {
		if fmt.Sprint(s.ID) == peer || s.Address == peer {
			hit = append(hit, s)
		} else {
			keep = append(keep, s)
		}
	}
	if len(hit) == 0 {
		return nil, api.Errorf(api.ErrNotFound, "no session with peer %q", peer)
	}
	b.operator.sessions = keep
	return hit, nil
}
