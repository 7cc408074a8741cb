package dashboard

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// unknownConn is an API that knows nothing: every call is NotFound.
type unknownConn struct{}

func (unknownConn) Invoke(context.Context, string, any, any, ...grpc.CallOption) error {
	return status.Error(codes.NotFound, "not found")
}

func (unknownConn) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, status.Error(codes.Unavailable, "no streams here")
}

// FuzzSearch: whatever is typed into the search box, the answer is the
// JSON "not found" of an API that knows nothing, and never holds the
// query. Its seeds are real searches and the bad ones of the browser test.
func FuzzSearch(f *testing.F) {
	for _, seed := range []string{
		"0", "42", strings.Repeat("ab", 32), "sdrt1qzh24dea86gsmvcgdjgv6ymp2yadhg8har6dhlh",
		"<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`, "javascript:alert(1)",
		"../../../../etc/passwd", "%00%ff", "\x00\xff\xfe", strings.Repeat("f", 200),
		"4294967296", "-1", "\u202egnp.exe", "1' OR '1'='1",
	} {
		f.Add(seed)
	}
	d, err := New(Config{
		Gateway: http.NotFoundHandler(), Conn: unknownConn{}, ReadOnly: testReadOnly,
		Authenticate: func(string) bool { return true },
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(d.Close)
	cookie := &http.Cookie{Name: cookieName, Value: d.sessionValue(now().Add(sessionLifetime))}
	f.Fuzz(func(t *testing.T, q string) {
		req := httptest.NewRequest(http.MethodGet, "/dashboard/data/search?q="+url.QueryEscape(q), nil)
		req.AddCookie(cookie)
		w := httptest.NewRecorder()
		d.ServeHTTP(w, req)
		if w.Code != http.StatusOK || w.Body.String() != `{"error":"not found"}` {
			t.Fatalf("search %q: %d %q", q, w.Code, w.Body.String())
		}
		req = httptest.NewRequest(http.MethodGet, "/dashboard/data/tx/"+url.PathEscape(q), nil)
		req.AddCookie(cookie)
		w = httptest.NewRecorder()
		d.ServeHTTP(w, req)
		if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), hex.EncodeToString([]byte(q))) && q != "" {
			t.Fatalf("tx %q: %d %q", q, w.Code, w.Body.String())
		}
	})
}
