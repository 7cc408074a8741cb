package api

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The files the server keeps in the node's network data dir
// (<datadir>/<network>/). The server creates each one that is missing when
// it starts, and reuses it afterwards.
const (
	// TLSCertFilename is the server's self-signed TLS certificate, which
	// clients pin. Mode 0644.
	TLSCertFilename = "tls.cert"

	// TLSKeyFilename is the certificate's private key. Mode 0600.
	TLSKeyFilename = "tls.key"

	// AdminCredFilename holds the admin credential: 32 random bytes, hex.
	// It allows every method. Mode 0600.
	AdminCredFilename = "admin.cred"

	// ReadOnlyCredFilename holds the read-only credential: 32 random
	// bytes, hex. It allows the methods whose permission is read. Mode
	// 0600.
	ReadOnlyCredFilename = "readonly.cred"
)

// Limits that apply when the Config leaves them zero.
const (
	// DefaultMaxMsgSize is the largest request message the server
	// accepts, in bytes.
	DefaultMaxMsgSize = 1 << 20

	// DefaultMaxPageSize is the largest page a list method returns. A
	// request for more is rejected with InvalidArgument, never clamped.
	DefaultMaxPageSize = 1000

	// DefaultPageSize is the page size of a list request whose limit is
	// zero.
	DefaultPageSize = 100
)

// defaultPorts are the API's default TCP ports per --network value. They
// sit apart from btcd's ports (8333/8334, 18333/18334, 18444, 38332/38333,
// 18555/18556); port+1 is the REST gateway's (defaultRESTPorts).
var defaultPorts = map[string]string{
	"mainnet":        "8560",
	"testnet3":       "18570",
	"signet":         "38560",
	"regtest":        "18560",
	"simnet":         "18590",
	"powregtest":     "18600",
	"powswitchtest":  "18610",
	"dpowregtest":    "18620",
	"powdpowregtest": "18630",
}

// defaultRESTPorts are the REST gateway's default TCP ports per --network
// value: the API's port plus one.
var defaultRESTPorts = map[string]string{
	"mainnet":        "8561",
	"testnet3":       "18571",
	"signet":         "38561",
	"regtest":        "18561",
	"simnet":         "18591",
	"powregtest":     "18601",
	"powswitchtest":  "18611",
	"dpowregtest":    "18621",
	"powdpowregtest": "18631",
}

// DefaultRESTPort returns the REST gateway's default TCP port on a network,
// and false for an unknown network.
func DefaultRESTPort(network string) (string, bool) {
	port, ok := defaultRESTPorts[network]
	return port, ok
}

// DefaultRESTListener returns the REST gateway's default listen address on
// a network, 127.0.0.1:<DefaultRESTPort>, and false for an unknown network.
func DefaultRESTListener(network string) (string, bool) {
	port, ok := DefaultRESTPort(network)
	if !ok {
		return "", false
	}
	return net.JoinHostPort("127.0.0.1", port), true
}

// DefaultPort returns the API's default TCP port on a network ("regtest",
// ...), and false for an unknown network.
func DefaultPort(network string) (string, bool) {
	port, ok := defaultPorts[network]
	return port, ok
}

// Networks returns the network names DefaultPort knows, sorted.
func Networks() []string {
	names := make([]string, 0, len(defaultPorts))
	for name := range defaultPorts {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// DefaultListener returns the default listen address on a network,
// 127.0.0.1:<DefaultPort>, and false for an unknown network.
func DefaultListener(network string) (string, bool) {
	port, ok := DefaultPort(network)
	if !ok {
		return "", false
	}
	return net.JoinHostPort("127.0.0.1", port), true
}

// Config is the API server's configuration.
type Config struct {
	// Listeners are the addresses the server listens on, as host:port.
	// Port 0 picks a free port (see Server.Addrs).
	Listeners []string

	// RESTListeners are the addresses the REST gateway listens on, as
	// host:port; none means no gateway. The gateway serves every method
	// as JSON over HTTP (see rest.go) and forwards each call to the
	// server's first gRPC listener, so the same credentials, permissions
	// and limits apply. Port 0 picks a free port (see Server.RESTAddrs).
	RESTListeners []string

	// AllowRemote permits listeners (gRPC and REST) on addresses that are
	// not loopback: an empty host (every interface), a non-loopback IP, or
	// a host name other than localhost. Without it New refuses them.
	AllowRemote bool

	// DisableTLS serves without TLS, gRPC and REST alike. It is refused
	// unless every listener is a loopback address, since the credential
	// would cross the network in the clear.
	DisableTLS bool

	// TLSCertPath and TLSKeyPath are the server's certificate and key.
	// When either file is missing, the server generates a new self-signed
	// pair there. Unused with DisableTLS.
	TLSCertPath string
	TLSKeyPath  string

	// AdminCredPath and ReadOnlyCredPath are the credential files. A
	// missing one is created with a new random credential.
	AdminCredPath    string
	ReadOnlyCredPath string

	// MaxMsgSize is the largest request message, in bytes; 0 means
	// DefaultMaxMsgSize.
	MaxMsgSize int

	// MaxPageSize is the largest page a list method returns; 0 means
	// DefaultMaxPageSize.
	MaxPageSize uint32

	// DefaultPageSize is the page size of a list request whose limit is
	// zero; 0 means the smaller of DefaultPageSize and MaxPageSize.
	DefaultPageSize uint32

	// WaitingForWallet serves a node that waits for its wallet, as lnd's
	// WalletUnlocker does: only WalletService.CreateWallet and
	// UnlockWallet are answered (after the usual credential checks);
	// every other method is FailedPrecondition, before the backend sees
	// it.
	WaitingForWallet bool

	// Dashboard, when set, builds the web dashboard that the REST gateway
	// serves under DashboardPath (see WebUI). Without RESTListeners there
	// is none.
	Dashboard NewWebUI
}

// DefaultConfig returns the configuration of a server for network whose
// files live in dir, the node's network data dir: one gRPC listener on
// 127.0.0.1 at the network's default port and one REST listener on
// 127.0.0.1 at its default REST port (none for an unknown network), TLS
// and credential files in dir, and the default limits.
func DefaultConfig(dir, network string) Config {
	cfg := Config{
		TLSCertPath:      filepath.Join(dir, TLSCertFilename),
		TLSKeyPath:       filepath.Join(dir, TLSKeyFilename),
		AdminCredPath:    filepath.Join(dir, AdminCredFilename),
		ReadOnlyCredPath: filepath.Join(dir, ReadOnlyCredFilename),
		MaxMsgSize:       DefaultMaxMsgSize,
		MaxPageSize:      DefaultMaxPageSize,
		DefaultPageSize:  DefaultPageSize,
	}
	if addr, ok := DefaultListener(network); ok {
		cfg.Listeners = []string{addr}
	}
	if addr, ok := DefaultRESTListener(network); ok {
		cfg.RESTListeners = []string{addr}
	}
	return cfg
}

// ErrConfig is what every configuration error of New wraps, so that
// callers can tell them apart with errors.Is.
var ErrConfig = errors.New("invalid API configuration")

// check fills in the zero limits and checks the configuration.
func (c *Config) check() error {
	if len(c.Listeners) == 0 {
		return fmt.Errorf("%w: no listen address", ErrConfig)
	}
	// A port given twice (not 0) cannot be listened on twice.
	seen := make(map[string]bool)
	for _, addr := range append(append([]string(nil), c.Listeners...), c.RESTListeners...) {
		if err := c.checkListener(addr); err != nil {
			return err
		}
		if host, port, _ := net.SplitHostPort(addr); port != "0" {
			key := net.JoinHostPort(strings.ToLower(host), port)
			if seen[key] {
				return fmt.Errorf("%w: listen address %q is given twice: "+
					"every gRPC and REST listener needs a port of its own",
					ErrConfig, addr)
			}
			seen[key] = true
		}
	}
	if !c.DisableTLS && (c.TLSCertPath == "" || c.TLSKeyPath == "") {
		return fmt.Errorf("%w: TLS certificate and key paths are required", ErrConfig)
	}
	if c.AdminCredPath == "" || c.ReadOnlyCredPath == "" {
		return fmt.Errorf("%w: admin and read-only credential paths are required", ErrConfig)
	}
	if filepath.Clean(c.AdminCredPath) == filepath.Clean(c.ReadOnlyCredPath) {
		return fmt.Errorf("%w: the admin and read-only credentials must be "+
			"different files", ErrConfig)
	}
	if c.MaxMsgSize < 0 {
		return fmt.Errorf("%w: negative maximum message size %d", ErrConfig, c.MaxMsgSize)
	}
	if c.MaxMsgSize == 0 {
		c.MaxMsgSize = DefaultMaxMsgSize
	}
	if c.MaxPageSize == 0 {
		c.MaxPageSize = DefaultMaxPageSize
	}
	if c.DefaultPageSize == 0 {
		c.DefaultPageSize = min(DefaultPageSize, c.MaxPageSize)
	}
	if c.DefaultPageSize > c.MaxPageSize {
		return fmt.Errorf("%w: default page size %d is above the maximum "+
			"page size %d", ErrConfig, c.DefaultPageSize, c.MaxPageSize)
	}
	return nil
}

// checkListener checks one listen address, gRPC or REST: host:port, and a
// host that is loopback unless AllowRemote, and always with TLS.
func (c *Config) checkListener(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: listen address %q: %v", ErrConfig, addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%w: listen address %q: port %q is not a "+
			"number from 0 to 65535", ErrConfig, addr, port)
	}
	if isLoopback(host) {
		return nil
	}
	if c.DisableTLS {
		return fmt.Errorf("%w: listen address %q is not loopback: "+
			"TLS cannot be disabled on it, as the credential "+
			"would cross the network in the clear", ErrConfig, addr)
	}
	if !c.AllowRemote {
		return fmt.Errorf("%w: listen address %q is not loopback; "+
			"allow remote connections explicitly to listen on it",
			ErrConfig, addr)
	}
	return nil
}

// isLoopback reports whether host names only the local machine: a
// loopback IP (127.0.0.0/8, ::1) or "localhost". An empty host means every
// interface and is not loopback.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	// A zone (fe80::1%eth0) is never loopback.
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
