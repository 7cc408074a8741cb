package nodeapi

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/p2p"
)

// errNoPeers answers the ban methods of a node without a peer server.
var errNoPeers = api.Errorf(api.ErrUnimplemented, "this node runs no peer "+
	"server, so it has no bans")

func peerBan(b p2p.Ban) api.PeerBan {
	kind := api.PeerBanned
	if b.Kind == p2p.Discouraged {
		kind = api.PeerDiscouraged
	}
	return api.PeerBan{Target: b.Target, Kind: kind, Created: b.Created,
		Until: b.Until, Reason: b.Reason}
}

func peerBans(bs []p2p.Ban) []api.PeerBan {
	out := make([]api.PeerBan, len(bs))
	for i, b := range bs {
		out[i] = peerBan(b)
	}
	return out
}

// banError turns the peer server's errors into the API's.
func banError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "p2p: ")
	switch {
	case errors.Is(err, p2p.ErrBanTarget), errors.Is(err, p2p.ErrBanDuration),
		errors.Is(err, p2p.ErrBanReason):
		return api.Errorf(api.ErrInvalidArgument, "%s", msg)
	case errors.Is(err, p2p.ErrNotBanned):
		return api.Errorf(api.ErrNotFound, "%s", msg)
	case errors.Is(err, p2p.ErrTooManyBans):
		return api.Errorf(api.ErrFailedPrecondition, "%s", msg)
	}
	return err
}

// Bans implements api.PeerBackend.
func (b *Adapter) Bans(context.Context) ([]api.PeerBan, error) {
	if b.bans == nil {
		return nil, errNoPeers
	}
	return peerBans(b.bans.Bans()), nil
}

// BanPeer implements api.PeerBackend.
func (b *Adapter) BanPeer(_ context.Context, target string, d time.Duration, reason string) (api.PeerBan, error) {
	if b.bans == nil {
		return api.PeerBan{}, errNoPeers
	}
	ban, err := b.bans.Ban(target, d, reason)
	if err != nil {
		return api.PeerBan{}, banError(err)
	}
	return peerBan(ban), nil
}

// UnbanPeer implements api.PeerBackend.
func (b *Adapter) UnbanPeer(_ context.Context, target string) ([]api.PeerBan, error) {
	if b.bans == nil {
		return nil, errNoPeers
	}
	lifted, err := b.bans.Unban(target)
	if err != nil {
		return nil, banError(err)
	}
	return peerBans(lifted), nil
}
