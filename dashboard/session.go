package dashboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The login cookie.
const (
	// cookieName is the cookie's name.
	cookieName = "sidenode_dashboard"

	// sessionLifetime is how long a login lasts.
	sessionLifetime = 12 * time.Hour

	// maxLoginBody bounds the login form's body.
	maxLoginBody = 4 << 10
)

// now is the clock of the login cookies; tests replace it.
var now = time.Now

// sessionMAC returns the cookie's MAC of an expiry time: HMAC-SHA256 keyed
// with the read-only credential.
func (d *Dashboard) sessionMAC(expiry string) string {
	mac := hmac.New(sha256.New, d.cfg.ReadOnly)
	mac.Write([]byte("sidenode dashboard session\x00" + expiry))
	return hex.EncodeToString(mac.Sum(nil))
}

// sessionValue returns a cookie value that is valid until expiry:
// "<unix seconds>.<MAC>".
func (d *Dashboard) sessionValue(expiry time.Time) string {
	e := strconv.FormatInt(expiry.Unix(), 10)
	return e + "." + d.sessionMAC(e)
}

// loggedIn reports whether r carries a login cookie that the dashboard
// issued and that has not expired.
func (d *Dashboard) loggedIn(r *http.Request) bool {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return false
	}
	e, mac, ok := strings.Cut(c.Value, ".")
	if !ok || len(e) > 20 {
		return false
	}
	unix, err := strconv.ParseInt(e, 10, 64)
	if err != nil || now().Unix() >= unix {
		return false
	}
	return constantEqual(mac, d.sessionMAC(e))
}

// sameOrigin reports whether a POST comes from the dashboard's own page.
// A browser says where a request comes from in Sec-Fetch-Site, or at least
// in Origin; a request with neither (curl) is not a browser's, and a
// cross-site form cannot forge them.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// setCookie sets (or, with a zero expiry, clears) the login cookie: only
// for the dashboard's paths, never to scripts, never sent by another
// site's request, and only over TLS when the gateway serves TLS.
func setCookie(w http.ResponseWriter, r *http.Request, value string, expiry time.Time) {
	c := &http.Cookie{
		Name:     cookieName,
		Value:    value,
		Path:     Path,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	}
	if expiry.IsZero() {
		c.MaxAge = -1
	} else {
		c.Expires = expiry
		c.MaxAge = int(time.Until(expiry).Seconds())
	}
	http.SetCookie(w, c)
}

// serveLogin serves the login page (GET) and checks a credential (POST):
// a valid one gets the cookie and is sent to the dashboard, any other the
// page again with 401.
func (d *Dashboard) serveLogin(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		d.loginPage(w, http.StatusOK)
	case http.MethodPost:
		if !sameOrigin(r) {
			http.Error(w, "log in from the dashboard's own page", http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
		if err := r.ParseForm(); err != nil {
			d.loginPage(w, http.StatusBadRequest)
			return
		}
		cred := r.PostForm.Get("credential")
		if len(cred) > 200 || !d.cfg.Authenticate(cred) {
			d.loginPage(w, http.StatusUnauthorized)
			return
		}
		expiry := now().Add(sessionLifetime)
		setCookie(w, r, d.sessionValue(expiry), expiry)
		http.Redirect(w, r, Path, http.StatusSeeOther)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "GET the login page or POST a credential", http.StatusMethodNotAllowed)
	}
}

// serveLogout clears the cookie (POST).
func (d *Dashboard) serveLogout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !sameOrigin(r) {
		http.Error(w, "log out with the dashboard's button", http.StatusMethodNotAllowed)
		return
	}
	setCookie(w, r, "", time.Time{})
	http.Redirect(w, r, Path+"login", http.StatusSeeOther)
}

// loginPage writes the login page with status; a status other than 200
// shows why the credential was refused.
func (d *Dashboard) loginPage(w http.ResponseWriter, status int) {
	page, err := fs.ReadFile(d.static, "login.html")
	if err != nil {
		http.Error(w, "login page missing", http.StatusInternalServerError)
		return
	}
	msg := ""
	switch status {
	case http.StatusUnauthorized:
		msg = "That is not one of this node's credentials: paste the hex contents of readonly.cred (or admin.cred) from the node's data dir."
	case http.StatusBadRequest:
		msg = "The form could not be read: paste the credential alone."
	}
	// The message is one of the constants above: no user input is
	// written into the page.
	out := strings.Replace(string(page), "<!--MESSAGE-->", msg, 1)
	w.Header().Set("Content-Type", contentTypes[".html"])
	w.WriteHeader(status)
	_, _ = w.Write([]byte(out))
}
