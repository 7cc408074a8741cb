package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
)

// restWrites are the REST calls of the write methods, in restCalls'
// order: the targets of FuzzRESTWrite.
func restWrites() []restCall {
	var out []restCall
	for _, c := range restCalls {
		if isWrite(c.method) && c.verb == http.MethodPost {
			out = append(out, c)
		}
	}
	return out
}

// FuzzRESTWrite posts arbitrary bodies to the REST write methods with the
// admin credential, against the fake backend, and checks that the gateway
// always answers with JSON: 200, or a 4xx whose body is a google.rpc.Status
// with a gRPC code. The fake backend returns no internal error, so a 5xx is
// a bug, as are a panic and a hang. The first byte picks the method.
//
//	go test ./api/ -run '^$' -fuzz FuzzRESTWrite -fuzztime 1m
func FuzzRESTWrite(f *testing.F) {
	writes := restWrites()
	if len(writes) == 0 {
		f.Fatal("no write method in restCalls")
	}
	seeds := []string{
		"", "{}", " ", "null", "[]", "0", `"x"`, "{", "}", "{}{}", "{} x",
		`{"bogus": 1}`, `{"amount_sat": "1e3"}`, `{"amount_sat": 1.5}`,
		`{"amount_sat": "99999999999999999999"}`, `{"amount_sat": -1}`,
		`{"lock_blocks": 4294967296}`, `{"ticket_id": "1", "stake_outpoint": "a:1"}`,
		`{"stake_outpoint": "` + strings.Repeat("0", 64) + `:99999999999"}`,
		`{"raw_hex": "zz"}`, `{"raw_hex": "00"}`, `{"raw_hex": null}`,
		`{"to_address": "\u0000", "amount_sat": "1"}`, `{"to_address": ["a"]}`,
		`{"amount_sat": {"nested": true}}`, "\xff\xfe", `{"a":` + strings.Repeat("[", 200),
	}
	for i, c := range writes {
		f.Add(byte(i), c.body)
		for _, s := range seeds {
			f.Add(byte(i), s)
		}
	}

	srv := apitest.StartServer(f, apitest.NewBackend(5), func(cfg *api.Config) {
		cfg.MaxMsgSize = 64 << 10
	})
	client := restClient(f, srv)
	client.Timeout = 20 * time.Second
	admin := credential(f, srv, api.AdminCredFilename)

	f.Fuzz(func(t *testing.T, pick byte, body string) {
		c := writes[int(pick)%len(writes)]
		req, err := http.NewRequest(http.MethodPost, restURL(srv, c.path), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %q: %v", c.path, body, err)
		}
		out, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s %q: reading the answer: %v", c.path, body, err)
		}
		if !json.Valid(out) || !bytes.HasPrefix(bytes.TrimSpace(out), []byte("{")) {
			t.Fatalf("%s %q: HTTP %d with a body that is no JSON object: %q",
				c.path, body, resp.StatusCode, out)
		}
		switch {
		case resp.StatusCode == http.StatusOK:
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			if code, _ := restError(t, out); code == 0 {
				t.Fatalf("%s %q: HTTP %d with code OK: %s", c.path, body, resp.StatusCode, out)
			}
		default:
			t.Fatalf("%s %q: HTTP %d: %s", c.path, body, resp.StatusCode, out)
		}
	})
}
