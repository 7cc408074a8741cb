package p2p

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	p2pv1 "github.com/mainstake/sidenode/proto/sidenode/p2p/v1"
)

// namedSession opens a handshaken raw session to n whose Hello names the
// user agent ua, and returns it with the address n sees it from.
func namedSession(t *testing.T, n *testNode, ua string) (*rawPeer, string) {
	t.Helper()
	r, err := dialRaw(t, n.addr(), rawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.hello(func(h *p2pv1.Hello) { h.UserAgent = ua }); err != nil {
		t.Fatal(err)
	}
	var addr string
	waitFor(t, wait, "session "+ua, func() bool {
		for _, p := range n.Peers() {
			if p.UserAgent == ua {
				addr = p.Addr
				return true
			}
		}
		return false
	})
	return r, addr
}

// nextTarget returns the target of the next session n ended for
// misbehavior.
func nextTarget(t *testing.T, n *testNode) string {
	t.Helper()
	select {
	case target := <-n.discouraged:
		return target
	case <-time.After(wait):
		t.Fatal("no session ended for misbehavior")
		return ""
	}
}

// TestMisbehaviorCostsOnlyTheConnection has one loopback connection
// misbehave in each way until it is cut off: only its host:port is
// discouraged, nothing is banned, the devnet peer on the same loopback
// address keeps its session, and a new loopback connection is welcome.
func TestMisbehaviorCostsOnlyTheConnection(t *testing.T) {
	bad := &p2pv1.Message{Payload: &p2pv1.Message_Inventory{
		Inventory: &p2pv1.Inventory{Items: []*p2pv1.InventoryItem{{
			Type: p2pv1.InventoryType_INVENTORY_TYPE_BLOCK,
			Hash: []byte{1, 2},
		}}}}}
	tests := []struct {
		name      string
		mod       func(*Config)
		misbehave func(t *testing.T, r *rawPeer)
	}{
		{"invalid messages", nil, func(t *testing.T, r *rawPeer) {
			for i := 0; i < DefaultBanThreshold/scoreInvalid; i++ {
				_ = r.send(bad)
			}
		}},
		{"ping flood", func(c *Config) {
			c.MsgRate = 50
			c.MsgBurst = 100
		}, func(t *testing.T, r *rawPeer) {
			for i := 0; i < 5000; i++ {
				if r.send(pingMsg(uint64(i)+1)) != nil {
					return
				}
			}
		}},
		{"unsolicited blocks", nil, func(t *testing.T, r *rawPeer) {
			for i := 0; i < DefaultBanThreshold/scoreUnsolicited; i++ {
				_ = r.send(blockMsg(randBytes(t, BlockHeaderSize), []byte{1}))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNode(t, tc.mod)
			g := newTestNode(t, func(c *Config) {
				c.Connect = []string{n.addr()}
				c.UserAgent = "devnet-peer"
			})
			connected(t, 1, g)
			r, addr := namedSession(t, n, "hostile")
			connected(t, 2, n)

			tc.misbehave(t, r)
			if !r.closedWithin(wait) {
				t.Fatal("misbehaving connection not cut off")
			}
			if target := nextTarget(t, n); target != addr {
				t.Fatalf("discouraged %q, want the connection %q",
					target, addr)
			}
			bans := n.Bans()
			if len(bans) != 1 || bans[0].Kind != Discouraged ||
				bans[0].Target != addr {
				t.Fatalf("bans %+v, want %s discouraged", bans, addr)
			}

			// The devnet peer behind the same address keeps its
			// session, and the next local connection gets one.
			waitFor(t, wait, "hostile gone", func() bool {
				return n.ConnectedCount() == 1
			})
			if p := n.Peers(); p[0].UserAgent != "devnet-peer" ||
				g.ConnectedCount() != 1 {
				t.Fatalf("devnet peer lost its session: %+v", p)
			}
			namedSession(t, n, "next")
		})
	}
}

// TestConfiguredPeerNotDiscouraged has a configured peer misbehave: it is
// disconnected, never discouraged, and redialled. Mutually configured,
// the session kept may be the inbound one; it is the configured peer all
// the same.
func TestConfiguredPeerNotDiscouraged(t *testing.T) {
	for _, mutual := range []bool{false, true} {
		addrA, addrB := freeAddr(t), freeAddr(t)
		a := newTestNode(t, func(c *Config) {
			c.Listen = []string{addrA}
			if mutual {
				c.Connect = []string{addrB}
			}
		})
		b := newTestNode(t, func(c *Config) {
			c.Listen = []string{addrB}
			c.Connect = []string{addrA}
		})
		b.h.blockErr = &MisbehaviorError{Score: DefaultBanThreshold,
			Reason: "bad merkle root"}
		connected(t, 1, a, b)
		before := b.dials.Load() + a.dials.Load()

		a.Announce(BlockItem(a.h.addBlock(t, 100)))
		if target := nextTarget(t, b); target != "" {
			t.Fatalf("mutual %v: configured peer discouraged as %q",
				mutual, target)
		}
		if bans := b.Bans(); len(bans) != 0 {
			t.Fatalf("mutual %v: bans %+v", mutual, bans)
		}
		// The session ends and a new one starts.
		waitFor(t, wait, "redial", func() bool {
			return b.dials.Load()+a.dials.Load() > before &&
				a.ConnectedCount() == 1 && b.ConnectedCount() == 1
		})
	}
}

// TestConfiguredNonceClaimed has connections claim the Hello nonce of
// the configured peer the node last reached, while that peer is away. One
// from the IP the peer was reached at is taken for it, and only
// disconnected; one from another host is not, and its misbehavior
// discourages it.
func TestConfiguredNonceClaimed(t *testing.T) {
	b := newTestNode(t, nil)
	a := newTestNode(t, func(c *Config) { c.Connect = []string{b.addr()} })
	connected(t, 1, a, b)
	nonce := b.nonce
	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, wait, "b gone", func() bool { return a.ConnectedCount() == 0 })

	bad := &p2pv1.Message{Payload: &p2pv1.Message_Inventory{
		Inventory: &p2pv1.Inventory{Items: []*p2pv1.InventoryItem{{
			Type: p2pv1.InventoryType_INVENTORY_TYPE_BLOCK,
			Hash: []byte{1, 2},
		}}}}}
	// b was reached at 127.0.0.1; 127.0.0.2 is another host.
	for _, tc := range []struct {
		from       string
		configured bool
	}{{"127.0.0.1", true}, {"127.0.0.2", false}} {
		r, err := dialRaw(t, a.addr(), rawOptions{from: tc.from})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.hello(func(h *p2pv1.Hello) { h.Nonce = nonce }); err != nil {
			t.Fatal(err)
		}
		var addr string
		waitFor(t, wait, "session from "+tc.from, func() bool {
			p := a.Peers()
			if len(p) == 1 {
				addr = p[0].Addr
			}
			return len(p) == 1
		})
		if !strings.HasPrefix(addr, tc.from+":") {
			t.Fatalf("session from %s, want %s", addr, tc.from)
		}
		for i := 0; i < DefaultBanThreshold/scoreInvalid; i++ {
			_ = r.send(bad)
		}
		want := addr
		if tc.configured {
			want = ""
		}
		if target := nextTarget(t, a); target != want {
			t.Fatalf("from %s: discouraged %q, want %q", tc.from,
				target, want)
		}
		waitFor(t, wait, "session closed", func() bool {
			return a.ConnectedCount() == 0
		})
	}
}

// TestNonceClaimKeepsDialledSession has a connection from another host
// claim the Hello nonce of the configured peer the node is connected to,
// a nonce lower than the node's own: it is refused as a duplicate, and
// the session the node dialled stays.
func TestNonceClaimKeepsDialledSession(t *testing.T) {
	setNonce := func(n uint64) func(*Server) {
		return func(s *Server) { s.nonce = n }
	}
	b := startTestNodeWith(t, nil, false, setNonce(11))
	a := startTestNodeWith(t, func(c *Config) { c.Connect = []string{b.addr()} },
		false, setNonce(1<<62+1))
	connected(t, 1, a, b)
	dialled := a.Peers()[0]

	r, err := dialRaw(t, a.addr(), rawOptions{from: "127.0.0.2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.hello(func(h *p2pv1.Hello) { h.Nonce = 11 }); err != nil {
		t.Fatal(err)
	}
	if !r.closedWithin(wait) {
		t.Fatal("impostor kept its session")
	}
	if !a.rejected(ErrDuplicatePeer) {
		t.Fatal("impostor not refused as a duplicate")
	}
	if p := a.Peers(); len(p) != 1 || p[0].ID != dialled.ID {
		t.Fatalf("peers %+v, want the dialled session %+v", p, dialled)
	}
}

// TestOperatorBan bans loopback on a node: every session from it ends and
// none is accepted; the ban is listed, and lifting it lets the devnet
// peer back at once.
func TestOperatorBan(t *testing.T) {
	n := newTestNode(t, nil)
	g := newTestNode(t, func(c *Config) { c.Connect = []string{n.addr()} })
	connected(t, 1, n, g)

	b, err := n.Ban("::ffff:127.0.0.1", time.Hour, "local trouble")
	if err != nil {
		t.Fatal(err)
	}
	if b.Target != "127.0.0.1" || b.Kind != Banned || b.Reason != "local trouble" {
		t.Fatalf("ban %+v", b)
	}
	waitFor(t, wait, "disconnect", func() bool {
		return n.ConnectedCount() == 0 && g.ConnectedCount() == 0
	})
	waitFor(t, wait, "refused redials", func() bool {
		return n.refusedBanned.Load() >= 2
	})
	if !dialBanned(t, n.addr()) {
		t.Fatal("banned address got a session")
	}
	if bans := n.Bans(); len(bans) != 1 || bans[0] != b {
		t.Fatalf("bans %+v, want %+v", bans, b)
	}

	lifted, err := n.Unban("127.0.0.1")
	if err != nil || len(lifted) != 1 || lifted[0] != b {
		t.Fatalf("unban: %+v, %v", lifted, err)
	}
	connected(t, 1, n, g)
	if len(n.Bans()) != 0 {
		t.Fatal("ban still listed")
	}
	if _, err := n.Unban("127.0.0.1"); !errors.Is(err, ErrNotBanned) {
		t.Fatalf("second unban: %v", err)
	}
}

// TestOperatorBanConfigured bans a configured peer's address: the node
// drops it and does not dial it; lifting the ban dials it at once, even
// after a long backoff.
func TestOperatorBanConfigured(t *testing.T) {
	b := newTestNode(t, nil)
	a := newTestNode(t, func(c *Config) {
		c.Connect = []string{b.addr()}
		c.RetryInterval = time.Hour
		c.MaxRetryInterval = time.Hour
	})
	connected(t, 1, a, b)
	// A ban of another port of the same host costs nothing.
	other := netip.MustParseAddrPort(b.addr())
	other = netip.AddrPortFrom(other.Addr(), other.Port()+1)
	if _, err := a.Ban(other.String(), 0, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Ban(b.addr(), time.Hour, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, wait, "not dialled", func() bool {
		return a.refusedBanned.Load() >= 1 && a.ConnectedCount() == 0
	})
	if bans := a.Bans(); len(bans) != 2 || bans[0].Until.Sub(bans[0].Created) !=
		a.cfg.BanDuration && bans[1].Until.Sub(bans[1].Created) != a.cfg.BanDuration {
		t.Fatalf("bans %+v: one of the default duration", bans)
	}
	if _, err := a.Unban(b.addr()); err != nil {
		t.Fatal(err)
	}
	connected(t, 1, a, b)
}

// TestBanErrors checks what Ban and Unban refuse.
func TestBanErrors(t *testing.T) {
	n := newTestNode(t, nil)
	for _, target := range []string{"", "node one", "1.2.3.4:0",
		"1.2.3.4:70000", "fe80::1%eth0", "[fe80::1%eth0]:1"} {
		if _, err := n.Ban(target, time.Hour, ""); !errors.Is(err, ErrBanTarget) {
			t.Errorf("Ban(%q): %v", target, err)
		}
		if _, err := n.Unban(target); !errors.Is(err, ErrBanTarget) {
			t.Errorf("Unban(%q): %v", target, err)
		}
	}
	for _, d := range []time.Duration{time.Millisecond, -time.Second,
		MaxBanDuration + time.Second} {
		if _, err := n.Ban("1.2.3.4", d, ""); !errors.Is(err, ErrBanDuration) {
			t.Errorf("Ban for %v: %v", d, err)
		}
	}
	long := make([]byte, MaxBanReasonLen+1)
	if _, err := n.Ban("1.2.3.4", time.Hour, string(long)); !errors.Is(err, ErrBanReason) {
		t.Errorf("long reason: %v", err)
	}
	if _, err := n.Unban("1.2.3.4"); !errors.Is(err, ErrNotBanned) {
		t.Errorf("unban of nothing: %v", err)
	}
}

// TestBanTargets checks the targets' canonical forms and what they cover.
func TestBanTargets(t *testing.T) {
	tests := []struct {
		in, canon string
		covers    []string
		spares    []string
	}{
		{"192.0.2.7", "192.0.2.7", []string{"192.0.2.7:1", "[::ffff:192.0.2.7]:9"},
			[]string{"192.0.2.8:1", "node:1"}},
		{"192.0.2.99/24", "192.0.2.0/24", []string{"192.0.2.7:1"},
			[]string{"192.0.3.7:1"}},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8", []string{"10.9.9.9:5"},
			[]string{"11.0.0.1:5"}},
		{"[::1]:18555", "[::1]:18555", []string{"[::1]:18555"},
			[]string{"[::1]:18556", "127.0.0.1:18555"}},
		{"127.0.0.1:18555", "127.0.0.1:18555", []string{"127.0.0.1:18555"},
			[]string{"127.0.0.1:40000"}},
		{"Node1.example", "node1.example", []string{"node1.EXAMPLE:5"},
			[]string{"node2.example:5"}},
		{"node1:7", "node1:7", []string{"node1:7"}, []string{"node1:8"}},
	}
	for _, tc := range tests {
		bt, err := parseBanTarget(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if bt.String() != tc.canon {
			t.Errorf("%q: canonical %q, want %q", tc.in, bt, tc.canon)
		}
		for _, a := range tc.covers {
			if !bt.matches(a) {
				t.Errorf("%q does not cover %s", tc.in, a)
			}
		}
		for _, a := range tc.spares {
			if bt.matches(a) {
				t.Errorf("%q covers %s", tc.in, a)
			}
		}
	}
	for addr, want := range map[string]string{
		"127.0.0.1:40000":   "127.0.0.1:40000",
		"[::1]:40000":       "[::1]:40000",
		"localhost:40000":   "localhost:40000",
		"192.0.2.7:40000":   "192.0.2.7",
		"[2001:db8::1]:400": "2001:db8::1",
	} {
		if got := discourageTarget(addr).String(); got != want {
			t.Errorf("misbehavior from %s discourages %q, want %q",
				addr, got, want)
		}
	}
}

// TestDiscouragedInbound checks the slots of discouraged addresses: one
// is evicted for a newcomer when every slot is taken, and one is refused
// unless a slot stays free.
func TestDiscouragedInbound(t *testing.T) {
	n := newTestNode(t, func(c *Config) { c.MaxInbound = 2 })
	r1, addr1 := namedSession(t, n, "r1")
	n.discourage(addr1, "test")
	namedSession(t, n, "r2")

	// Full: a newcomer evicts the discouraged session.
	namedSession(t, n, "r3")
	if !r1.closedWithin(wait) {
		t.Fatal("discouraged session not evicted")
	}
	if n.evicted.Load() != 1 {
		t.Fatalf("%d evictions", n.evicted.Load())
	}

	// Full again, of sessions in good standing: a newcomer is refused.
	if !dialBanned(t, n.addr()) {
		t.Fatal("a third inbound session")
	}

	// Every loopback address discouraged, one slot free: taking it
	// would leave none, so a discouraged newcomer is refused.
	n.banMu.Lock()
	n.bans.discourage(banTarget{prefix: netip.MustParsePrefix("127.0.0.1/32")},
		"test", time.Now(), time.Now().Add(time.Hour))
	n.banMu.Unlock()
	for _, p := range n.peerList() {
		if p.hello.GetUserAgent() == "r2" {
			p.disconnect(errors.New("test"))
		}
	}
	waitFor(t, wait, "a free slot", func() bool {
		n.Server.mu.Lock()
		defer n.Server.mu.Unlock()
		return len(n.inbound) == 1
	})
	if !dialBanned(t, n.addr()) {
		t.Fatal("discouraged newcomer took the last slot")
	}
	if n.refusedDiscouraged.Load() != 1 {
		t.Fatalf("%d refused as discouraged", n.refusedDiscouraged.Load())
	}
	if _, err := n.Unban("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	namedSession(t, n, "r4")
}
