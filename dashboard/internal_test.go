package dashboard

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
)

// nopConn is a gRPC connection that is never called.
type nopConn struct{ grpc.ClientConnInterface }

// fakeGateway is a gateway that records what the dashboard forwards.
type fakeGateway struct {
	auth, cookie, path, method string
	calls                      int
}

func (r *fakeGateway) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.calls++
	r.auth, r.cookie = req.Header.Get("Authorization"), req.Header.Get("Cookie")
	r.path, r.method = req.URL.Path, req.Method
	w.WriteHeader(http.StatusOK)
}

var testReadOnly = []byte(strings.Repeat("\x11", 32))

func newTestDashboard(t *testing.T, gw http.Handler) *Dashboard {
	t.Helper()
	d, err := New(Config{
		Gateway: gw, Conn: nopConn{}, ReadOnly: testReadOnly,
		Authenticate: func(cred string) bool {
			return cred == hex.EncodeToString(testReadOnly) || cred == strings.Repeat("22", 32)
		},
		MaxClients: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

// loginCookie logs in with cred and returns the cookie.
func loginCookie(t *testing.T, d *Dashboard, cred string) *http.Cookie {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/dashboard/login",
		strings.NewReader("credential="+cred))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	d.ServeHTTP(w, req)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("login: %d", w.Code)
	}
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode ||
		cookies[0].Path != Path {
		t.Fatalf("login cookie %+v", cookies)
	}
	return cookies[0]
}

// TestForwardsReadOnly: whatever credential logged in, the API sees the
// read-only one and nothing of the browser's headers, GETs only.
func TestForwardsReadOnly(t *testing.T) {
	rec := &fakeGateway{}
	d := newTestDashboard(t, rec)
	for _, cred := range []string{hex.EncodeToString(testReadOnly), strings.Repeat("22", 32)} {
		c := loginCookie(t, d, cred)
		req := httptest.NewRequest(http.MethodGet, "/dashboard/api/v1/info", nil)
		req.AddCookie(c)
		req.Header.Set("Authorization", "Bearer "+strings.Repeat("22", 32))
		w := httptest.NewRecorder()
		d.ServeHTTP(w, req)
		if w.Code != http.StatusOK || rec.auth != "Bearer "+hex.EncodeToString(testReadOnly) ||
			rec.cookie != "" || rec.path != "/v1/info" || rec.method != http.MethodGet {
			t.Errorf("login with %s…: forwarded %+v, answer %d", cred[:4], rec, w.Code)
		}
	}
	calls := rec.calls
	c := loginCookie(t, d, hex.EncodeToString(testReadOnly))
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodPost, "/dashboard/api/v1/stop", nil),
		httptest.NewRequest(http.MethodGet, "/dashboard/api/v1/subscribe/lottery", nil),
		httptest.NewRequest(http.MethodGet, "/dashboard/api/other", nil),
	} {
		r.AddCookie(c)
		d.ServeHTTP(httptest.NewRecorder(), r)
	}
	if rec.calls != calls {
		t.Errorf("a write, a stream or a path outside /v1/ reached the API")
	}
}

// TestExpiredLogin: a cookie is refused once its time has passed, and a
// cookie with a changed expiry is refused at once.
func TestExpiredLogin(t *testing.T) {
	d := newTestDashboard(t, &fakeGateway{})
	c := loginCookie(t, d, hex.EncodeToString(testReadOnly))
	get := func(value string) int {
		req := httptest.NewRequest(http.MethodGet, "/dashboard/data/panels", nil)
		req.AddCookie(&http.Cookie{Name: cookieName, Value: value})
		w := httptest.NewRecorder()
		d.ServeHTTP(w, req)
		return w.Code
	}
	if got := get(c.Value); got != http.StatusOK {
		t.Fatalf("fresh login: %d", got)
	}
	exp, mac, _ := strings.Cut(c.Value, ".")
	if got := get("9" + exp + "." + mac); got != http.StatusUnauthorized {
		t.Errorf("a later expiry with the old MAC: %d", got)
	}
	defer func() { now = time.Now }()
	now = func() time.Time { return time.Now().Add(sessionLifetime + time.Minute) }
	if got := get(c.Value); got != http.StatusUnauthorized {
		t.Errorf("expired login: %d", got)
	}
}

// TestSlowBrowsersNeverBlock: a hub with browsers that never read takes
// any number of events without waiting; each browser holds only the
// newest tip of each chain.
func TestSlowBrowsersNeverBlock(t *testing.T) {
	h := newHub(nopConn{}, "Bearer x", 100)
	h.started = true // no streams: the test publishes
	var cs []*client
	for i := 0; i < 100; i++ {
		c, ok := h.join()
		if !ok {
			t.Fatalf("client %d refused", i)
		}
		cs = append(cs, c)
	}
	if _, ok := h.join(); ok {
		t.Fatal("a client beyond MaxClients joined")
	}
	const events = 10_000
	for i := int32(1); i <= events; i++ {
		h.publish(Event{Chain: "sidechain", Kind: "connected", Height: i})
		h.publish(Event{Chain: "mainchain", Kind: "connected", Height: i + 100})
	}
	if h.published != 2*events {
		t.Fatalf("published %d", h.published)
	}
	for i, c := range cs {
		got := c.take()
		if len(got) != 2 || got[0].Chain != "mainchain" || got[0].Height != events+100 ||
			got[1].Chain != "sidechain" || got[1].Height != events {
			t.Fatalf("client %d holds %+v", i, got)
		}
		if len(c.wake) != 1 {
			t.Fatalf("client %d: %d wake-ups pending", i, len(c.wake))
		}
	}
	h.leave(cs[0])
	if _, ok := h.join(); !ok {
		t.Fatal("a client could not take a freed place")
	}
	h.close()
	if _, ok := h.join(); ok {
		t.Fatal("a client joined a closed hub")
	}
}

// TestEventsCutOff: an event stream ends when the dashboard closes, and
// the next browser beyond MaxClients is refused with 503.
func TestEventsCutOff(t *testing.T) {
	d := newTestDashboard(t, &fakeGateway{})
	d.hub.started = true
	joined := make(chan struct{}, 3)
	d.hub.joined = func() { joined <- struct{}{} }
	c := loginCookie(t, d, hex.EncodeToString(testReadOnly))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 3)
	for i := 0; i < 3; i++ {
		req := httptest.NewRequest(http.MethodGet, "/dashboard/events", nil).WithContext(ctx)
		req.AddCookie(c)
		go func() {
			w := httptest.NewRecorder()
			d.ServeHTTP(w, req)
			done <- w.Code
		}()
	}
	for i := 0; i < 3; i++ {
		<-joined
	}
	req := httptest.NewRequest(http.MethodGet, "/dashboard/events", nil)
	req.AddCookie(c)
	w := httptest.NewRecorder()
	d.ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("a fourth browser: %d", w.Code)
	}
	d.Close()
	for i := 0; i < 3; i++ {
		if code := <-done; code != http.StatusOK {
			t.Errorf("stream answered %d", code)
		}
	}
}

// TestSharedAnswers: the reads of many dashboards at one tip reach the
// API once; the next event, or cacheMaxAge, makes the next read reach it
// again.
func TestSharedAnswers(t *testing.T) {
	gw := &countingGateway{}
	d := newTestDashboard(t, gw)
	d.hub.started = true
	c := loginCookie(t, d, hex.EncodeToString(testReadOnly))
	read := func() {
		var wg sync.WaitGroup
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := httptest.NewRequest(http.MethodGet, "/dashboard/api/v1/info", nil)
				req.AddCookie(c)
				w := httptest.NewRecorder()
				d.ServeHTTP(w, req)
				if w.Code != http.StatusOK || w.Body.String() != `{"n":1}` {
					t.Errorf("answer %d %q", w.Code, w.Body.String())
				}
			}()
		}
		wg.Wait()
	}
	read()
	if got := gw.calls.Load(); got != 1 {
		t.Fatalf("100 reads at one tip reached the API %d times", got)
	}
	d.hub.publish(Event{Chain: "sidechain", Height: 1})
	read()
	if got := gw.calls.Load(); got != 2 {
		t.Fatalf("after a new tip: %d calls", got)
	}
	defer func() { now = time.Now }()
	now = func() time.Time { return time.Now().Add(cacheMaxAge) }
	read()
	if got := gw.calls.Load(); got != 3 {
		t.Fatalf("after cacheMaxAge: %d calls", got)
	}
}

// countingGateway answers {"n":1} and counts its calls.
type countingGateway struct{ calls atomic.Int64 }

func (g *countingGateway) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	g.calls.Add(1)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"n":1}`))
}
