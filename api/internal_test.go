package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func TestPaginate(t *testing.T) {
	all := []int{0, 1, 2, 3, 4}
	for _, tc := range []struct {
		p    Page
		want []int
	}{
		{Page{Limit: 2}, []int{0, 1}},
		{Page{Offset: 3, Limit: 5}, []int{3, 4}},
		{Page{Offset: 5, Limit: 5}, []int{}},
		{Page{Offset: ^uint64(0), Limit: 5}, []int{}},
		{Page{Limit: 0}, []int{}},
		{Page{Limit: 2, Reversed: true}, []int{4, 3}},
		{Page{Offset: 4, Limit: 9, Reversed: true}, []int{0}},
	} {
		if got := Paginate(all, tc.p); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.p, got, tc.want)
		}
	}
}

func TestWeightString(t *testing.T) {
	for _, tc := range []struct {
		w    Weight
		want string
	}{
		{Weight{}, "0"},
		{Weight{Lo: 42}, "42"},
		{Weight{Hi: 1}, "18446744073709551616"},
		{Weight{Hi: ^uint64(0), Lo: ^uint64(0)}, "340282366920938463463374607431768211455"},
	} {
		if got := tc.w.String(); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.w, got, tc.want)
		}
	}
}

func TestParseHash(t *testing.T) {
	s := "00000000000000000001" + strings.Repeat("0", 40) + "abcd"
	h, err := parseHash("txid", "sidechain transaction id", s)
	if err != nil {
		t.Fatal(err)
	}
	if h.String() != s || h[0] != 0xcd || h[1] != 0xab {
		t.Errorf("parsed %v (internal %x)", h, h[:])
	}
	for _, bad := range []string{"", "abcd", s + "00", "zz" + s[2:], " " + s[1:]} {
		_, err := parseHash("txid", "sidechain transaction id", bad)
		if !IsErrorCode(err, ErrInvalidArgument) {
			t.Errorf("%q: %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	base := DefaultConfig(t.TempDir(), "regtest")
	if base.Listeners[0] != "127.0.0.1:18560" {
		t.Errorf("default listener %v", base.Listeners)
	}
	for _, tc := range []struct {
		name   string
		modify func(*Config)
		ok     bool
	}{
		{"default", func(*Config) {}, true},
		{"localhost", func(c *Config) { c.Listeners = []string{"localhost:0"} }, true},
		{"ipv6 loopback", func(c *Config) { c.Listeners = []string{"[::1]:1"} }, true},
		{"127.0.0.2", func(c *Config) { c.Listeners = []string{"127.0.0.2:1"} }, true},
		{"all interfaces", func(c *Config) { c.Listeners = []string{":8560"} }, false},
		{"0.0.0.0", func(c *Config) { c.Listeners = []string{"0.0.0.0:8560"} }, false},
		{"remote", func(c *Config) { c.Listeners = []string{"192.0.2.1:8560"} }, false},
		{"host name", func(c *Config) { c.Listeners = []string{"node.example:8560"} }, false},
		{"remote allowed", func(c *Config) {
			c.Listeners = []string{"0.0.0.0:8560"}
			c.AllowRemote = true
		}, true},
		{"remote without TLS", func(c *Config) {
			c.Listeners = []string{"0.0.0.0:8560"}
			c.AllowRemote, c.DisableTLS = true, true
		}, false},
		{"loopback without TLS", func(c *Config) { c.DisableTLS = true }, true},
		{"no listener", func(c *Config) { c.Listeners = nil }, false},
		{"no port", func(c *Config) { c.Listeners = []string{"127.0.0.1"} }, false},
		{"bad port", func(c *Config) { c.Listeners = []string{"127.0.0.1:99999"} }, false},
		{"no cert path", func(c *Config) { c.TLSCertPath = "" }, false},
		{"no credential path", func(c *Config) { c.AdminCredPath = "" }, false},
		{"same credential files", func(c *Config) { c.ReadOnlyCredPath = c.AdminCredPath }, false},
		{"default page above max", func(c *Config) { c.MaxPageSize, c.DefaultPageSize = 10, 20 }, false},
		{"zero limits", func(c *Config) { c.MaxMsgSize, c.MaxPageSize, c.DefaultPageSize = 0, 0, 0 }, true},
	} {
		cfg := base
		cfg.Listeners = append([]string(nil), base.Listeners...)
		tc.modify(&cfg)
		_, err := New(cfg, nopBackend{})
		if tc.ok != (err == nil) {
			t.Errorf("%s: error %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v does not wrap ErrConfig", tc.name, err)
		}
	}
	if _, err := New(base, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("nil backend: %v", err)
	}

	cfg := base
	if err := cfg.check(); err != nil {
		t.Fatal(err)
	}
	cfg = Config{Listeners: base.Listeners, TLSCertPath: "c", TLSKeyPath: "k",
		AdminCredPath: "a", ReadOnlyCredPath: "r", MaxPageSize: 50}
	if err := cfg.check(); err != nil {
		t.Fatal(err)
	}
	if cfg.MaxMsgSize != DefaultMaxMsgSize || cfg.DefaultPageSize != 50 {
		t.Errorf("zero limits filled as %d, %d", cfg.MaxMsgSize, cfg.DefaultPageSize)
	}
	for _, n := range Networks() {
		if _, ok := DefaultPort(n); !ok {
			t.Errorf("no default port for %s", n)
		}
	}
}

func TestGeneratedCertNamesListenHosts(t *testing.T) {
	dir := t.TempDir()
	hosts := listenHosts([]string{"sidenode.test:8560", "192.0.2.7:1", "0.0.0.0:2", ":3", "[::1]:4"})
	if want := []string{"sidenode.test", "192.0.2.7", "::1"}; !reflect.DeepEqual(hosts, want) {
		t.Fatalf("listenHosts %v, want %v", hosts, want)
	}
	certPath, keyPath := filepath.Join(dir, "c"), filepath.Join(dir, "k")
	pair, err := loadOrCreateCert(certPath, keyPath, hosts)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"sidenode.test", "192.0.2.7", "localhost", "127.0.0.1", "::1"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
	if _, err := tls.LoadX509KeyPair(certPath, keyPath); err != nil {
		t.Fatal(err)
	}
}

// TestMethodWithoutPermissionRefused checks the interceptor's rule for a
// method missing from the map, which no served method can show.
func TestMethodWithoutPermissionRefused(t *testing.T) {
	dir := t.TempDir()
	tok, err := loadOrCreateCredentials(filepath.Join(dir, "a"), filepath.Join(dir, "r"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := metadata.NewIncomingContext(context.Background(),
		metadata.Pairs(AuthorizationKey, "Bearer "+hex.EncodeToString(tok.admin)))
	err = tok.authorize(ctx, "/sidenode.api.v1.NodeService/Shutdown")
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("unmapped method: %v, want PermissionDenied", err)
	}
	if err := tok.authorize(ctx, "/sidenode.api.v1.NodeService/GetInfo"); err != nil {
		t.Errorf("mapped method: %v", err)
	}
	// An unauthenticated caller learns nothing about the map.
	err = tok.authorize(context.Background(), "/sidenode.api.v1.NodeService/Shutdown")
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("unmapped method without credential: %v, want Unauthenticated", err)
	}
}

// nopBackend satisfies Backend for configuration tests.
type nopBackend struct{ Backend }
