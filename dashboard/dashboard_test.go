package dashboard_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/dashboard"
)

// env is a dashboard served by an API server over a fake backend.
type env struct {
	b        *apitest.Backend
	srv      *apitest.Server
	base     string // https://127.0.0.1:port/dashboard/
	tls      *tls.Config
	readOnly string
	admin    string
}

func startDashboard(t testing.TB) *env {
	t.Helper()
	return startDashboardWith(t, dashboard.MainstakePanels())
}

// startDashboardWith starts a dashboard with the engines' pages panels.
func startDashboardWith(t testing.TB, panels []dashboard.Panel) *env {
	t.Helper()
	return startDashboardOn(t, apitest.NewBackend(3), panels)
}

// startDashboardOn is startDashboardWith over the fake backend b, which the
// caller may have set up.
func startDashboardOn(t testing.TB, b *apitest.Backend, panels []dashboard.Panel) *env {
	t.Helper()
	srv := apitest.StartServer(t, b, func(cfg *api.Config) {
		cfg.Dashboard = func(e api.WebUIEnv) (api.WebUI, error) {
			return dashboard.New(dashboard.Config{
				Gateway: e.Gateway, Conn: e.Conn, ReadOnly: e.ReadOnly,
				Authenticate: e.Authenticate, SideParams: chainparams.Regtest.Side,
				MainParams: chainparams.Regtest.Main,
				Panels:     panels,
			})
		}
	})
	pem, err := os.ReadFile(filepath.Join(srv.Dir, api.TLSCertFilename))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(srv.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(data))
	}
	return &env{
		b: b, srv: srv, base: "https://" + srv.RESTAddr + "/dashboard/",
		tls:      &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		readOnly: read(api.ReadOnlyCredFilename), admin: read(api.AdminCredFilename),
	}
}

// client returns an HTTP client that keeps cookies and does not follow
// redirects.
func (e *env) client(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: e.tls, MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport: tr,
		Jar:       jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// login logs c in with cred and returns the answer's status.
func (e *env) login(t testing.TB, c *http.Client, cred string, header http.Header) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.base+"login",
		strings.NewReader(url.Values{"credential": {cred}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (e *env) get(t testing.TB, c *http.Client, path string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(e.base + path)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// checkFrameHeaders checks that an answer forbids framing.
func checkFrameHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	if h.Get("X-Frame-Options") != "DENY" ||
		!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("%s: framing not forbidden: X-Frame-Options %q, CSP %q", what,
			h.Get("X-Frame-Options"), h.Get("Content-Security-Policy"))
	}
}

// dashboardPaths are the dashboard's paths that hold the node's data or
// its pages.
var dashboardPaths = []string{
	"", "index.html", "static/app.js", "static/style.css", "panel/lottery.js",
	"panel/peg.js", "api/v1/info", "api/v1/tickets", "events", "data/search?q=1",
	"data/tx/" + strings.Repeat("ab", 32), "data/metrics", "data/draws",
	"data/withdrawals", "data/alarms", "data/panels", "data/peg", "data/overview", "nothing",
}

// TestNoPageWithoutLogin: without a login cookie, or with one the
// dashboard did not issue, every path answers 401 (the frame's page load
// is sent to the login page) and nothing of the node; every answer
// forbids framing, the login page's too.
func TestNoPageWithoutLogin(t *testing.T) {
	e := startDashboard(t)
	c := e.client(t)
	u, _ := url.Parse(e.base)
	for _, cookie := range []*http.Cookie{
		nil,
		{Name: "sidenode_dashboard", Value: "99999999999.00"},
		{Name: "sidenode_dashboard", Value: e.readOnly},
		{Name: "sidenode_dashboard", Value: strings.Repeat("9", 30) + "." + strings.Repeat("0", 64)},
	} {
		if cookie != nil {
			c.Jar.SetCookies(u, []*http.Cookie{cookie})
		}
		for _, p := range dashboardPaths {
			resp, body := e.get(t, c, p)
			checkFrameHeaders(t, p, resp.Header)
			switch {
			case p == "" && resp.StatusCode == http.StatusSeeOther:
				if loc := resp.Header.Get("Location"); loc != "/dashboard/login" {
					t.Errorf("%s sends to %q", p, loc)
				}
			case resp.StatusCode != http.StatusUnauthorized:
				t.Errorf("%s without a login (cookie %v): %d %.100q", p, cookie, resp.StatusCode, body)
			}
			if strings.Contains(body, `"tip_height"`) || strings.Contains(body, "dash.register") {
				t.Errorf("%s without a login leaks %.100q", p, body)
			}
		}
	}
	resp, body := e.get(t, c, "login")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="credential"`) {
		t.Errorf("login page: %d %.100q", resp.StatusCode, body)
	}
	checkFrameHeaders(t, "login", resp.Header)
}

// TestLogin: a wrong credential is refused; either API credential logs in,
// and then the pages and the API's reads are served, but nothing that
// writes; a login from another site is refused.
func TestLogin(t *testing.T) {
	e := startDashboard(t)
	c := e.client(t)
	for _, bad := range []string{"", "00", strings.Repeat("ab", 32), e.readOnly + "00",
		"<script>alert(1)</script>", strings.Repeat("a", 5000)} {
		if got := e.login(t, c, bad, nil); got != http.StatusUnauthorized && got != http.StatusBadRequest {
			t.Errorf("login with %.20q: %d", bad, got)
		}
		if resp, _ := e.get(t, c, "api/v1/info"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("after a refused login with %.20q: %d", bad, resp.StatusCode)
		}
	}
	if got := e.login(t, c, e.readOnly, http.Header{"Sec-Fetch-Site": {"cross-site"}}); got != http.StatusForbidden {
		t.Errorf("login from another site: %d", got)
	}
	if got := e.login(t, c, e.readOnly, http.Header{"Origin": {"https://evil.example"}}); got != http.StatusForbidden {
		t.Errorf("login with another origin: %d", got)
	}
	for _, cred := range []string{e.readOnly, e.admin} {
		c := e.client(t)
		if got := e.login(t, c, cred, http.Header{"Sec-Fetch-Site": {"same-origin"}}); got != http.StatusSeeOther {
			t.Fatalf("login: %d", got)
		}
		for _, p := range []string{"", "static/app.js", "panel/lottery.js", "api/v1/info", "data/panels", "data/metrics", "data/overview"} {
			if resp, body := e.get(t, c, p); resp.StatusCode != http.StatusOK {
				t.Errorf("%s after login: %d %.200q", p, resp.StatusCode, body)
			}
		}
		resp, body := e.get(t, c, "api/v1/info")
		var info struct {
			Mainchain struct {
				TipHeight int32 `json:"tip_height"`
			} `json:"mainchain"`
		}
		if err := json.Unmarshal([]byte(body), &info); err != nil || info.Mainchain.TipHeight != e.b.InfoValue.Mainchain.TipHeight {
			t.Errorf("info through the dashboard: %d %.200q", resp.StatusCode, body)
		}
		// The dashboard only reads: no POST reaches the API, and the
		// streams are the hub's alone.
		for _, p := range []string{"api/v1/stop", "api/v1/wallet/send", "api/v1/peers/bans"} {
			resp, err := c.Post(e.base+p, "application/json", strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("POST %s through the dashboard: %d", p, resp.StatusCode)
			}
		}
		if resp, _ := e.get(t, c, "api/v1/subscribe/sideblocks"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("a stream through the dashboard: %d", resp.StatusCode)
		}
		if resp, _ := e.get(t, c, "api/v1/wallet/seed"); resp.StatusCode == http.StatusOK {
			t.Errorf("a wallet path through the dashboard: %d", resp.StatusCode)
		}
	}
}

// badQueries are searches that name nothing: garbage, huge, script-like,
// path-like, and ids of the right shape that the node does not know.
var badQueries = []string{
	"", " ", "garbage", "<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`,
	"javascript:alert(1)", "../../../../etc/passwd", "%00%ff", "\x00\xff\xfe",
	strings.Repeat("f", 60_000), strings.Repeat("9", 11), "-1", "4294967296",
	strings.Repeat("0", 64), strings.Repeat("ab", 32), strings.Repeat("g", 64),
	"sdrt1qnotanaddress", "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "1' OR '1'='1",
	"\u202egnp.exe", "☃☃☃",
}

// TestSearchBadInput: every bad query is answered "not found", in JSON,
// without the query in the answer.
func TestSearchBadInput(t *testing.T) {
	e := startDashboard(t)
	c := e.client(t)
	if got := e.login(t, c, e.readOnly, nil); got != http.StatusSeeOther {
		t.Fatalf("login: %d", got)
	}
	for _, q := range badQueries {
		resp, body := e.get(t, c, "data/search?q="+url.QueryEscape(q))
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(body) != `{"error":"not found"}` {
			t.Errorf("search %.30q: %d %.200q", q, resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("search %.30q: Content-Type %q", q, ct)
		}
	}
	for _, p := range []string{"data/tx/" + strings.Repeat("ab", 32), "data/tx/<script>", "data/tx/" + strings.Repeat("a", 5000),
		"data/maintx/" + strings.Repeat("ab", 32), "data/maintx/<script>", "data/maintx/" + strings.Repeat("a", 5000)} {
		if resp, body := e.get(t, c, p); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "script") {
			t.Errorf("%.40s: %d %.100q", p, resp.StatusCode, body)
		}
	}
	// What the node knows is found.
	tip := e.b.SideBest[len(e.b.SideBest)-1]
	for q, kind := range map[string]string{
		tip.String():                     "sideblock",
		"0":                              "sideblock",
		apitest.ForeignMainTxID.String(): "maintx",
	} {
		_, body := e.get(t, c, "data/search?q="+url.QueryEscape(q))
		var found dashboard.Found
		if err := json.Unmarshal([]byte(body), &found); err != nil || found.Kind != kind {
			t.Errorf("search %s: %q, want a %s", q, body, kind)
		}
	}
	// A mainchain transaction that is no deposit or payout, found
	// through btcd, is decoded with mainchain addresses.
	resp, body := e.get(t, c, "data/maintx/"+apitest.ForeignMainTxID.String())
	var mt dashboard.DecodedTx
	if err := json.Unmarshal([]byte(body), &mt); err != nil || resp.StatusCode != http.StatusOK ||
		len(mt.Outputs) != 1 || mt.Outputs[0].ValueSat != 70_000_000 ||
		!strings.HasPrefix(mt.Outputs[0].Address, "bcrt1") {
		t.Errorf("mainchain transaction: %d %.300q", resp.StatusCode, body)
	}
}

// TestEventsLive: a browser following the events gets the tips first, then
// the sidechain's new tip when a block connects.
func TestEventsLive(t *testing.T) {
	e := startDashboard(t)
	c := e.client(t)
	if got := e.login(t, c, e.readOnly, nil); got != http.StatusSeeOther {
		t.Fatalf("login: %d", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.base+"events", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := readEvents(resp.Body)
	// The tips of both chains come first; other streams (alarms) may
	// interleave, so wait for the two chains by name: the sidechain's
	// tip event says the hub follows the sidechain before the block is
	// added.
	seen := map[string]dashboard.Event{}
	for seen["sidechain"].Chain == "" || seen["mainchain"].Chain == "" {
		ev, ok := <-events
		if !ok {
			t.Fatal("the event stream ended")
		}
		seen[ev.Chain] = ev
	}
	added := e.b.ExtendSide(1)
	want := added[len(added)-1]
	for ev := range events {
		if ev.Chain == "sidechain" && ev.Height == want.Height &&
			ev.Hash == want.Hash.String() {
			return
		}
	}
	t.Fatalf("no event for sideblock %d", want.Height)
}

// readEvents decodes a server-sent-event stream's tip events.
func readEvents(r io.Reader) <-chan dashboard.Event {
	ch := make(chan dashboard.Event, 16)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev dashboard.Event
			if json.Unmarshal([]byte(data), &ev) == nil {
				ch <- ev
			}
		}
	}()
	return ch
}

// BenchmarkDashboards measures what open dashboards cost a new block: each
// iteration connects a mainchain block and a sideblock in the fake
// backend and waits until every dashboard has fetched what its Overview
// redraws (/dashboard/data/overview). The
// block-ns metric is the time of the connection alone, the node's side;
// ns/op includes every dashboard's redraw.
func BenchmarkDashboards(b *testing.B) {
	for _, open := range []int{0, 100} {
		b.Run("open="+strconv.Itoa(open), func(b *testing.B) {
			e := startDashboard(b)
			var redrawn sync.WaitGroup
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var started sync.WaitGroup
			for i := 0; i < open; i++ {
				c := e.client(b)
				if got := e.login(b, c, e.readOnly, nil); got != http.StatusSeeOther {
					b.Fatalf("login: %d", got)
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.base+"events", nil)
				resp, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				events := readEvents(resp.Body)
				started.Add(1)
				go func() {
					defer resp.Body.Close()
					first := true
					for ev := range events {
						if ev.Chain != "sidechain" {
							continue
						}
						if first {
							first = false
							started.Done()
							continue
						}
						for _, p := range []string{"data/overview"} {
							if r, err := c.Get(e.base + p); err == nil {
								_, _ = io.Copy(io.Discard, r.Body)
								r.Body.Close()
							}
						}
						redrawn.Done()
					}
				}()
			}
			started.Wait()
			var blockNS int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				redrawn.Add(open)
				start := time.Now()
				e.b.ExtendMain(1, true)
				e.b.ExtendSide(1)
				blockNS += time.Since(start).Nanoseconds()
				redrawn.Wait()
			}
			b.ReportMetric(float64(blockNS)/float64(b.N), "block-ns")
		})
	}
}

// TestAlarmsLive: /dashboard/data/alarms is the API's ListAlarms, and a
// browser following the events gets an "alarm" event when an alarm is
// raised and when it clears.
func TestAlarmsLive(t *testing.T) {
	e := startDashboard(t)
	c := e.client(t)
	if got := e.login(t, c, e.readOnly, nil); got != http.StatusSeeOther {
		t.Fatalf("login: %d", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.base+"events", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := readNamedEvents(resp.Body)
	// The state first: no alarm holds.
	for ev := range events {
		if ev.name == "alarm" {
			if ev.Kind != "state" || ev.Count != 0 {
				t.Fatalf("first alarm event %+v, want the empty state", ev)
			}
			break
		}
	}
	e.b.RaiseAlarm(api.Alarm{Code: "backend_disconnected", Critical: true,
		Message: "disconnected for 9 s", Raised: time.Unix(1_800_000_000, 0), Height: 160})
	want := func(kind string) {
		t.Helper()
		for ev := range events {
			if ev.name == "alarm" && ev.Kind == kind && ev.Code == "backend_disconnected" && ev.Height == 160 {
				return
			}
		}
		t.Fatalf("no %s event for backend_disconnected", kind)
	}
	want("raised")
	_, body := e.get(t, c, "data/alarms")
	var listed struct {
		Alarms []struct {
			Reason, Code, Severity, Message string
			RaisedHeight                    int32 `json:"raised_height"`
		}
	}
	if err := json.Unmarshal([]byte(body), &listed); err != nil {
		t.Fatalf("data/alarms %q: %v", body, err)
	}
	if len(listed.Alarms) != 1 || listed.Alarms[0].Code != "backend_disconnected" ||
		listed.Alarms[0].Reason != "ALARM_REASON_BACKEND_DISCONNECTED" ||
		listed.Alarms[0].Severity != "ALARM_SEVERITY_CRITICAL" ||
		listed.Alarms[0].Message != "disconnected for 9 s" || listed.Alarms[0].RaisedHeight != 160 {
		t.Fatalf("data/alarms: %s", body)
	}
	e.b.ClearAlarm("backend_disconnected")
	want("cleared")
}

// namedEvent is a server-sent event with its name.
type namedEvent struct {
	name string
	dashboard.Event
}

// readNamedEvents decodes a server-sent-event stream, with each event's
// name.
func readNamedEvents(r io.Reader) <-chan namedEvent {
	ch := make(chan namedEvent, 16)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		name := ""
		for sc.Scan() {
			if n, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				name = n
				continue
			}
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev dashboard.Event
			if json.Unmarshal([]byte(data), &ev) == nil {
				ch <- namedEvent{name, ev}
			}
		}
	}()
	return ch
}
