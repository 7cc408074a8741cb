package api

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"google.golang.org/grpc"
	"google.golang.org/grpc/reflection"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// OperatorBackend serves OperatorService: the node's shutdown, its log
// levels and its sessions of the sidechain peer protocol. A node without
// a peer server answers the peer methods with ErrUnimplemented.
type OperatorBackend interface {
	// StopNode asks the node to shut down, as SIGINT does, and returns at
	// once: the node stops after the answer is sent.
	StopNode(ctx context.Context) error

	// LogLevels returns every logging subsystem with its level, ordered
	// by tag.
	LogLevels(ctx context.Context) ([]LogLevel, error)

	// SetLogLevels applies a --debuglevel spec and returns every
	// subsystem's level afterwards. ErrInvalidArgument, in the user's
	// terms, for a spec with an error; nothing changes then.
	SetLogLevels(ctx context.Context, spec string) ([]LogLevel, error)

	// PeerSessions returns the handshaken peer sessions, ordered by id.
	PeerSessions(ctx context.Context) ([]PeerSession, error)

	// ConnectPeer dials address once and waits for the handshake.
	// ErrInvalidArgument for no host:port, ErrFailedPrecondition for a
	// banned address, ErrUnavailable when the handshake fails.
	ConnectPeer(ctx context.Context, address string) (PeerSession, error)

	// DisconnectPeer closes the sessions of a peer named by session id
	// or address, and returns them; ErrNotFound when none matches.
	DisconnectPeer(ctx context.Context, peer string) ([]PeerSession, error)
}

// LogLevel is one logging subsystem and its level.
type LogLevel struct {
	Tag   string // four letters, "PEER"
	Level string // trace, debug, info, warn, error, critical or off
}

// PeerSession is one handshaken session of the sidechain peer protocol.
type PeerSession struct {
	ID              uint64
	Address         string
	Inbound         bool
	Persistent      bool
	UserAgent       string
	ProtocolVersion uint32
	BestHeight      uint64
	BestHash        chainhash.Hash
	BanScore        uint32
	Connected       time.Time
}

// Bounds of OperatorService's requests, in bytes.
const (
	maxLevelSpecLen   = 4096
	maxPeerAddressLen = 300
)

func logLevelsProto(ls []LogLevel) []*apiv1.LogSubsystem {
	out := make([]*apiv1.LogSubsystem, len(ls))
	for i, l := range ls {
		out[i] = &apiv1.LogSubsystem{Tag: l.Tag, Level: l.Level}
	}
	return out
}

func peerSessionProto(p PeerSession) *apiv1.Peer {
	return &apiv1.Peer{
		Id:              p.ID,
		Address:         p.Address,
		Inbound:         p.Inbound,
		Persistent:      p.Persistent,
		UserAgent:       p.UserAgent,
		ProtocolVersion: p.ProtocolVersion,
		BestBlockHeight: num32(p.BestHeight),
		BestHash:        p.BestHash.String(),
		BanScore:        p.BanScore,
		ConnectedUnix:   p.Connected.Unix(),
	}
}

func peerSessionsProto(ps []PeerSession) []*apiv1.Peer {
	out := make([]*apiv1.Peer, len(ps))
	for i := range ps {
		out[i] = peerSessionProto(ps[i])
	}
	return out
}

// checkText rejects an empty, oversized or non-UTF-8 string field;
// example shows what the field takes.
func checkText(field, v string, maxLen int, example string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return Errorf(ErrInvalidArgument, "%s is empty: give %s", field, example)
	case len(v) > maxLen || !utf8.ValidString(v):
		return Errorf(ErrInvalidArgument, "%s of %d bytes is not %s",
			field, len(v), example)
	}
	return nil
}

// operatorService implements OperatorService.
type operatorService struct {
	apiv1.UnimplementedOperatorServiceServer
	s *Server
}

func (o *operatorService) StopDaemon(ctx context.Context, _ *apiv1.StopDaemonRequest) (*apiv1.StopDaemonResponse, error) {
	if err := o.s.backend.StopNode(ctx); err != nil {
		return nil, toStatus(apiv1.OperatorService_StopDaemon_FullMethodName, err)
	}
	log.Infof("Shutdown requested through the API")
	return &apiv1.StopDaemonResponse{}, nil
}

func (o *operatorService) GetDebugLevel(ctx context.Context, _ *apiv1.GetDebugLevelRequest) (*apiv1.GetDebugLevelResponse, error) {
	ls, err := o.s.backend.LogLevels(ctx)
	if err != nil {
		return nil, toStatus(apiv1.OperatorService_GetDebugLevel_FullMethodName, err)
	}
	return &apiv1.GetDebugLevelResponse{Subsystems: logLevelsProto(ls)}, nil
}

func (o *operatorService) SetDebugLevel(ctx context.Context, req *apiv1.SetDebugLevelRequest) (*apiv1.SetDebugLevelResponse, error) {
	const method = apiv1.OperatorService_SetDebugLevel_FullMethodName
	if err := checkText("level_spec", req.GetLevelSpec(), maxLevelSpecLen,
		"a level such as info, or SUBSYSTEM=level entries such as PEER=debug"); err != nil {
		return nil, toStatus(method, err)
	}
	ls, err := o.s.backend.SetLogLevels(ctx, req.GetLevelSpec())
	if err != nil {
		return nil, toStatus(method, err)
	}
	log.Infof("Log levels set through the API: %s", req.GetLevelSpec())
	return &apiv1.SetDebugLevelResponse{Subsystems: logLevelsProto(ls)}, nil
}

func (o *operatorService) ListPeers(ctx context.Context, _ *apiv1.ListPeersRequest) (*apiv1.ListPeersResponse, error) {
	ps, err := o.s.backend.PeerSessions(ctx)
	if err != nil {
		return nil, toStatus(apiv1.OperatorService_ListPeers_FullMethodName, err)
	}
	return &apiv1.ListPeersResponse{Peers: peerSessionsProto(ps)}, nil
}

func (o *operatorService) ConnectPeer(ctx context.Context, req *apiv1.ConnectPeerRequest) (*apiv1.ConnectPeerResponse, error) {
	const method = apiv1.OperatorService_ConnectPeer_FullMethodName
	if err := checkText("address", req.GetAddress(), maxPeerAddressLen,
		"a peer's host:port, such as 192.0.2.7:18555"); err != nil {
		return nil, toStatus(method, err)
	}
	p, err := o.s.backend.ConnectPeer(ctx, req.GetAddress())
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.ConnectPeerResponse{Peer: peerSessionProto(p)}, nil
}

func (o *operatorService) DisconnectPeer(ctx context.Context, req *apiv1.DisconnectPeerRequest) (*apiv1.DisconnectPeerResponse, error) {
	const method = apiv1.OperatorService_DisconnectPeer_FullMethodName
	if err := checkText("peer", req.GetPeer(), maxPeerAddressLen,
		"a session id or an address as the peer list shows them"); err != nil {
		return nil, toStatus(method, err)
	}
	ps, err := o.s.backend.DisconnectPeer(ctx, req.GetPeer())
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.DisconnectPeerResponse{Disconnected: peerSessionsProto(ps)}, nil
}

// reflectionPermissions are the methods of gRPC server reflection
// (grpc.reflection.v1 and its v1alpha predecessor), which Start serves
// beside the API so that grpcurl and other generic clients need no .proto
// files. Any credential may use them: they describe the API's schema,
// which is public in the source, and nothing of the node's state. A call
// without a credential is refused as any other.
var reflectionPermissions = map[string]Permission{
	"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      {entityInfo, Read},
	"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": {entityInfo, Read},
}

// registerReflection serves gRPC server reflection on gs, describing the
// services that register put there. It is kept out of register, which
// serves exactly the services of the API's proto package.
func registerReflection(gs *grpc.Server) {
	reflection.Register(gs)
}
