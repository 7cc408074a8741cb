package node

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mainstake/sidenode/cli"
	"github.com/mainstake/sidenode/wallet"
)

// TestWaitForWallet: a node started with --wallet.waitunlock and no
// wallet serves only create and unlock; sidecli create makes the wallet and
// hands its passphrase to the node; the next start waits for sidecli
// unlock, which refuses a wrong passphrase.
func TestWaitForWallet(t *testing.T) {
	withHome(t)
	dataDir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg, _, err := LoadConfig(append([]string{"--network=regtest", "--datadir=" + dataDir, "--api.listen=" + addr, "--api.norest",
		"--wallet.waitunlock"}, btcdCreds...))
	if err != nil {
		t.Fatal(err)
	}
	passFile := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(passFile, []byte("correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sidecli := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := cli.Main(append([]string{"--network=regtest", "--datadir=" + dataDir,
			"--rpcserver=" + addr}, args...), func(string) string { return "" }, &out, &errOut)
		return code, out.String(), errOut.String()
	}

	wait := func() chan []byte {
		got := make(chan []byte, 1)
		go func() {
			pass, err := waitForWallet(context.Background(), cfg)
			if err != nil {
				t.Error(err)
			}
			got <- pass
		}()
		return got
	}
	// Poll until the server answers: the first call that is not
	// "cannot reach" (no sleep: each try is a dial).
	ready := func() {
		for {
			code, _, stderr := sidecli("status")
			if code != cli.ExitUnreachable {
				if !strings.Contains(stderr, "the node waits for its wallet") {
					t.Fatalf("status while waiting: exit %d %q", code, stderr)
				}
				return
			}
		}
	}

	got := wait()
	ready()
	if code, _, stderr := sidecli("unlock", "--passphrase-file", passFile); code != cli.ExitNodeError ||
		!strings.Contains(stderr, "no wallet yet") {
		t.Fatalf("unlock without a wallet: exit %d %q", code, stderr)
	}
	code, out, stderr := sidecli("create", "--passphrase-file", passFile)
	if code != 0 || !strings.Contains(out, "WRITE DOWN THESE 24 WORDS") || !strings.Contains(out, "\n21. ") {
		t.Fatalf("create: exit %d %q %q", code, out, stderr)
	}
	if pass := <-got; string(pass) != "correct horse" {
		t.Fatalf("passphrase %q", pass)
	}
	// The words printed are the seed file's.
	seed, err := wallet.OpenSeed(seedPath(cfg), []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range seed.Mnemonic() {
		if !strings.Contains(out, fmt.Sprintf("%2d. %s", i+1, w)) {
			t.Fatalf("create did not print word %d %q:\n%s", i+1, w, out)
		}
	}

	// The words restore the same seed in another data dir.
	wordsFile := filepath.Join(t.TempDir(), "words")
	restoreCfg := *cfg
	restoreCfg.DataDir = t.TempDir()
	restoreGot := make(chan []byte, 1)
	go func() {
		pass, err := waitForWallet(context.Background(), &restoreCfg)
		if err != nil {
			t.Error(err)
		}
		restoreGot <- pass
	}()
	// The API's TLS and credential files are the first data dir's (the
	// config's paths); the seed file is the new one's.
	ready()
	wordList := strings.Join(seed.Mnemonic(), " ")
	if err := os.WriteFile(wordsFile, []byte(wordList), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = sidecli("create", "--mnemonic-file", wordsFile, "--passphrase-file", passFile)
	if code != 0 || !strings.Contains(out, "Restored the wallet of the 24 words") {
		t.Fatalf("restore: exit %d %q %q", code, out, stderr)
	}
	<-restoreGot
	restored, err := wallet.OpenSeed(seedPath(&restoreCfg), []byte("correct horse"))
	if err != nil || string(restored.BIP32()) != string(seed.BIP32()) {
		t.Fatalf("the restored wallet has another seed (%v)", err)
	}

	got = wait()
	ready()
	wrong := filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(wrong, []byte("battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := sidecli("unlock", "--passphrase-file", wrong); code != cli.ExitNodeError ||
		!strings.Contains(stderr, "wrong wallet passphrase") {
		t.Fatalf("wrong passphrase: exit %d %q", code, stderr)
	}
	if code, _, stderr := sidecli("unlock", "--passphrase-file", passFile); code != 0 {
		t.Fatalf("unlock: exit %d %q", code, stderr)
	}
	if pass := <-got; string(pass) != "correct horse" {
		t.Fatalf("passphrase %q", pass)
	}
}
