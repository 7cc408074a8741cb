package apitest

import (
	"context"
	"sync"
	"time"

	"github.com/mainstake/sidenode/api"
)

// alarms is the fake backend's alarm monitor.
type alarms struct {
	mu      sync.Mutex
	active  []api.Alarm
	events  []api.AlarmEvent
	changed chan struct{}
}

// changedLocked returns the change channel, made on first use.
func (a *alarms) changedLocked() chan struct{} {
	if a.changed == nil {
		a.changed = make(chan struct{})
	}
	return a.changed
}

// RaiseAlarm raises an alarm (replacing one of the same code) and logs
// the event.
func (b *Backend) RaiseAlarm(al api.Alarm) {
	a := &b.alarms
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.active {
		if a.active[i].Code == al.Code {
			a.active = append(a.active[:i], a.active[i+1:]...)
			break
		}
	}
	a.active = append(a.active, al)
	a.addLocked(true, al)
}

// ClearAlarm clears the alarm of code, if it holds.
func (b *Backend) ClearAlarm(code string) {
	a := &b.alarms
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.active {
		if a.active[i].Code == code {
			al := a.active[i]
			a.active = append(a.active[:i], a.active[i+1:]...)
			a.addLocked(false, al)
			return
		}
	}
}

func (a *alarms) addLocked(raised bool, al api.Alarm) {
	a.events = append(a.events, api.AlarmEvent{Seq: uint64(len(a.events) + 1),
		Raised: raised, Alarm: al, At: time.Unix(1_800_000_000, 0), Height: al.Height})
	close(a.changedLocked())
	a.changed = make(chan struct{})
}

// Alarms implements api.AlarmBackend.
func (b *Backend) Alarms(context.Context) ([]api.Alarm, uint64, error) {
	a := &b.alarms
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]api.Alarm(nil), a.active...), uint64(len(a.events)), nil
}

// AlarmEventsAfter implements api.AlarmBackend; it keeps every event.
func (b *Backend) AlarmEventsAfter(_ context.Context, seq uint64, limit int) ([]api.AlarmEvent, bool, error) {
	a := &b.alarms
	a.mu.Lock()
	defer a.mu.Unlock()
	if seq >= uint64(len(a.events)) {
		return nil, false, nil
	}
	end := min(len(a.events), int(seq)+limit)
	return append([]api.AlarmEvent(nil), a.events[seq:end]...), false, nil
}

// AlarmsChanged implements api.AlarmBackend.
func (b *Backend) AlarmsChanged() <-chan struct{} {
	a := &b.alarms
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.changedLocked()
}

// Confirmations implements api.ConfirmationsBackend from ConfirmationsOf,
// by id, or by the best chain's hash at a height (SideBest).
func (b *Backend) Confirmations(_ context.Context, q api.ConfirmationsQuery) (*api.Confirmations, error) {
	id := q.ID
	if q.ByHeight {
		if int(q.Height) >= len(b.SideBest) {
			return nil, api.Errorf(api.ErrNotFound, "the best sidechain has no "+
				"block at height %d", q.Height)
		}
		id = b.SideBest[q.Height]
	}
	if c, ok := b.ConfirmationsOf[id]; ok {
		return &c, nil
	}
	// From the sidechain: the mainchain tip at FakeMainTip.
	c := &api.Confirmations{TxID: id, MainTip: FakeMainTip, SideTip: int32(len(b.SideBest)) - 1}
	blockHash := id
	if tx, ok := b.SideTxs[id]; ok {
		c.InMempool = tx.InMempool
		if !tx.Confirmed {
			return c, nil
		}
		blockHash = tx.BlockHash
	} else if _, ok := b.SideBlocks[id]; ok {
		c.IsBlock, c.TxID = true, [32]byte{}
	} else if id == DepositTxID(0) || id == WalletTxID {
		return nil, api.Errorf(api.ErrNotFound, "%v is a mainchain transaction, "+
			"not a sidechain transaction or block: its confirmations are the "+
			"mainchain's", id)
	} else {
		return nil, api.Errorf(api.ErrNotFound, "no sidechain transaction or "+
			"block %v", id)
	}
	blk := b.SideBlocks[blockHash]
	c.InBlock, c.BlockHash, c.BlockHeight = true, blk.Hash, int32(blk.Height)
	c.OnBestChain, c.SideConfirmations = blk.OnBestChain, int32(blk.Confirmations)
	if blk.Published {
		c.Anchor = &api.Anchor{TxID: blk.PubTxID, Height: blk.PubHeight,
			Confirmations: FakeMainTip - blk.PubHeight + 1}
	}
	return c, nil
}

// FakeMainTip is the mainchain tip the fake's confirmations are read at.
const FakeMainTip = 104
