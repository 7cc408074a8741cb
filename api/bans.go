package api

import (
	"context"
	"time"
	"unicode/utf8"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// Bounds of the ban methods' requests.
const (
	// MaxBanSeconds bounds BanPeerRequest.duration_seconds: 10 years.
	MaxBanSeconds = 10 * 365 * 24 * 3600

	// MaxBanReasonLen bounds BanPeerRequest.reason, in bytes.
	MaxBanReasonLen = 256

	// maxBanTargetLen bounds a ban target, in bytes: a host name and a
	// port, or an IPv6 subnet.
	maxBanTargetLen = 300
)

// checkBanTarget rejects a target that cannot be an address.
func checkBanTarget(target string) error {
	switch {
	case target == "":
		return Errorf(ErrInvalidArgument, "target is empty: give an IP, "+
			"a subnet or a host name, with an optional port")
	case len(target) > maxBanTargetLen || !utf8.ValidString(target):
		return Errorf(ErrInvalidArgument, "target of %d bytes is no "+
			"address", len(target))
	}
	return nil
}

func peerBanProto(b PeerBan) *apiv1.PeerBan {
	kind := apiv1.BanKind_BAN_KIND_UNSPECIFIED
	switch b.Kind {
	case PeerBanned:
		kind = apiv1.BanKind_BAN_KIND_BANNED
	case PeerDiscouraged:
		kind = apiv1.BanKind_BAN_KIND_DISCOURAGED
	}
	return &apiv1.PeerBan{
		Target:      b.Target,
		Kind:        kind,
		CreatedUnix: b.Created.Unix(),
		UntilUnix:   b.Until.Unix(),
		Reason:      b.Reason,
	}
}

func peerBansProto(bs []PeerBan) []*apiv1.PeerBan {
	out := make([]*apiv1.PeerBan, len(bs))
	for i := range bs {
		out[i] = peerBanProto(bs[i])
	}
	return out
}

func (n *nodeService) ListBans(ctx context.Context, _ *apiv1.ListBansRequest) (*apiv1.ListBansResponse, error) {
	bans, err := n.s.backend.Bans(ctx)
	if err != nil {
		return nil, toStatus(apiv1.NodeService_ListBans_FullMethodName, err)
	}
	return &apiv1.ListBansResponse{Bans: peerBansProto(bans)}, nil
}

func (n *nodeService) BanPeer(ctx context.Context, req *apiv1.BanPeerRequest) (*apiv1.BanPeerResponse, error) {
	const method = apiv1.NodeService_BanPeer_FullMethodName
	if err := checkBanTarget(req.GetTarget()); err != nil {
		return nil, toStatus(method, err)
	}
	if d := req.GetDurationSeconds(); d > MaxBanSeconds {
		return nil, toStatus(method, Errorf(ErrInvalidArgument,
			"duration_seconds %d is above %d (10 years)", d, MaxBanSeconds))
	}
	if r := req.GetReason(); len(r) > MaxBanReasonLen {
		return nil, toStatus(method, Errorf(ErrInvalidArgument,
			"reason of %d bytes is above %d bytes", len(r), MaxBanReasonLen))
	}
	d := time.Duration(req.GetDurationSeconds()) * time.Second
	ban, err := n.s.backend.BanPeer(ctx, req.GetTarget(), d, req.GetReason())
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.BanPeerResponse{Ban: peerBanProto(ban)}, nil
}

func (n *nodeService) UnbanPeer(ctx context.Context, req *apiv1.UnbanPeerRequest) (*apiv1.UnbanPeerResponse, error) {
	const method = apiv1.NodeService_UnbanPeer_FullMethodName
	if err := checkBanTarget(req.GetTarget()); err != nil {
		return nil, toStatus(method, err)
	}
	lifted, err := n.s.backend.UnbanPeer(ctx, req.GetTarget())
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.UnbanPeerResponse{Lifted: peerBansProto(lifted)}, nil
}
