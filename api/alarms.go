package api

import (
	"context"
	"strings"
	"time"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// AlarmBackend serves NodeService.ListAlarms and SubscribeAlarms (package
// alarms' Monitor).
type AlarmBackend interface {
	// Alarms returns the alarms that hold, in the order of their
	// reasons, and the sequence number of the latest event.
	Alarms(ctx context.Context) ([]Alarm, uint64, error)

	// AlarmEventsAfter returns at most limit of the events after
	// sequence number seq, oldest first; lost is true when some are no
	// longer kept.
	AlarmEventsAfter(ctx context.Context, seq uint64, limit int) (evs []AlarmEvent, lost bool, err error)

	// AlarmsChanged returns a channel closed at the next event.
	AlarmsChanged() <-chan struct{}
}

// Alarm is an alarm that holds.
type Alarm struct {
	// Code is the reason's code ("sidechain_stalled"), which names the
	// AlarmReason value ALARM_REASON_ + its upper case.
	Code     string
	Critical bool
	Message  string
	Raised   time.Time
	Height   int32
}

// AlarmEvent is an alarm raised or cleared.
type AlarmEvent struct {
	Seq    uint64
	Raised bool
	Alarm  Alarm
	At     time.Time
	Height int32
}

// alarmReasonProto returns the AlarmReason value of a code, UNSPECIFIED
// for a code the proto does not know.
func alarmReasonProto(code string) apiv1.AlarmReason {
	return apiv1.AlarmReason(apiv1.AlarmReason_value["ALARM_REASON_"+strings.ToUpper(code)])
}

func alarmProto(a *Alarm) *apiv1.Alarm {
	sev := apiv1.AlarmSeverity_ALARM_SEVERITY_WARNING
	if a.Critical {
		sev = apiv1.AlarmSeverity_ALARM_SEVERITY_CRITICAL
	}
	return &apiv1.Alarm{Reason: alarmReasonProto(a.Code), Code: a.Code, Severity: sev,
		Message: a.Message, RaisedUnix: a.Raised.Unix(), RaisedHeight: a.Height}
}

func alarmsProto(as []Alarm) []*apiv1.Alarm {
	out := make([]*apiv1.Alarm, len(as))
	for i := range as {
		out[i] = alarmProto(&as[i])
	}
	return out
}

func (n *nodeService) ListAlarms(ctx context.Context, _ *apiv1.ListAlarmsRequest) (*apiv1.ListAlarmsResponse, error) {
	as, _, err := n.s.backend.Alarms(ctx)
	if err != nil {
		return nil, toStatus(apiv1.NodeService_ListAlarms_FullMethodName, err)
	}
	return &apiv1.ListAlarmsResponse{Alarms: alarmsProto(as)}, nil
}

// SubscribeAlarms follows the alarm monitor as serveStream follows a
// chain: admitted as a stream, the state first, then a loop over paged
// reads of the event log from the stream's position and the change
// signal, never a queue. A stream that fell behind the log is sent the
// state again.
func (n *nodeService) SubscribeAlarms(_ *apiv1.SubscribeAlarmsRequest, stream apiv1.NodeService_SubscribeAlarmsServer) error {
	const method = apiv1.NodeService_SubscribeAlarms_FullMethodName
	ctx := stream.Context()
	r := callerRole(ctx)
	quit, err := n.s.subs.enter(r)
	if err != nil {
		return err
	}
	defer n.s.subs.leave(r)

	b := n.s.backend
	changed := b.AlarmsChanged()
	sendState := func() (uint64, error) {
		as, seq, err := b.Alarms(ctx)
		if err != nil {
			return 0, toStatus(method, err)
		}
		return seq, stream.Send(&apiv1.SubscribeAlarmsResponse{Event: &apiv1.SubscribeAlarmsResponse_State{
			State: &apiv1.AlarmState{Alarms: alarmsProto(as)}}})
	}
	pos, err := sendState()
	if err != nil {
		return err
	}
	return follow(ctx, quit, b.AlarmsChanged, changed, func() (bool, error) {
		evs, lost, err := b.AlarmEventsAfter(ctx, pos, streamPageSize)
		if err != nil {
			return false, toStatus(method, err)
		}
		if lost {
			pos, err = sendState()
			return err == nil, err
		}
		for i := range evs {
			e := &evs[i]
			err := stream.Send(&apiv1.SubscribeAlarmsResponse{Event: &apiv1.SubscribeAlarmsResponse_Changed{
				Changed: &apiv1.AlarmEvent{Raised: e.Raised, Alarm: alarmProto(&e.Alarm),
					AtUnix: e.At.Unix(), Height: e.Height}}})
			if err != nil {
				return false, err
			}
			pos = e.Seq
		}
		return len(evs) >= streamPageSize, nil
	})
}
