package cli

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
)

// testNode is an API server with a fake backend whose files are in
// <dataDir>/regtest/, as a node's are.
type testNode struct {
	backend *apitest.Backend
	dataDir string
	netDir  string
	addr    string
}

func startNode(t *testing.T) *testNode {
	t.Helper()
	b := apitest.NewBackend(5)
	return startNodeOn(t, b, b)
}

// startNodeOn starts a node that serves serve, a backend built on fake.
func startNodeOn(t *testing.T, fake *apitest.Backend, serve api.Backend) *testNode {
	t.Helper()
	n := &testNode{backend: fake, dataDir: t.TempDir()}
	n.netDir = filepath.Join(n.dataDir, "regtest")
	cfg := api.DefaultConfig(n.netDir, "regtest")
	cfg.Listeners = []string{"127.0.0.1:0"}
	cfg.RESTListeners = nil // the client speaks gRPC; a fixed port would clash
	srv, err := api.New(cfg, serve)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	n.addr = srv.Addrs()[0].String()
	return n
}

// result is one client run.
type result struct {
	code           int
	stdout, stderr string
}

// json decodes the run's standard output.
func (r result) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
	return m
}

// runEnv runs the client with args and the environment env.
func runEnv(env map[string]string, args ...string) result {
	var stdout, stderr bytes.Buffer
	code := Main(args, func(k string) string { return env[k] }, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// run runs the client against n with --datadir, --network and
// --rpcserver, then args.
func (n *testNode) run(args ...string) result {
	return runEnv(nil, append([]string{"--datadir", n.dataDir, "--network", "regtest",
		"--rpcserver", n.addr}, args...)...)
}

func wantOK(t *testing.T, r result) {
	t.Helper()
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func wantFail(t *testing.T, r result, msg string) {
	t.Helper()
	if r.code == 0 {
		t.Errorf("exit 0, want a failure (stdout %q)", r.stdout)
	}
	if !strings.Contains(r.stderr, msg) {
		t.Errorf("stderr %q does not contain %q", r.stderr, msg)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q on failure", r.stdout)
	}
}

func TestStatus(t *testing.T) {
	n := startNode(t)
	r := n.run("status")
	wantOK(t, r)
	m := r.json(t)
	if m["version"] != "0.1.0-test" || m["network"] != "regtest" {
		t.Errorf("status %v", m)
	}
	mc, _ := m["mainchain"].(map[string]any)
	if mc["synced"] != true || mc["backend"] != "btcd" || mc["tip_height"] != 11.0 {
		t.Errorf("mainchain %v", mc)
	}
	// Zero values are printed too, and uint64 fields are JSON strings.
	if m["wins"] != "0" || m["num_tickets"] != "5" || m["own_ticket_count"] != "2" {
		t.Errorf("counters %v %v %v", m["wins"], m["num_tickets"], m["own_ticket_count"])
	}
	if !strings.Contains(r.stdout, "\n  \"state_hash\": ") {
		t.Errorf("output not indented with proto names:\n%s", r.stdout)
	}
}

func TestTicketsAndWinner(t *testing.T) {
	n := startNode(t)
	r := n.run("tickets", "--limit", "2", "--reversed", "--offset", "1")
	wantOK(t, r)
	m := r.json(t)
	tickets, _ := m["tickets"].([]any)
	if len(tickets) != 2 || m["total"] != "5" {
		t.Fatalf("tickets %v", m)
	}
	first, _ := tickets[0].(map[string]any)
	if first["id"] != "3" || first["live"] != true || first["end_height"] != -1.0 {
		t.Errorf("first ticket %v", first)
	}

	wantFail(t, n.run("tickets", "--limit", "5000"), "above the maximum page size")

	r = n.run("winner", "10")
	wantOK(t, r)
	if w := r.json(t); w["ticket_id"] != "1" || w["height"] != 10.0 {
		t.Errorf("winner %v", w)
	}
	wantFail(t, n.run("winner", "9"), "no winner after block 9")
	wantFail(t, n.run("winner", "--", "-1"), "<height> -1 is negative")
	wantFail(t, n.run("winner", "-1"), "<height> -1 is negative")
	wantFail(t, n.run("winner"), "height")
	wantFail(t, n.run("winner", "10", "11"), "unexpected arguments")

	r = n.run("statehash", "--height", "5")
	wantOK(t, r)
	if m := r.json(t); m["height"] != 5.0 || len(m["state_hash"].(string)) != 64 ||
		len(m["block_hash"].(string)) != 64 {
		t.Errorf("statehash %v", m)
	}
	r = n.run("statehash")
	wantOK(t, r)
	if m := r.json(t); m["height"] != 11.0 {
		t.Errorf("statehash at the tip %v", m)
	}
	wantFail(t, n.run("statehash", "--height", "12"), "the tip is at height 11")
	wantFail(t, n.run("statehash", "--height", "x"), "--height x is not a number")

	r = n.run("publication", "11")
	wantOK(t, r)
	if p := r.json(t); p["tx_index"] != 3.0 || len(p["merkle_root"].(string)) != 64 {
		t.Errorf("publication %v", p)
	}
}

func TestWalletCommands(t *testing.T) {
	n := startNode(t)

	r := n.run("newaddress")
	wantOK(t, r)
	if a := r.json(t); a["address"] != n.backend.Address {
		t.Errorf("address %v", a)
	}

	r = n.run("balance", "--minconf", "6")
	wantOK(t, r)
	if b := r.json(t); b["spendable_sat"] != "100000000" || b["min_conf"] != 6.0 {
		t.Errorf("balance %v", b)
	}

	r = n.run("stake", "create", "--amount", "300000000", "--lock-blocks", "1000", "--psbt")
	wantOK(t, r)
	if s := r.json(t); s["psbt"] == "" || s["txid"] != "" {
		t.Errorf("stake create --psbt %v", s)
	}
	want := api.StakeRequest{Amount: 300_000_000, LockBlocks: 1000, PSBTOnly: true}
	if got := n.backend.LastStake(); got == nil || !reflect.DeepEqual(*got, want) {
		t.Errorf("backend got %+v, want %+v", got, want)
	}
	r = n.run("stake", "create", "--force", "--amount", "300000000", "--lock-blocks", "1000", "--feerate", "4")
	wantOK(t, r)
	if s := r.json(t); len(s["txid"].(string)) != 64 {
		t.Errorf("stake create %v", s)
	}
	wantFail(t, n.run("stake", "create", "--force", "--amount", "1"), "lock-blocks")
	wantFail(t, n.run("stake", "create", "--force", "--amount", "0", "--lock-blocks", "5"), "--amount 0: want a positive number of sat")
	wantFail(t, n.run("stake"), "a subcommand is needed: create, list, renew, topup, withdraw")

	r = n.run("stake", "list")
	wantOK(t, r)
	if l := r.json(t); l["total"] != "2" {
		t.Errorf("stake list %v", l)
	}

	r = n.run("stake", "withdraw", "3", "--to", apitest.MainAddress, "--feerate", "2")
	wantOK(t, r)
	w := n.backend.LastWithdraw()
	if w == nil || w.ByOutPoint || w.TicketID != 3 || w.Destination != apitest.MainAddress || w.FeeRate != 2 {
		t.Errorf("withdraw by id: backend got %+v", w)
	}
	txid := strings.Repeat("ab", 32)
	wantOK(t, n.run("stake", "withdraw", txid+":1"))
	if w := n.backend.LastWithdraw(); w == nil || !w.ByOutPoint || w.Stake.String() != txid+":1" {
		t.Errorf("withdraw by outpoint: backend got %+v", w)
	}
	r = n.run("stake", "withdraw", "3", "--psbt")
	wantOK(t, r)
	if w := n.backend.LastWithdraw(); w == nil || !w.PSBTOnly || r.json(t)["psbt"] == "" {
		t.Errorf("withdraw --psbt: backend got %+v, printed %s", w, r.stdout)
	}
	r = n.run("stake", "renew", "3", "--lock-blocks", "100", "--feerate", "3", "--force")
	wantOK(t, r)
	if rr := n.backend.LastRenew(); rr == nil || rr.TicketID != 3 || rr.LockBlocks != 100 ||
		rr.FeeRate != 3 || rr.SignedPSBT != "" {
		t.Errorf("renew: backend got %+v", rr)
	}
	wantOK(t, n.run("stake", "renew", txid+":1", "--force", "--signed-psbt", "cHNidP8B"))
	if rr := n.backend.LastRenew(); rr == nil || !rr.ByOutPoint || rr.SignedPSBT != "cHNidP8B" {
		t.Errorf("renew by outpoint: backend got %+v", rr)
	}
	r = n.run("stake", "create", "--amount", "300000000", "--lock-blocks", "1000", "--psbt",
		"--owner-pubkey", "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
	wantOK(t, r)
	if s := n.backend.LastStake(); s == nil || len(s.OwnerPubKey) != 33 {
		t.Errorf("stake create --owner-pubkey: backend got %+v", s)
	}
	wantFail(t, n.run("stake", "withdraw", "zz"+txid[2:]+":1"), "not hex")
	wantFail(t, n.run("stake", "withdraw", "ab:1"), "want 64 hex digits")
	wantFail(t, n.run("stake", "withdraw", "three"), "want a ticket id (sidecli stake list shows them) or the stake outpoint txid:vout")

	n.backend.SetWalletErr(api.Errorf(api.ErrNoWallet, "the node runs without a wallet"))
	r = n.run("balance")
	wantFail(t, r, "the node runs without a wallet")
	if r.code != ExitNodeError {
		t.Errorf("the node's error: exit %d, want %d", r.code, ExitNodeError)
	}

	// A node that answers Unavailable was reached: its error is passed
	// on, and "cannot reach" is not said.
	n.backend.SetWalletErr(api.Errorf(api.ErrUnavailable, "the mainchain backend is not connected"))
	r = n.run("balance")
	wantFail(t, r, "the node cannot do it now: the mainchain backend is not connected")
	if r.code != ExitNodeError || strings.Contains(r.stderr, "cannot reach") {
		t.Errorf("Unavailable from the node: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestPegCommands(t *testing.T) {
	n := startNode(t)

	r := n.run("peg", "info")
	wantOK(t, r)
	info := r.json(t)
	fed, _ := info["federation"].(map[string]any)
	if info["deposit_count"] != "3" || fed == nil || fed["threshold"] != 1.0 {
		t.Errorf("peg info %v", info)
	}

	r = n.run("peg", "deposits", "--limit", "1", "--reversed")
	wantOK(t, r)
	page := r.json(t)
	ds, _ := page["deposits"].([]any)
	if len(ds) != 1 || page["total"] != "3" || ds[0].(map[string]any)["status"] != "confirming" {
		t.Errorf("peg deposits %v", page)
	}
	wantFail(t, n.run("peg", "deposits", "--limit", "5000"), "above the maximum page size")

	r = n.run("peg", "refused")
	wantOK(t, r)
	if m := r.json(t); m["total"] != "2" {
		t.Errorf("peg refused %v", m)
	}

	r = n.run("peg", "coins", "--reversed", "--limit", "1")
	wantOK(t, r)
	if m := r.json(t); m["total"] != "3" || len(m["coins"].([]any)) != 1 ||
		m["coins"].([]any)[0].(map[string]any)["outpoint"] != apitest.DepositTxID(2).String()+":0" {
		t.Errorf("peg coins %v", m)
	}

	txid := apitest.DepositTxID(0).String()
	r = n.run("peg", "deposit", txid)
	wantOK(t, r)
	if a, _ := r.json(t)["accepted"].(map[string]any); a == nil || a["seq"] != "0" {
		t.Errorf("peg deposit %s: %s", txid, r.stdout)
	}
	r = n.run("peg", "deposit", apitest.RefusedTxID(0).String()+":1")
	wantOK(t, r)
	if rf, _ := r.json(t)["refused"].(map[string]any); rf == nil || rf["reason"] != "ErrDepositDust" {
		t.Errorf("peg deposit by outpoint: %s", r.stdout)
	}
	wantFail(t, n.run("peg", "deposit", strings.Repeat("00", 32)), "no deposit in transaction")
	wantFail(t, n.run("peg", "deposit", "zz"), "want 64 hex digits")
	wantFail(t, n.run("peg", "deposit"), "deposit")

	r = n.run("peg", "in", "--force", "--amount", "200000", "--to", apitest.SideAddress, "--feerate", "3")
	wantOK(t, r)
	if m := r.json(t); len(m["txid"].(string)) != 64 || m["deposit_vout"] != 0.0 {
		t.Errorf("peg in %v", m)
	}
	want := api.PegInRequest{Amount: 200_000, SideAddress: apitest.SideAddress, FeeRate: 3}
	if got := n.backend.LastPegIn(); got == nil || *got != want {
		t.Errorf("backend got %+v, want %+v", got, want)
	}
	r = n.run("peg", "in", "--amount", "200000", "--to", apitest.SideAddress, "--psbt")
	wantOK(t, r)
	if m := r.json(t); m["psbt"] == "" || m["txid"] != "" {
		t.Errorf("peg in --psbt %v", m)
	}
	wantFail(t, n.run("peg", "in", "--force", "--amount", "100", "--to", apitest.SideAddress), "dust limit")
	wantFail(t, n.run("peg", "in", "--force", "--amount", "100000"), "to")
	wantFail(t, n.run("peg", "in", "--force", "--amount", "100000", "--to", apitest.SideAddress, "--readonly"),
		"permission denied")
	wantFail(t, n.run("peg"), "a subcommand is needed: coins, deposit, deposits, in, info, out, refused, status, verify")
	r = n.run("peg", "deposit", apitest.DepositTxID(0).String())
	wantOK(t, r)
	if a, _ := r.json(t)["accepted"].(map[string]any); a == nil || a["status"] != "minted" {
		t.Errorf("minted deposit: %s", r.stdout)
	}
}

func TestPegOutCommands(t *testing.T) {
	n := startNode(t)

	r := n.run("peg", "out", "--force", "--amount", "70000", "--to", apitest.MainAddress, "--fee", "2000",
		"--feerate", "2")
	wantOK(t, r)
	if m := r.json(t); len(m["txid"].(string)) != 64 || m["vout"] != 0.0 || m["burned_sat"] != "72000" {
		t.Errorf("peg out %v", m)
	}
	// --feerate is sat/vB: the node gets 2,000 sat/kB.
	want := api.PegOutRequest{Amount: 70_000, Destination: apitest.MainAddress, Fee: 2_000, FeeRate: 2_000}
	if got := n.backend.LastPegOut(); got == nil || *got != want {
		t.Errorf("backend got %+v, want %+v", got, want)
	}
	wantFail(t, n.run("peg", "out", "--force", "--amount", "70000", "--to", apitest.SideAddress), "mainchain address")
	wantFail(t, n.run("peg", "out", "--force", "--amount", "70000", "--to", apitest.MainAddress, "--fee", "10"), "below")
	wantFail(t, n.run("peg", "out", "--force", "--amount", "70000"), "to")
	wantFail(t, n.run("peg", "out", "--force", "--amount", "70000", "--to", apitest.MainAddress, "--readonly"),
		"permission denied")

	op := apitest.WithdrawalTxID(1).String() + ":1"
	for _, arg := range []string{op, apitest.WithdrawalTxID(1).String()} {
		r = n.run("peg", "status", arg)
		wantOK(t, r)
		m := r.json(t)
		proof, _ := m["proof"].(map[string]any)
		if m["outpoint"] != op || m["stage"] != "included" || proof == nil ||
			m["payout_txid"] != "" {
			t.Errorf("peg status %s: %v", arg, m)
		}
	}
	r = n.run("peg", "status", apitest.WithdrawalTxID(2).String())
	wantOK(t, r)
	if m := r.json(t); m["stage"] != "paid" || m["payout_txid"] != apitest.PayoutTxID(0).String() {
		t.Errorf("paid withdrawal: %v", m)
	}
	wantFail(t, n.run("peg", "status", strings.Repeat("00", 32)), "no withdrawal in transaction")
	wantFail(t, n.run("peg", "status", "zz"), "want 64 hex digits")
	wantFail(t, n.run("peg", "status"), "withdrawal")

	r = n.run("peg", "verify", apitest.PayoutTxID(0).String())
	wantOK(t, r)
	if m := r.json(t); m["valid"] != true || m["reason"] != "" || m["seen"] != true {
		t.Errorf("peg verify: %v", m)
	}
	r = n.run("peg", "verify", apitest.PayoutTxID(1).String())
	if r.code != ExitInvalid || !strings.Contains(r.stderr, "the payout is not valid: output 1 pays") {
		t.Errorf("peg verify of a bad payout: exit %d, stderr %q", r.code, r.stderr)
	}
	if m := r.json(t); m["valid"] != false || !strings.HasPrefix(m["reason"].(string), "ErrWrongAmount: ") {
		t.Errorf("peg verify of a bad payout: %v", m)
	}
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 1}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(0, []byte{0x6a}))
	tx.AddTxOut(wire.NewTxOut(apitest.PayoutAmount, []byte{0x51}))
	var raw bytes.Buffer
	if err := tx.Serialize(&raw); err != nil {
		t.Fatal(err)
	}
	r = n.run("peg", "verify", "--raw", hex.EncodeToString(raw.Bytes()))
	wantOK(t, r)
	if m := r.json(t); m["valid"] != true || m["seen"] != false || m["txid"] != tx.TxHash().String() {
		t.Errorf("peg verify --raw: %v", m)
	}
	wantFail(t, n.run("peg", "verify"), "transaction id")
	wantFail(t, n.run("peg", "verify", "--raw", "zz"), "not hex")
	wantFail(t, n.run("peg", "verify", strings.Repeat("00", 32)), "no payout 0000")
}

func TestCredentials(t *testing.T) {
	n := startNode(t)
	wantOK(t, n.run("status", "--readonly"))
	wantFail(t, n.run("newaddress", "--readonly"), "permission denied")
	wantFail(t, n.run("status", "--readonly", "--credential", "x"), "give one")

	admin := filepath.Join(n.netDir, api.AdminCredFilename)
	readOnly := filepath.Join(n.netDir, api.ReadOnlyCredFilename)
	base := []string{"--rpcserver", n.addr, "--tlscert", filepath.Join(n.netDir, api.TLSCertFilename)}

	// The environment names the credential; a flag overrides it.
	env := map[string]string{EnvCredential: readOnly}
	wantFail(t, runEnv(env, append([]string{"newaddress"}, base...)...), "permission denied")
	wantOK(t, runEnv(env, append([]string{"newaddress", "--credential", admin}, base...)...))
	env = map[string]string{EnvCredential: admin}
	wantFail(t, runEnv(env, append([]string{"newaddress", "--readonly",
		"--datadir", n.dataDir, "--network", "regtest"}, base...)...), "permission denied")

	// A credential the node does not know.
	other := startNode(t)
	wantFail(t, n.run("status", "--credential", filepath.Join(other.netDir, api.AdminCredFilename)),
		"refused the credential")

	// Missing files say what to do.
	empty := t.TempDir()
	wantFail(t, runEnv(nil, "status", "--datadir", empty, "--network", "regtest"),
		"no credential file "+filepath.Join(empty, "regtest", api.AdminCredFilename))
	wantFail(t, runEnv(nil, "status", "--datadir", empty, "--credential", admin),
		"no TLS certificate "+filepath.Join(empty, "mainnet", api.TLSCertFilename))
	wantFail(t, runEnv(nil, "status", "--network", "moonnet"), "unknown network")
	// powregtest is a network sidecli knows: it looks in its own dir.
	wantFail(t, runEnv(nil, "status", "--datadir", empty, "--network", "powregtest"),
		"no credential file "+filepath.Join(empty, "powregtest", api.AdminCredFilename))
}

func TestServerFromEnvironment(t *testing.T) {
	n := startNode(t)
	args := []string{"status", "--datadir", n.dataDir, "--network", "regtest"}

	// Everything from the environment.
	env := map[string]string{
		EnvRPCServer:  n.addr,
		EnvTLSCert:    filepath.Join(n.netDir, api.TLSCertFilename),
		EnvCredential: filepath.Join(n.netDir, api.AdminCredFilename),
	}
	wantOK(t, runEnv(env, "status"))

	// A flag overrides its variable.
	dead := deadAddr(t)
	env = map[string]string{EnvRPCServer: dead}
	wantFail(t, runEnv(env, args...), "cannot reach the node at "+dead)
	wantOK(t, runEnv(env, append(args, "--rpcserver", n.addr)...))

	env = map[string]string{EnvTLSCert: filepath.Join(t.TempDir(), "none.cert")}
	wantFail(t, runEnv(env, append(args, "--rpcserver", n.addr)...), "no TLS certificate")
	wantOK(t, runEnv(env, append(args, "--rpcserver", n.addr,
		"--tlscert", filepath.Join(n.netDir, api.TLSCertFilename))...))
}

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

func TestHelpAndUsageErrors(t *testing.T) {
	r := runEnv(nil, "stake", "create", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "--lock-blocks") || r.stderr != "" {
		t.Errorf("help: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	wantFail(t, runEnv(nil, "status", "--bogus"), "unknown option --bogus")
	wantFail(t, runEnv(nil, "status", "extra"), "unexpected arguments")
}

func TestDefaultServerAddress(t *testing.T) {
	c := &client{env: env{getenv: func(string) string { return "" }}}
	dir := t.TempDir()
	// Files for the lookups to succeed.
	cfg := api.DefaultConfig(filepath.Join(dir, "signet"), "signet")
	cfg.Listeners = []string{"127.0.0.1:0"}
	srv, err := api.New(cfg, apitest.NewBackend(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	srv.Stop()

	for _, tc := range []struct {
		flag, want string
	}{
		{"", "127.0.0.1:38560"},
		{"node.example", "node.example:38560"},
		{"node.example:9", "node.example:9"},
		{"::1", "[::1]:38560"},
		{"[::1]", "[::1]:38560"},
	} {
		c.opts = options{DataDir: dir, Network: "signet", RPCServer: tc.flag}
		got, err := c.connection()
		if err != nil {
			t.Fatalf("%q: %v", tc.flag, err)
		}
		if got.Address != tc.want {
			t.Errorf("--rpcserver=%q: address %s, want %s", tc.flag, got.Address, tc.want)
		}
	}
}
