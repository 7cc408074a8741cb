package bitcoinrpc

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"
)

// requestSeeds are real calls: ckpool's and NOMP's template requests,
// btcd's rpcclient's, batches, and broken ones.
var requestSeeds = []string{
	`{"method": "getblocktemplate", "params": [{"capabilities": ["coinbasetxn", "workid", "coinbase/append"], "rules" : ["segwit"]}]}`,
	`{"jsonrpc":"1.0","method":"getblocktemplate","params":[{"mode":"template","capabilities":["coinbasetxn","longpoll"]}],"id":1}`,
	`{"method":"getblocktemplate","params":[{"capabilities":["coinbasetxn","workid","coinbase/append"],"rules":["segwit"],"longpollid":"0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e22060000000000000000"}],"id":"ckpool"}`,
	`{"jsonrpc":"1.0","method":"submitblock","params":["00"],"id":2}`,
	`{"jsonrpc":"2.0","method":"validateaddress","params":{"address":"bcrt1qxxx"},"id":3}`,
	`[{"jsonrpc":"2.0","method":"getbestblockhash","id":1},{"jsonrpc":"2.0","method":"getmininginfo"}]`,
	`{"id":1,"method":"getblockchaininfo","params":null}`,
	`[]`, `[1,2]`, `{}`, `null`, `"x"`, `{"method":{}}`, `{"id":[1],"method":"x"}`,
	`{"id":1,"method":"getblocktemplate","params":[{"mode":"proposal","data":"00"}]}`,
	"\x00\xff{", `{"id":1e999,"method":"getnetworkinfo"}`,
}

// FuzzDecodeBody: the decoder never panics, and every call it returns
// either carries an error or a method.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range requestSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		calls, errs, _, err := decodeBody(body, DefaultMaxBatch)
		if err != nil {
			if len(calls) != 0 {
				t.Fatal("calls beside a whole-body error")
			}
			return
		}
		if len(calls) != len(errs) || len(calls) == 0 || len(calls) > DefaultMaxBatch {
			t.Fatalf("%d calls, %d errors", len(calls), len(errs))
		}
		for i := range calls {
			if errs[i] == nil && calls[i].Params != nil && !json.Valid(calls[i].Params) {
				t.Fatalf("call %d: params %q are not JSON", i, calls[i].Params)
			}
		}
	})
}

// FuzzServeHTTP: any body, from a client with the credentials, is
// answered with JSON (or nothing, for notifications) and never panics;
// the fakes stand for the node.
func FuzzServeHTTP(f *testing.F) {
	for _, s := range requestSeeds {
		f.Add(s)
	}
	ts := newTestServer(f, func(c *Config) { c.LongPollWait = 1 })
	block := hex.EncodeToString(testBlock(f, markerTx))
	f.Add(`{"id":1,"method":"submitblock","params":["` + block + `"]}`)
	f.Fuzz(func(t *testing.T, body string) {
		r := httptestRequest(http.MethodPost, body)
		r.SetBasicAuth("u", "p")
		w := recorder()
		ts.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusNoContent:
			if w.Body.Len() != 0 {
				t.Fatal("a body with 204")
			}
		case http.StatusRequestEntityTooLarge:
		default:
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("HTTP %d, answer %q is not JSON", w.Code, w.Body)
			}
		}
	})
}
