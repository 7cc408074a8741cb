package metrics_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/mainstake/sidenode/alarms"
)

// alertsFile is the repository's Prometheus alerting rules.
const alertsFile = "../deploy/prometheus/alerts.yml"

type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Alert string            `yaml:"alert"`
			Expr  string            `yaml:"expr"`
			Label map[string]string `yaml:"labels"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// TestEveryAlarmHasAnAlert fails when an alarm reason has no alert in the
// rules file that reads its gauge (sidenode_alarm_active{reason="..."}),
// with the reason's severity, so that the two cannot drift.
func TestEveryAlarmHasAnAlert(t *testing.T) {
	raw, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	for _, r := range alarms.Reasons {
		sel := `sidenode_alarm_active{reason="` + r.Code() + `"}`
		found := false
		for _, g := range f.Groups {
			for _, rule := range g.Rules {
				if !strings.Contains(rule.Expr, sel) {
					continue
				}
				found = true
				if rule.Label["severity"] != r.Severity().String() {
					t.Errorf("alert %s of %s: severity %q, the alarm's is %q", rule.Alert,
						r, rule.Label["severity"], r.Severity())
				}
			}
		}
		if !found {
			t.Errorf("no alert in %s reads %s", alertsFile, sel)
		}
	}
}

// TestAlertRulesPromtool runs promtool on the rules and their unit tests
// when it is installed (scripts/install-deps installs Debian's
// prometheus package; scripts/test runs it in any case).
func TestAlertRulesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed (scripts/install-deps installs it)")
	}
	for _, args := range [][]string{
		{"check", "rules", alertsFile},
		{"test", "rules", "../deploy/prometheus/alerts_test.yml"},
	} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
