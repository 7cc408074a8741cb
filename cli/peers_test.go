package cli

import "testing"

// TestBanCommands adds, lists and removes a ban through sidecli, with the
// read-only credential refused where the admin one is needed.
func TestBanCommands(t *testing.T) {
	n := startNode(t)
	n.backend.Discourage("127.0.0.1:40000", "invalid message")

	r := n.run("bans", "add", "192.0.2.0/24", "--duration", "90m", "--reason", "spam")
	wantOK(t, r)
	ban, _ := r.json(t)["ban"].(map[string]any)
	if ban["target"] != "192.0.2.0/24" || ban["kind"] != "banned" || ban["reason"] != "spam" {
		t.Fatalf("ban %v", ban)
	}

	r = n.run("--readonly", "bans", "list")
	wantOK(t, r)
	list, _ := r.json(t)["bans"].([]any)
	if len(list) != 2 {
		t.Fatalf("bans %v", list)
	}
	disc, _ := list[1].(map[string]any)
	if disc["target"] != "127.0.0.1:40000" || disc["kind"] != "discouraged" {
		t.Fatalf("discouraged %v", disc)
	}

	wantFail(t, n.run("--readonly", "bans", "add", "192.0.2.1"), "permission")
	wantOK(t, n.run("bans", "remove", "192.0.2.0/24"))
	wantFail(t, n.run("bans", "remove", "192.0.2.0/24"), "neither banned nor discouraged")
	wantOK(t, n.run("bans", "remove", "127.0.0.1:40000"))
	r = n.run("bans", "list")
	wantOK(t, r)
	if list, _ := r.json(t)["bans"].([]any); len(list) != 0 {
		t.Fatalf("bans after removal %v", list)
	}
}
