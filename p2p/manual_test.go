package p2p

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestOperatorConnectDisconnect dials a peer at the operator's request,
// gets the handshaken session back, and closes it by id and by address.
// The session is temporary: when it ends, nothing dials again.
func TestOperatorConnectDisconnect(t *testing.T) {
	b := newTestNode(t, nil)
	a := newTestNode(t, nil)

	info, err := a.Connect(context.Background(), b.addr())
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if info.Addr != b.addr() || info.Inbound || info.Persistent ||
		info.UserAgent != "sidenode-test:0.1" {
		t.Fatalf("session %+v", info)
	}
	if ps := a.Peers(); len(ps) != 1 || ps[0].ID != info.ID {
		t.Fatalf("a's peers %+v, want the new session", ps)
	}

	got, err := a.Disconnect(fmt.Sprint(uint64(info.ID)))
	if err != nil || len(got) != 1 || got[0].ID != info.ID {
		t.Fatalf("Disconnect by id: %+v, %v", got, err)
	}
	waitFor(t, wait, "the session to end", func() bool {
		return a.ConnectedCount() == 0 && b.ConnectedCount() == 0
	})
	if _, err := a.Disconnect(fmt.Sprint(uint64(info.ID))); !errors.Is(err, ErrNoSuchPeer) {
		t.Fatalf("Disconnect of a closed session: %v, want ErrNoSuchPeer", err)
	}

	// By address; the temporary session is never redialled: a's dial
	// hook (the persistent loops') never ran.
	info, err = a.Connect(context.Background(), b.addr())
	if err != nil {
		t.Fatalf("second Connect: %v", err)
	}
	if got, err := a.Disconnect(b.addr()); err != nil || len(got) != 1 {
		t.Fatalf("Disconnect by address: %+v, %v", got, err)
	}
	waitFor(t, wait, "the session to end", func() bool { return a.ConnectedCount() == 0 })
	if n := a.dials.Load(); n != 0 {
		t.Fatalf("%d persistent dials after an operator's connect", n)
	}
}

// TestOperatorConnectRefuses checks Connect's refusals: no host:port, a
// banned address, an address where no node listens, and this node.
func TestOperatorConnectRefuses(t *testing.T) {
	a := newTestNode(t, nil)
	b := newTestNode(t, nil)
	for _, addr := range []string{"", "192.0.2.7", "host:0", "host:99999", "a b:1"} {
		if _, err := a.Connect(context.Background(), addr); !errors.Is(err, ErrPeerAddress) {
			t.Errorf("Connect(%q): %v, want ErrPeerAddress", addr, err)
		}
	}
	if _, err := a.Ban(b.addr(), 0, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Connect(context.Background(), b.addr()); !errors.Is(err, ErrPeerBanned) {
		t.Errorf("Connect to a banned address: %v, want ErrPeerBanned", err)
	}
	if _, err := a.Connect(context.Background(), freeAddr(t)); !errors.Is(err, ErrConnectFailed) {
		t.Errorf("Connect to a closed port: %v, want ErrConnectFailed", err)
	}
	if _, err := a.Connect(context.Background(), a.addr()); !errors.Is(err, ErrConnectFailed) {
		t.Errorf("Connect to itself: %v, want ErrConnectFailed", err)
	}
	if a.ConnectedCount() != 0 {
		t.Fatalf("%d sessions after refused connects", a.ConnectedCount())
	}
}
