package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// Event is what the dashboard tells the browsers on /dashboard/events:
// the new tip of one chain (an SSE event "tip"), or an alarm raised or
// cleared (an SSE event "alarm", Chain "alarms"). A page refetches what it
// shows when it gets one.
type Event struct {
	// Chain is "sidechain" or "mainchain", or "alarms" for the alarm
	// monitor's events.
	Chain string `json:"chain"`

	// Kind is "state" (the tip, or the alarms that hold, when the hub
	// subscribed), "connected" or "disconnected", as the API's
	// subscription streams say; for the alarms "raised" or "cleared".
	Kind string `json:"kind"`

	// Height is the tip's height; for an alarm, the node's mainchain tip
	// when it was raised or cleared.
	Height int32  `json:"height"`
	Hash   string `json:"hash"`

	// Code is the alarm's code ("backend_disconnected"), for an alarm
	// event; Count is how many alarms hold in a state event.
	Code  string `json:"code,omitempty"`
	Count int    `json:"count,omitempty"`
}

// alarmChain is the Chain of the alarm events.
const alarmChain = "alarms"

// Draw is one draw of the lottery as the hub keeps it for the Lottery
// page's plots, from the API's lottery stream.
type Draw struct {
	Height      int32  `json:"height"`
	BlockHash   string `json:"block_hash"`
	TicketID    string `json:"ticket_id"`
	TotalWeight string `json:"total_weight"`
	R           string `json:"r"`
	RangeStart  string `json:"range_start"`
	RangeEnd    string `json:"range_end"`
	OwnTicket   bool   `json:"own_ticket"`
}

// Limits of the hub's memory.
const (
	// keepDraws is how many recent draws the hub keeps.
	keepDraws = 288

	// keepWithdrawals is how many recent withdrawals the hub keeps.
	keepWithdrawals = 256

	// retryDelay is how long the hub waits before it subscribes again
	// after a stream failed.
	retryDelay = 2 * time.Second

	// keepAlive is how often an idle event stream gets a comment, so
	// that proxies and the browser see it alive.
	keepAlive = 25 * time.Second
)

// client is one browser following the events. It holds at most one
// pending event per chain: a newer tip replaces one the browser has not
// been sent yet, so a slow browser costs a constant amount of memory and
// never holds up the hub.
type client struct {
	mu      sync.Mutex
	pending map[string]Event // by chain
	wake    chan struct{}    // capacity 1
}

// hub follows the API's subscription streams, one of each for every
// browser together, and fans their events out to the clients.
type hub struct {
	subs apiv1.SubscriptionServiceClient
	node apiv1.NodeServiceClient
	peg  apiv1.PegServiceClient
	main apiv1.MainchainServiceClient
	cred string
	max  int

	mu          sync.Mutex
	clients     map[*client]struct{}
	last        map[string]Event
	draws       []Draw          // oldest first, at most keepDraws
	withdrawals []withdrawalRef // oldest first, at most keepWithdrawals
	started     bool
	closed      bool
	published   uint64 // events published, for tests
	joined      func() // called after each join, for tests

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// withdrawalRef is a withdrawal the hub saw in a sideblock.
type withdrawalRef struct {
	Outpoint    string `json:"outpoint"`
	AmountSat   string `json:"amount_sat"`
	Destination string `json:"destination_address"`
	BlockHash   string `json:"sideblock_hash"`
	BlockHeight int32  `json:"sideblock_height"`
}

// newHub returns a hub that subscribes through conn with cred ("Bearer
// <hex>") once started, and serves at most max clients.
func newHub(conn grpc.ClientConnInterface, cred string, max int) *hub {
	ctx, cancel := context.WithCancel(context.Background())
	return &hub{
		subs:    apiv1.NewSubscriptionServiceClient(conn),
		node:    apiv1.NewNodeServiceClient(conn),
		peg:     apiv1.NewPegServiceClient(conn),
		main:    apiv1.NewMainchainServiceClient(conn),
		cred:    cred,
		max:     max,
		clients: make(map[*client]struct{}),
		last:    make(map[string]Event),
		ctx:     ctx,
		cancel:  cancel,
	}
}

// authCtx returns ctx with the read-only credential in its metadata.
func (h *hub) authCtx(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", h.cred)
}

// start starts the hub's streams, once.
func (h *hub) start() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.started || h.closed {
		return
	}
	h.started = true
	for _, follow := range []func(context.Context) error{
		h.followSideblocks, h.followLottery, h.followWithdrawals, h.followAlarms,
	} {
		h.wg.Add(1)
		go func(follow func(context.Context) error) {
			defer h.wg.Done()
			h.supervise(follow)
		}(follow)
	}
}

// supervise runs follow until the hub closes, again after retryDelay
// whenever it fails.
func (h *hub) supervise(follow func(context.Context) error) {
	for {
		err := follow(h.authCtx(h.ctx))
		if h.ctx.Err() != nil {
			return
		}
		log.Debugf("Dashboard: event stream ended: %v; subscribing again in %v", err, retryDelay)
		select {
		case <-h.ctx.Done():
			return
		case <-time.After(retryDelay):
		}
	}
}

// close stops the streams and ends every client's event stream.
func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
}

// followSideblocks follows the best sidechain from its tip.
func (h *hub) followSideblocks(ctx context.Context) error {
	stream, err := h.subs.SubscribeSideblocks(ctx, &apiv1.SubscribeSideblocksRequest{})
	if err != nil {
		return err
	}
	return relay(h, stream, func(msg *apiv1.SubscribeSideblocksResponse) (Event, bool) {
		ev := Event{Chain: "sidechain"}
		switch e := msg.Event.(type) {
		case *apiv1.SubscribeSideblocksResponse_State:
			ev.Kind, ev.Height, ev.Hash = "state", e.State.Height, e.State.TipHash
		case *apiv1.SubscribeSideblocksResponse_Connected:
			ev.Kind, ev.Height, ev.Hash = "connected", e.Connected.BlockHeight, e.Connected.Hash
		case *apiv1.SubscribeSideblocksResponse_Disconnected:
			// The position is now the block's parent.
			ev.Kind, ev.Height, ev.Hash = "disconnected",
				e.Disconnected.BlockHeight-1, e.Disconnected.PrevBlock
		default:
			return ev, false
		}
		return ev, true
	})
}

// followLottery follows the mainchain's draws from its tip, and keeps the
// recent draws: those before the tip are read once, at the first
// subscription, with GetWinner.
func (h *hub) followLottery(ctx context.Context) error {
	stream, err := h.subs.SubscribeLottery(ctx, &apiv1.SubscribeLotteryRequest{})
	if err != nil {
		return err
	}
	return relay(h, stream, func(msg *apiv1.SubscribeLotteryResponse) (Event, bool) {
		ev := Event{Chain: "mainchain"}
		switch e := msg.Event.(type) {
		case *apiv1.SubscribeLotteryResponse_State:
			ev.Kind, ev.Height, ev.Hash = "state", e.State.Height, e.State.Hash
			h.fillDraws(ctx, e.State.Height)
		case *apiv1.SubscribeLotteryResponse_Connected:
			ev.Kind, ev.Height, ev.Hash = "connected", e.Connected.Height, e.Connected.BlockHash
			h.addDraw(e.Connected)
		case *apiv1.SubscribeLotteryResponse_Disconnected:
			ev.Kind, ev.Height, ev.Hash = "disconnected", e.Disconnected.Height-1, ""
			h.dropDraw(e.Disconnected.Height)
		default:
			return ev, false
		}
		return ev, true
	})
}

// followAlarms follows the node's alarm monitor: its state, then each
// alarm raised or cleared, which the Overview redraws at.
func (h *hub) followAlarms(ctx context.Context) error {
	stream, err := h.node.SubscribeAlarms(ctx, &apiv1.SubscribeAlarmsRequest{})
	if err != nil {
		return err
	}
	return relay(h, stream, func(msg *apiv1.SubscribeAlarmsResponse) (Event, bool) {
		ev := Event{Chain: alarmChain}
		switch e := msg.Event.(type) {
		case *apiv1.SubscribeAlarmsResponse_State:
			ev.Kind, ev.Count = "state", len(e.State.GetAlarms())
		case *apiv1.SubscribeAlarmsResponse_Changed:
			ev.Kind = "cleared"
			if e.Changed.GetRaised() {
				ev.Kind = "raised"
			}
			ev.Height, ev.Code = e.Changed.GetHeight(), e.Changed.GetAlarm().GetCode()
		default:
			return ev, false
		}
		return ev, true
	})
}

// relay receives from stream until it fails, and publishes the event each
// message converts to (none when convert says false).
func relay[T any](h *hub, stream interface{ Recv() (T, error) }, convert func(T) (Event, bool)) error {
	for {
		msg, err := stream.Recv()
		if err != nil {
			return err
		}
		if ev, ok := convert(msg); ok {
			h.publish(ev)
		}
	}
}

// drawOf converts the API's draw.
func drawOf(height int32, hash string, w *apiv1.DrawWinner) Draw {
	d := Draw{Height: height, BlockHash: hash}
	if w != nil {
		d.TicketID = fmt.Sprint(w.TicketId)
		d.TotalWeight, d.R = w.TotalWeight, w.R
		d.RangeStart, d.RangeEnd, d.OwnTicket = w.RangeStart, w.RangeEnd, w.OwnTicket
	}
	return d
}

// fillDraws reads the draws of the keepDraws blocks up to tip that the hub
// does not hold yet.
func (h *hub) fillDraws(ctx context.Context, tip int32) {
	h.mu.Lock()
	have := len(h.draws) > 0
	h.mu.Unlock()
	if have {
		return
	}
	var draws []Draw
	for height := max(tip-keepDraws+1, 0); height <= tip; height++ {
		w, err := h.main.GetWinner(ctx, &apiv1.GetWinnerRequest{Height: height})
		if err != nil {
			continue // no draw at that height (no ticket yet)
		}
		draws = append(draws, drawOf(w.Height, w.BlockHash, &apiv1.DrawWinner{
			TicketId: w.TicketId, TotalWeight: w.TotalWeight, R: w.R,
			RangeStart: w.RangeStart, RangeEnd: w.RangeEnd, OwnTicket: w.OwnTicket,
		}))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.draws) == 0 {
		h.draws = draws
	}
}

// addDraw keeps a connected block's draw.
func (h *hub) addDraw(d *apiv1.Draw) {
	if d.Winner == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.draws) > 0 && h.draws[len(h.draws)-1].Height >= d.Height {
		h.draws = h.draws[:len(h.draws)-1]
	}
	h.draws = append(h.draws, drawOf(d.Height, d.BlockHash, d.Winner))
	if len(h.draws) > keepDraws {
		h.draws = append([]Draw(nil), h.draws[len(h.draws)-keepDraws:]...)
	}
}

// dropDraw forgets the draw of a disconnected block.
func (h *hub) dropDraw(height int32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.draws) > 0 && h.draws[len(h.draws)-1].Height >= height {
		h.draws = h.draws[:len(h.draws)-1]
	}
}

// followWithdrawals replays the best sidechain's withdrawals from its
// first block, then follows it, keeping the most recent.
func (h *hub) followWithdrawals(ctx context.Context) error {
	h.mu.Lock()
	h.withdrawals = nil // the replay brings them back
	h.mu.Unlock()
	stream, err := h.peg.SubscribeWithdrawals(ctx, &apiv1.SubscribeWithdrawalsRequest{
		Cursor: &apiv1.SidechainBlockRef{Hash: zeroHash},
	})
	if err != nil {
		return err
	}
	for {
		msg, err := stream.Recv()
		if err != nil {
			return err
		}
		switch e := msg.Event.(type) {
		case *apiv1.SubscribeWithdrawalsResponse_Connected:
			h.addWithdrawals(e.Connected)
		case *apiv1.SubscribeWithdrawalsResponse_Disconnected:
			h.dropWithdrawals(e.Disconnected.GetBlock().GetHash())
		}
	}
}

// zeroHash is the cursor before the first sideblock.
const zeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

func (h *hub) addWithdrawals(b *apiv1.WithdrawalBlock) {
	if len(b.Withdrawals) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, w := range b.Withdrawals {
		h.withdrawals = append(h.withdrawals, withdrawalRef{
			Outpoint: w.Outpoint, AmountSat: fmt.Sprint(w.AmountSat),
			Destination: w.DestinationAddress, BlockHash: b.GetBlock().GetHash(),
			BlockHeight: b.GetBlock().GetBlockHeight(),
		})
	}
	if len(h.withdrawals) > keepWithdrawals {
		h.withdrawals = append([]withdrawalRef(nil), h.withdrawals[len(h.withdrawals)-keepWithdrawals:]...)
	}
}

func (h *hub) dropWithdrawals(hash string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	kept := h.withdrawals[:0]
	for _, w := range h.withdrawals {
		if w.BlockHash != hash {
			kept = append(kept, w)
		}
	}
	h.withdrawals = kept
}

// generation counts the events published: a cached answer is valid
// within one generation.
func (h *hub) generation() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.published
}

// publish hands ev to every client without waiting for any: each holds
// the newest event per chain until its browser takes it.
func (h *hub) publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last[ev.Chain] = ev
	h.published++
	for c := range h.clients {
		c.offer(ev)
	}
}

// offer sets c's pending event of ev's chain and wakes its writer.
func (c *client) offer(ev Event) {
	c.mu.Lock()
	c.pending[ev.Chain] = ev
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// take returns and clears c's pending events, mainchain first, the
// alarms last.
func (c *client) take() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	var evs []Event
	for _, chain := range []string{"mainchain", "sidechain", alarmChain} {
		if ev, ok := c.pending[chain]; ok {
			evs = append(evs, ev)
			delete(c.pending, chain)
		}
	}
	return evs
}

// join adds a client, which starts with the last event of each chain; it
// fails when the hub serves max clients or is closed.
func (h *hub) join() (*client, bool) {
	h.mu.Lock()
	if h.closed || len(h.clients) >= h.max {
		h.mu.Unlock()
		return nil, false
	}
	c := &client{pending: make(map[string]Event, 3), wake: make(chan struct{}, 1)}
	for _, ev := range h.last {
		c.offer(ev)
	}
	h.clients[c] = struct{}{}
	joined := h.joined
	h.mu.Unlock()
	h.start()
	if joined != nil {
		joined()
	}
	return c, true
}

func (h *hub) leave(c *client) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
}

// serveEvents streams events to one browser as server-sent events. Each
// write has the REST gateway's write timeout: a browser that stops
// reading is cut off, and until then holds at most one pending event per
// chain.
func (d *Dashboard) serveEvents(w http.ResponseWriter, r *http.Request) {
	c, ok := d.hub.join()
	if !ok {
		http.Error(w, "too many dashboards follow the node's events: close some",
			http.StatusServiceUnavailable)
		return
	}
	defer d.hub.leave(c)
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-d.hub.ctx.Done():
			return
		case <-tick.C:
			if _, err := w.Write([]byte(": alive\n\n")); err != nil {
				return
			}
		case <-c.wake:
			for _, ev := range c.take() {
				data, _ := json.Marshal(ev)
				name := "tip"
				if ev.Chain == alarmChain {
					name = "alarm"
				}
				if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data); err != nil {
					return
				}
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// serveDraws answers the recent draws the hub keeps, oldest first.
func (d *Dashboard) serveDraws(w http.ResponseWriter, _ *http.Request) {
	d.hub.start()
	d.hub.mu.Lock()
	draws := append([]Draw{}, d.hub.draws...)
	d.hub.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"draws": draws})
}

// serveWithdrawals answers the recent withdrawals the hub keeps, newest
// first.
func (d *Dashboard) serveWithdrawals(w http.ResponseWriter, _ *http.Request) {
	d.hub.start()
	d.hub.mu.Lock()
	list := make([]withdrawalRef, 0, len(d.hub.withdrawals))
	for i := len(d.hub.withdrawals) - 1; i >= 0; i-- {
		list = append(list, d.hub.withdrawals[i])
	}
	d.hub.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"withdrawals": list})
}
