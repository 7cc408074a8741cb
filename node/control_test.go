package node

import (
	"context"
	"testing"
)

// TestControlLogLevels sets levels through the API's control as
// --debuglevel does and reads them back by tag; a bad spec changes
// nothing.
func TestControlLogLevels(t *testing.T) {
	t.Cleanup(func() { _ = SetLogLevels("info") })
	c := control{}
	if err := c.SetLogLevels("warn,PEER=trace"); err != nil {
		t.Fatal(err)
	}
	levels := c.LogLevels()
	if len(levels) != len(subsystems) {
		t.Fatalf("%d subsystems listed, want %d", len(levels), len(subsystems))
	}
	for i, l := range levels {
		if i > 0 && levels[i-1].Tag >= l.Tag {
			t.Fatalf("not ordered by tag: %v", levels)
		}
		want := "warn"
		if l.Tag == "PEER" {
			want = "trace"
		}
		if l.Level != want {
			t.Errorf("%s at %s, want %s", l.Tag, l.Level, want)
		}
	}
	if err := c.SetLogLevels("info,NOPE=debug"); err == nil {
		t.Fatal("unknown subsystem accepted")
	}
	if got := c.LogLevels()[0].Level; got != "warn" {
		t.Fatalf("a refused spec changed a level to %s", got)
	}
}

// TestControlShutdown checks that Shutdown cancels the context Run
// runs under.
func TestControlShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	control{shutdown: cancel}.Shutdown()
	if ctx.Err() == nil {
		t.Fatal("Shutdown did not cancel the node's context")
	}
}
