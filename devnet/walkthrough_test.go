package devnet_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The README's walkthrough is the fenced sh block after this marker.
const walkthroughMarker = "<!-- walkthrough:"

// walkStep is one command of the README's walkthrough, as written there,
// and what the test expects of it.
type walkStep struct {
	cmd string
	// again: the README says to run it again until check passes; the test
	// runs it once a second, at most walkAgain times.
	again bool
	check func(w *walk, r stepResult) error
}

// walkAgain bounds the runs of a step the user repeats: the first
// federation may take 40 blocks of a second each.
const walkAgain = 120

// stepResult is what a command printed, and for an assignment VAR=$(...)
// the value VAR got.
type stepResult struct {
	rc       int
	stdout   string
	stderr   string
	variable string
}

// walk is the state a walkthrough keeps between steps.
type walk struct {
	ticket string // the ticket of the stake the walkthrough creates
	payout string // the payout txid peg status printed
	vars   map[string]string
}

// walkSteps are the README's commands in order, each with its check. A
// change to the README's walkthrough fails the test until this list
// follows it.
var walkSteps = []walkStep{
	{cmd: "source .devnet/node-a/sidecli.env", check: exitZero},
	{cmd: "bin/devnet fund node-a 1000000000", check: printsHashes(1)},
	{cmd: "bin/devnet mine 1", check: printsHashes(1)},
	{cmd: "bin/sidecli balance", again: true, check: fieldIs("confirmed_sat", "1000000000")},
	{cmd: "bin/sidecli stake create --amount 400000000 --lock-blocks 2000 --force --wait",
		check: func(w *walk, r stepResult) error {
			objs, err := jsonObjects(r)
			if err != nil {
				return err
			}
			if len(objs) != 2 {
				return fmt.Errorf("want the registration and its ticket, got %d objects", len(objs))
			}
			ticket := objs[1]
			if str(ticket["state"]) != "live" || str(ticket["value_sat"]) != "400000000" {
				return fmt.Errorf("ticket %v: want a live ticket of 400000000 sat", ticket)
			}
			// A fresh devnet's three stakes are tickets 0 to 2, as the
			// README says.
			if w.ticket = str(ticket["id"]); w.ticket != "3" {
				return fmt.Errorf("ticket id %q, want 3", w.ticket)
			}
			return nil
		}},
	{cmd: "bin/sidecli stake list", check: func(w *walk, r stepResult) error {
		return hasObject(r, func(o map[string]any) bool {
			return str(o["id"]) == w.ticket && str(o["state"]) == "live" &&
				strings.EqualFold(str(o["stake_state"]), "locked")
		}, "the new ticket, live and locked")
	}},
	{cmd: "bin/sidecli publications --limit 5 --reversed", again: true,
		check: func(w *walk, r stepResult) error {
			return hasObject(r, func(o map[string]any) bool {
				return str(o["ticket_id"]) == w.ticket
			}, "a publication of the new ticket")
		}},
	{cmd: "bin/sidecli status", check: func(w *walk, r stepResult) error {
		return hasObject(r, func(o map[string]any) bool {
			ids, _ := o["own_ticket_ids"].([]any)
			own := false
			for _, id := range ids {
				own = own || str(id) == w.ticket
			}
			return own && str(o["wins"]) != "0" && str(o["wins"]) != ""
		}, "own_ticket_ids with the new ticket, and wins")
	}},
	{cmd: "bin/sidecli sidebalance", check: func(w *walk, r stepResult) error {
		return hasObject(r, func(o map[string]any) bool {
			t := str(o["total_sat"])
			return t != "" && t != "0"
		}, "a total_sat above 0")
	}},
	{cmd: "bin/sidecli peg info", again: true, check: func(w *walk, r stepResult) error {
		return hasObject(r, func(o map[string]any) bool { return o["federation"] != nil }, "a federation")
	}},
	{cmd: "SIDE_A=$(bin/sidecli sideaddress | jq -r .address)", check: variableLike(`^sdrt1q[0-9a-z]+$`)},
	{cmd: `DEP=$(bin/sidecli peg in --amount 200000000 --to "$SIDE_A" --force | jq -r .txid)`,
		check: variableLike(`^[0-9a-f]{64}$`)},
	{cmd: "bin/devnet mine 2", check: printsHashes(2)},
	{cmd: `bin/sidecli peg deposit "$DEP"`, again: true, check: func(w *walk, r stepResult) error {
		return hasObject(r, func(o map[string]any) bool {
			return strings.Contains(strings.ToLower(str(o["status"])), "minted") &&
				o["minted_by"] != nil && str(o["side_address"]) == w.vars["SIDE_A"]
		}, "the deposit minted to SIDE_A, with minted_by")
	}},
	{cmd: "SIDE_B=$(bin/sidecli --envfile=.devnet/node-b/sidecli.env sideaddress | jq -r .address)",
		check: func(w *walk, r stepResult) error {
			if err := variableLike(`^sdrt1q[0-9a-z]+$`)(w, r); err != nil {
				return err
			}
			if r.variable == w.vars["SIDE_A"] {
				return errors.New("node-b's sidechain address is node-a's")
			}
			return nil
		}},
	{cmd: `SEND=$(bin/sidecli send --to "$SIDE_B" --amount 50000000 --force | jq -r .txid)`,
		check: variableLike(`^[0-9a-f]{64}$`)},
	{cmd: `bin/sidecli tx "$SEND"`, again: true, check: func(w *walk, r stepResult) error {
		return hasObject(r, func(o map[string]any) bool { return o["confirmed"] == true }, "confirmed: true")
	}},
	{cmd: "bin/sidecli --envfile=.devnet/node-b/sidecli.env sideunspent", again: true, check: func(w *walk, r stepResult) error {
		return hasObject(r, func(o map[string]any) bool {
			return strings.Contains(fmt.Sprint(o), w.vars["SEND"]) && hasValue(o, "50000000")
		}, "the output of SEND, 50000000 sat")
	}},
	{cmd: "MAIN_A=$(bin/sidecli newaddress | jq -r .address)", check: variableLike(`^bcrt1q[0-9a-z]+$`)},
	{cmd: `OUT=$(bin/sidecli peg out --amount 100000000 --to "$MAIN_A" --force | jq -r .txid)`,
		check: variableLike(`^[0-9a-f]{64}$`)},
	{cmd: `bin/sidecli peg status "$OUT" --wait`, check: func(w *walk, r stepResult) error {
		err := hasObject(r, func(o map[string]any) bool {
			return strings.Contains(strings.ToLower(str(o["stage"])), "paid") &&
				str(o["destination_address"]) == w.vars["MAIN_A"] &&
				str(o["amount_sat"]) == "100000000" && str(o["payout_txid"]) != ""
		}, "the withdrawal paid to MAIN_A, with its payout_txid")
		if err == nil {
			objs, _ := jsonObjects(r)
			w.payout = str(objs[len(objs)-1]["payout_txid"])
		}
		return err
	}},
	{cmd: `PAYOUT=$(bin/sidecli peg status "$OUT" | jq -r .payout_txid)`, check: func(w *walk, r stepResult) error {
		if r.variable != w.payout {
			return fmt.Errorf("PAYOUT=%q, want the payout_txid peg status --wait printed, %s", r.variable, w.payout)
		}
		return nil
	}},
	{cmd: `bin/sidecli peg verify "$PAYOUT"`, check: func(w *walk, r stepResult) error {
		return hasObject(r, func(o map[string]any) bool {
			return o["valid"] == true && str(o["txid"]) == w.payout
		}, "valid: true for PAYOUT")
	}},
	{cmd: "bin/sidecli listunspent --minconf 0", check: func(w *walk, r stepResult) error {
		return hasObject(r, func(o map[string]any) bool {
			return strings.Contains(fmt.Sprint(o), w.payout) && hasValue(o, "100000000") &&
				hasValue(o, w.vars["MAIN_A"])
		}, "the payout's 100000000 sat at MAIN_A")
	}},
}

// TestWalkthrough runs the README's walkthrough, command by command as
// written there, through bash, bin/devnet and bin/sidecli against a
// devnet started as scripts/devnet starts it (with a block every second),
// checks what each command prints, and logs the time from the devnet's
// start to the verified payout.
func TestWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	for _, tool := range []string{"bash", "jq", "btcd"} {
		if _, err := exec.LookPath(tool); err != nil {
			// scripts/install-deps installs them: a missing tool is a
			// broken set-up, not a reason to pass.
			t.Fatalf("the walkthrough needs %s on PATH: run scripts/install-deps", tool)
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := walkthroughCommands(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	checkWalkSteps(t, cmds)

	work := t.TempDir()
	start := time.Now()
	build := exec.Command("go", "build", "-o", filepath.Join(work, "bin")+"/",
		"./cmd/sidenode", "./cmd/sidecli", "./cmd/devnet")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built bin/ in %v", time.Since(start).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	devnetStart := time.Now()
	log := startWalkDevnet(ctx, t, work)
	t.Logf("the devnet mines a block every second after %v", time.Since(devnetStart).Round(time.Millisecond))

	sh := startShell(ctx, t, work)
	w := &walk{vars: make(map[string]string)}
	for i, step := range walkSteps {
		stepStart := time.Now()
		var r stepResult
		var cerr error
		for run := 1; ; run++ {
			r = sh.run(t, step.cmd)
			if m := assignment.FindStringSubmatch(step.cmd); m != nil {
				r.variable = sh.value(t, m[1])
				w.vars[m[1]] = r.variable
			}
			if cerr = step.check(w, r); cerr == nil || !step.again || run == walkAgain {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("step %d %q: %v\n%s", i+1, step.cmd, ctx.Err(), log.String())
			case <-time.After(time.Second):
			}
		}
		if cerr != nil {
			t.Fatalf("step %d %q (exit %d): %v\nstdout:\n%s\nstderr:\n%s\nvariable: %q\ndevnet output:\n%s",
				i+1, step.cmd, r.rc, cerr, r.stdout, r.stderr, r.variable, log.String())
		}
		t.Logf("step %2d ok in %6v: %s", i+1, time.Since(stepStart).Round(time.Millisecond), step.cmd)
		if strings.HasPrefix(step.cmd, "bin/sidecli peg verify") {
			t.Logf("walkthrough: the devnet's start to a verified payout took %v "+
				"(%v with the build)", time.Since(devnetStart).Round(time.Millisecond),
				time.Since(start).Round(time.Millisecond))
		}
	}
}

// assignment matches a step that keeps what a command prints: VAR=$(...).
var assignment = regexp.MustCompile(`^([A-Z_]+)=\$\(`)

// walkthroughComment splits a README line into its command and the
// comment that says what to expect.
var walkthroughComment = regexp.MustCompile(`\s{2,}#\s`)

// walkthroughCommands returns the commands of the README's walkthrough:
// the lines of the sh block after the marker, without their comments.
func walkthroughCommands(readme string) ([]string, error) {
	i := strings.Index(readme, walkthroughMarker)
	if i < 0 {
		return nil, fmt.Errorf("README.md has no %q marker", walkthroughMarker)
	}
	rest := readme[i:]
	open := strings.Index(rest, "\n```sh\n")
	if open < 0 {
		return nil, errors.New("README.md: no ```sh block after the walkthrough marker")
	}
	rest = rest[open+len("\n```sh\n"):]
	end := strings.Index(rest, "\n```")
	if end < 0 {
		return nil, errors.New("README.md: the walkthrough's block does not end")
	}
	var cmds []string
	for _, line := range strings.Split(rest[:end], "\n") {
		if loc := walkthroughComment.FindStringIndex(line); loc != nil {
			line = line[:loc[0]]
		}
		if line = strings.TrimSpace(line); line != "" {
			cmds = append(cmds, line)
		}
	}
	return cmds, nil
}

// checkWalkSteps fails the test when the README's commands and walkSteps
// differ.
func checkWalkSteps(t *testing.T, cmds []string) {
	t.Helper()
	for i := 0; i < len(cmds) || i < len(walkSteps); i++ {
		var readme, test string
		if i < len(cmds) {
			readme = cmds[i]
		}
		if i < len(walkSteps) {
			test = walkSteps[i].cmd
		}
		if readme != test {
			t.Fatalf("the README's walkthrough and walkSteps differ at command %d:\nREADME: %q\ntest:   %q",
				i+1, readme, test)
		}
	}
}

// TestWalkthroughCommands checks the README's walkthrough against
// walkSteps without running it.
func TestWalkthroughCommands(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := walkthroughCommands(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	checkWalkSteps(t, cmds)
}

// lockedBuffer is the devnet's output, written by one goroutine and read
// by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) add(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(line + "\n")
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startWalkDevnet runs bin/devnet in work as scripts/devnet runs it, with
// a block every second, and returns once it mines on its ticker. It is
// stopped with SIGINT, as Ctrl-C stops it, when the test ends.
func startWalkDevnet(ctx context.Context, t *testing.T, work string) *lockedBuffer {
	t.Helper()
	cmd := exec.Command("bin/devnet", "--sidenode=bin/sidenode", "--interval=1s")
	cmd.Dir = work
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	log := &lockedBuffer{}
	ready := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		seen := false
		for sc.Scan() {
			log.add(sc.Text())
			if !seen && strings.Contains(sc.Text(), "mining a block every") {
				seen = true
				close(ready)
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(time.Minute):
			t.Errorf("the devnet did not stop on SIGINT; killing it")
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		_ = cmd.Wait()
	})
	select {
	case <-ready:
	case <-exited:
		t.Fatalf("the devnet exited before it mined:\n%s", log.String())
	case <-ctx.Done():
		t.Fatalf("the devnet did not start: %v\n%s", ctx.Err(), log.String())
	}
	return log
}

// shell is a bash process that runs the walkthrough's commands one after
// the other, as a user's second shell would: variables and the sourced
// env file carry over.
type shell struct {
	work  string
	stdin io.Writer
	lines *bufio.Scanner
}

// startShell starts bash in work. It and whatever it runs are killed when
// the test ends or ctx does.
func startShell(ctx context.Context, t *testing.T, work string) *shell {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc")
	cmd.Dir = work
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-stop:
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}()
	t.Cleanup(func() {
		close(stop)
		_ = cmd.Wait()
	})
	return &shell{work: work, stdin: stdin, lines: bufio.NewScanner(stdout)}
}

// run runs one command line in the shell, its output in files, and
// returns its exit status and output.
func (s *shell) run(t *testing.T, line string) stepResult {
	t.Helper()
	outFile, errFile := filepath.Join(s.work, "step.out"), filepath.Join(s.work, "step.err")
	fmt.Fprintf(s.stdin, "{ %s\n} >%q 2>%q </dev/null; echo \"@@rc=$?\"\n", line, outFile, errFile)
	var rc = -1
	for s.lines.Scan() {
		if _, err := fmt.Sscanf(s.lines.Text(), "@@rc=%d", &rc); err == nil {
			break
		}
	}
	if rc < 0 {
		t.Fatalf("the shell ended while running %q", line)
	}
	stdout, _ := os.ReadFile(outFile)
	stderr, _ := os.ReadFile(errFile)
	return stepResult{rc: rc, stdout: string(stdout), stderr: string(stderr)}
}

// value returns a shell variable's value.
func (s *shell) value(t *testing.T, name string) string {
	t.Helper()
	return strings.TrimSpace(s.run(t, fmt.Sprintf("printf '%%s' \"$%s\"", name)).stdout)
}

// exitZero checks that a command succeeded.
func exitZero(_ *walk, r stepResult) error {
	if r.rc != 0 {
		return fmt.Errorf("exit %d, want 0", r.rc)
	}
	return nil
}

var hashLine = regexp.MustCompile(`^[0-9a-f]{64}$`)

// printsHashes checks that a bin/devnet command succeeded and printed n
// txids or block hashes, one a line.
func printsHashes(n int) func(*walk, stepResult) error {
	return func(w *walk, r stepResult) error {
		if err := exitZero(w, r); err != nil {
			return err
		}
		lines := strings.Fields(r.stdout)
		if len(lines) != n {
			return fmt.Errorf("printed %d lines, want %d hashes", len(lines), n)
		}
		for _, l := range lines {
			if !hashLine.MatchString(l) {
				return fmt.Errorf("%q is no hash", l)
			}
		}
		return nil
	}
}

// variableLike checks the value an assignment kept.
func variableLike(pattern string) func(*walk, stepResult) error {
	re := regexp.MustCompile(pattern)
	return func(w *walk, r stepResult) error {
		if !re.MatchString(r.variable) {
			return fmt.Errorf("the variable is %q, want %s", r.variable, pattern)
		}
		return nil
	}
}

// fieldIs checks that a command printed an object with field = want.
func fieldIs(field, want string) func(*walk, stepResult) error {
	return func(w *walk, r stepResult) error {
		return hasObject(r, func(o map[string]any) bool { return str(o[field]) == want },
			fmt.Sprintf("%s %s", field, want))
	}
}

// jsonObjects decodes the JSON objects a command printed on stdout, after
// checking that it succeeded.
func jsonObjects(r stepResult) ([]map[string]any, error) {
	if r.rc != 0 {
		return nil, fmt.Errorf("exit %d, want 0", r.rc)
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.UseNumber()
	var objs []map[string]any
	for {
		var o map[string]any
		err := dec.Decode(&o)
		if err == io.EOF {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("stdout is no JSON: %v", err)
		}
		objs = append(objs, o)
	}
}

// hasObject checks that a command succeeded and printed an object,
// anywhere in its JSON, for which match holds.
func hasObject(r stepResult, match func(map[string]any) bool, what string) error {
	objs, err := jsonObjects(r)
	if err != nil {
		return err
	}
	var walkValue func(v any) bool
	walkValue = func(v any) bool {
		switch v := v.(type) {
		case map[string]any:
			if match(v) {
				return true
			}
			for _, e := range v {
				if walkValue(e) {
					return true
				}
			}
		case []any:
			for _, e := range v {
				if walkValue(e) {
					return true
				}
			}
		}
		return false
	}
	for _, o := range objs {
		if walkValue(o) {
			return nil
		}
	}
	return fmt.Errorf("want %s", what)
}

// hasValue reports whether one of o's fields is want, as a string or a
// number.
func hasValue(o map[string]any, want string) bool {
	for _, v := range o {
		if str(v) == want {
			return true
		}
	}
	return false
}

// str is a JSON value as text: a string as it is, a number in decimal
// (the API prints 64-bit integers as strings, others as numbers).
func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}
