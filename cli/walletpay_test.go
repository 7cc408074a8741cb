package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/api/apitest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// The tests run without a terminal, whatever standard input go test was
// given: a command that would ask refuses instead.
func init() {
	terminal.in = strings.NewReader("")
	terminal.isTTY = func() bool { return false }
}

// fakeTerminal makes standard input a terminal that answers input, for
// the length of the test.
func fakeTerminal(t *testing.T, tty bool, input string) {
	t.Helper()
	saved := terminal
	t.Cleanup(func() { terminal = saved })
	r := strings.NewReader(input)
	terminal.in = r
	terminal.isTTY = func() bool { return tty }
	terminal.readSecret = func() ([]byte, error) {
		line, err := readLine(r)
		return []byte(line), err
	}
}

func TestSendMainAndConfirmation(t *testing.T) {
	n := startNode(t)
	args := []string{"sendmain", "--to", apitest.MainAddress, "--amount", "10000", "--feerate", "3"}

	r := n.run(append(args, "--force")...)
	wantOK(t, r)
	if s := r.json(t); len(s["txid"].(string)) != 64 || s["fee_sat"] != "423" || s["vsize"] != "141" {
		t.Errorf("sendmain %v", s)
	}

	// No terminal, no --force: refused before anything is sent.
	fakeTerminal(t, false, "y\n")
	r = n.run(args...)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "add --force to send it without a question") {
		t.Errorf("without a terminal: exit %d, stderr %q", r.code, r.stderr)
	}

	// A terminal: asked, and only yes sends.
	fakeTerminal(t, true, "n\n")
	r = n.run(args...)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "A payment of 10000 sat to the mainchain address "+
		apitest.MainAddress+" cannot be undone. Go ahead? [y/N]") ||
		!strings.Contains(r.stderr, "not confirmed: nothing was sent") {
		t.Errorf("answered no: exit %d, stderr %q", r.code, r.stderr)
	}
	if got := n.backend.SendMainCount(); got != 1 {
		t.Fatalf("%d sends reached the node, want 1", got)
	}
	fakeTerminal(t, true, "yes\n")
	r = n.run(args...)
	if r.code != ExitOK || n.backend.SendMainCount() != 2 {
		t.Errorf("answered yes: exit %d, stderr %q, %d sends", r.code, r.stderr, n.backend.SendMainCount())
	}

	// Every irreversible send asks; --psbt builds nothing to undo.
	fakeTerminal(t, false, "")
	for _, cmd := range [][]string{
		{"send", "--to", apitest.OtherSideAddress, "--amount", "1"},
		{"peg", "in", "--amount", "200000", "--to", apitest.SideAddress},
		{"peg", "out", "--amount", "70000", "--to", apitest.MainAddress},
		{"stake", "create", "--amount", "300000000", "--lock-blocks", "1000"},
		{"bumpfee", apitest.WalletTxID.String(), "--feerate", "10"},
	} {
		r := n.run(cmd...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, "add --force") {
			t.Errorf("%v without --force: exit %d, stderr %q", cmd, r.code, r.stderr)
		}
	}
	wantOK(t, n.run("stake", "create", "--amount", "300000000", "--lock-blocks", "1000", "--psbt"))
	wantOK(t, n.run("peg", "in", "--amount", "200000", "--to", apitest.SideAddress, "--psbt"))
}

func TestBalanceAndCoins(t *testing.T) {
	n := startNode(t)
	r := n.run("balance")
	wantOK(t, r)
	if b := r.json(t); n.backend.LastMinConf() != 1 || b["min_conf"] != 1.0 {
		t.Errorf("balance without --minconf: %v, node got %d", b, n.backend.LastMinConf())
	}
	r = n.run("balance", "--minconf", "0")
	wantOK(t, r)
	b := r.json(t)
	if n.backend.LastMinConf() != 0 || b["min_conf"] != 0.0 {
		t.Errorf("--minconf 0 asked for %d", n.backend.LastMinConf())
	}
	// A node that watches no mempool (neutrino): the CLI says so.
	n.backend.SetMempoolWatched(false)
	r = n.run("balance")
	if r.code != 0 || r.json(t)["mempool_watched"] != false || !strings.Contains(r.stderr, "sees no mempool") {
		t.Errorf("balance without a mempool: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	for _, k := range []string{"confirmed_sat", "incoming_sat", "unconfirmed_sat", "spent_unconfirmed_sat", "mempool_watched"} {
		if _, ok := b[k]; !ok {
			t.Errorf("balance has no %s: %v", k, b)
		}
	}

	r = n.run("listunspent")
	wantOK(t, r)
	if l := r.json(t); l["total"] != "1" {
		t.Errorf("listunspent %v", l)
	}
	r = n.run("listunspent", "--minconf", "0")
	wantOK(t, r)
	if l := r.json(t); l["total"] != "2" {
		t.Errorf("listunspent --minconf 0 %v", l)
	}

	r = n.run("listtransactions", "--reversed", "--limit", "1")
	wantOK(t, r)
	l := r.json(t)
	txs := l["transactions"].([]any)
	if l["total"] != "2" || len(txs) != 1 || txs[0].(map[string]any)["net_sat"] != "-60000000" {
		t.Errorf("listtransactions %v", l)
	}

	r = n.run("sidetransactions", "--reversed")
	wantOK(t, r)
	if l := r.json(t); l["total"] != "2" || l["address"] != apitest.SideAddress {
		t.Errorf("sidetransactions %v", l)
	}

	r = n.run("sideunspent")
	wantOK(t, r)
	if l := r.json(t); l["total"] == "0" {
		t.Errorf("sideunspent %v", l)
	}
}

func TestTxVerbose(t *testing.T) {
	n := startNode(t)
	tip := n.backend.SideBlocks[n.backend.SideBest[2]]
	txid := tip.TxIDs[3]

	r := n.run("tx", txid.String(), "--verbose")
	wantOK(t, r)
	v := r.json(t)
	if v["txid"] != txid.String() || v["chain"] != "sidechain" || v["blockhash"] != tip.Hash.String() ||
		v["confirmations"] != 1.0 || len(v["vin"].([]any)) == 0 || len(v["vout"].([]any)) == 0 {
		t.Errorf("sidechain tx --verbose %v", v)
	}

	// A mainchain transaction of the wallet.
	r = n.run("tx", apitest.WalletTxID.String(), "--verbose")
	wantOK(t, r)
	v = r.json(t)
	out := v["vout"].([]any)[0].(map[string]any)
	spk := out["scriptPubKey"].(map[string]any)
	in := v["vin"].([]any)[0].(map[string]any)
	if v["chain"] != "mainchain" || out["value_sat"] != 40_000_000.0 || out["value"] != 0.4 ||
		spk["address"] != apitest.MainAddress || spk["type"] != "witness_v0_keyhash" ||
		!strings.HasPrefix(spk["asm"].(string), "0 ") || in["txid"] != apitest.ConfirmedTxID.String() {
		t.Errorf("wallet tx --verbose %v", v)
	}
	node := v["node"].(map[string]any)
	if node["transaction"].(map[string]any)["fee_sat"] != "282" || node["raw_hex"] != "" {
		t.Errorf("wallet tx --verbose node part %v", node)
	}
	// Without --verbose, the node's answer.
	r = n.run("tx", apitest.WalletTxID.String())
	wantOK(t, r)
	if v := r.json(t); v["raw_hex"] == "" {
		t.Errorf("wallet tx %v", v)
	}

	// A mainchain transaction of others, which btcd knows.
	r = n.run("tx", apitest.ForeignMainTxID.String(), "--verbose")
	wantOK(t, r)
	v = r.json(t)
	out = v["vout"].([]any)[0].(map[string]any)
	if v["chain"] != "mainchain" || v["txid"] != apitest.ForeignMainTxID.String() ||
		out["value_sat"] != 70_000_000.0 || v["confirmations"] != 3.0 ||
		v["blockhash"] != (chainhash.Hash{0xb1}).String() ||
		v["node"].(map[string]any)["source"] != "btcd" {
		t.Errorf("foreign mainchain tx --verbose %v", v)
	}
	// One neither the wallet nor btcd knows: the error says where the
	// node looked, and what btcd needs.
	wantFail(t, n.run("tx", (chainhash.Hash{9}).String(), "--verbose"),
		"is not in this node's wallet, and btcd does not know it: btcd needs --txindex")
}

func TestPassphraseCommands(t *testing.T) {
	n := startNode(t)
	r := n.run("backupseed", "--passphrase-file", "testdata/passphrase", "--json")
	wantOK(t, r)
	if s := r.json(t); len(s["seed_hex"].(string)) != 128 || len(s["mnemonic"].([]any)) != 24 || s["legacy"] != false {
		t.Errorf("backupseed %v", s)
	}
	// The words, numbered, between the warnings.
	r = n.run("backupseed", "--passphrase-file", "testdata/passphrase")
	wantOK(t, r)
	for _, want := range []string{
		"WRITE DOWN THESE 24 WORDS, IN ORDER, AND KEEP THEM OFFLINE.\n",
		"\n 1. abandon     2. abandon     3. abandon     4. abandon\n",
		"\n21. abandon    22. abandon    23. abandon    24. art\n",
		"Anyone who reads them can spend its coins.",
		"The wallet's keys derive at:\n  m/84'/1'/0'/0/i receive\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("backupseed lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Count(r.stdout, "WRITE DOWN") != 2 || strings.Contains(r.stdout, " \n") {
		t.Errorf("backupseed:\n%s", r.stdout)
	}
	// From standard input, as a script gives them.
	fakeTerminal(t, false, apitest.FakePassphrase+"\nnew one\n")
	wantOK(t, n.run("changepassword"))
	// On a terminal, the new passphrase twice.
	fakeTerminal(t, true, apitest.FakePassphrase+"\nnew one\nnew two\n")
	r = n.run("changepassword")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "the two new passphrases differ: nothing was changed") {
		t.Errorf("mismatched new passphrases: exit %d, stderr %q", r.code, r.stderr)
	}
	fakeTerminal(t, true, "wrong\nnew one\nnew one\n")
	r = n.run("changepassword")
	if r.code != ExitNodeError || !strings.Contains(r.stderr, "the current passphrase: wrong wallet passphrase") {
		t.Errorf("wrong passphrase: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestCreateAndRestore: create prints a new wallet's words once; create
// --restore reads the words from standard input (numbered as backupseed
// prints them, over several lines) or from the terminal, before the
// passphrase, and sends them; bad words reach no node.
func TestCreateAndRestore(t *testing.T) {
	n := startNode(t)
	r := n.run("create", "--passphrase-file", "testdata/passphrase")
	wantOK(t, r)
	if !strings.Contains(r.stdout, "24. art\n") || !strings.Contains(r.stdout, "Created the wallet in /fake/wallet.seed") {
		t.Errorf("create:\n%s", r.stdout)
	}
	if n.backend.LastMnemonic() != nil {
		t.Fatalf("a new wallet sent words %q", n.backend.LastMnemonic())
	}
	words := apitest.FakeMnemonic()
	var numbered strings.Builder
	for i, w := range words {
		fmt.Fprintf(&numbered, "%2d. %s", i+1, w)
		if i%4 == 3 {
			numbered.WriteString("\n")
		} else {
			numbered.WriteString("   ")
		}
	}
	fakeTerminal(t, false, numbered.String()+apitest.FakePassphrase+"\n")
	r = n.run("create", "--restore")
	wantOK(t, r)
	if r.stdout != "Restored the wallet of the 24 words in /fake/wallet.seed: the node starts with it.\n" ||
		strings.Join(n.backend.LastMnemonic(), " ") != strings.Join(words, " ") {
		t.Errorf("restore: %q, sent %q", r.stdout, n.backend.LastMnemonic())
	}
	// On a terminal: asked, one line, then the passphrase twice.
	fakeTerminal(t, true, strings.Join(words, " ")+"\n"+"p\np\n")
	r = n.run("create", "--restore", "--json")
	if r.code != ExitOK || !strings.Contains(r.stderr, "The 24 words of the wallet's backup, in order") {
		t.Fatalf("restore on a terminal: exit %d, stderr %q", r.code, r.stderr)
	}
	if m := r.json(t); len(m["mnemonic"].([]any)) != 0 {
		t.Errorf("a restore sent the words back: %v", m)
	}
	// A wrong word on the terminal: said, nothing sent.
	n.backend.CreateWallet(context.Background(), nil, nil) // forget the last words
	fakeTerminal(t, true, strings.Repeat("abandon ", 24)+"\np\np\n")
	r = n.run("create", "--restore")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "the checksum of the 24 words does not match") ||
		n.backend.LastMnemonic() != nil {
		t.Errorf("bad words: exit %d, stderr %q, sent %q", r.code, r.stderr, n.backend.LastMnemonic())
	}
}

// TestBackupSeedLegacy: a legacy wallet's backup is its hex seed, said to
// be one, and no words.
func TestBackupSeedLegacy(t *testing.T) {
	var out strings.Builder
	err := printBackup(&out, &apiv1.BackupSeedResponse{SeedHex: "a0a1", MasterXprv: "tprv-x",
		Legacy: true, Derivation: []string{"m/84'/1'/0'/0/i receive"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"created before backups were words", "BIP32 seed (hex): a0a1\n",
		"words made from it restore a different wallet", "master key:       tprv-x\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("legacy backup lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "24 words") {
		t.Errorf("legacy backup speaks of words:\n%s", out.String())
	}
}
