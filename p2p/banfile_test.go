package p2p

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btclog"
)

// newBanServer returns an unstarted Server keeping its bans in path, on
// the clock now, stopped at the end of the test.
func newBanServer(t *testing.T, path string, now func() time.Time) *Server {
	t.Helper()
	cfg := testConfig()
	cfg.BanFile = path
	s, err := newServer(cfg, newTestHandler(), nil, now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

// sameBans reports whether got lists the bans want, times compared as
// instants.
func sameBans(got, want []Ban) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Target != w.Target || g.Kind != w.Kind || g.Reason != w.Reason ||
			!g.Created.Equal(w.Created) || !g.Until.Equal(w.Until) {
			return false
		}
	}
	return true
}

// TestBansSurviveRestart bans on a node, discourages an address, and
// restarts it on the same ban file: the bans are in force again (a banned
// address gets no session), the discouragement is gone, and a lifted ban
// stays lifted.
func TestBansSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bans.json")
	mod := func(c *Config) { c.BanFile = path }
	n := newTestNode(t, mod)
	loop, err := n.Ban("127.0.0.1", time.Hour, "local trouble")
	if err != nil {
		t.Fatal(err)
	}
	subnet, err := n.Ban("192.0.2.99/24", 72*time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	n.discourage("198.51.100.7:8333", "test")
	if len(n.Bans()) != 3 {
		t.Fatalf("bans %+v", n.Bans())
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}

	n = newTestNode(t, mod)
	if got := n.Bans(); !sameBans(got, []Ban{loop, subnet}) {
		t.Fatalf("after restart: %+v, want %+v and %+v", got, loop, subnet)
	}
	if !dialBanned(t, n.addr()) {
		t.Fatal("banned address got a session after restart")
	}
	if n.refusedBanned.Load() == 0 {
		t.Fatal("session not refused as banned")
	}
	if _, err := n.Unban("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}

	n = newTestNode(t, mod)
	if got := n.Bans(); !sameBans(got, []Ban{subnet}) {
		t.Fatalf("after unban and restart: %+v, want %+v", got, subnet)
	}
	namedSession(t, n, "welcome")
}

// TestBanFileExpiry restarts a node on an injected clock past the end of
// one ban: the ended ban is dropped at load, the other kept, and one that
// ends at the very instant of load is dropped.
func TestBanFileExpiry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bans.json")
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func(t time.Time) func() time.Time {
		return func() time.Time { return t }
	}
	s := newBanServer(t, path, clock(t0))
	for _, b := range []struct {
		target string
		d      time.Duration
	}{{"192.0.2.1", time.Hour}, {"192.0.2.2", 2 * time.Hour},
		{"192.0.2.3", 3 * time.Hour}} {
		if _, err := s.Ban(b.target, b.d, ""); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Stop()

	s = newBanServer(t, path, clock(t0.Add(2*time.Hour)))
	got := s.Bans()
	if len(got) != 1 || got[0].Target != "192.0.2.3" ||
		!got[0].Until.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("bans at load 2h later: %+v, want 192.0.2.3 only", got)
	}
	_ = s.Stop()

	// Loaded on a clock before any ended, all three are there: the
	// file kept them.
	s = newBanServer(t, path, clock(t0.Add(time.Minute)))
	if got := s.Bans(); len(got) != 3 {
		t.Fatalf("bans at load 1m later: %+v, want 3", got)
	}
}

// captureLog sends the package log to a buffer while f runs.
func captureLog(f func()) string {
	var buf bytes.Buffer
	logger := btclog.NewBackend(&buf).Logger("PEER")
	logger.SetLevel(btclog.LevelInfo)
	old := log
	UseLogger(logger)
	defer UseLogger(old)
	f()
	return buf.String()
}

// TestBanFileCorrupt starts a node on ban files it cannot use, wholly or
// in part: the node starts, warns naming the file, moves the file aside
// untouched, keeps the valid entries (written anew), and bans on.
func TestBanFileCorrupt(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return t0 }
	good := `{"target": "192.0.2.1", "created": "2026-03-01T11:00:00Z", "until": "2026-03-02T11:00:00Z", "reason": "spam"}`
	tests := []struct {
		name string
		data string // "" with dir: a directory at the path
		dir  bool
		kept int
	}{
		{"garbage", "\x00\xffnot json", false, 0},
		{"empty", "", false, 0},
		{"truncated", `{"version": 1, "bans": [` + good, false, 0},
		{"other version", `{"version": 2, "bans": [` + good + `]}`, false, 0},
		{"no version", `{"bans": [` + good + `]}`, false, 0},
		{"unreadable", "", true, 0},
		{"bad entries", `{"version": 1, "bans": [` + good + `,
			{"target": "not a host!", "created": "2026-03-01T11:00:00Z", "until": "2026-03-02T11:00:00Z"},
			{"target": "192.0.2.2", "created": "2026-03-01T11:00:00Z", "until": "2046-03-02T11:00:00Z"},
			{"target": "192.0.2.3", "created": "2026-03-01T11:00:00Z", "until": "2026-03-01T10:00:00Z"},
			{"target": "192.0.2.4"}]}`, false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "bans.json")
			if tc.dir {
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(path, []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}

			var s *Server
			out := captureLog(func() { s = newBanServer(t, path, now) })
			aside, _ := filepath.Glob(path + ".corrupt-*")
			if len(aside) != 1 {
				t.Fatalf("moved aside: %v", aside)
			}
			if !strings.Contains(out, "[WRN]") || !strings.Contains(out, path) ||
				!strings.Contains(out, aside[0]) {
				t.Fatalf("warning names neither file nor where it went:\n%s", out)
			}
			if !tc.dir {
				moved, err := os.ReadFile(aside[0])
				if err != nil || string(moved) != tc.data {
					t.Fatalf("moved file changed: %q, %v", moved, err)
				}
			}
			if got := s.Bans(); len(got) != tc.kept {
				t.Fatalf("bans %+v, want %d", got, tc.kept)
			}
			if tc.kept > 0 {
				// The kept entries were written anew.
				s2 := newBanServer(t, path, now)
				if !sameBans(s2.Bans(), s.Bans()) {
					t.Fatalf("rewritten file holds %+v, want %+v",
						s2.Bans(), s.Bans())
				}
			}

			// Bans go on, into a fresh file.
			b, err := s.Ban("203.0.113.0/24", time.Hour, "")
			if err != nil {
				t.Fatal(err)
			}
			_ = s.Stop()
			s = newBanServer(t, path, now)
			got := s.Bans()
			if len(got) != tc.kept+1 || !sameBans(got[len(got)-1:], []Ban{b}) {
				t.Fatalf("after a new ban: %+v", got)
			}
		})
	}
}

// TestBanFileWriteFails gives a node a ban file it cannot write: Ban and
// Unban fail with ErrBanFile, naming the file, and change nothing.
func TestBanFileWriteFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bans.json")
	s := newBanServer(t, path, time.Now)
	if _, err := s.Ban("192.0.2.1", time.Hour, ""); err != nil {
		t.Fatal(err)
	}
	// The directory becomes a file: nothing can be written in it.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(dir) })

	_, err := s.Ban("192.0.2.2", time.Hour, "")
	if !errors.Is(err, ErrBanFile) || !strings.Contains(err.Error(), path) {
		t.Fatalf("ban: %v, want ErrBanFile naming %s", err, path)
	}
	if _, err := s.Unban("192.0.2.1"); !errors.Is(err, ErrBanFile) {
		t.Fatalf("unban: %v, want ErrBanFile", err)
	}
	if got := s.Bans(); len(got) != 1 || got[0].Target != "192.0.2.1" {
		t.Fatalf("bans %+v, want 192.0.2.1 only", got)
	}
}

// FuzzLoadBanFile loads arbitrary ban files: the node never fails to
// start on one, loads only bans that are valid and in force, moves a file
// it could not wholly use aside untouched, and what it loaded is written
// and read back the same. Seeded with a file the node wrote and with
// broken ones.
func FuzzLoadBanFile(f *testing.F) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var written []byte
	{
		path := filepath.Join(f.TempDir(), "bans.json")
		var bans []Ban
		for _, target := range []string{"192.0.2.0/24", "[::1]:18555",
			"node1.example:7", "2001:db8::/32", "127.0.0.1"} {
			bt, _ := parseBanTarget(target)
			bans = append(bans, Ban{Target: bt.String(), Kind: Banned,
				Created: now.Add(-time.Hour), Until: now.Add(time.Hour),
				Reason: "seed"})
		}
		if err := writeBanFile(path, bans); err != nil {
			f.Fatal(err)
		}
		var err error
		if written, err = os.ReadFile(path); err != nil {
			f.Fatal(err)
		}
	}
	f.Add(written)
	f.Add([]byte(""))
	f.Add([]byte("\x00\xffnot json"))
	f.Add([]byte(`{"version": 2, "bans": []}`))
	f.Add([]byte(`{"version": 1, "bans": [{"target": "192.0.2.1", "created": "2026-03-01T11:00:00Z", "until": "2026-03-01T11:30:00Z"}, {"target": "x y"}]}`))
	f.Add(bytes.Replace(written, []byte("192.0.2.0/24"), []byte("192.0.2.7/24"), 1))

	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "bans.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		got := loadBanFile(path, now)
		if len(got.bans) > maxBans {
			t.Fatalf("%d bans loaded", len(got.bans))
		}
		for k, b := range got.bans {
			bt, err := parseBanTarget(b.Target)
			if err != nil || bt.String() != k || k != b.Target ||
				b.Kind != Banned || !now.Before(b.Until) ||
				b.Until.Sub(b.Created) > MaxBanDuration ||
				!b.Created.Before(b.Until) || len(b.Reason) > MaxBanReasonLen {
				t.Fatalf("loaded an invalid ban %q: %+v (%v)", k, b, err)
			}
		}
		if got.problem == "" {
			if kept, err := os.ReadFile(path); err != nil || !bytes.Equal(kept, data) {
				t.Fatalf("a good file changed: %v", err)
			}
		} else {
			if got.movedTo == "" {
				t.Fatalf("not moved aside: %s", got.problem)
			}
			if moved, err := os.ReadFile(got.movedTo); err != nil || !bytes.Equal(moved, data) {
				t.Fatalf("moved file changed: %v", err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("file still at %s: %v", path, err)
			}
		}

		bans := make([]Ban, 0, len(got.bans))
		for _, b := range got.bans {
			bans = append(bans, b)
		}
		if err := writeBanFile(path, bans); err != nil {
			t.Fatal(err)
		}
		again := loadBanFile(path, now)
		if again.problem != "" || again.expired != 0 || len(again.bans) != len(got.bans) {
			t.Fatalf("written back: %+v", again)
		}
		for k, b := range got.bans {
			if !sameBans([]Ban{again.bans[k]}, []Ban{b}) {
				t.Fatalf("%s written back as %+v, was %+v", k, again.bans[k], b)
			}
		}
	})
}
