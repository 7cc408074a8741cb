package cli

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"google.golang.org/grpc"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
)

// The environment variables sidecli reads. A flag overrides its variable,
// which overrides the default. An env file's lines rank where the file was
// named: one named with --envfile overrides the environment, one named by
// SIDECLI_ENVFILE does not.
const (
	EnvNetwork    = "SIDECLI_NETWORK"
	EnvRPCServer  = "SIDECLI_RPCSERVER"
	EnvDataDir    = "SIDECLI_DATADIR"
	EnvTLSCert    = "SIDECLI_TLSCERT"
	EnvCredential = "SIDECLI_CREDENTIAL"
	EnvEnvFile    = "SIDECLI_ENVFILE"
)

// defaultTimeout bounds one call unless --timeout says otherwise.
const defaultTimeout = time.Minute

// options are the connection options, given before the command.
type options struct {
	Network    string `long:"network" unquote:"false" value-name:"NET" description:"The node's network: mainnet, testnet3, signet, regtest, simnet or powregtest; default mainnet [$SIDECLI_NETWORK]"`
	RPCServer  string `long:"rpcserver" unquote:"false" value-name:"HOST[:PORT]" description:"The node's API server; the port defaults to the network's API port (mainnet 8560, testnet3 18570, signet 38560, regtest 18560, simnet 18590, powregtest 18600) [$SIDECLI_RPCSERVER]"`
	DataDir    string `long:"datadir" unquote:"false" value-name:"DIR" description:"The node's data dir, where tls.cert and the credentials are, in <datadir>/<network>/; default ~/.sidenode/data [$SIDECLI_DATADIR]"`
	TLSCert    string `long:"tlscert" unquote:"false" value-name:"FILE" description:"The node's TLS certificate, the only one trusted; default <datadir>/<network>/tls.cert [$SIDECLI_TLSCERT]"`
	Credential string `long:"credential" unquote:"false" value-name:"FILE" description:"The credential file to authenticate with; default <datadir>/<network>/admin.cred [$SIDECLI_CREDENTIAL]"`
	ReadOnly   bool   `long:"readonly" description:"Authenticate with the read-only credential, <datadir>/<network>/readonly.cred"`
	NoTLS      bool   `long:"notls" description:"Connect without TLS, to a node whose API runs without it; loopback addresses only"`
	Timeout    value  `long:"timeout" unquote:"false" value-name:"DURATION" description:"Give up on a call after this long, such as 30s or 2m; default 1m. Subscriptions run until interrupted"`
	EnvFile    string `long:"envfile" unquote:"false" value-name:"FILE" description:"Read connection settings (SIDECLI_* lines, as the devnet writes for each node) from this file: they override the environment, and the flags override them. From SIDECLI_ENVFILE, the environment overrides them [$SIDECLI_ENVFILE]"`
}

// env looks up a connection setting in the environment and the env file:
// the file first when --envfile named it, the environment first
// otherwise.
type env struct {
	getenv    func(string) string
	file      map[string]string
	fileFirst bool
}

func (e *env) get(key string) string {
	if v := e.file[key]; v != "" && e.fileFirst {
		return v
	}
	if v := e.getenv(key); v != "" {
		return v
	}
	return e.file[key]
}

// loadEnvFile reads an env file: lines KEY=VALUE, optionally after
// "export ", the value optionally in single or double quotes; blank lines
// and lines starting with # are skipped. Only SIDECLI_ keys are kept.
func loadEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(expandPath(path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usagef("--envfile %s: no such file (the devnet writes "+
			".devnet/<node>/sidecli.env when it starts)", path)
	}
	if err != nil {
		return nil, usagef("--envfile %s: cannot read it: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	out := make(map[string]string)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimSpace(strings.TrimPrefix(line, "export "))
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, usagef("--envfile %s, line %d: want KEY=VALUE", path, n)
		}
		v, ok = unquoteShell(v)
		if !ok {
			return nil, usagef("--envfile %s, line %d: a quote is not closed", path, n)
		}
		if strings.HasPrefix(k, "SIDECLI_") {
			out[k] = v
		}
	}
	return out, nil
}

// unquoteShell removes a POSIX shell's quoting from a value: '...' is
// taken as it is, "..." and unquoted text with backslash escapes. It
// reports false when a quote is left open.
func unquoteShell(v string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\'':
			j := strings.IndexByte(v[i+1:], '\'')
			if j < 0 {
				return "", false
			}
			b.WriteString(v[i+1 : i+1+j])
			i += j + 1
		case '"':
			i++
			for ; i < len(v) && v[i] != '"'; i++ {
				if v[i] == '\\' && i+1 < len(v) && strings.IndexByte(`"\$`+"`", v[i+1]) >= 0 {
					i++
				}
				b.WriteByte(v[i])
			}
			if i >= len(v) {
				return "", false
			}
		case '\\':
			if i+1 < len(v) {
				i++
				b.WriteByte(v[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// network returns the network the options, the environment and the
// default name.
func (c *client) network() (*chainparams.Params, error) {
	name := c.opts.Network
	if name == "" {
		name = c.env.get(EnvNetwork)
	}
	if name == "" {
		name = "mainnet"
	}
	p, err := chainparams.ByName(name)
	if err != nil {
		var names []string
		for _, n := range chainparams.All() {
			names = append(names, n.Name)
		}
		return nil, usagef("unknown network %q: --network (or %s) is one of %s",
			name, EnvNetwork, strings.Join(names, ", "))
	}
	return p, nil
}

// connection returns the client configuration that the options, the
// environment, the env file and the defaults give, in that order of
// precedence.
func (c *client) connection() (api.ClientConfig, error) {
	o := &c.opts
	params, err := c.network()
	if err != nil {
		return api.ClientConfig{}, err
	}
	port, _ := api.DefaultPort(params.Name)
	pick := func(flag, key, def string) string {
		switch {
		case flag != "":
			return flag
		case c.env.get(key) != "":
			return c.env.get(key)
		}
		return def
	}
	dataDir := pick(o.DataDir, EnvDataDir, filepath.Join(btcutil.AppDataDir("sidenode", false), "data"))
	netDir := filepath.Join(expandPath(dataDir), params.Name)

	server := pick(o.RPCServer, EnvRPCServer, "")
	switch {
	case server == "":
		server = net.JoinHostPort("127.0.0.1", port)
	default:
		if _, _, err := net.SplitHostPort(server); err != nil {
			host := strings.TrimSuffix(strings.TrimPrefix(server, "["), "]")
			server = net.JoinHostPort(host, port)
		}
	}

	if o.ReadOnly && o.Credential != "" {
		return api.ClientConfig{}, usagef("--readonly and --credential " +
			"both name a credential: give one")
	}
	credPath := o.Credential
	if credPath == "" && o.ReadOnly {
		credPath = filepath.Join(netDir, api.ReadOnlyCredFilename)
	}
	credPath = expandPath(pick(credPath, EnvCredential,
		filepath.Join(netDir, api.AdminCredFilename)))
	cred, err := api.ReadCredential(credPath)
	if errors.Is(err, fs.ErrNotExist) {
		return api.ClientConfig{}, unreachablef("no credential file %s: the "+
			"node creates it when its API starts. Is --datadir (or %s) "+
			"the node's, and --network its network? Or name the file with "+
			"--credential", credPath, EnvDataDir)
	}
	if err != nil {
		return api.ClientConfig{}, unreachablef("credential file %s: %v", credPath, err)
	}

	cfg := api.ClientConfig{Address: server, DisableTLS: o.NoTLS, Credential: cred}
	if !o.NoTLS {
		cfg.TLSCertPath = expandPath(pick(o.TLSCert, EnvTLSCert,
			filepath.Join(netDir, api.TLSCertFilename)))
		if _, err := os.Stat(cfg.TLSCertPath); errors.Is(err, fs.ErrNotExist) {
			return api.ClientConfig{}, unreachablef("no TLS certificate %s: "+
				"the node creates it when its API starts. Is --datadir "+
				"(or %s) the node's? Or name it with --tlscert", cfg.TLSCertPath, EnvDataDir)
		}
	}
	return cfg, nil
}

// expandPath expands a leading ~ to the home dir.
func expandPath(path string) string {
	if path == "~" || strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			path = home + path[1:]
		}
	}
	return path
}

// conn is a connection to the node that knows whether it ever reached it.
type conn struct {
	*grpc.ClientConn
	addr    string
	reached atomic.Bool
}

// dial connects to the node the options name. It connects lazily: an
// unreachable node shows in the first call.
func (c *client) dial() (*conn, error) {
	cfg, err := c.connection()
	if err != nil {
		return nil, err
	}
	cn := &conn{addr: cfg.Address}
	var d net.Dialer
	dialer := grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			cn.reached.Store(true)
		}
		return nc, err
	})
	gc, err := api.Dial(cfg, dialer)
	if err != nil {
		if strings.Contains(err.Error(), "without TLS") {
			return nil, usagef("--notls: %v", err)
		}
		return nil, unreachablef("cannot connect to the node at %s: %v", cfg.Address, err)
	}
	cn.ClientConn = gc
	return cn, nil
}

// callErr turns a call's error into the user's terms.
func (c *client) callErr(cn *conn, err error, f fields) error {
	return callError(cn.addr, c.timeout, cn.reached.Load(), err, f)
}
