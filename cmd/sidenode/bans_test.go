package main

import "testing"

// TestBanCommands adds, lists and removes a ban through the client, and
// checks what it refuses before calling the node.
func TestBanCommands(t *testing.T) {
	n := startNode(t)
	n.backend.Discourage("127.0.0.1:40000", "invalid message")

	r := n.run("bans", "add", "192.0.2.0/24", "--duration", "90m", "--reason", "spam")
	wantOK(t, r)
	ban, _ := r.json(t)["ban"].(map[string]any)
	if ban["target"] != "192.0.2.0/24" || ban["kind"] != "BAN_KIND_BANNED" || ban["reason"] != "spam" {
		t.Fatalf("ban %v", ban)
	}

	r = n.run("bans", "list", "--readonly")
	wantOK(t, r)
	list, _ := r.json(t)["bans"].([]any)
	if len(list) != 2 {
		t.Fatalf("bans %v", list)
	}
	disc, _ := list[1].(map[string]any)
	if disc["target"] != "127.0.0.1:40000" || disc["kind"] != "BAN_KIND_DISCOURAGED" {
		t.Fatalf("discouraged %v", disc)
	}

	wantFail(t, n.run("bans", "add", "192.0.2.1", "--readonly"), "permission denied")
	wantOK(t, n.run("bans", "remove", "192.0.2.0/24"))
	wantFail(t, n.run("bans", "remove", "192.0.2.0/24"), "not found")
	wantOK(t, n.run("bans", "remove", "127.0.0.1:40000"))

	wantFail(t, n.run("bans", "add", "192.0.2.1", "--duration", "1500ms"), "whole seconds")
	wantFail(t, n.run("bans", "add", "192.0.2.1", "--duration", "87601h"), "at most")
	wantFail(t, n.run("bans", "add"), "target")
}
