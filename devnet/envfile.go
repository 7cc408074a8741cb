package devnet

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvFileName is the file in each node's home that holds its sidecli
// connection settings: sourced by a shell, or read with sidecli
// --envfile, it makes sidecli talk to that node with no flag.
const EnvFileName = "sidecli.env"

// writeEnvFile writes the node's sidecli.env: its network, API address
// and data dir, where sidecli finds tls.cert and admin.cred.
func writeEnvFile(home, network, apiAddr, dataDir string) error {
	content := fmt.Sprintf("# sidecli's settings for the devnet node in %s, written by the devnet.\n"+
		"# Use: source %s   (then: sidecli status)\n"+
		"#  or: sidecli --envfile=%s status\n"+
		"export SIDECLI_NETWORK=%s\n"+
		"export SIDECLI_RPCSERVER=%s\n"+
		"export SIDECLI_DATADIR=%s\n",
		home, filepath.Join(home, EnvFileName), filepath.Join(home, EnvFileName),
		network, apiAddr, shellQuote(dataDir))
	return os.WriteFile(filepath.Join(home, EnvFileName), []byte(content), 0o600)
}

// shellQuote quotes s for a POSIX shell, in single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
