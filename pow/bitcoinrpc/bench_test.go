package bitcoinrpc_test

import (
	"bytes"
	"net/http"
	"testing"
)

// BenchmarkGetBlockTemplateHTTP: getblocktemplate over loopback HTTP with
// the credentials, on a real pow chain through the node's mining API
// adapter (the template cached between tip changes, as in the node).
func BenchmarkGetBlockTemplateHTTP(b *testing.B) {
	n := newPowNode(b)
	body := []byte(`{"id":1,"method":"getblocktemplate","params":[{"capabilities":["coinbasetxn"]}]}`)
	client := &http.Client{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodPost, n.url, bytes.NewReader(body))
		req.SetBasicAuth(rpcUser, rpcPass)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("HTTP %d: %s", resp.StatusCode, buf.Bytes())
		}
	}
}
