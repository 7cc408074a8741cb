package api

import (
	"bytes"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
)

// countingBody is a request body of n bytes that counts the bytes read
// from it.
type countingBody struct {
	r    io.Reader
	read atomic.Int64
}

func newCountingBody(n int) *countingBody {
	return &countingBody{r: bytes.NewReader(bytes.Repeat([]byte{'{'}, n))}
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read.Add(int64(n))
	return n, err
}

func (b *countingBody) Close() error { return nil }

// testGateway returns a gateway with an empty mux and two known
// credentials, for requests that must never reach the mux.
func testGateway() (*restGateway, string) {
	admin := bytes.Repeat([]byte{1}, CredentialSize)
	g := &restGateway{
		mux:       runtime.NewServeMux(runtime.WithErrorHandler(restError)),
		marshaler: restJSON,
		tok:       &tokens{admin: admin, readOnly: bytes.Repeat([]byte{2}, CredentialSize)},
		maxBody:   DefaultMaxMsgSize,
	}
	return g, hex.EncodeToString(admin)
}

// TestRESTAuthBeforeBody checks that the gateway answers a request without
// a known credential 401 without reading a byte of its body, whatever its
// path, and that a path that is not UTF-8 is refused before the body too.
func TestRESTAuthBeforeBody(t *testing.T) {
	g, admin := testGateway()
	for _, tc := range []struct {
		path, cred string
		want       int
	}{
		{"/v1/sidetxs", "", http.StatusUnauthorized},
		{"/v1/wallet/stakes", "", http.StatusUnauthorized},
		{"/v1/nothing/%ff?x=%c3%28", "", http.StatusUnauthorized},
		{"/v1/sidetxs", "Bearer " + strings.Repeat("ab", CredentialSize), http.StatusUnauthorized},
		{"/v1/sidetxs", "Basic xyz", http.StatusUnauthorized},
		{"/v1/sidetxs/%ff", "Bearer " + admin, http.StatusBadRequest},
		{"/v1/sidetxs?raw_hex=%ff", "Bearer " + admin, http.StatusBadRequest},
	} {
		body := newCountingBody(1 << 20)
		r := httptest.NewRequest(http.MethodPost, tc.path, nil)
		r.Body, r.ContentLength = body, 1<<20
		if tc.cred != "" {
			r.Header.Set("Authorization", tc.cred)
		}
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("POST %s (%q): HTTP %d (%s), want %d", tc.path, tc.cred,
				w.Code, w.Body.Bytes(), tc.want)
		}
		if n := body.read.Load(); n != 0 {
			t.Errorf("POST %s (%q): read %d bytes of the body", tc.path, tc.cred, n)
		}
	}
}

// TestRESTBodyLimits checks the per-route bounds: a POST of the wallet
// takes restSmallBody bytes, POST /v1/sidetxs the maximum message size, a
// GET none; a body above its bound is refused with at most one byte more
// read than the bound, with or without a Content-Length.
func TestRESTBodyLimits(t *testing.T) {
	g, admin := testGateway()
	for _, tc := range []struct {
		method, path string
		size         int
		ok           bool
	}{
		{http.MethodPost, "/v1/wallet/stakes", restSmallBody, true},
		{http.MethodPost, "/v1/wallet/stakes", restSmallBody + 1, false},
		{http.MethodPost, "/v1/wallet/pegin", 1 << 20, false},
		{http.MethodPost, "/v1/sidetxs", 1 << 20, true},
		{http.MethodPost, "/v1/sidetxs", 1<<20 + 1, false},
		{http.MethodGet, "/v1/info", 0, true},
		{http.MethodGet, "/v1/info", 1, false},
	} {
		for _, chunked := range []bool{false, true} {
			body := newCountingBody(tc.size)
			r := httptest.NewRequest(tc.method, tc.path, nil)
			r.Body, r.ContentLength = body, int64(tc.size)
			if chunked {
				r.ContentLength = -1
			}
			r.Header.Set("Authorization", "Bearer "+admin)
			w := httptest.NewRecorder()
			err := g.readBody(w, r)
			limit := g.bodyLimit(r)
			if (err == nil) != tc.ok {
				t.Errorf("%s %s with %d bytes (chunked %v): error %v, want ok %v",
					tc.method, tc.path, tc.size, chunked, err, tc.ok)
			}
			if n := body.read.Load(); n > int64(limit)+1 {
				t.Errorf("%s %s with %d bytes (chunked %v): read %d bytes, bound %d",
					tc.method, tc.path, tc.size, chunked, n, limit)
			}
		}
	}
}
