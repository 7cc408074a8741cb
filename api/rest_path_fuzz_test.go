package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
)

// restPathSeeds are request targets for FuzzRESTPath: every path of
// restCalls with its query, the cases the probe of issue 11 found answered
// 500, and other malformed ones.
func restPathSeeds() []string {
	seeds := []string{
		"/v1/sidetxs/%ff",
		"/v1/sideaddresses/%ff/utxos",
		"/v1/sideaddresses/%ff/history?blocks=-1",
		"/v1/sideaddresses/x/history?blocks=2147483648", "/v1/sideaddresses//history",
		"/v1/peg/verifypayout?raw_tx_hex=%ff",
		"/v1/subscribe/lottery?cursor.hash=%c3%28",
		"/v1/subscribe/sideblocks?cursor.hash=%c3%28&cursor.height=1",
		"/v1/subscribe/lottery?cursor.height=-1",
		"/v1/tickets?limit=%ff", "/v1/tickets?%ff=1", "/v1/tickets?limit=1&limit=2",
		"/v1/tickets?limit[x]=1", "/v1/tickets?offset=99999999999999999999",
		"/v1/sideblocks/height/-1", "/v1/sideblocks/height/4294967296",
		"/v1/statehash/18446744073709551616", "/v1/winner/%00",
		"/v1/peg/outpoints/" + strings.Repeat("0", 64) + ":99999999999",
		"/v1/peg/withdrawals/:", "/v1/peg/withdrawals/%3a%3a",
		"/v1/sideblocks/%2f..%2f", "/v1//info", "/v1/info/", "/v1/info?x=%zz",
		"/v1/info?;", "/v1/wallet/balance?min_conf=%c0%80", "/", "*", "/v1/%c3",
		"/v1/peg/verifypayout?raw_tx_hex=" + strings.Repeat("00", 1000),
		"/v1/mining/info?recent_blocks=-1", "/v1/mining/info?recent_blocks=121",
		"/v1/mining/template?long_poll_id=%ff", "/v1/mining/template?long_poll_id=" + strings.Repeat("x", 300),
		"/v1/mining/submit?data=00",
	}
	for _, c := range restCalls {
		seeds = append(seeds, c.path)
	}
	return seeds
}

// fuzzCreds are the credentials FuzzRESTPath sends, by its cred byte: none,
// a malformed one, one of the right size that is no credential, read-only,
// admin. The last two are filled in from the server's files.
var fuzzCreds = []string{"", "Bearer zz", "Bearer " + strings.Repeat("ab", 32), "", ""}

// rawTarget makes s usable as an HTTP request target: a byte that would
// end the request line (space, control) is percent-encoded.
func rawTarget(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			fmt.Fprintf(&b, "%%%02x", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// FuzzRESTPath sends arbitrary request targets, paths and query strings,
// as GETs and POSTs to the REST gateway of a server on the fake backend,
// over plain HTTP on loopback, with each kind of credential. It checks
// that the server never answers a 5xx (the fake backend returns no
// internal error) and never panics or hangs; that a request without a
// known credential is answered 401, unless net/http itself refused the
// request line with 400 before any handler; and that every answer of the
// gateway is a JSON object, its errors a google.rpc.Status with a code.
//
//	go test ./api/ -run '^$' -fuzz FuzzRESTPath -fuzztime 1m
func FuzzRESTPath(f *testing.F) {
	for _, s := range restPathSeeds() {
		for cred := range fuzzCreds {
			f.Add(uint8(cred), false, s)
		}
		f.Add(uint8(4), true, s)
	}

	srv := apitest.StartServer(f, apitest.NewBackend(5), func(cfg *api.Config) {
		cfg.DisableTLS = true
	})
	creds := append([]string(nil), fuzzCreds...)
	creds[3] = "Bearer " + credential(f, srv, api.ReadOnlyCredFilename)
	creds[4] = "Bearer " + credential(f, srv, api.AdminCredFilename)

	f.Fuzz(func(t *testing.T, cred uint8, post bool, target string) {
		cred %= uint8(len(creds))
		method, body := http.MethodGet, ""
		if post {
			method, body = http.MethodPost, "{}"
		}
		target = rawTarget(target)
		status, out, gateway := rawREST(t, srv.RESTAddr, method, target, creds[cred], body)
		what := fmt.Sprintf("%s %q with credential %d", method, target, cred)
		if !gateway {
			// net/http refused the request line itself.
			if status != http.StatusBadRequest {
				t.Fatalf("%s: HTTP %d from net/http: %q", what, status, out)
			}
			return
		}
		if !json.Valid(out) || !bytes.HasPrefix(bytes.TrimSpace(out), []byte("{")) {
			t.Fatalf("%s: HTTP %d with a body that is no JSON object: %q", what, status, out)
		}
		switch {
		case cred < 3:
			if status != http.StatusUnauthorized {
				t.Fatalf("%s: HTTP %d without a known credential: %s", what, status, out)
			}
		case status == http.StatusOK:
		case status >= 400 && status < 500:
			if code, _ := restError(t, out); code == 0 {
				t.Fatalf("%s: HTTP %d with code OK: %s", what, status, out)
			}
		default:
			t.Fatalf("%s: HTTP %d: %s", what, status, out)
		}
	})
}

// restConns keeps one idle keep-alive connection per address for rawREST,
// so that a fuzzing run does not use up the loopback ports with a closed
// connection per request.
var restConns = struct {
	sync.Mutex
	idle map[string]*restConn
}{idle: make(map[string]*restConn)}

type restConn struct {
	net.Conn
	br *bufio.Reader
}

// getRESTConn returns the idle connection to addr, or a new one.
func getRESTConn(t *testing.T, addr string) *restConn {
	restConns.Lock()
	c := restConns.idle[addr]
	delete(restConns.idle, addr)
	restConns.Unlock()
	if c != nil {
		return c
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return &restConn{Conn: conn, br: bufio.NewReader(conn)}
}

// putRESTConn keeps c as the idle connection to addr.
func putRESTConn(addr string, c *restConn) {
	restConns.Lock()
	defer restConns.Unlock()
	if old := restConns.idle[addr]; old != nil {
		old.Close()
	}
	restConns.idle[addr] = c
}

// rawREST sends one request to addr, with target written as is on the
// request line, and returns the status, the body (of a stream, its first
// line) and whether the answer came from the gateway (JSON) rather than
// from net/http's own refusal of the request.
func rawREST(t *testing.T, addr, method, target, auth, body string) (int, []byte, bool) {
	t.Helper()
	c := getRESTConn(t, addr)
	keep := false
	defer func() {
		if keep {
			putRESTConn(addr, c)
		} else {
			c.Close()
		}
	}()
	// Against a hang; no timing is asserted.
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	var req bytes.Buffer
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, target, addr)
	if auth != "" {
		fmt.Fprintf(&req, "Authorization: %s\r\n", auth)
	}
	fmt.Fprintf(&req, "Content-Length: %d\r\n\r\n%s", len(body), body)
	if _, err := c.Write(req.Bytes()); err != nil {
		t.Fatalf("%s %q: %v", method, target, err)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatalf("%s %q: reading the answer: %v", method, target, err)
	}
	var out []byte
	if resp.ContentLength >= 0 {
		out, err = io.ReadAll(resp.Body)
		keep = err == nil && !resp.Close
	} else {
		// A stream, or a chunked answer: its first line, then the
		// connection is closed, which ends the request. (Closing
		// resp.Body would read a stream to its end.)
		out, err = bufio.NewReader(resp.Body).ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			err = nil
		}
	}
	if err != nil {
		t.Fatalf("%s %q: reading the body: %v", method, target, err)
	}
	gateway := strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json")
	return resp.StatusCode, out, gateway
}
