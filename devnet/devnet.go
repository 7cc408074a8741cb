package devnet

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"google.golang.org/grpc"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainstake"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
	"github.com/mainstake/sidenode/wallet"
)

// Passphrase unlocks every devnet wallet. It protects nothing: a devnet runs
// on loopback with throwaway coins.
const Passphrase = "devnet"

// NodeSpec describes one node.
type NodeSpec struct {
	Name    string
	Backend string // "btcd" or "neutrino"
	Stake   int64  // satoshis to register for it; 0 for none
	Args    []string

	// Isolated starts the node without --p2p.addpeer to the other
	// nodes, as on the far side of a partition; Node.P2PAddr tells
	// where it listens, for a later Start with --p2p.addpeer.
	Isolated bool

	// PublisherValue funds the ticket's publisher output, which pays the
	// fee of every header the node publishes; 0 means
	// DefaultPublisherValue.
	PublisherValue int64
}

// DefaultPublisherValue is a ticket's publisher output unless a NodeSpec
// says otherwise: enough for about 500 headers at 2 sat/vbyte.
const DefaultPublisherValue = 200_000

// Node is one sidenode of the net.
type Node struct {
	Spec     NodeSpec
	Home     string
	StakeKey *btcec.PublicKey
	APIAddr  string

	// RESTAddr is the node's REST gateway, https://<RESTAddr>/v1/...; it
	// is also written to <home>/rest.addr.
	RESTAddr string

	// P2PAddr is where the node listens for sidenode peers.
	P2PAddr string

	// StakePriv is the stake key's private half: the devnet made the
	// node's seed, and tests use it to publish as the node's ticket.
	StakePriv *btcec.PrivateKey

	// MetricsAddr serves the node's Prometheus metrics at /metrics; it is
	// also written to <home>/metrics.addr.
	MetricsAddr string

	net  *Net
	args []string

	mu    sync.Mutex
	cmd   *exec.Cmd
	done  chan struct{}
	lines []string // the newest lines; lines[0] is line number base
	base  int
	grew  chan struct{}

	// races holds the data race reports a node built with -race wrote,
	// each up to maxRaceLines lines, a frame repeated in a row kept once;
	// inRace tells that the last line belongs to the newest report.
	races  [][]string
	inRace bool
}

// raceReportStart and raceReportEnd frame a data race report of a process
// built with -race.
const (
	raceReportStart = "WARNING: DATA RACE"
	raceReportEnd   = "=================="
	maxRaceLines    = 1000
)

// keepLines bounds the lines a node keeps for WaitLine.
const keepLines = 10_000

// Net is a btcd plus sidenodes.
type Net struct {
	Dir    string
	Binary string
	Params *chainparams.Params
	H      *btctest.Harness
	Nodes  []*Node

	// Output, when set, receives every node line with its name in front.
	Output io.Writer
	outMu  sync.Mutex
}

// New creates the net's directory (wiped first), starts btcd and prepares
// every node's home, config and wallet, for a regtest (mainstake)
// sidechain. It starts no node.
func New(dir, binary string, specs []NodeSpec, out io.Writer) (*Net, error) {
	return NewOn(dir, binary, &chainparams.Regtest, specs, out)
}

// NewOn is New for another sidechain network on a regtest mainchain, such
// as chainparams.PowRegtest.
func NewOn(dir, binary string, params *chainparams.Params, specs []NodeSpec, out io.Writer) (*Net, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.RemoveAll(abs); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(abs, "btcd"), 0o700); err != nil {
		return nil, err
	}
	h, err := btctest.New(btctest.Options{DataDir: filepath.Join(abs, "btcd")})
	if err != nil {
		return nil, err
	}
	n := &Net{Dir: abs, Binary: binary, Params: params, H: h, Output: out}
	for _, spec := range specs {
		node, err := n.prepare(spec)
		if err != nil {
			n.Stop()
			return nil, err
		}
		n.Nodes = append(n.Nodes, node)
	}
	// Every node listens for sidenode peers on a port of its own and
	// keeps a connection to every other node.
	addrs := make([]string, len(n.Nodes))
	for i := range n.Nodes {
		port, err := btctest.FreePort()
		if err != nil {
			n.Stop()
			return nil, err
		}
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", port)
	}
	for i, node := range n.Nodes {
		node.P2PAddr = addrs[i]
		node.args = append(node.args, "--p2p.listen="+addrs[i])
		for j, addr := range addrs {
			if j != i && !node.Spec.Isolated && !n.Nodes[j].Spec.Isolated {
				node.args = append(node.args, "--p2p.addpeer="+addr)
			}
		}
	}
	return n, nil
}

func (n *Net) prepare(spec NodeSpec) (*Node, error) {
	home := filepath.Join(n.Dir, spec.Name)
	dataDir := filepath.Join(home, "data")
	conf := filepath.Join(home, "sidenode.conf")
	pwFile := filepath.Join(home, "wallet.password")
	if err := os.MkdirAll(filepath.Join(dataDir, n.Params.Name), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(pwFile, []byte(Passphrase+"\n"), 0o600); err != nil {
		return nil, err
	}
	seedPath := filepath.Join(dataDir, n.Params.Name, "wallet.seed")
	seed, err := wallet.CreateSeed(seedPath, []byte(Passphrase), nil, wallet.DefaultKDF)
	if err != nil {
		return nil, err
	}
	keys, err := wallet.NewKeyring(seed.BIP32(), n.Params.Main)
	if err != nil {
		return nil, err
	}
	stakePriv, err := keys.PrivKey(wallet.KeyRef{Family: wallet.Stake, Index: 0})
	if err != nil {
		return nil, err
	}
	stakeKey := stakePriv.PubKey()
	args := []string{
		"--configfile=" + conf,
		"--datadir=" + dataDir,
		"--logdir=" + filepath.Join(home, "logs"),
		"--network=" + n.Params.Name,
		"--wallet.unlockpasswordfile=" + pwFile,
		"--mainwatch.backend=" + spec.Backend,
	}
	switch spec.Backend {
	case "btcd":
		args = append(args,
			"--btcd.rpchost="+n.H.RPCAddr,
			"--btcd.rpcuser="+n.H.RPCUser,
			"--btcd.rpcpass="+n.H.RPCPass,
			"--btcd.rpccert="+n.H.CertPath)
	case "neutrino":
		args = append(args, "--neutrino.connect="+n.H.P2PAddr)
	default:
		return nil, fmt.Errorf("node %s: unknown backend %q", spec.Name, spec.Backend)
	}
	apiPort, err := btctest.FreePort()
	if err != nil {
		return nil, err
	}
	apiAddr := fmt.Sprintf("127.0.0.1:%d", apiPort)
	_ = os.WriteFile(filepath.Join(home, "api.addr"), []byte(apiAddr), 0o600)
	if err := writeEnvFile(home, n.Params.Name, apiAddr, dataDir); err != nil {
		return nil, err
	}
	args = append(args, "--api.listen="+apiAddr)
	restPort, err := btctest.FreePort()
	if err != nil {
		return nil, err
	}
	restAddr := fmt.Sprintf("127.0.0.1:%d", restPort)
	_ = os.WriteFile(filepath.Join(home, "rest.addr"), []byte(restAddr), 0o600)
	args = append(args, "--api.restlisten="+restAddr)
	metricsPort, err := btctest.FreePort()
	if err != nil {
		return nil, err
	}
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", metricsPort)
	_ = os.WriteFile(filepath.Join(home, "metrics.addr"), []byte(metricsAddr), 0o600)
	args = append(args, "--prometheus.listen="+metricsAddr)
	args = append(args, spec.Args...)
	return &Node{Spec: spec, Home: home, StakeKey: stakeKey, StakePriv: stakePriv, APIAddr: apiAddr, RESTAddr: restAddr,
		MetricsAddr: metricsAddr, net: n, args: args, grew: make(chan struct{})}, nil
}

// RaceReports returns the data race reports of every node's processes,
// each as one text with the node's name in front. Only nodes whose binary
// was built with -race write any.
func (n *Net) RaceReports() []string {
	var reports []string
	for _, node := range n.Nodes {
		node.mu.Lock()
		for _, r := range node.races {
			reports = append(reports, node.Spec.Name+": "+
				strings.Join(r, "\n"))
		}
		node.mu.Unlock()
	}
	return reports
}

// Stop stops every node, then btcd, and removes nothing.
func (n *Net) Stop() {
	for _, node := range n.Nodes {
		node.Stop()
	}
	_ = n.H.Stop()
}

// RegisterStakes pays a stake registration for every node with a stake,
// from btcd's mining key, locked lockBlocks after the next block. The
// mining key needs one mature coin per stake: generate 100 blocks plus
// one per stake first.
func (n *Net) RegisterStakes(lockBlocks uint32) (map[string]chainhash.Hash, error) {
	height, _, err := n.H.Tip()
	if err != nil {
		return nil, err
	}
	txids := make(map[string]chainhash.Hash)
	for _, node := range n.Nodes {
		if node.Spec.Stake == 0 {
			continue
		}
		pubValue := node.Spec.PublisherValue
		if pubValue == 0 {
			pubValue = DefaultPublisherValue
		}
		reg, err := mainstake.BuildRegistration(n.Params, node.Spec.Stake,
			uint32(height)+1+lockBlocks, node.StakeKey, pubValue)
		if err != nil {
			return nil, err
		}
		tx, err := n.H.Send(reg.TxOut, 2)
		if err != nil {
			return nil, fmt.Errorf("%s: stake: %w", node.Spec.Name, err)
		}
		txids[node.Spec.Name] = tx.TxHash()
	}
	return txids, nil
}

// Say writes a devnet line to Output.
func (n *Net) Say(format string, args ...any) {
	n.write("devnet", fmt.Sprintf(format, args...))
}

func (n *Net) write(name, line string) {
	if n.Output == nil {
		return
	}
	n.outMu.Lock()
	fmt.Fprintf(n.Output, "%-14s %s\n", "["+name+"]", line)
	n.outMu.Unlock()
}

// Start starts the node's process with extra arguments.
func (node *Node) Start(extra ...string) error {
	node.mu.Lock()
	defer node.mu.Unlock()
	if node.running() {
		return fmt.Errorf("%s is running", node.Spec.Name)
	}
	cmd := exec.Command(node.net.Binary, append(append([]string(nil), node.args...), extra...)...)
	// A process group of its own: a terminal's Ctrl-C reaches the devnet
	// alone, which then stops each node once, and cleanly, before btcd.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", node.net.Binary, err)
	}
	done := make(chan struct{})
	node.cmd, node.done = cmd, done
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			node.addLine(sc.Text())
		}
		_ = cmd.Wait()
		close(done)
	}()
	return nil
}

// running reports whether the node's process runs. Called with mu held.
func (node *Node) running() bool {
	if node.done == nil {
		return false
	}
	select {
	case <-node.done:
		return false
	default:
		return true
	}
}

func (node *Node) addLine(line string) {
	node.net.write(node.Spec.Name, line)
	node.mu.Lock()
	switch {
	case strings.Contains(line, raceReportStart):
		node.races = append(node.races, []string{line})
		node.inRace = true
	case node.inRace && strings.TrimSpace(line) == raceReportEnd:
		node.inRace = false
	case node.inRace:
		report := &node.races[len(node.races)-1]
		if len(*report) < maxRaceLines {
			*report = append(*report, line)
		}
		// The race detector can print one frame (function and file
		// lines) over and over; keep it once.
		if r := *report; len(r) >= 4 && r[len(r)-1] == r[len(r)-3] &&
			r[len(r)-2] == r[len(r)-4] {

			*report = r[:len(r)-2]
		}
	}
	node.lines = append(node.lines, line)
	if len(node.lines) > 2*keepLines {
		drop := len(node.lines) - keepLines
		node.lines = append([]string(nil), node.lines[drop:]...)
		node.base += drop
	}
	close(node.grew)
	node.grew = make(chan struct{})
	node.mu.Unlock()
}

// Done is closed when the node's process has exited.
func (node *Node) Done() <-chan struct{} {
	node.mu.Lock()
	defer node.mu.Unlock()
	if node.done == nil {
		closed := make(chan struct{})
		close(closed)
		return closed
	}
	return node.done
}

// Stop interrupts the node and waits for it, killing it after 20s.
func (node *Node) Stop() {
	node.mu.Lock()
	cmd, done := node.cmd, node.done
	node.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// Kill ends the node with SIGKILL, as a crash would.
func (node *Node) Kill() {
	node.mu.Lock()
	cmd, done := node.cmd, node.done
	node.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// ExitCode returns the exit status of the node's last process, or -1 while
// it runs or if it never ran.
func (node *Node) ExitCode() int {
	node.mu.Lock()
	defer node.mu.Unlock()
	if node.cmd == nil || node.cmd.ProcessState == nil {
		return -1
	}
	return node.cmd.ProcessState.ExitCode()
}

// Mark returns the number of lines the node has logged so far, for
// WaitLine to search only what comes after.
func (node *Node) Mark() int {
	node.mu.Lock()
	defer node.mu.Unlock()
	return node.base + len(node.lines)
}

// WaitLine waits for a line after mark that match accepts, and returns it.
func (node *Node) WaitLine(ctx context.Context, mark int, match func(string) bool) (string, error) {
	exited := false
	for {
		node.mu.Lock()
		if mark < node.base {
			mark = node.base
		}
		for ; mark < node.base+len(node.lines); mark++ {
			if line := node.lines[mark-node.base]; match(line) {
				node.mu.Unlock()
				return line, nil
			}
		}
		grew, done := node.grew, node.done
		var tail []string
		if exited {
			tail = append(tail, node.lines[max(0, len(node.lines)-10):]...)
		}
		node.mu.Unlock()
		if exited {
			// The process is gone and its last lines are read: no
			// line will come.
			return "", fmt.Errorf("%s exited (status %d) before the line came; "+
				"its last lines:\n%s", node.Spec.Name, node.ExitCode(),
				strings.Join(tail, "\n"))
		}
		select {
		case <-grew:
		case <-done:
			exited = true
		case <-ctx.Done():
			return "", fmt.Errorf("%s: %w", node.Spec.Name, ctx.Err())
		}
	}
}

// WaitContains waits for a line after mark that contains text.
func (node *Node) WaitContains(ctx context.Context, mark int, text string) (string, error) {
	return node.WaitLine(ctx, mark, func(l string) bool { return strings.Contains(l, text) })
}

// NetDir returns the node's network data dir, which holds its TLS
// certificate and credential files.
func (node *Node) NetDir() string {
	return filepath.Join(node.Home, "data", node.net.Params.Name)
}

// RESTCurl returns a curl command that calls the node's REST gateway at
// path (as "/v1/info") with its certificate and read-only credential, for
// a shell.
func (node *Node) RESTCurl(path string) string {
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	return fmt.Sprintf(`curl --cacert %s -H "Authorization: Bearer $(cat %s)" https://%s%s`,
		quote(filepath.Join(node.NetDir(), api.TLSCertFilename)),
		quote(filepath.Join(node.NetDir(), api.ReadOnlyCredFilename)),
		node.RESTAddr, path)
}

// WaitREST waits until the node's REST gateway listens, as its log says.
func (node *Node) WaitREST(ctx context.Context) error {
	_, err := node.WaitContains(ctx, 0, "REST gateway listening on")
	return err
}

// Dial connects to the node's API with its TLS certificate and admin
// credential.
func (node *Node) Dial() (*grpc.ClientConn, error) {
	netDir := filepath.Join(node.Home, "data", node.net.Params.Name)
	cred, err := api.ReadCredential(filepath.Join(netDir, api.AdminCredFilename))
	if err != nil {
		return nil, err
	}
	return api.Dial(api.ClientConfig{
		Address:     node.APIAddr,
		TLSCertPath: filepath.Join(netDir, api.TLSCertFilename),
		Credential:  cred,
	})
}

// Info asks the node for its state through its API.
func (node *Node) Info(ctx context.Context) (*apiv1.GetInfoResponse, error) {
	conn, err := node.Dial()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return apiv1.NewNodeServiceClient(conn).GetInfo(ctx, &apiv1.GetInfoRequest{})
}

// LinesSince returns the lines the node logged after mark that it still
// keeps (the newest few thousand).
func (node *Node) LinesSince(mark int) []string {
	node.mu.Lock()
	defer node.mu.Unlock()
	if mark < node.base {
		mark = node.base
	}
	if mark > node.base+len(node.lines) {
		return nil
	}
	return append([]string(nil), node.lines[mark-node.base:]...)
}

// Tail returns the node's newest n lines of output, for a test's failure.
func (node *Node) Tail(n int) []string {
	node.mu.Lock()
	defer node.mu.Unlock()
	if len(node.lines) < n {
		n = len(node.lines)
	}
	return append([]string(nil), node.lines[len(node.lines)-n:]...)
}
