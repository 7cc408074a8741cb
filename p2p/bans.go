package p2p

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// BanKind says why a peer address is held back.
type BanKind uint8

const (
	// Banned: the operator banned the address (Server.Ban). No session
	// with it is accepted or dialled until the ban ends or is lifted.
	Banned BanKind = iota + 1

	// Discouraged: a session from the address misbehaved. It is not
	// refused outright: see the package documentation, "Misbehavior".
	Discouraged
)

// String returns "banned" or "discouraged".
func (k BanKind) String() string {
	switch k {
	case Banned:
		return "banned"
	case Discouraged:
		return "discouraged"
	}
	return fmt.Sprintf("BanKind(%d)", uint8(k))
}

// Limits of the ban list.
const (
	// MaxBanDuration bounds an operator's ban.
	MaxBanDuration = 10 * 365 * 24 * time.Hour

	// MaxBanReasonLen bounds an operator's note on a ban, in bytes.
	MaxBanReasonLen = 256

	// maxBans bounds the operator's bans; maxDiscouraged the discouraged
	// addresses, of which the one that ends soonest is forgotten to make
	// room for a new one.
	maxBans        = 10_000
	maxDiscouraged = 10_000
)

// Ban is an address held back from the peer protocol: an operator's ban or
// a discouragement.
type Ban struct {
	// Target is the address as the list keys it: an IP ("192.0.2.7"), a
	// subnet ("192.0.2.0/24"), a host name ("node1.example"), each
	// meaning every port, or one of them with a port
	// ("127.0.0.1:18555", "[::1]:18555", "node1.example:18555").
	Target string

	Kind    BanKind
	Created time.Time
	Until   time.Time

	// Reason is the operator's note, or the misbehavior that
	// discouraged the address.
	Reason string
}

// ErrBanReason is returned, wrapped, by Ban for a reason over
// MaxBanReasonLen bytes.
var ErrBanReason = errors.New("ban reason too long")

// ErrBanTarget is returned, wrapped, by Ban and Unban for a target that
// does not parse.
var ErrBanTarget = errors.New("not an IP address, subnet or host name, " +
	"with an optional port")

// banTarget is a parsed Ban.Target.
type banTarget struct {
	prefix netip.Prefix // valid for an IP or subnet
	name   string       // lower-case host name otherwise
	port   uint16       // 0: every port
}

// parseBanTarget parses an operator's ban target: "IP", "IP/bits",
// "IP:port", "[IPv6]:port", "name" or "name:port".
func parseBanTarget(s string) (banTarget, error) {
	s = strings.TrimSpace(s)
	bad := func() (banTarget, error) {
		return banTarget{}, fmt.Errorf("ban target %q: %w", s, ErrBanTarget)
	}
	if s == "" {
		return bad()
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		if p.Addr().Is4In6() {
			if p.Bits() < 96 {
				return bad()
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return banTarget{prefix: p.Masked()}, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return bad()
		}
		return banTarget{prefix: hostPrefix(a)}, nil
	}
	host, portStr := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, portStr = h, p
	}
	var port uint16
	if portStr != "" {
		n, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil || n == 0 {
			return bad()
		}
		port = uint16(n)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return bad()
		}
		return banTarget{prefix: hostPrefix(a), port: port}, nil
	}
	if !validHostName(host) {
		return bad()
	}
	return banTarget{name: strings.ToLower(host), port: port}, nil
}

// hostPrefix returns the one-address prefix of a, IPv4-mapped addresses
// as IPv4.
func hostPrefix(a netip.Addr) netip.Prefix {
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen())
}

// validHostName reports whether s looks like a DNS name: letters, digits,
// hyphens and dots, at most 253 bytes.
func validHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z',
			c >= '0' && c <= '9', c == '-', c == '.', c == '_':
		default:
			return false
		}
	}
	return true
}

// String returns the canonical form of the target.
func (t banTarget) String() string {
	var host string
	switch {
	case t.name != "":
		host = t.name
	case t.prefix.IsSingleIP():
		host = t.prefix.Addr().String()
	default:
		return t.prefix.String()
	}
	if t.port == 0 {
		return host
	}
	return net.JoinHostPort(host, strconv.Itoa(int(t.port)))
}

// matches reports whether the session address addr ("host:port", the
// dialled address or the remote one) falls under the target.
func (t banTarget) matches(addr string) bool {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if t.port != 0 && portStr != strconv.Itoa(int(t.port)) {
		return false
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return t.prefix.IsValid() && t.prefix.Contains(a.Unmap().WithZone(""))
	}
	return t.name != "" && strings.EqualFold(t.name, host)
}

// perConnection reports whether misbehavior from addr is held against
// the connection's host:port rather than its whole host: for loopback
// addresses, which every local process, every devnet node and every peer
// that comes through a local proxy or Tor share.
func perConnection(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().IsLoopback()
	}
	return strings.EqualFold(host, "localhost")
}

// discourageTarget returns what misbehavior on a session with addr
// discourages: the host, or for a loopback address the host and port.
func discourageTarget(addr string) banTarget {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return banTarget{name: strings.ToLower(addr)}
	}
	t := banTarget{name: strings.ToLower(host)}
	if a, err := netip.ParseAddr(host); err == nil {
		t = banTarget{prefix: hostPrefix(a)}
	}
	if perConnection(addr) {
		n, _ := strconv.ParseUint(portStr, 10, 16)
		t.port = uint16(n)
	}
	return t
}

// banList holds the operator's bans and the discouraged addresses. The
// Server guards it with banMu.
type banList struct {
	bans        map[string]Ban       // by canonical target
	targets     map[string]banTarget // parsed bans
	discouraged map[string]Ban       // by canonical target
}

func newBanList() banList {
	return banList{
		bans:        make(map[string]Ban),
		targets:     make(map[string]banTarget),
		discouraged: make(map[string]Ban),
	}
}

// expire forgets the entries that ended by now.
func (l *banList) expire(now time.Time) {
	for k, b := range l.bans {
		if !now.Before(b.Until) {
			delete(l.bans, k)
			delete(l.targets, k)
		}
	}
	for k, b := range l.discouraged {
		if !now.Before(b.Until) {
			delete(l.discouraged, k)
		}
	}
}

// banned returns the operator's ban that addr falls under, with the
// latest end, if any.
func (l *banList) banned(addr string, now time.Time) (Ban, bool) {
	var found Ban
	ok := false
	for k, t := range l.targets {
		b := l.bans[k]
		if !now.Before(b.Until) || !t.matches(addr) {
			continue
		}
		if !ok || b.Until.After(found.Until) {
			found, ok = b, true
		}
	}
	return found, ok
}

// isDiscouraged reports whether addr is discouraged: its host:port or
// its whole host.
func (l *banList) isDiscouraged(addr string, now time.Time) bool {
	t := discourageTarget(addr)
	b, ok := l.discouraged[t.String()]
	if !ok && t.port != 0 {
		t.port = 0
		b, ok = l.discouraged[t.String()]
	}
	return ok && now.Before(b.Until)
}

// discourage discourages t until until, forgetting the entry that ends
// soonest when the list is full.
func (l *banList) discourage(t banTarget, reason string, now, until time.Time) {
	key := t.String()
	if _, ok := l.discouraged[key]; !ok && len(l.discouraged) >= maxDiscouraged {
		l.expire(now)
		if len(l.discouraged) >= maxDiscouraged {
			var oldest string
			for k, b := range l.discouraged {
				if oldest == "" || b.Until.Before(l.discouraged[oldest].Until) {
					oldest = k
				}
			}
			delete(l.discouraged, oldest)
		}
	}
	l.discouraged[key] = Ban{Target: key, Kind: Discouraged, Created: now,
		Until: until, Reason: reason}
}

// operatorBans returns the operator's bans, except the one of target
// skip, ordered by target.
func (l *banList) operatorBans(skip string) []Ban {
	out := make([]Ban, 0, len(l.bans))
	for k, b := range l.bans {
		if k != skip {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Target < out[j].Target })
	return out
}

// list returns every entry, bans first, each kind by target.
func (l *banList) list(now time.Time) []Ban {
	l.expire(now)
	out := make([]Ban, 0, len(l.bans)+len(l.discouraged))
	for _, b := range l.bans {
		out = append(out, b)
	}
	for _, b := range l.discouraged {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Target < out[j].Target
	})
	return out
}
