package nodeapi

import (
	"testing"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/mainstake"
)

// TestTicketState checks the word a ticket gets at each tip height: a
// ticket confirmed at 100 with maturity 10 weighs from 109 until its lock
// at 200; an ended publisher chain says ended until the lock, and from the
// lock on the stake is expired, withdrawable.
func TestTicketState(t *testing.T) {
	reg := mainstake.Registration{ConfHeight: 100, LockHeight: 200}
	live := &mainstake.Ticket{Registration: reg, End: -1}
	ended := &mainstake.Ticket{Registration: reg, End: 150}
	for _, tc := range []struct {
		t    *mainstake.Ticket
		tip  int32
		want api.TicketState
	}{
		{live, 100, api.TicketMaturing},
		{live, 107, api.TicketMaturing},
		{live, 108, api.TicketLive},
		{live, 199, api.TicketLive},
		{live, 200, api.TicketExpired},
		{ended, 150, api.TicketEnded},
		{ended, 199, api.TicketEnded},
		{ended, 200, api.TicketExpired},
	} {
		if got := ticketState(tc.t, tc.tip, 9); got != tc.want {
			t.Errorf("ticket ending at %d, at tip %d: %s, want %s", tc.t.End, tc.tip, got, tc.want)
		}
	}
}
