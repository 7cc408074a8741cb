package devnet

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// logTimeLayout is the time stamp that starts each line a node logs.
const logTimeLayout = "2006-01-02 15:04:05.000"

// lineTime returns the time stamp of a log line, if it has one.
func lineTime(line string) (time.Time, bool) {
	if len(line) < len(logTimeLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(logTimeLayout, line[:len(logTimeLayout)])
	return t, err == nil
}

// Pause is a stretch of at least the asked length in which a node logged
// nothing: Before holds the lines up to it, After those that follow.
type Pause struct {
	Length        time.Duration
	Before, After []string
}

// Pauses returns the longest pauses (most of them at most) of at least least between
// two time-stamped lines of the node's output (the lines it still keeps),
// in the order they happened, each with around lines on either side. A
// node that logs nothing for long while it should be busy was stalled: its
// pauses show where.
func (node *Node) Pauses(least time.Duration, around, most int) []Pause {
	node.mu.Lock()
	lines := append([]string(nil), node.lines...)
	node.mu.Unlock()
	type gap struct {
		at     int // index of the first line after the pause
		length time.Duration
	}
	var gaps []gap
	var last time.Time
	for i, l := range lines {
		t, ok := lineTime(l)
		if !ok {
			continue
		}
		if !last.IsZero() && t.Sub(last) >= least {
			gaps = append(gaps, gap{at: i, length: t.Sub(last)})
		}
		last = t
	}
	// Keep the longest, then put them back in order.
	for len(gaps) > most {
		shortest := 0
		for i, g := range gaps {
			if g.length < gaps[shortest].length {
				shortest = i
			}
		}
		gaps = append(gaps[:shortest], gaps[shortest+1:]...)
	}
	pauses := make([]Pause, 0, len(gaps))
	for _, g := range gaps {
		pauses = append(pauses, Pause{
			Length: g.length,
			Before: lines[max(0, g.at-around):g.at],
			After:  lines[g.at:min(len(lines), g.at+around)],
		})
	}
	return pauses
}

// Report describes each node for a failing test's log, compactly: its
// sidechain peers, heights and state hash now (asked with a context of its
// own, as the test's may have expired), the lines around its longest
// pauses of more than pause, its last lines about its sidechain peers,
// its last warnings and errors, and its newest tail lines. Lines are cut
// at width characters.
func (n *Net) Report(pause time.Duration, tail, width int) []string {
	cut := func(l string) string {
		if len(l) > width {
			return l[:width] + "…"
		}
		return l
	}
	var out []string
	for _, node := range n.Nodes {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		info, err := node.Info(ctx)
		cancel()
		state := fmt.Sprintf("no info: %v", err)
		if err == nil {
			state = fmt.Sprintf("sidechain peers %d, sidechain height %d tip %.12s, "+
				"mainchain %d (backend %d, synced %v), state hash %.12s",
				info.SidechainPeers, info.Sidechain.GetHeight(),
				info.Sidechain.GetTipHash(), info.Mainchain.GetTipHeight(),
				info.Mainchain.GetBackendHeight(), info.Mainchain.GetSynced(),
				info.StateHash)
		}
		out = append(out, fmt.Sprintf("=== %s: %s", node.Spec.Name, state))
		for _, p := range node.Pauses(pause, 2, 3) {
			out = append(out, fmt.Sprintf("--- %s logged nothing for %v:",
				node.Spec.Name, p.Length.Round(time.Millisecond)))
			for _, l := range p.Before {
				out = append(out, cut(l))
			}
			out = append(out, "    ...")
			for _, l := range p.After {
				out = append(out, cut(l))
			}
		}
		all := node.Tail(keepLines)
		for _, kind := range []struct{ what, mark string }{
			{"sidechain peer lines", " PEER: "},
			{"warnings", " [WRN] "},
			{"errors", " [ERR] "},
		} {
			var found []string
			for _, l := range all {
				if strings.Contains(l, kind.mark) {
					found = append(found, l)
				}
			}
			if len(found) == 0 {
				continue
			}
			out = append(out, fmt.Sprintf("--- %s's last %s (%d in all):",
				node.Spec.Name, kind.what, len(found)))
			for _, l := range found[max(0, len(found)-6):] {
				out = append(out, cut(l))
			}
		}
		out = append(out, fmt.Sprintf("--- %s's last %d lines:", node.Spec.Name, tail))
		for _, l := range node.Tail(tail) {
			out = append(out, cut(l))
		}
	}
	return out
}

// Net returns the net the node belongs to.
func (node *Node) Net() *Net { return node.net }

// longWait matches the header of a goroutine in a Go traceback that has
// waited a minute or more, with the state it waits in.
var longWait = regexp.MustCompile(`^goroutine \d+ \[([^,\]]+), (\d+) minutes?(, locked to thread)?\]:$`)

// stuckStates are the waits of a goroutine held up by another: a lock, a
// full channel, a condition. A goroutine idle in select, in a channel
// receive or on the network is not listed.
var stuckStates = map[string]bool{
	"sync.Mutex.Lock": true, "sync.RWMutex.Lock": true, "sync.RWMutex.RLock": true,
	"semacquire": true, "chan send": true, "sync.Cond.Wait": true,
	"sync.WaitGroup.Wait": true,
}

// Stuck ends the node's process with SIGQUIT, which makes a Go program
// print every goroutine's stack, and returns the goroutines that had
// waited a minute or more on a lock, a channel send, a condition or a
// wait group, each as its header and its top frames (frames lines), and
// a line counting the goroutines. It is for a failing test's report, at
// its end: the node does not run afterwards. It returns nothing for a
// node that does not run.
func (node *Node) Stuck(frames int) []string {
	node.mu.Lock()
	cmd, done := node.cmd, node.done
	mark := node.base + len(node.lines)
	node.mu.Unlock()
	if cmd == nil || !node.runningNow() {
		return nil
	}
	if err := cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		return []string{fmt.Sprintf("--- %s: SIGQUIT: %v", node.Spec.Name, err)}
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
	node.mu.Lock()
	start := max(mark-node.base, 0)
	lines := append([]string(nil), node.lines[start:]...)
	node.mu.Unlock()
	total, stuck, out := stuckGoroutines(lines, frames)
	head := fmt.Sprintf("--- %s: %d goroutines, %d of them waited a minute "+
		"or more on a lock, a channel send, a condition or a wait group",
		node.Spec.Name, total, stuck)
	return append([]string{head}, out...)
}

// stuckGoroutines reads a Go traceback: it counts the goroutines, and
// returns those that waited a minute or more in one of stuckStates, each
// as its header line and its top frames.
func stuckGoroutines(lines []string, frames int) (total, stuck int, out []string) {
	for i, l := range lines {
		if strings.HasPrefix(l, "goroutine ") {
			total++
		}
		m := longWait.FindStringSubmatch(l)
		if m == nil || !stuckStates[m[1]] {
			continue
		}
		stuck++
		out = append(out, l)
		// Each frame is two lines: the function, then its file.
		for _, f := range lines[i+1 : min(len(lines), i+1+2*frames)] {
			if f == "" {
				break
			}
			out = append(out, f)
		}
	}
	return total, stuck, out
}

// runningNow reports whether the node's process runs.
func (node *Node) runningNow() bool {
	node.mu.Lock()
	defer node.mu.Unlock()
	return node.running()
}
