package dashboard

import (
	"math"
	"net/http"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/encoding/protojson"
)

// restJSON writes API messages as the REST gateway does: proto field
// names, zero values written.
var restJSON = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// perfFamilies are the metric families the Performance and Overview pages
// show; the rest of the registry (go_* details) is not shipped.
var perfFamilies = map[string]bool{
	"sidenode_publication_latency_seconds":  true,
	"sidenode_sideblock_validation_seconds": true,
	"sidenode_mainchain_tip_height":         true,
	"sidenode_mainchain_backend_height":     true,
	"sidenode_sidechain_tip_height":         true,
	"sidenode_p2p_peers":                    true,
	"sidenode_mempool_transactions":         true,
	"sidenode_mempool_bytes":                true,
	"sidenode_tickets":                      true,
	"sidenode_tickets_live":                 true,
	"sidenode_draws_won_total":              true,
	"sidenode_headers_published_total":      true,
	"sidenode_publications_included_total":  true,
	"process_cpu_seconds_total":             true,
	"process_resident_memory_bytes":         true,
	"process_open_fds":                      true,
	"process_start_time_seconds":            true,
	"go_goroutines":                         true,
	"go_memstats_heap_alloc_bytes":          true,
	"go_gc_duration_seconds":                true,
}

// Bucket is one cumulative bucket of a histogram.
type Bucket struct {
	UpperBound float64 `json:"le"` // +Inf is written as -1
	Count      uint64  `json:"count"`
}

// Histogram is a histogram metric.
type Histogram struct {
	Count   uint64   `json:"count"`
	Sum     float64  `json:"sum"`
	Buckets []Bucket `json:"buckets"`
}

// Perf is the Performance page's data: the node's metrics, by name.
type Perf struct {
	Available  bool                 `json:"available"`
	Values     map[string]float64   `json:"values"`
	Histograms map[string]Histogram `json:"histograms"`
}

// serveMetrics answers /dashboard/data/metrics from the node's metrics
// registry.
func (d *Dashboard) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	perf := Perf{Values: map[string]float64{}, Histograms: map[string]Histogram{}}
	if d.cfg.Metrics == nil {
		writeJSON(w, http.StatusOK, perf)
		return
	}
	families, err := d.cfg.Metrics.Gather()
	if err != nil && len(families) == 0 {
		log.Warnf("Dashboard: metrics: %v", err)
		writeJSON(w, http.StatusOK, perf)
		return
	}
	perf.Available = true
	for _, f := range families {
		name := f.GetName()
		if !perfFamilies[name] || len(f.GetMetric()) == 0 {
			continue
		}
		m := f.GetMetric()[0]
		switch f.GetType() {
		case dto.MetricType_GAUGE:
			perf.Values[name] = finite(m.GetGauge().GetValue())
		case dto.MetricType_COUNTER:
			perf.Values[name] = finite(m.GetCounter().GetValue())
		case dto.MetricType_HISTOGRAM:
			perf.Histograms[name] = histogramOf(m.GetHistogram())
		case dto.MetricType_SUMMARY:
			if strings.HasSuffix(name, "_seconds") {
				perf.Values[name+"_count"] = float64(m.GetSummary().GetSampleCount())
				perf.Values[name+"_sum"] = finite(m.GetSummary().GetSampleSum())
			}
		}
	}
	writeJSON(w, http.StatusOK, perf)
}

func histogramOf(h *dto.Histogram) Histogram {
	out := Histogram{Count: h.GetSampleCount(), Sum: finite(h.GetSampleSum()), Buckets: []Bucket{}}
	for _, b := range h.GetBucket() {
		le := b.GetUpperBound()
		if math.IsInf(le, 1) {
			le = -1
		}
		out.Buckets = append(out.Buckets, Bucket{UpperBound: le, Count: b.GetCumulativeCount()})
	}
	return out
}

// finite turns NaN and infinities, which JSON cannot carry, into 0.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
