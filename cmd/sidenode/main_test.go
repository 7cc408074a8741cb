package main

import "testing"

// TestUsageErrorsStartNothing checks that a word that is not an option, or
// an unknown option, is a usage error reported before the daemon reads its
// configuration: without btcd credentials a start would fail with another
// status.
func TestUsageErrorsStartNothing(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	for _, args := range [][]string{
		{"status"},
		{"help"},
		{"--network=regtest", "peg", "info"},
		{"stauts"},
		{"--bogus"},
	} {
		if got := sidenodeMain(args); got != exitUsage {
			t.Errorf("sidenode %q: exit %d, want %d", args, got, exitUsage)
		}
	}
	if got := sidenodeMain([]string{"--help"}); got != exitOK {
		t.Errorf("sidenode --help: exit %d, want 0", got)
	}
}
