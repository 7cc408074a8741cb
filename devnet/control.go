package devnet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Actions an operator can ask a running devnet to take on one node.
const (
	ActionKill    = "kill"    // SIGKILL, as a crash would
	ActionRestart = "restart" // stop it if it runs, then start it again
)

// Request is an action asked of the running devnet for one node.
type Request struct {
	Node, Action string
}

// controlDir is where requests wait for the running devnet.
func controlDir(dir string) string { return filepath.Join(dir, "control") }

// Ask leaves a request for the devnet running in dir: another process
// (bin/devnet kill|restart NAME) calls it, and the devnet takes it within
// a moment.
func Ask(dir string, r Request) error {
	if r.Action != ActionKill && r.Action != ActionRestart {
		return fmt.Errorf("unknown action %q: %s or %s", r.Action, ActionKill, ActionRestart)
	}
	if r.Node == "" || strings.ContainsAny(r.Node, `/\.`) {
		return fmt.Errorf("bad node name %q", r.Node)
	}
	if _, err := os.Stat(filepath.Join(dir, r.Node)); err != nil {
		return fmt.Errorf("no node %q in the devnet at %s", r.Node, dir)
	}
	cd := controlDir(dir)
	if err := os.MkdirAll(cd, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(cd, r.Node+"."+r.Action), nil, 0o600)
}

// Requests takes the requests waiting in dir, oldest name first, and
// removes them.
func Requests(dir string) ([]Request, error) {
	cd := controlDir(dir)
	entries, err := os.ReadDir(cd)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var out []Request
	for _, name := range names {
		if err := os.Remove(filepath.Join(cd, name)); err != nil {
			return out, err
		}
		node, action, ok := strings.Cut(name, ".")
		if !ok || (action != ActionKill && action != ActionRestart) {
			continue
		}
		out = append(out, Request{Node: node, Action: action})
	}
	return out, nil
}
