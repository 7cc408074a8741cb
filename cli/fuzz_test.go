package cli

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCommandLine runs sidecli on arbitrary command lines, with a data dir
// that holds no credential, so that no call is made: whatever the words,
// sidecli must not panic, must exit with a documented code, must print
// nothing on stdout but help, and must speak the user's terms on stderr.
// The seeds are the bad inputs of TestBadInputs and a valid line of every
// command. Words are separated by a unit separator (0x1f).
func FuzzCommandLine(f *testing.F) {
	for path, list := range badInputs {
		for _, tc := range list {
			f.Add(strings.Join(append(strings.Fields(path), tc.args...), "\x1f"))
		}
	}
	for path, args := range validArgs {
		f.Add(strings.Join(append(strings.Fields(path), args...), "\x1f"))
	}
	f.Add("help\x1fpeg\x1fin")
	f.Add("--network\x1fsignet\x1f--timeout\x1f-5\x1fwinner\x1f-0")
	dataDir := f.TempDir()
	f.Fuzz(func(t *testing.T, line string) {
		if !utf8.ValidString(line) {
			return
		}
		args := append([]string{"--datadir", dataDir, "--rpcserver", "127.0.0.1:1"},
			strings.Split(line, "\x1f")...)
		var stdout, stderr bytes.Buffer
		code := Main(args, func(string) string { return "" }, &stdout, &stderr)
		switch code {
		case ExitOK:
			// Only help succeeds without a node.
			if !strings.Contains(line, "help") && !strings.Contains(line, "-h") {
				t.Fatalf("exit 0 without a node: %q\nstdout %q", args, stdout.String())
			}
		case ExitUsage, ExitUnreachable:
			if stdout.Len() != 0 {
				t.Fatalf("%q: stdout %q on a failure", args, stdout.String())
			}
			if stderr.Len() == 0 {
				t.Fatalf("%q: exit %d without a message", args, code)
			}
			if m := notUserTerms.FindString(stderr.String()); m != "" &&
				!strings.Contains(line, m) {
				t.Fatalf("%q: stderr %q holds %q", args, stderr.String(), m)
			}
		default:
			t.Fatalf("%q: exit %d without a node (stderr %q)", args, code, stderr.String())
		}
	})
}

// FuzzUnquoteShell checks that a value quoted as the devnet quotes it, in
// single quotes, reads back as it was.
func FuzzUnquoteShell(f *testing.F) {
	for _, s := range []string{"", "plain", "/tmp/it's data", "'", "''", `a\b`, `"x"`, "$HOME"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		quoted := "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		got, ok := unquoteShell(quoted)
		if !ok || got != s {
			t.Fatalf("unquoteShell(%q) = %q %v, want %q", quoted, got, ok, s)
		}
		unquoteShell(s) // any value: no panic
	})
}
