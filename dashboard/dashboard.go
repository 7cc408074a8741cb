package dashboard

import (
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
)

// Path is where the REST gateway serves the dashboard (api.DashboardPath).
const Path = "/dashboard/"

//go:embed assets
var assets embed.FS

// Panel is one page of the dashboard that an engine adds to the frame: a
// tab in the navigation and the script that draws it. The frame loads the
// panels' scripts in the order of Config.Panels, after its own, and shows
// the page whose ID the location's fragment names (#lottery).
type Panel struct {
	// ID names the page in the fragment and the script's path
	// (/dashboard/panel/<ID>.js): lower-case letters, digits and '-'.
	ID string

	// Title is the navigation's label.
	Title string

	// Script is the page's JavaScript. It calls
	// dash.register(ID, {render(el, ctx)}), as assets/lottery.js does;
	// see doc.go for what ctx offers. It is served as it is, from the
	// binary.
	Script []byte
}

// Config is what a dashboard reads. Gateway, Conn, ReadOnly and
// Authenticate come from the API's REST gateway (api.WebUIEnv); the node
// adds the rest.
type Config struct {
	// Gateway is the REST gateway. The dashboard forwards its pages' GET
	// requests of /dashboard/api/v1/... to it as /v1/..., with the
	// read-only credential.
	Gateway http.Handler

	// Conn reaches the API's gRPC server: the event hub subscribes
	// through it, and the search and the transaction decoder call it,
	// all with the read-only credential.
	Conn grpc.ClientConnInterface

	// ReadOnly is the API's read-only credential, raw bytes. It keys the
	// login cookies too, so rotating it logs every browser out.
	ReadOnly []byte

	// Authenticate reports whether a credential typed at the login (hex)
	// is one of the API's.
	Authenticate func(cred string) bool

	// SideParams decodes the sidechain's scripts into addresses, for the
	// Explorer's transactions.
	SideParams *chaincfg.Params

	// MainParams names the mainchain's addresses in the mainchain
	// transactions the Explorer decodes.
	MainParams *chaincfg.Params

	// Metrics gathers the node's metrics for the Performance page; nil
	// when the node keeps none.
	Metrics prometheus.Gatherer

	// Panels are the engines' pages, after the frame's own (Overview,
	// Explorer, Performance), in this order. MainstakePanels returns the
	// mainstake engine's.
	Panels []Panel

	// MaxClients bounds the browsers that follow the live events at
	// once; 0 means DefaultMaxClients.
	MaxClients int
}

// DefaultMaxClients is how many browsers may follow the live events at
// once unless Config.MaxClients says otherwise.
const DefaultMaxClients = 256

var panelID = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// reserved are the IDs of the frame's own pages.
var reserved = map[string]bool{"overview": true, "explorer": true, "performance": true}

// Dashboard is the web dashboard: an http.Handler for the paths under Path.
type Dashboard struct {
	cfg     Config
	cred    string // "Bearer <hex>" of the read-only credential
	static  fs.FS
	panels  map[string]Panel
	hub     *hub
	cache   answerCache
	files   staticFiles
	closeMu sync.Mutex
	closed  bool
}

// New checks cfg and returns the dashboard. Its event hub starts with the
// first browser that follows the events, and stops at Close.
func New(cfg Config) (*Dashboard, error) {
	if cfg.Gateway == nil || cfg.Conn == nil || cfg.Authenticate == nil {
		return nil, errors.New("dashboard: Gateway, Conn and Authenticate are required")
	}
	if len(cfg.ReadOnly) == 0 {
		return nil, errors.New("dashboard: no read-only credential")
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = DefaultMaxClients
	}
	panels := make(map[string]Panel, len(cfg.Panels))
	for _, p := range cfg.Panels {
		if !panelID.MatchString(p.ID) || reserved[p.ID] {
			return nil, fmt.Errorf("dashboard: panel ID %q: want lower-case letters, "+
				"digits and '-', not one of the frame's pages", p.ID)
		}
		if _, dup := panels[p.ID]; dup {
			return nil, fmt.Errorf("dashboard: two panels with ID %q", p.ID)
		}
		panels[p.ID] = p
	}
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, err
	}
	d := &Dashboard{
		cfg:    cfg,
		cred:   "Bearer " + hex.EncodeToString(cfg.ReadOnly),
		static: static,
		panels: panels,
	}
	d.hub = newHub(cfg.Conn, d.cred, cfg.MaxClients)
	return d, nil
}

// Close ends every event stream and the hub.
func (d *Dashboard) Close() {
	d.closeMu.Lock()
	defer d.closeMu.Unlock()
	if !d.closed {
		d.closed = true
		d.hub.close()
	}
}

// securityHeaders are sent with every answer: no page may be framed by
// another site (X-Frame-Options and the policy's frame-ancestors), and a
// page runs only the dashboard's own scripts and styles and talks only to
// the node.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; "+
		"style-src 'self'; img-src 'self' data:; connect-src 'self'; "+
		"font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// ServeHTTP serves the dashboard. Only the login page is served without a
// valid login cookie; anything else without one is 401 (a page load is
// sent to the login page).
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	path := strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(Path, "/"))
	switch path {
	case "/login":
		d.serveLogin(w, r)
		return
	case "/logout":
		d.serveLogout(w, r)
		return
	case "/static/login.css":
		// The login page's style, which holds nothing of the node.
		d.serveAsset(w, r, "login.css")
		return
	}
	if !d.loggedIn(r) {
		if r.Method == http.MethodGet && (path == "" || path == "/") {
			http.Redirect(w, r, Path+"login", http.StatusSeeOther)
			return
		}
		http.Error(w, "log in first: "+Path+"login takes the API's read-only "+
			"or admin credential", http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the dashboard only reads: GET", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case path == "":
		http.Redirect(w, r, Path, http.StatusMovedPermanently)
	case path == "/":
		d.serveAsset(w, r, "index.html")
	case path == "/events":
		d.serveEvents(w, r)
	case strings.HasPrefix(path, "/api/"):
		d.cached(w, r, func(w http.ResponseWriter, r *http.Request) {
			d.serveAPI(w, r, strings.TrimPrefix(path, "/api"))
		})
	case path == "/data/search":
		d.serveSearch(w, r)
	case strings.HasPrefix(path, "/data/tx/"):
		d.serveTx(w, r, strings.TrimPrefix(path, "/data/tx/"))
	case strings.HasPrefix(path, "/data/maintx/"):
		d.serveMainTx(w, r, strings.TrimPrefix(path, "/data/maintx/"))
	case path == "/data/overview":
		d.cached(w, r, d.serveOverview)
	case path == "/data/metrics":
		d.cached(w, r, d.serveMetrics)
	case path == "/data/draws":
		d.serveDraws(w, r)
	case path == "/data/withdrawals":
		d.serveWithdrawals(w, r)
	case path == "/data/peg":
		d.cached(w, r, d.servePeg)
	case path == "/data/alarms":
		d.cached(w, r, d.serveAlarms)
	case path == "/data/panels":
		d.servePanels(w, r)
	case strings.HasPrefix(path, "/panel/") && strings.HasSuffix(path, ".js"):
		d.servePanel(w, r, strings.TrimSuffix(strings.TrimPrefix(path, "/panel/"), ".js"))
	case strings.HasPrefix(path, "/static/"):
		d.serveAsset(w, r, strings.TrimPrefix(path, "/static/"))
	default:
		http.NotFound(w, r)
	}
}

// contentTypes are the types of the embedded assets, by extension.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

// serveAsset serves one embedded file, by name, and nothing else: no
// listing and no path outside assets/.
func (d *Dashboard) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	if strings.Contains(name, "/") || strings.HasPrefix(name, ".") || name == "login.html" {
		http.NotFound(w, r)
		return
	}
	ext := name[strings.LastIndexByte(name, '.')+1:]
	ctype, ok := contentTypes["."+ext]
	if !ok {
		http.NotFound(w, r)
		return
	}
	f, ok := d.files.get("static/"+name, ctype, func() ([]byte, bool) {
		data, err := fs.ReadFile(d.static, name)
		return data, err == nil
	})
	if !ok {
		http.NotFound(w, r)
		return
	}
	f.serve(w, r)
}

// servePanel serves a panel's script.
func (d *Dashboard) servePanel(w http.ResponseWriter, r *http.Request, id string) {
	p, ok := d.panels[id]
	if !ok {
		http.NotFound(w, r)
		return
	}
	f, _ := d.files.get("panel/"+id, contentTypes[".js"], func() ([]byte, bool) { return p.Script, true })
	f.serve(w, r)
}

// servePanels lists the panels, in order, for the frame's navigation.
func (d *Dashboard) servePanels(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	list := make([]entry, 0, len(d.cfg.Panels))
	for _, p := range d.cfg.Panels {
		list = append(list, entry{p.ID, p.Title})
	}
	writeJSON(w, http.StatusOK, list)
}

// serveAPI forwards a read of the API, /v1/..., to the REST gateway with
// the read-only credential, whatever credential logged in, so the
// dashboard can never write. The subscription streams are not forwarded:
// the pages follow /dashboard/events, which costs the node one stream for
// every browser together.
func (d *Dashboard) serveAPI(w http.ResponseWriter, r *http.Request, path string) {
	if !strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, "/v1/subscribe/") {
		http.NotFound(w, r)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = path
	r2.URL.RawPath = ""
	if r.URL.RawPath != "" {
		r2.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, "/dashboard/api")
	}
	r2.RequestURI = ""
	r2.Header = http.Header{"Authorization": {d.cred}}
	r2.Method = http.MethodGet
	r2.Body = http.NoBody
	r2.ContentLength = 0
	d.cfg.Gateway.ServeHTTP(w, r2)
}

// serveAlarms answers the alarms that hold: the API's GET /v1/alarms
// (NodeService.ListAlarms) as the REST gateway answers it.
func (d *Dashboard) serveAlarms(w http.ResponseWriter, r *http.Request) {
	d.serveAPI(w, r, "/v1/alarms")
}

// constantEqual compares two strings in constant time.
func constantEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
