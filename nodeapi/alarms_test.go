package nodeapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mainstake/sidenode/alarms"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// TestAlarmReasonsInProto fails when an alarm reason has no AlarmReason
// value in the API, so that the enum cannot drift from the package.
func TestAlarmReasonsInProto(t *testing.T) {
	for _, r := range alarms.Reasons {
		name := "ALARM_REASON_" + strings.ToUpper(r.Code())
		if v, ok := apiv1.AlarmReason_value[name]; !ok || v != int32(r) {
			t.Errorf("reason %s: the proto has %s = %d (%v), want %d", r, name, v, ok, int(r))
		}
	}
	if n := len(apiv1.AlarmReason_value) - 1; n != len(alarms.Reasons) {
		t.Errorf("the proto has %d reasons, the package %d", n, len(alarms.Reasons))
	}
}

// auditSource is an alarms.Audit with a settable count.
type auditSource struct{ n int }

func (a *auditSource) Unexplained() (int, int64) { return a.n, 7 }

// TestAlarmsThroughAdapter: the adapter passes the monitor's alarms and
// events on, with their codes and severities.
func TestAlarmsThroughAdapter(t *testing.T) {
	src := &auditSource{n: 1}
	m := alarms.New(alarms.Config{}, alarms.Sources{Audit: src})
	b := New(Env{Alarms: m})
	ctx := context.Background()
	changed := b.AlarmsChanged()
	now := time.Unix(1_800_000_000, 0)
	if err := m.Evaluate(now); err != nil {
		t.Fatal(err)
	}
	<-changed
	as, seq, err := b.Alarms(ctx)
	if err != nil || len(as) != 1 || seq != 1 || as[0].Code != "supply_mismatch" || !as[0].Critical ||
		!as[0].Raised.Equal(now) {
		t.Fatalf("Alarms = %+v, %d, %v", as, seq, err)
	}
	src.n = 0
	if err := m.Evaluate(now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	evs, lost, err := b.AlarmEventsAfter(ctx, 0, 10)
	if err != nil || lost || len(evs) != 2 || !evs[0].Raised || evs[1].Raised || evs[1].Seq != 2 ||
		evs[1].Alarm.Code != "supply_mismatch" {
		t.Fatalf("events = %+v, %v, %v", evs, lost, err)
	}

	// A node without a monitor has none, and a change channel that never
	// closes.
	none := New(Env{})
	if as, _, err := none.Alarms(ctx); err != nil || len(as) != 0 {
		t.Fatalf("without a monitor: %+v %v", as, err)
	}
	if none.AlarmsChanged() != nil {
		t.Fatal("without a monitor: a change channel that can close")
	}
}
