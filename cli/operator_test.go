package cli

import "testing"

// TestOperatorCommands stops the node, shows and sets log levels, and
// lists, dials and drops peers through sidecli; the read-only credential
// may only look.
func TestOperatorCommands(t *testing.T) {
	n := startNode(t)

	wantFail(t, n.run("--readonly", "stop"), "permission")
	if got := n.backend.StopRequests(); got != 0 {
		t.Fatalf("a read-only stop reached the node %d times", got)
	}
	wantOK(t, n.run("stop"))
	if got := n.backend.StopRequests(); got != 1 {
		t.Fatalf("stop reached the node %d times, want 1", got)
	}

	level := func(r result, tag string) string {
		t.Helper()
		wantOK(t, r)
		subs, _ := r.json(t)["subsystems"].([]any)
		for _, s := range subs {
			m, _ := s.(map[string]any)
			if m["tag"] == tag {
				return m["level"].(string)
			}
		}
		t.Fatalf("no subsystem %s in %s", tag, r.stdout)
		return ""
	}
	if got := level(n.run("--readonly", "debuglevel"), "PEER"); got != "info" {
		t.Fatalf("PEER at %s", got)
	}
	wantFail(t, n.run("--readonly", "debuglevel", "debug"), "permission")
	if got := level(n.run("debuglevel", "warn,PEER=trace"), "PEER"); got != "trace" {
		t.Fatalf("PEER at %s after set", got)
	}
	if got := level(n.run("debuglevel", "show"), "RPCS"); got != "warn" {
		t.Fatalf("RPCS at %s after set", got)
	}

	r := n.run("peers", "connect", "192.0.2.7:18555")
	wantOK(t, r)
	peer, _ := r.json(t)["peer"].(map[string]any)
	if peer["address"] != "192.0.2.7:18555" || peer["inbound"] != false {
		t.Fatalf("connected %v", peer)
	}
	r = n.run("--readonly", "peers", "list")
	wantOK(t, r)
	if list, _ := r.json(t)["peers"].([]any); len(list) != 1 {
		t.Fatalf("peers %v", list)
	}
	wantFail(t, n.run("--readonly", "peers", "disconnect", "192.0.2.7:18555"), "permission")
	wantOK(t, n.run("peers", "disconnect", "192.0.2.7:18555"))
	r = n.run("peers", "list")
	wantOK(t, r)
	if list, _ := r.json(t)["peers"].([]any); len(list) != 0 {
		t.Fatalf("peers after disconnect %v", list)
	}
}
