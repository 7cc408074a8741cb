package apitest

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/mainstake/sidenode/api"
)

// bans is the fake ban list: the operator's bans by target, and the
// discouraged addresses set with Discourage.
type bans struct {
	list map[string]api.PeerBan
}

// Discourage adds a discouraged address to the fake ban list, as a
// misbehaving peer would.
func (b *Backend) Discourage(target, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.bans.put(api.PeerBan{Target: target, Kind: api.PeerDiscouraged,
		Created: now, Until: now.Add(24 * time.Hour), Reason: reason})
}

func (l *bans) put(b api.PeerBan) {
	if l.list == nil {
		l.list = make(map[string]api.PeerBan)
	}
	l.list[key(b.Kind, b.Target)] = b
}

func key(k api.PeerBanKind, target string) string {
	return string(rune('0'+k)) + target
}

// Bans implements api.PeerBackend.
func (b *Backend) Bans(context.Context) ([]api.PeerBan, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]api.PeerBan, 0, len(b.bans.list))
	for _, ban := range b.bans.list {
		out = append(out, ban)
	}
	sort.Slice(out, func(i, j int) bool {
		return key(out[i].Kind, out[i].Target) < key(out[j].Kind, out[j].Target)
	})
	return out, nil
}

// BanPeer implements api.PeerBackend: a target with a space is no
// address; 0 bans for 24 hours.
func (b *Backend) BanPeer(_ context.Context, target string, d time.Duration, reason string) (api.PeerBan, error) {
	if strings.ContainsAny(target, " \t") {
		return api.PeerBan{}, api.Errorf(api.ErrInvalidArgument,
			"ban target %q is no address", target)
	}
	if d == 0 {
		d = 24 * time.Hour
	}
	now := time.Now()
	ban := api.PeerBan{Target: target, Kind: api.PeerBanned, Created: now,
		Until: now.Add(d), Reason: reason}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bans.put(ban)
	return ban, nil
}

// UnbanPeer implements api.PeerBackend.
func (b *Backend) UnbanPeer(_ context.Context, target string) ([]api.PeerBan, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var lifted []api.PeerBan
	for _, k := range []api.PeerBanKind{api.PeerBanned, api.PeerDiscouraged} {
		if ban, ok := b.bans.list[key(k, target)]; ok {
			lifted = append(lifted, ban)
			delete(b.bans.list, key(k, target))
		}
	}
	if len(lifted) == 0 {
		return nil, api.Errorf(api.ErrNotFound, "%s is neither banned "+
			"nor discouraged", target)
	}
	return lifted, nil
}
