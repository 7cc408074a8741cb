package metrics_test

import (
	"bytes"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/mainstake/sidenode/metrics"
)

// exposition scrapes m's /metrics and returns the text.
func exposition(t *testing.T, m *metrics.Metrics) []byte {
	t.Helper()
	resp, err := http.Get("http://" + m.Addr().String() + metrics.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// TestExpositionLint runs Prometheus' linter over every family the node
// exports, the pool's included: base units, _total on counters alone,
// help on every family.
func TestExpositionLint(t *testing.T) {
	m := start(t, &fakeSource{snap: testSnapshot()})
	problems, err := promlint.New(bytes.NewReader(exposition(t, m))).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "sidenode_") {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	}
}

// TestExpositionPromtool runs promtool check metrics over the exposition
// when promtool is installed (scripts/install-deps installs it).
func TestExpositionPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed (scripts/install-deps installs it)")
	}
	m := start(t, &fakeSource{snap: testSnapshot()})
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition(t, m))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
