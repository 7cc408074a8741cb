package btctest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/txscript"
)

// BtcdVersion is the btcd release every harness expects.
const BtcdVersion = "0.26.2"

// TB is the part of testing.TB the harness needs. It is declared here so
// that the devnet can use a Harness without importing package testing.
type TB interface {
	Helper()
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Options select how btcd runs.
type Options struct {
	// Network is "regtest" (the default) or "simnet".
	Network string

	// DataDir, when set, is used instead of a fresh temporary directory,
	// so that a chain can outlive one btcd process.
	DataDir string

	// RPCPort and P2PPort fix the listening ports; zero picks free ones.
	RPCPort int
	P2PPort int

	// ExtraArgs are appended to btcd's command line.
	ExtraArgs []string

	// Stdout receives btcd's log output when set.
	Stdout *os.File
}

// Harness is one running btcd node plus the key of its mining address.
type Harness struct {
	Params  *chaincfg.Params
	Network string

	DataDir  string
	RPCAddr  string
	P2PAddr  string
	RPCUser  string
	RPCPass  string
	CertPath string

	// MiningKey controls MiningAddr, to which every generated block pays.
	MiningKey    *btcec.PrivateKey
	MiningAddr   btcutil.Address
	MiningScript []byte

	opts    Options
	ownsDir bool

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	client *rpcclient.Client
	wallet *wallet
}

// Params returns the chain parameters of a network name.
func Params(network string) (*chaincfg.Params, error) {
	switch network {
	case "", "regtest":
		return &chaincfg.RegressionNetParams, nil
	case "simnet":
		return &chaincfg.SimNetParams, nil
	default:
		return nil, fmt.Errorf("btctest: network %q is not regtest or simnet", network)
	}
}

// NewForTest starts btcd and stops it when the test ends.
func NewForTest(t TB, opts Options) *Harness {
	t.Helper()
	h, err := New(opts)
	if err != nil {
		t.Fatalf("start btcd: %v", err)
	}
	t.Cleanup(func() {
		if err := h.Stop(); err != nil {
			t.Logf("stop btcd: %v", err)
		}
		h.Cleanup()
	})
	return h
}

// New starts a btcd node. The caller must call Stop, then Cleanup.
func New(opts Options) (*Harness, error) {
	params, err := Params(opts.Network)
	if err != nil {
		return nil, err
	}
	if opts.Network == "" {
		opts.Network = "regtest"
	}
	h := &Harness{
		Params:  params,
		Network: opts.Network,
		RPCUser: "user",
		RPCPass: "pass",
		opts:    opts,
	}
	h.DataDir = opts.DataDir
	if h.DataDir == "" {
		h.DataDir, err = os.MkdirTemp("", "btctest-")
		if err != nil {
			return nil, err
		}
		h.ownsDir = true
	}
	h.CertPath = filepath.Join(h.DataDir, "rpc.cert")

	key, err := loadOrCreateKey(filepath.Join(h.DataDir, "mining.key"))
	if err != nil {
		return nil, err
	}
	h.MiningKey = key
	h.MiningAddr, err = btcutil.NewAddressWitnessPubKeyHash(
		btcutil.Hash160(key.PubKey().SerializeCompressed()), params)
	if err != nil {
		return nil, err
	}
	h.MiningScript, err = txscript.PayToAddrScript(h.MiningAddr)
	if err != nil {
		return nil, err
	}
	h.wallet = newWallet(h)

	rpcPort, p2pPort := opts.RPCPort, opts.P2PPort
	if rpcPort == 0 {
		if rpcPort, err = FreePort(); err != nil {
			return nil, err
		}
	}
	if p2pPort == 0 {
		if p2pPort, err = FreePort(); err != nil {
			return nil, err
		}
	}
	h.RPCAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(rpcPort))
	h.P2PAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(p2pPort))

	if err := h.Start(); err != nil {
		h.Cleanup()
		return nil, err
	}
	return h, nil
}

// BtcdPath finds the btcd binary.
func BtcdPath() (string, error) {
	if p := os.Getenv("BTCD_BIN"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("btcd"); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, _ := os.UserHomeDir()
		gopath = filepath.Join(home, "go")
	}
	p := filepath.Join(gopath, "bin", "btcd")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("btcd not found: install it with "+
		"'go install github.com/btcsuite/btcd@v%s' or set BTCD_BIN", BtcdVersion)
}

// Start launches btcd (again, after Stop) and waits until its RPC answers.
func (h *Harness) Start() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cmd != nil {
		return errors.New("btctest: btcd already running")
	}
	bin, err := BtcdPath()
	if err != nil {
		return err
	}
	args := []string{
		"--" + h.Network,
		"--datadir=" + filepath.Join(h.DataDir, "data"),
		"--logdir=" + filepath.Join(h.DataDir, "logs"),
		"--rpclisten=" + h.RPCAddr,
		"--listen=" + h.P2PAddr,
		"--rpcuser=" + h.RPCUser,
		"--rpcpass=" + h.RPCPass,
		"--rpccert=" + h.CertPath,
		"--rpckey=" + filepath.Join(h.DataDir, "rpc.key"),
		"--miningaddr=" + h.MiningAddr.EncodeAddress(),
		"--rejectnonstd",
		"--txindex",
		"--nobanning",
		"--debuglevel=info",
	}
	args = append(args, h.opts.ExtraArgs...)
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,
		Pdeathsig: syscall.SIGKILL,
	}
	if h.opts.Stdout != nil {
		cmd.Stdout = h.opts.Stdout
		cmd.Stderr = h.opts.Stdout
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	h.cmd = cmd
	h.exited = exited

	client, err := h.waitRPC(exited)
	if err != nil {
		h.killLocked()
		return err
	}
	h.client = client
	return nil
}

func (h *Harness) waitRPC(exited <-chan struct{}) (*rpcclient.Client, error) {
	deadline := time.Now().Add(60 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return nil, fmt.Errorf("btcd exited during start-up; see %s",
				filepath.Join(h.DataDir, "logs"))
		default:
		}
		client, err := h.newHTTPClient()
		if err == nil {
			if _, err = client.GetBlockCount(); err == nil {
				return client, nil
			}
			client.Shutdown()
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	return nil, fmt.Errorf("btcd RPC at %s did not answer: %v", h.RPCAddr, lastErr)
}

// Cert returns btcd's RPC certificate.
func (h *Harness) Cert() ([]byte, error) {
	return os.ReadFile(h.CertPath)
}

// ConnConfig returns an rpcclient configuration for this node. With
// websocket set, it connects to the websocket endpoint for notifications.
func (h *Harness) ConnConfig(websocket bool) (*rpcclient.ConnConfig, error) {
	cert, err := h.Cert()
	if err != nil {
		return nil, err
	}
	return &rpcclient.ConnConfig{
		Host:         h.RPCAddr,
		Endpoint:     "ws",
		User:         h.RPCUser,
		Pass:         h.RPCPass,
		Certificates: cert,
		HTTPPostMode: !websocket,
		DisableTLS:   false,
	}, nil
}

func (h *Harness) newHTTPClient() (*rpcclient.Client, error) {
	cfg, err := h.ConnConfig(false)
	if err != nil {
		return nil, err
	}
	return rpcclient.New(cfg, nil)
}

// Client is an HTTP POST RPC client for the running node.
func (h *Harness) Client() *rpcclient.Client {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.client
}

// Stop interrupts btcd and waits for it to exit, killing it after 20s.
func (h *Harness) Stop() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cmd == nil {
		return nil
	}
	if h.client != nil {
		h.client.Shutdown()
		h.client = nil
	}
	_ = h.cmd.Process.Signal(os.Interrupt)
	select {
	case <-h.exited:
	case <-time.After(20 * time.Second):
		h.killLocked()
		return errors.New("btcd did not stop within 20s; killed")
	}
	h.cmd = nil
	return nil
}

// Kill stops btcd with SIGKILL, as a crash would.
func (h *Harness) Kill() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.client != nil {
		h.client.Shutdown()
		h.client = nil
	}
	h.killLocked()
}

func (h *Harness) killLocked() {
	if h.cmd == nil {
		return
	}
	_ = syscall.Kill(-h.cmd.Process.Pid, syscall.SIGKILL)
	<-h.exited
	h.cmd = nil
}

// Restart stops btcd and starts it again on the same ports and data dir.
func (h *Harness) Restart() error {
	if err := h.Stop(); err != nil {
		return err
	}
	return h.Start()
}

// Cleanup removes the temporary data dir. Call it after Stop.
func (h *Harness) Cleanup() {
	if h.ownsDir {
		_ = os.RemoveAll(h.DataDir)
	}
}

// Ports that FreePort hands out lie from minFreePort up to the kernel's
// ephemeral range.
const minFreePort = 10_000

var (
	portsMu sync.Mutex
	ports   = make(map[int]bool) // handed out by this process
)

// FreePort returns a loopback TCP port that nothing listens on, for a
// process to bind soon after. It is taken below the kernel's ephemeral
// range: a port from that range can be taken by any outgoing connection
// between this call and the bind, which then fails. The start is random, so
// that test processes running side by side rarely try the same port, and a
// process is never given the same port twice.
func FreePort() (int, error) {
	lo, hi := minFreePort, ephemeralStart()-1
	if hi-lo < 1000 {
		return kernelPort()
	}
	portsMu.Lock()
	defer portsMu.Unlock()
	for i := 0; i < 1000; i++ {
		p := lo + rand.IntN(hi-lo+1)
		if ports[p] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		_ = l.Close()
		ports[p] = true
		return p, nil
	}
	return kernelPort()
}

// kernelPort asks the kernel for a free loopback TCP port.
func kernelPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ephemeralStart returns the first port of the kernel's ephemeral range
// (Linux's default where it cannot be read).
func ephemeralStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				return n
			}
		}
	}
	return 32768
}

func loadOrCreateKey(path string) (*btcec.PrivateKey, error) {
	if b, err := os.ReadFile(path); err == nil {
		b = bytes.TrimSpace(b)
		if len(b) != 32 {
			return nil, fmt.Errorf("%s: want a 32-byte key", path)
		}
		key, _ := btcec.PrivKeyFromBytes(b)
		return key, nil
	}
	key, err := btcec.NewPrivateKey()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, key.Serialize(), 0o600); err != nil {
		return nil, err
	}
	return key, nil
}

// Generate mines n blocks and returns their hashes.
func (h *Harness) Generate(n uint32) ([]*chainhash.Hash, error) {
	var all []*chainhash.Hash
	// Ask in chunks so one call never runs into the RPC timeout.
	for n > 0 {
		step := n
		if step > 500 {
			step = 500
		}
		hashes, err := h.Client().Generate(step)
		if err != nil {
			return all, fmt.Errorf("generate %d: %w", step, err)
		}
		all = append(all, hashes...)
		n -= step
	}
	return all, nil
}

// Tip returns the best block height and hash.
func (h *Harness) Tip() (int32, chainhash.Hash, error) {
	hash, height, err := h.Client().GetBestBlock()
	if err != nil {
		return 0, chainhash.Hash{}, err
	}
	return height, *hash, nil
}

// Reorg replaces the top depth blocks with depth+extra new ones, so the new
// branch is longer by extra. It returns the hashes of the new blocks.
func (h *Harness) Reorg(depth, extra uint32) ([]*chainhash.Hash, error) {
	if err := h.invalidateTop(depth); err != nil {
		return nil, err
	}
	return h.Generate(depth + extra)
}

// invalidateTop makes btcd invalidate its top depth blocks, so that the
// best block is the one depth below the tip. The transactions of those
// blocks return to btcd's mempool.
func (h *Harness) invalidateTop(depth uint32) error {
	c := h.Client()
	height, _, err := h.Tip()
	if err != nil {
		return err
	}
	if int64(depth) > int64(height) {
		return fmt.Errorf("reorg of %d blocks at height %d", depth, height)
	}
	forkChild, err := c.GetBlockHash(int64(height) - int64(depth) + 1)
	if err != nil {
		return err
	}
	if err := c.InvalidateBlock(forkChild); err != nil {
		return fmt.Errorf("invalidateblock: %w", err)
	}
	return nil
}
