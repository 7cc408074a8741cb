package devnet

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestControlRequests checks that requests left by Ask are taken once, in
// name order, and that bad requests are refused.
func TestControlRequests(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"node-a", "node-b"} {
		if err := os.Mkdir(filepath.Join(dir, n), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := Requests(dir); err != nil || len(got) != 0 {
		t.Fatalf("no requests yet: %v %v", got, err)
	}
	for _, r := range []Request{{"node-b", ActionRestart}, {"node-a", ActionKill}} {
		if err := Ask(dir, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []Request{{"node-c", ActionKill}, {"node-a", "stop"}, {"../x", ActionKill}, {"", ActionKill}} {
		if err := Ask(dir, bad); err == nil {
			t.Errorf("request %+v accepted", bad)
		}
	}
	got, err := Requests(dir)
	want := []Request{{"node-a", ActionKill}, {"node-b", ActionRestart}}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("requests %v %v, want %v", got, err, want)
	}
	if got, err := Requests(dir); err != nil || len(got) != 0 {
		t.Fatalf("requests taken twice: %v %v", got, err)
	}
}
