package nodeapi

import (
	"context"

	"github.com/mainstake/sidenode/alarms"
	"github.com/mainstake/sidenode/api"
)

// Alarms is the node's alarm monitor (alarms.Monitor).
type Alarms interface {
	Active() ([]alarms.Alarm, uint64)
	EventsAfter(seq uint64, limit int) ([]alarms.Event, bool)
	Changed() <-chan struct{}
}

// apiAlarm converts an alarm for the API.
func apiAlarm(a *alarms.Alarm) api.Alarm {
	return api.Alarm{Code: a.Reason.Code(), Critical: a.Reason.Severity() == alarms.Critical,
		Message: a.Message, Raised: a.Raised, Height: a.Height}
}

// Alarms implements api.AlarmBackend; a node without a monitor has none.
func (b *Adapter) Alarms(context.Context) ([]api.Alarm, uint64, error) {
	if b.alarms == nil {
		return nil, 0, nil
	}
	as, seq := b.alarms.Active()
	out := make([]api.Alarm, len(as))
	for i := range as {
		out[i] = apiAlarm(&as[i])
	}
	return out, seq, nil
}

// AlarmEventsAfter implements api.AlarmBackend.
func (b *Adapter) AlarmEventsAfter(_ context.Context, seq uint64, limit int) ([]api.AlarmEvent, bool, error) {
	if b.alarms == nil {
		return nil, false, nil
	}
	evs, lost := b.alarms.EventsAfter(seq, limit)
	out := make([]api.AlarmEvent, len(evs))
	for i := range evs {
		e := &evs[i]
		out[i] = api.AlarmEvent{Seq: e.Seq, Raised: e.Raised, Alarm: apiAlarm(&e.Alarm),
			At: e.At, Height: e.Height}
	}
	return out, lost, nil
}

// AlarmsChanged implements api.AlarmBackend; without a monitor the
// channel never closes.
func (b *Adapter) AlarmsChanged() <-chan struct{} {
	if b.alarms == nil {
		return nil
	}
	return b.alarms.Changed()
}
