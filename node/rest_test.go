package node_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mainstake/sidenode/api"
)

// TestRESTGateway runs a real sidenode over a real btcd and calls its REST
// gateway over TLS, as the README's curl call does: GET /v1/info with the
// read-only credential answers, a write without a credential or with the
// read-only one is refused.
func TestRESTGateway(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	net := newNet(t, []string{"node-a"})
	node := net.Nodes[0]
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := node.WaitREST(ctx); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(node.Home, "rest.addr")); err != nil || string(b) != node.RESTAddr {
		t.Errorf("rest.addr holds %q (%v), want %s", b, err, node.RESTAddr)
	}

	pem, err := os.ReadFile(filepath.Join(node.NetDir(), api.TLSCertFilename))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in tls.cert")
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	readOnly, err := os.ReadFile(filepath.Join(node.NetDir(), api.ReadOnlyCredFilename))
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, cred string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, "https://"+node.RESTAddr+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cred != "" {
			req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(cred))
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("%s %s: HTTP %d, body %q is not a JSON object", method, path, resp.StatusCode, body)
		}
		return resp.StatusCode, out
	}

	status, info := call("GET", "/v1/info", string(readOnly))
	mc, _ := info["mainchain"].(map[string]any)
	if status != http.StatusOK || info["network"] != "regtest" || mc == nil || mc["tip_height"] == nil {
		t.Errorf("GET /v1/info: HTTP %d %v", status, info)
	}
	status, body := call("POST", "/v1/wallet/address", "")
	if status != http.StatusUnauthorized || body["code"] != float64(16) {
		t.Errorf("POST /v1/wallet/address without a credential: HTTP %d %v", status, body)
	}
	status, body = call("POST", "/v1/wallet/address", string(readOnly))
	if status != http.StatusForbidden || body["code"] != float64(7) {
		t.Errorf("POST /v1/wallet/address with the read-only credential: HTTP %d %v", status, body)
	}

	// The devnet's curl command, when curl is installed.
	if _, err := exec.LookPath("curl"); err == nil {
		cmd := node.RESTCurl("/v1/info") + " --silent --show-error --fail"
		out, err := exec.CommandContext(ctx, "sh", "-c", cmd).CombinedOutput()
		var got map[string]any
		if err != nil || json.Unmarshal(out, &got) != nil || got["network"] != "regtest" {
			t.Errorf("%s: %v\n%s", cmd, err, out)
		}
	}
	stopClean(t, node)
}
