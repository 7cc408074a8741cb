package api

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.yaml.in/yaml/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// restRulesFile is the google.api.Service file of HTTP rules that buf
// generates the gateway and its OpenAPI document from.
const restRulesFile = "../proto/sidenode/api/v1/api_rest.yaml"

// httpRule is one rule of restRulesFile, or one of its additional
// bindings.
type httpRule struct {
	Selector           string     `yaml:"selector"`
	Get                string     `yaml:"get"`
	Post               string     `yaml:"post"`
	Put                string     `yaml:"put"`
	Delete             string     `yaml:"delete"`
	Patch              string     `yaml:"patch"`
	Body               string     `yaml:"body"`
	AdditionalBindings []httpRule `yaml:"additional_bindings"`
}

// verbPath returns the rule's HTTP method and path template.
func (r httpRule) verbPath() (string, string) {
	for _, vp := range []struct{ verb, path string }{
		{http.MethodGet, r.Get}, {http.MethodPost, r.Post}, {http.MethodPut, r.Put},
		{http.MethodDelete, r.Delete}, {http.MethodPatch, r.Patch},
	} {
		if vp.path != "" {
			return vp.verb, vp.path
		}
	}
	return "", ""
}

// restBinding is one HTTP binding of a method.
type restBinding struct {
	Method string // full gRPC name, /sidenode.api.v1.NodeService/GetInfo
	Verb   string // GET, POST, ...
	Path   string // template, /v1/winner/{height}
	Body   string
}

// restBindings parses restRulesFile and returns every binding, additional
// ones included, by full gRPC method name.
func restBindings(t testing.TB) map[string][]restBinding {
	t.Helper()
	b, err := os.ReadFile(restRulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var svc struct {
		Type string `yaml:"type"`
		HTTP struct {
			Rules []httpRule `yaml:"rules"`
		} `yaml:"http"`
	}
	if err := yaml.Unmarshal(b, &svc); err != nil {
		t.Fatalf("%s: %v", restRulesFile, err)
	}
	if svc.Type != "google.api.Service" {
		t.Fatalf("%s: type %q, want google.api.Service", restRulesFile, svc.Type)
	}
	out := make(map[string][]restBinding)
	for _, r := range svc.HTTP.Rules {
		i := strings.LastIndex(r.Selector, ".")
		if i < 0 {
			t.Fatalf("%s: selector %q names no method", restRulesFile, r.Selector)
		}
		method := "/" + r.Selector[:i] + "/" + r.Selector[i+1:]
		if len(out[method]) > 0 {
			t.Errorf("%s: two rules for %s", restRulesFile, r.Selector)
		}
		for _, rule := range append([]httpRule{r}, r.AdditionalBindings...) {
			verb, path := rule.verbPath()
			if verb == "" {
				t.Errorf("%s: a rule of %s has no path", restRulesFile, r.Selector)
				continue
			}
			out[method] = append(out[method], restBinding{method, verb, path, rule.Body})
		}
	}
	return out
}

// TestRESTRulesComplete fails on any method of the API's services that has
// no HTTP rule, so that the REST gateway covers every method; on a rule
// that names no method; and on a binding that breaks the conventions:
// reads are GETs, writes are POSTs with the whole request as the body.
func TestRESTRulesComplete(t *testing.T) {
	methods := registeredMethods(t)
	bindings := restBindings(t)
	for m := range methods {
		if len(bindings[m]) == 0 {
			t.Errorf("method %s has no HTTP rule in %s", m, restRulesFile)
		}
	}
	for m, bs := range bindings {
		if !methods[m] {
			t.Errorf("%s: rule for %s, which is no method of the API", restRulesFile, m)
			continue
		}
		perm, ok := permissions[m]
		if !ok {
			continue // TestPermissionsComplete reports it
		}
		for _, b := range bs {
			switch {
			case perm.Action == Read && b.Verb != http.MethodGet:
				t.Errorf("%s reads but is bound to %s %s: reads are GETs", m, b.Verb, b.Path)
			case perm.Action == Write && (b.Verb != http.MethodPost || b.Body != "*"):
				t.Errorf("%s writes but is bound to %s %s with body %q: writes "+
					"are POSTs whose body is the request (body: \"*\")", m, b.Verb, b.Path, b.Body)
			}
			if !strings.HasPrefix(b.Path, "/v1/") {
				t.Errorf("%s: path %s is not under /v1/", m, b.Path)
			}
		}
	}
}

// pathParam matches a path template's parameter.
var pathParam = regexp.MustCompile(`\{[^}]*\}`)

// TestRESTRoutes sends a request to every binding of every rule through
// the gateway's mux and checks that it reaches the gRPC method the rule
// names: every service's gateway is registered (registerREST), and no
// path shadows another.
func TestRESTRoutes(t *testing.T) {
	// Calls fail (nothing listens there), but only after the gateway
	// has routed them and annotated their context with the method.
	conn, err := grpc.NewClient("127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var routed string
	mux, _, err := newRESTMux(conn, runtime.WithMetadata(
		func(ctx context.Context, _ *http.Request) metadata.MD {
			routed, _ = runtime.RPCMethod(ctx)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	for method, bs := range restBindings(t) {
		for _, b := range bs {
			path := pathParam.ReplaceAllString(b.Path, "1")
			routed = ""
			ctx, cancel := context.WithCancel(context.Background())
			req := httptest.NewRequestWithContext(ctx, b.Verb, path, nil)
			rec := httptest.NewRecorder()
			if isStreaming(method) {
				// A stream's error ends it; cancel in case it waits.
				cancel()
			}
			mux.ServeHTTP(rec, req)
			cancel()
			if routed != method {
				t.Errorf("%s %s reaches %q (HTTP %d), want %s", b.Verb, b.Path,
					routed, rec.Code, method)
			}
		}
	}
}

// isStreaming reports whether the method, by full gRPC name, streams.
func isStreaming(method string) bool {
	name := strings.ReplaceAll(strings.TrimPrefix(method, "/"), "/", ".")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return false
	}
	md, ok := d.(protoreflect.MethodDescriptor)
	return ok && (md.IsStreamingServer() || md.IsStreamingClient())
}

func TestStrictQueryParser(t *testing.T) {
	p := strictQueryParser{}
	for _, tc := range []struct {
		query string
		ok    bool
	}{
		{"offset=1&limit=2&reversed=true", true},
		{"limit=5", true},
		{"", true},
		{"limt=5", false},
		{"limit=abc", false},
		{"limit=4294967296", false}, // above uint32
		{"offset=1&bogus.field=2", false},
		{"limit.x=1", false},
	} {
		req := &apiv1.ListTicketsRequest{}
		vals, err := parseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		err = p.Parse(req, vals, nil)
		if (err == nil) != tc.ok {
			t.Errorf("%q: %v, want ok=%v", tc.query, err, tc.ok)
		}
	}

	// A nested message field, by proto and JSON names; a path parameter
	// in the query is skipped, as by the default parser.
	req := &apiv1.GetBlockRequest{}
	vals, _ := parseQuery("include_raw=true&includeRaw=true&limit=3")
	if err := p.Parse(req, vals, nil); err != nil || !req.GetIncludeRaw() || req.GetLimit() != 3 {
		t.Errorf("GetBlockRequest: %v, %v", err, req)
	}
}

func parseQuery(q string) (map[string][]string, error) {
	req, err := http.NewRequest(http.MethodGet, "/x?"+q, nil)
	if err != nil {
		return nil, err
	}
	return req.URL.Query(), nil
}

func TestRESTMarshalerStrict(t *testing.T) {
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`{"amount_sat":"5","lock_blocks":10}`, true},
		{`{"amountSat":"5"}`, true},
		{`  {}  `, true},
		{`{"amount_sat":"5"} {"amount_sat":"6"}`, false},
		{`{"amount_sat":"5"} x`, false},
		{`{"amount_sat":"5","bogus":1}`, false},
		{`{"amount_sat":`, false},
		{`[]`, false},
		{`null`, false},
	} {
		req := &apiv1.CreateStakeRequest{}
		err := restJSON.NewDecoder(strings.NewReader(tc.body)).Decode(req)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.body, err, tc.ok)
		}
	}
	if err := restJSON.NewDecoder(strings.NewReader(" \n")).Decode(&apiv1.CreateStakeRequest{}); !errors.Is(err, io.EOF) {
		t.Errorf("empty body: %v, want io.EOF", err)
	}
}

// endlessBackend serves a sidechain subscription that never catches up: a
// full page of new blocks at every read, as fast as the stream asks for
// them. It records the stream's context and counts the blocks read.
type endlessBackend struct {
	Backend // nil: only the subscription methods are called

	mu     sync.Mutex
	ctx    context.Context
	blocks int
	read   chan struct{} // closed at the first read
}

func newEndlessBackend() *endlessBackend {
	return &endlessBackend{read: make(chan struct{})}
}

func (b *endlessBackend) Changed() <-chan struct{} { return make(chan struct{}) }

func (b *endlessBackend) SideTip(context.Context) (SideRef, error) {
	return SideRef{Height: -1}, nil
}

func (b *endlessBackend) SideBlocksAfter(ctx context.Context, pos SideRef, limit int) (*SideRead, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctx == nil {
		b.ctx = ctx
		close(b.read)
	}
	b.blocks += limit
	r := &SideRead{}
	for i := 0; i < limit; i++ {
		var h chainhash.Hash
		binary.BigEndian.PutUint32(h[:], uint32(pos.Height+1))
		e := SideEvent{Hash: h, PrevBlock: pos.Hash, MerkleRoot: h, PubTxID: h,
			Height: pos.Height + 1}
		r.Connected = append(r.Connected, e)
		pos = e.Ref()
	}
	return r, nil
}

// streamCtx waits for the first read and returns the stream's context.
func (b *endlessBackend) streamCtx() context.Context {
	<-b.read
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ctx
}

func (b *endlessBackend) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.blocks
}

// startRESTServer starts a server for b on loopback ports, with TLS.
func startRESTServer(t *testing.T, b Backend) (*Server, string, *tls.Config) {
	t.Helper()
	dir := t.TempDir()
	cfg := DefaultConfig(dir, "regtest")
	cfg.Listeners = []string{"127.0.0.1:0"}
	cfg.RESTListeners = []string{"127.0.0.1:0"}
	s, err := New(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	pem, err := os.ReadFile(filepath.Join(dir, TLSCertFilename))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cred, err := os.ReadFile(filepath.Join(dir, AdminCredFilename))
	if err != nil {
		t.Fatal(err)
	}
	return s, strings.TrimSpace(string(cred)), &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// openStream sends GET /v1/subscribe/sideblocks on a new TLS connection
// and reads the response's headers and first line.
func openStream(t *testing.T, s *Server, cred string, tlsConf *tls.Config) net.Conn {
	t.Helper()
	c, err := tls.Dial("tcp", s.RESTAddrs()[0].String(), tlsConf)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "GET /v1/subscribe/sideblocks HTTP/1.1\r\nHost: localhost\r\n"+
		"Authorization: Bearer %s\r\n\r\n", cred)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, `{"result":`) || !strings.Contains(line, `"state"`) {
		t.Fatalf("first line %q", line)
	}
	return c
}

// TestRESTStreamClientGone: a client that hangs up ends the gRPC stream
// behind its REST stream.
func TestRESTStreamClientGone(t *testing.T) {
	b := newEndlessBackend()
	s, cred, tlsConf := startRESTServer(t, b)
	c := openStream(t, s, cred, tlsConf)
	ctx := b.streamCtx()
	c.Close()
	<-ctx.Done() // the test times out if the stream outlives its client
}

// TestRESTStreamStalledClient streams to a client that stops reading: the
// server must not read ahead without bound while it waits. The gateway
// writes each message before it receives the next, gRPC's flow control
// holds back the server's Send, and the stream reads from the backend
// only after it sent what it read; so the blocks read stay within what
// the connections' buffers hold. Once a write has blocked for
// restWriteTimeout the gateway gives up and the gRPC stream is canceled.
func TestRESTStreamStalledClient(t *testing.T) {
	defer func(d time.Duration) { restWriteTimeout = d }(restWriteTimeout)
	restWriteTimeout = time.Second

	b := newEndlessBackend()
	s, cred, tlsConf := startRESTServer(t, b)
	c := openStream(t, s, cred, tlsConf)
	defer c.Close()
	<-b.streamCtx().Done() // the write deadline ends the stream

	// A block is about 200 bytes in protobuf and 400 in JSON. Kernel
	// buffers and gRPC's flow control windows hold some MB; a stream
	// that read ahead without bound would read far more in a second.
	const bound = 64 << 20 / 200
	if n := b.count(); n > bound {
		t.Errorf("the stream read %d blocks for a client that reads nothing, "+
			"more than its buffers hold (%d)", n, bound)
	} else {
		t.Logf("read %d blocks before the stream was cut", n)
	}
}
