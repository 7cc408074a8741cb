package dashboard

import (
	"encoding/json"
	"net/http"
)

// serveOverview answers /dashboard/data/overview: what the Overview page
// draws, in one answer, so that a browser redraws it at a new tip with one
// request rather than four: the API's GET /v1/info and /v1/peers as the
// REST gateway answers them, the metrics as /dashboard/data/metrics
// answers them, and the alarms that hold, GET /v1/alarms. A part the node
// could not answer holds {"error": ...}.
func (d *Dashboard) serveOverview(w http.ResponseWriter, r *http.Request) {
	parts := map[string]json.RawMessage{}
	for name, serve := range map[string]func(http.ResponseWriter, *http.Request){
		"info":    func(w http.ResponseWriter, r *http.Request) { d.serveAPI(w, r, "/v1/info") },
		"peers":   func(w http.ResponseWriter, r *http.Request) { d.serveAPI(w, r, "/v1/peers") },
		"metrics": d.serveMetrics,
		"alarms":  d.serveAlarms,
	} {
		rec := newRecorder()
		sub := r.Clone(r.Context())
		sub.URL.RawQuery = ""
		serve(rec, sub)
		ans := rec.answer()
		if ans.status != http.StatusOK || !json.Valid(ans.body) {
			parts[name] = json.RawMessage(`{"error":"the node did not answer"}`)
			continue
		}
		parts[name] = ans.body
	}
	writeJSON(w, http.StatusOK, parts)
}
