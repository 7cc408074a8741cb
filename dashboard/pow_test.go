package dashboard_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mainstake/sidenode/dashboard"
)

// TestPowPanel: a dashboard given PowPanels lists the Mining page, serves
// its script, and forwards its read of the API (GET /v1/mining/info) with
// the read-only credential; a mainstake dashboard has no such page.
func TestPowPanel(t *testing.T) {
	e := startDashboardWith(t, dashboard.PowPanels())
	c := e.client(t)
	if got := e.login(t, c, e.readOnly, http.Header{"Sec-Fetch-Site": {"same-origin"}}); got != http.StatusSeeOther {
		t.Fatalf("login: %d", got)
	}
	resp, body := e.get(t, c, "data/panels")
	var panels []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("panels: %d %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal([]byte(body), &panels); err != nil {
		t.Fatalf("panels %s: %v", body, err)
	}
	if len(panels) != 2 || panels[0].ID != "pow" || panels[0].Title != "Mining" ||
		panels[1].ID != "pool" || panels[1].Title != "Pool" {
		t.Fatalf("panels %s", body)
	}
	resp, body = e.get(t, c, "panel/pow.js")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "dash.register('pow'") ||
		!strings.Contains(body, "/v1/mining/info") {
		t.Fatalf("pow.js: %d %.200q", resp.StatusCode, body)
	}
	resp, body = e.get(t, c, "api/v1/mining/info?recent_blocks=120")
	var mi struct {
		Height         int32   `json:"height"`
		NetworkHashPS  float64 `json:"network_hash_ps"`
		ScheduleOffset string  `json:"schedule_offset_seconds"`
		NextBits       string  `json:"next_bits"`
		RecentBlocks   []struct {
			Height int32 `json:"height"`
		} `json:"recent_blocks"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mining info: %d %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal([]byte(body), &mi); err != nil {
		t.Fatalf("mining info %s: %v", body, err)
	}
	if mi.Height != 30 || mi.NetworkHashPS != 1234.5 || mi.ScheduleOffset != "-12" ||
		mi.NextBits != "207fffff" || len(mi.RecentBlocks) != 31 {
		t.Fatalf("mining info %+v", mi)
	}

	// The mainstake engine's dashboard has no Mining page.
	ms := startDashboard(t)
	mc := ms.client(t)
	if got := ms.login(t, mc, ms.readOnly, http.Header{"Sec-Fetch-Site": {"same-origin"}}); got != http.StatusSeeOther {
		t.Fatalf("login: %d", got)
	}
	if resp, body := ms.get(t, mc, "data/panels"); strings.Contains(body, `"pow"`) {
		t.Errorf("mainstake panels %d %s", resp.StatusCode, body)
	}
	if resp, _ := ms.get(t, mc, "panel/pow.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("pow.js on a mainstake dashboard: %d", resp.StatusCode)
	}
}

// TestPoolPanel: a pow dashboard serves the Pool page's script, which
// reads PoolService, and forwards those reads with the read-only
// credential; without a pool the API's refusal reaches the page as a 400
// with the node's reason. A mainstake dashboard has no Pool page.
func TestPoolPanel(t *testing.T) {
	e := startDashboardWith(t, dashboard.PowPanels())
	c := e.client(t)
	if got := e.login(t, c, e.readOnly, http.Header{"Sec-Fetch-Site": {"same-origin"}}); got != http.StatusSeeOther {
		t.Fatalf("login: %d", got)
	}
	resp, body := e.get(t, c, "panel/pool.js")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "dash.register('pool'") {
		t.Fatalf("pool.js: %d %.200q", resp.StatusCode, body)
	}
	for _, path := range []string{"/v1/pool/stats", "/v1/pool/workers?limit=100",
		"/v1/pool/blocks?reversed=true&limit=50", "/v1/pool/audit?reversed=true&limit=50"} {
		if !strings.Contains(body, path) {
			t.Errorf("pool.js does not read %s", path)
		}
		resp, data := e.get(t, c, "api"+path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", path, resp.StatusCode, data)
		}
	}
	resp, body = e.get(t, c, "api/v1/pool/stats")
	var st struct {
		HashPS         float64 `json:"hash_ps"`
		SharesRejected struct {
			Total string `json:"total"`
		} `json:"shares_rejected"`
		BlocksOrphaned int  `json:"blocks_orphaned"`
		AuditOK        bool `json:"audit_ok"`
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil || st.HashPS != 3e9 ||
		st.SharesRejected.Total != "11" || st.BlocksOrphaned != 1 || !st.AuditOK {
		t.Fatalf("pool stats %d %s: %v", resp.StatusCode, body, err)
	}

	// A node without a pool (a dashboard of its own: the dashboard caches
	// the API's answers).
	np := startDashboardWith(t, dashboard.PowPanels())
	np.b.SetNoPool(true)
	nc := np.client(t)
	if got := np.login(t, nc, np.readOnly, http.Header{"Sec-Fetch-Site": {"same-origin"}}); got != http.StatusSeeOther {
		t.Fatalf("login: %d", got)
	}
	resp, body = np.get(t, nc, "api/v1/pool/stats")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "--stratum") {
		t.Errorf("no pool: %d %s", resp.StatusCode, body)
	}

	ms := startDashboard(t)
	mc := ms.client(t)
	if got := ms.login(t, mc, ms.readOnly, http.Header{"Sec-Fetch-Site": {"same-origin"}}); got != http.StatusSeeOther {
		t.Fatalf("login: %d", got)
	}
	if resp, _ := ms.get(t, mc, "panel/pool.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("pool.js on a mainstake dashboard: %d", resp.StatusCode)
	}
}
