package api

import (
	"net/http"
	"strings"

	"google.golang.org/grpc"
)

// DashboardPath is the path prefix under which the REST gateway serves the
// web dashboard, when Config.Dashboard gives one.
const DashboardPath = "/dashboard/"

// WebUI is a web application that the REST gateway serves under
// DashboardPath, on the same listeners and behind the same TLS. The gateway
// does not check a bearer credential on its requests: browsers cannot send
// one with a page load, so the application keeps its own login (a cookie it
// issues for a valid credential) and refuses every other request without it.
type WebUI interface {
	http.Handler

	// Close ends the application's long-lived requests (event streams)
	// and whatever it runs in the background. The gateway calls it
	// before it stops serving.
	Close()
}

// WebUIEnv is what the gateway hands a WebUI when it starts: the ways into
// the API that a web application needs, none of which bypasses the
// API's credential and permission checks.
type WebUIEnv struct {
	// Gateway is the REST gateway itself: a request to it must carry an
	// Authorization header, which the gateway checks as for any client.
	Gateway http.Handler

	// Conn is a gRPC client connection to the API's own server. A call
	// on it must carry a credential in its metadata (AuthorizationKey).
	Conn grpc.ClientConnInterface

	// ReadOnly is the read-only credential, raw bytes: the application
	// forwards requests with it, so that it can only ever read, whoever
	// logged in.
	ReadOnly []byte

	// Authenticate reports whether cred, a credential as a user typed it
	// (hex), is the admin or the read-only credential. It compares in
	// constant time.
	Authenticate func(cred string) bool
}

// NewWebUI builds a WebUI from the gateway's environment. Config.Dashboard
// holds one; node/ passes the dashboard's constructor.
type NewWebUI func(env WebUIEnv) (WebUI, error)

// isDashboardPath reports whether a request's path is the web
// application's.
func isDashboardPath(path string) bool {
	return path == strings.TrimSuffix(DashboardPath, "/") || strings.HasPrefix(path, DashboardPath)
}

// authenticateHex reports whether cred, hex as a user typed it, is one of
// the server's credentials.
func (c *tokens) authenticateHex(cred string) bool {
	r, err := c.authenticateValues([]string{bearerPrefix + strings.TrimSpace(cred)})
	return err == nil && r != roleNone
}
