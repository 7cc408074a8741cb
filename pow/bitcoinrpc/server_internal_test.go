package bitcoinrpc

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/sideblock"
)

// TestNewNeedsCredentials: no server without both a user and a password.
func TestNewNeedsCredentials(t *testing.T) {
	for _, up := range [][2]string{{"", ""}, {"u", ""}, {"", "p"}} {
		_, err := New(Config{User: up[0], Pass: up[1]})
		if err == nil || !strings.Contains(err.Error(), "--btcrpcuser") {
			t.Errorf("user %q pass %q: %v, want a refusal naming the flags", up[0], up[1], err)
		}
	}
}

// TestAuthBackoff: a wrong password is 401 and starts a backoff in which
// the address is refused 429 whatever it sends; each further failure
// doubles it; the right password after it is served and ends it.
func TestAuthBackoff(t *testing.T) {
	ts := newTestServer(t, nil)
	const call = `{"id":1,"method":"getbestblockhash"}`
	if w := ts.post(call, "", ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("no credentials: HTTP %d, want 401", w.Code)
	}
	ts.clock = ts.clock.Add(authBackoffBase)
	w := ts.post(call, "u", "wrong")
	if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" {
		t.Fatalf("wrong password: HTTP %d, want 401 with a challenge", w.Code)
	}
	// Second failure in a row: 2·base.
	if w := ts.post(call, "u", "p"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("right password in the backoff: HTTP %d, want 429", w.Code)
	}
	ts.clock = ts.clock.Add(2*authBackoffBase - 1)
	if w := ts.post(call, "u", "p"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("just before the backoff ends: HTTP %d, want 429", w.Code)
	}
	ts.clock = ts.clock.Add(1)
	if w := ts.post(call, "wrong", "p"); w.Code != http.StatusUnauthorized {
		t.Fatalf("wrong user: HTTP %d, want 401", w.Code)
	}
	ts.clock = ts.clock.Add(4 * authBackoffBase)
	if w := ts.post(call, "u", "p"); w.Code != http.StatusOK {
		t.Fatalf("right credentials after the backoff: HTTP %d, want 200", w.Code)
	}
	// Success forgot the failures: one more failure waits the base again.
	ts.post(call, "u", "x")
	ts.clock = ts.clock.Add(authBackoffBase)
	if w := ts.post(call, "u", "p"); w.Code != http.StatusOK {
		t.Fatalf("after a success, one failure: HTTP %d, want 200 after the base backoff", w.Code)
	}
	// The backoff is capped.
	for i := 0; i < 40; i++ {
		ts.post(call, "u", "x")
		ts.clock = ts.clock.Add(authBackoffMax)
	}
	if w := ts.post(call, "u", "p"); w.Code != http.StatusOK {
		t.Fatalf("after the capped backoff: HTTP %d, want 200", w.Code)
	}
}

// TestAuthTableBounded: the backoff remembers at most maxAuthTracked
// addresses.
func TestAuthTableBounded(t *testing.T) {
	ts := newTestServer(t, nil)
	for i := 0; i < maxAuthTracked+50; i++ {
		ts.auth.failed(net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).String())
	}
	if n := len(ts.auth.hosts); n != maxAuthTracked {
		t.Fatalf("%d addresses remembered, want %d", n, maxAuthTracked)
	}
}

type rpcAnswer struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  json.RawMessage `json:"result"`
	Error   *rpcError       `json:"error"`
	ID      json.RawMessage `json:"id"`
}

// TestErrors: bitcoind's codes and HTTP statuses for bad calls.
func TestErrors(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, c := range []struct {
		body   string
		status int
		code   int // 0: a result
	}{
		{`{"id":1,"method":"nosuch"}`, 404, codeMethodNotFound},
		{`{"jsonrpc":"2.0","id":1,"method":"nosuch"}`, 200, codeMethodNotFound},
		{`garbage`, 500, codeParse},
		{`{"id":1,"method":"getbestblockhash"`, 500, codeParse},
		{`[]`, 400, codeInvalidRequest},
		{`[1`, 500, codeParse},
		{`{"id":1,"method":7}`, 400, codeInvalidRequest},
		{`{"id":{},"method":"getbestblockhash"}`, 400, codeInvalidRequest},
		{`{"id":1,"method":"getbestblockhash","params":5}`, 400, codeInvalidRequest},
		{`{"id":1,"method":"getbestblockhash","params":[1]}`, 500, codeMisc},
		{`{"id":1,"method":"getbestblockhash","params":null}`, 200, 0},
		{`{"id":1,"method":"getbestblockhash","params":{}}`, 200, 0},
		{`{"id":1,"method":"validateaddress","params":[]}`, 500, codeMisc},
		{`{"id":1,"method":"validateaddress","params":[1]}`, 500, codeType},
		{`{"id":1,"method":"validateaddress","params":{"addr":"x"}}`, 500, codeInvalidParam},
		{`{"id":1,"method":"validateaddress","params":{"address":"x"}}`, 200, 0},
		{`{"id":1,"method":"validateaddress","params":["a","b"]}`, 500, codeMisc},
		{`{"id":1,"method":"submitblock","params":["zz"]}`, 500, codeDeserialization},
		{`{"id":1,"method":"submitblock","params":["00"]}`, 500, codeDeserialization},
		{`{"id":1,"method":"submitblock","params":[null]}`, 500, codeMisc},
		{`{"id":1,"method":"getblocktemplate","params":[{"mode":"proposal"}]}`, 500, codeInvalidParam},
		{`{"id":1,"method":"getblocktemplate","params":[{"mode":"x"}]}`, 500, codeInvalidParam},
		{`{"id":1,"method":"getblocktemplate","params":["x"]}`, 500, codeType},
		{`{"id":1,"method":"getblocktemplate","params":[{"capabilities":"x"}]}`, 500, codeType},
		{`{"id":1,"method":"getblocktemplate","params":[{"rules":["segwit"]}]}`, 200, 0},
		{`{"id":"a","method":"getmininginfo"}`, 200, 0},
		{`{"id":null,"method":"getblockchaininfo"}`, 200, 0},
		{`{"id":1,"method":"getnetworkinfo"}`, 200, 0},
		{`{"id":1,"method":"getblockcount"}`, 200, 0},
		{`{"id":1,"method":"getdifficulty"}`, 200, 0},
		{`{"id":1,"method":"getblockhash","params":[4]}`, 200, 0},
		{`{"id":1,"method":"getblockhash","params":{"height":0}}`, 200, 0},
		{`{"id":1,"method":"getblockhash","params":[5]}`, 500, codeInvalidParam},
		{`{"id":1,"method":"getblockhash","params":[-1]}`, 500, codeInvalidParam},
		{`{"id":1,"method":"getblockhash","params":[1.5]}`, 500, codeInvalidParam},
		{`{"id":1,"method":"getblockhash","params":[1e10]}`, 500, codeInvalidParam},
		{`{"id":1,"method":"getblockhash","params":["1"]}`, 500, codeType},
	} {
		w := ts.post(c.body, "u", "p")
		if w.Code != c.status {
			t.Errorf("%s: HTTP %d, want %d", c.body, w.Code, c.status)
		}
		var a rpcAnswer
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
			t.Errorf("%s: answer %q: %v", c.body, w.Body, err)
			continue
		}
		switch {
		case c.code == 0 && a.Error != nil:
			t.Errorf("%s: error %v, want a result", c.body, a.Error)
		case c.code != 0 && (a.Error == nil || a.Error.Code != c.code):
			t.Errorf("%s: error %v, want code %d", c.body, a.Error, c.code)
		}
	}
}

// TestVersions: a JSON-RPC 1.0 answer has both result and error; a 2.0
// answer has one of them and "jsonrpc"; a 2.0 notification gets nothing.
func TestVersions(t *testing.T) {
	ts := newTestServer(t, nil)
	w := ts.post(`{"id":7,"method":"getbestblockhash"}`, "u", "p")
	var m map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["error"]; !ok || string(m["id"]) != "7" || m["jsonrpc"] != nil {
		t.Fatalf("1.0 answer %s", w.Body)
	}
	w = ts.post(`{"jsonrpc":"2.0","id":"x","method":"getbestblockhash"}`, "u", "p")
	m = nil
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["error"]; ok || string(m["jsonrpc"]) != `"2.0"` || string(m["id"]) != `"x"` {
		t.Fatalf("2.0 answer %s", w.Body)
	}
	w = ts.post(`{"jsonrpc":"2.0","method":"getbestblockhash"}`, "u", "p")
	if w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Fatalf("notification: HTTP %d %q, want 204 and nothing", w.Code, w.Body)
	}
}

// TestBatch: a batch is answered in order, without its notifications,
// with an error for the element that is no call.
func TestBatch(t *testing.T) {
	ts := newTestServer(t, nil)
	w := ts.post(`[{"jsonrpc":"2.0","id":1,"method":"getbestblockhash"},
		{"jsonrpc":"2.0","method":"getmininginfo"}, 5,
		{"id":"z","method":"nosuch"}]`, "u", "p")
	if w.Code != http.StatusOK {
		t.Fatalf("HTTP %d", w.Code)
	}
	var as []rpcAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &as); err != nil {
		t.Fatal(err)
	}
	if len(as) != 3 || string(as[0].ID) != "1" || as[0].Error != nil ||
		as[1].Error == nil || as[1].Error.Code != codeInvalidRequest ||
		string(as[2].ID) != `"z"` || as[2].Error.Code != codeMethodNotFound {
		t.Fatalf("batch answer %s", w.Body)
	}
	big := "[" + strings.Repeat(`{"id":1,"method":"getbestblockhash"},`, DefaultMaxBatch) + "1]"
	if w := ts.post(big, "u", "p"); w.Code != http.StatusBadRequest {
		t.Fatalf("a batch over the limit: HTTP %d, want 400", w.Code)
	}
}

// TestLimits: POST only, the body limit, and a full server.
func TestLimits(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MaxBodyBytes = 100; c.MaxConcurrent = 2; c.MaxLongPolls = 1 })
	r := httptestRequest(http.MethodGet, "")
	w := recorder()
	ts.ServeHTTP(w, r)
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET: HTTP %d, want 405", w.Code)
	}
	if w := ts.post(`{"id":1,"method":"submitblock","params":["`+strings.Repeat("00", 100)+`"]}`, "u", "p"); w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a body over the limit: HTTP %d, want 413", w.Code)
	}
	ts.work <- struct{}{}
	ts.work <- struct{}{}
	if w := ts.post(`{"id":1,"method":"getbestblockhash"}`, "u", "p"); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("all slots taken: HTTP %d, want 503", w.Code)
	}
	<-ts.work
	if w := ts.post(`{"id":1,"method":"getbestblockhash"}`, "u", "p"); w.Code != http.StatusOK {
		t.Fatalf("a slot free: HTTP %d, want 200", w.Code)
	}
}

// TestLongPoll: a long poll on the current id waits for the change and
// answers the new template; with no long poll slot free, or once
// LongPollWait is up, it answers the current one at once.
func TestLongPoll(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.mining.waiting = make(chan struct{}, 1)
	done := make(chan *httptestRecorder, 1)
	go func() {
		done <- ts.post(`{"id":1,"method":"getblocktemplate","params":[{"longpollid":"id1"}]}`, "u", "p")
	}()
	<-ts.mining.waiting
	ts.mining.change("id2")
	w := <-done
	var a struct {
		Result templateResult
		Error  *rpcError
	}
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || a.Error != nil || a.Result.LongPollID != "id2" {
		t.Fatalf("long poll answer %s (%v)", w.Body, err)
	}

	// No slot free: the current template at once, no wait.
	for i := 0; i < cap(ts.polls); i++ {
		ts.polls <- struct{}{}
	}
	ts.mining.waiting = nil
	w = ts.post(`{"id":1,"method":"getblocktemplate","params":[{"longpollid":"id2"}]}`, "u", "p")
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || a.Error != nil || a.Result.LongPollID != "id2" {
		t.Fatalf("long poll without a slot: %s (%v)", w.Body, err)
	}
	if n := ts.mining.calls["id2"]; n != 0 {
		t.Fatalf("the node was asked to wait %d times without a slot", n)
	}
	for i := 0; i < cap(ts.polls); i++ {
		<-ts.polls
	}

	// LongPollWait up: the current template.
	ts2 := newTestServer(t, func(c *Config) { c.LongPollWait = 1 })
	w = ts2.post(`{"id":1,"method":"getblocktemplate","params":[{"longpollid":"id1"}]}`, "u", "p")
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || a.Error != nil || a.Result.LongPollID != "id1" {
		t.Fatalf("long poll past its wait: %s (%v)", w.Body, err)
	}
	if ts2.mining.calls["id1"] != 1 || ts2.mining.calls[""] != 1 {
		t.Fatalf("calls %v, want one wait and one plain template", ts2.mining.calls)
	}
}

// TestStopEndsLongPolls: Stop ends a waiting long poll.
func TestStopEndsLongPolls(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Listen = "127.0.0.1:0" })
	ts.mining.waiting = make(chan struct{}, 1)
	if err := ts.Start(); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+ts.Addr().String(),
			strings.NewReader(`{"id":1,"method":"getblocktemplate","params":[{"longpollid":"id1"}]}`))
		req.SetBasicAuth("u", "p")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-ts.mining.waiting
	ts.Stop()
	<-errc
}

// TestTemplateAnswer: the compatible template is the coinbase alone, with
// the marker as its one transaction and the subsidy as coinbasevalue; the
// flags are the main reference's push; with withdrawalroot the node's
// transactions, fees and root are there; coinbasetxn pays what the block
// allows.
func TestTemplateAnswer(t *testing.T) {
	f := newFakeMining(t)
	res, err := templateAnswer(f.tmpl, true, false)
	if err != nil {
		t.Fatal(err)
	}
	zero := strings.Repeat("0", 64)
	if len(res.Transactions) != 1 || res.Transactions[0].TxID != zero || res.CoinbaseValue != 4900 {
		t.Fatalf("compatible template: %+v", res)
	}
	ref, _ := sideblock.ExtractMainRef(f.tmpl.Coinbase.Tx)
	if res.CoinbaseAux["flags"] != hex.EncodeToString(ref.Bytes()) {
		t.Fatalf("flags %q, want the main reference's 36 bytes", res.CoinbaseAux["flags"])
	}
	if res.CoinbaseTxn == nil || res.CoinbaseTxn.Fee != 0 || !slices.Contains(res.Mutable, "coinbase/append") {
		t.Fatalf("coinbasetxn %+v", res.CoinbaseTxn)
	}
	raw, _ := hex.DecodeString(res.CoinbaseTxn.Data)
	if len(raw) == 0 || strings.Contains(res.CoinbaseTxn.Data, hexValue(5000)) {
		t.Fatal("the compatible coinbasetxn still pays the fees")
	}
	full, err := templateAnswer(f.tmpl, true, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Transactions) != 1 || full.Transactions[0].TxID == zero || full.CoinbaseValue != 5000 ||
		full.WithdrawalRoot != zero || full.CoinbaseTxn.Fee != -100 || full.Transactions[0].Fee != 100 {
		t.Fatalf("full template: %+v", full)
	}
}

func hexValue(v int64) string {
	var b [8]byte
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return hex.EncodeToString(b[:])
}

// TestSubmitStripsMarker: the marker at the end of a submitted block is
// taken off before the node sees it; elsewhere it stays; the node's
// reason comes back as the result.
func TestSubmitStripsMarker(t *testing.T) {
	ts := newTestServer(t, nil)
	post := func(raw []byte) json.RawMessage {
		w := ts.post(`{"id":1,"method":"submitblock","params":["`+hex.EncodeToString(raw)+`"]}`, "u", "p")
		var a rpcAnswer
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || a.Error != nil {
			t.Fatalf("submitblock: %s (%v)", w.Body, err)
		}
		return a.Result
	}
	if r := post(testBlock(t, markerTx)); string(r) != "null" {
		t.Fatalf("accepted block: %s, want null", r)
	}
	b, err := headerchain.DecodeBlock(ts.mining.submitted[0])
	if err != nil || len(b.Transactions) != 1 {
		t.Fatalf("the node got %d transactions (%v), want the coinbase alone", len(b.Transactions), err)
	}
	ts.mining.result = &api.SubmitResult{Reason: "bad-cb-multiple"}
	if r := post(testBlock(t, markerTx, markerTx.Copy())); string(r) != `"bad-cb-multiple"` {
		t.Fatalf("refused block: %s", r)
	}
	if b, _ := headerchain.DecodeBlock(ts.mining.submitted[1]); len(b.Transactions) != 2 {
		t.Fatalf("only the last marker comes off: %d transactions", len(b.Transactions))
	}
}

// TestMethodsComplete: Methods and the table agree.
func TestMethodsComplete(t *testing.T) {
	ts := newTestServer(t, nil)
	var names []string
	for k := range ts.methods {
		names = append(names, k)
	}
	sort.Strings(names)
	want := slices.Clone(Methods)
	sort.Strings(want)
	if !slices.Equal(names, want) {
		t.Fatalf("table %v, Methods %v", names, want)
	}
	for _, m := range Methods {
		w := ts.post(`{"id":1,"method":"`+m+`","params":[1,2,3]}`, "u", "p")
		var a rpcAnswer
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || a.Error == nil || a.Error.Code != codeMisc {
			t.Errorf("%s with three params: %s", m, w.Body)
		}
	}
}

// TestNumericVersion: bitcoind's version number.
func TestNumericVersion(t *testing.T) {
	for v, want := range map[string]int{"0.1.0-dev": 100, "1.2.3": 10203, "x": 0, "1.2": 0, "1.100.0": 0} {
		if got := numericVersion(v); got != want {
			t.Errorf("%q: %d, want %d", v, got, want)
		}
	}
}

// TestValidateAddressKinds: each kind of sidechain address as bitcoind
// describes it.
func TestValidateAddressKinds(t *testing.T) {
	ts := newTestServer(t, nil)
	side := ts.cfg.Params.Side
	prog20, prog32 := make([]byte, 20), make([]byte, 32)
	pkh, _ := btcutil.NewAddressPubKeyHash(prog20, side)
	sh, _ := btcutil.NewAddressScriptHashFromHash(prog20, side)
	wpkh, _ := btcutil.NewAddressWitnessPubKeyHash(prog20, side)
	wsh, _ := btcutil.NewAddressWitnessScriptHash(prog32, side)
	tr, _ := btcutil.NewAddressTaproot(prog32, side)
	for _, c := range []struct {
		addr              btcutil.Address
		isScript, witness bool
		version           int
	}{
		{pkh, false, false, -1}, {sh, true, false, -1}, {wpkh, false, true, 0},
		{wsh, true, true, 0}, {tr, true, true, 1},
	} {
		res, e := ts.validateAddress(context.Background(), json.RawMessage(`["`+c.addr.EncodeAddress()+`"]`))
		if e != nil {
			t.Fatal(e)
		}
		info := res.(*addressInfo)
		script, _ := txscript.PayToAddrScript(c.addr)
		if !info.IsValid || *info.IsScript != c.isScript || *info.IsWitness != c.witness ||
			info.ScriptPubKey != hex.EncodeToString(script) {
			t.Errorf("%T: %+v", c.addr, info)
		}
		if (c.version < 0) != (info.WitnessVersion == nil) || (c.version >= 0 && *info.WitnessVersion != c.version) {
			t.Errorf("%T: witness version %v, want %d", c.addr, info.WitnessVersion, c.version)
		}
	}
}

// TestLimitListener: a connection past the limit is accepted only once
// one closes.
func TestLimitListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := newLimitListener(inner, 1)
	defer ln.Close()
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	select {
	case <-accepted:
		t.Fatal("a second connection accepted while the first is open")
	default:
	}
	if len(ln.slots) != 1 {
		t.Fatalf("%d slots taken, want 1", len(ln.slots))
	}
	first.Close()
	first.Close() // a second close frees nothing more
	if c := <-accepted; c == nil {
		t.Fatal("the second connection was not accepted after the first closed")
	} else {
		c.Close()
	}
}
