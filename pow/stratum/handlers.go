package stratum

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/mainstake/sidenode/pow/stratum/vardiff"
	"github.com/mainstake/sidenode/pow/stratum/work"
)

// handleLine handles one request line (without its newline).
func (c *conn) handleLine(line []byte) {
	line = trimSpace(line)
	if len(line) == 0 {
		return
	}
	req, err := parseLine(line)
	if err != nil {
		c.protocolError(nil, "parse error: "+err.Error())
		return
	}
	switch req.Method {
	case "mining.submit":
		c.handleSubmit(req)
	case "mining.subscribe":
		c.handleSubscribe(req)
	case "mining.authorize":
		c.handleAuthorize(req)
	case "mining.configure":
		c.handleConfigure(req)
	case "mining.extranonce.subscribe":
		c.mu.Lock()
		c.extranonceSub = true
		c.mu.Unlock()
		c.ok(req, true)
	case "mining.suggest_difficulty":
		c.handleSuggest(req)
	case "":
		if req.ID != nil && string(req.ID) != "null" {
			c.protocolError(req.ID, "no method")
		}
		// An answer to a server request: the server sends none, so
		// there is nothing to do with it.
	default:
		// Some firmwares send methods of their own (Antminer's
		// mining.multi_version, say): refused, but not held against
		// the connection.
		c.srv.stats.reject(nil, work.CodeOther, false)
		c.refuse(req.ID, work.CodeOther, "unknown method "+strconv.Quote(truncate(req.Method, 64)))
	}
}

// ok answers a successful request and notes the connection active.
func (c *conn) ok(req request, result any) {
	c.send(false, replyLine(req.ID, result))
	c.active()
}

// refuse answers a request with a Stratum error.
func (c *conn) refuse(id json.RawMessage, code work.Code, msg string) {
	c.send(false, errorLine(id, code, msg))
}

// protocolError answers a malformed request with code 20 and drops the
// connection once it has made MaxProtocolErrors of them.
func (c *conn) protocolError(id json.RawMessage, msg string) {
	c.srv.stats.reject(nil, work.CodeOther, false)
	c.refuse(id, work.CodeOther, msg)
	c.protoErrs++
	if c.protoErrs >= c.srv.cfg.MaxProtocolErrors {
		c.flush()
		c.drop(DropProtocol)
	}
}

// handleSubscribe answers mining.subscribe([user agent[, session id]]):
// [[["mining.set_difficulty", id], ["mining.notify", id]], extranonce1,
// extranonce2 size]. A session id the server gave out and that has not
// expired resumes its extranonce1 and difficulty.
func (c *conn) handleSubscribe(req request) {
	var sid string
	if len(req.Params) >= 2 {
		// A session id that is not a string is no session id.
		_ = json.Unmarshal(req.Params[1], &sid)
	}
	c.mu.Lock()
	if c.subscribed {
		// A second subscribe gets the same subscription.
		res := c.subscribeResult()
		c.mu.Unlock()
		c.ok(req, res)
		return
	}
	c.mu.Unlock()
	ss, resumed, err := c.srv.subscribe(sid)
	if err != nil {
		c.refuse(req.ID, work.CodeOther, err.Error())
		return
	}
	c.mu.Lock()
	c.subscribed = true
	c.sessionID = ss.id
	c.en1 = ss.extranonce1
	c.en1b = en1Bytes(ss.extranonce1)
	if resumed && ss.difficulty > 0 {
		c.diff, c.oldDiff = ss.difficulty, ss.difficulty
	}
	res := c.subscribeResult()
	c.mu.Unlock()
	if resumed {
		c.srv.stats.resumed.Add(1)
	}
	c.ok(req, res)
}

// subscribeResult is mining.subscribe's result. c.mu is held.
func (c *conn) subscribeResult() []any {
	return []any{
		[]any{
			[]any{"mining.set_difficulty", c.sessionID},
			[]any{"mining.notify", c.sessionID},
		},
		hex.EncodeToString(c.en1b),
		c.srv.cfg.Extranonce2Size,
	}
}

// handleAuthorize answers mining.authorize(worker, password). The
// password may carry options after the password proper, separated by
// commas: d=<difficulty> fixes the connection's difficulty. On success
// the miner gets its difficulty and the current job.
func (c *conn) handleAuthorize(req request) {
	if len(req.Params) < 1 {
		c.protocolError(req.ID, "mining.authorize takes a worker name and a password")
		return
	}
	var name, pass string
	if err := json.Unmarshal(req.Params[0], &name); err != nil || name == "" || len(name) > work.MaxWorkerLen {
		c.protocolError(req.ID, "the worker name must be a string of 1 to 256 bytes")
		return
	}
	if len(req.Params) >= 2 {
		if err := json.Unmarshal(req.Params[1], &pass); err != nil {
			// Some miners send null or a number for "no password".
			pass = ""
		}
	}
	c.mu.Lock()
	subscribed := c.subscribed
	c.mu.Unlock()
	if !subscribed {
		c.srv.stats.reject(nil, work.CodeNotSubscribed, false)
		c.refuse(req.ID, work.CodeNotSubscribed, "not subscribed")
		return
	}
	password, fixed, err := parsePassword(pass)
	if err != nil {
		c.refuse(req.ID, work.CodeUnauthorized, err.Error())
		return
	}
	payout, err := c.srv.auth.Authorize(name, password)
	if err != nil {
		c.srv.stats.reject(nil, work.CodeUnauthorized, false)
		c.refuse(req.ID, work.CodeUnauthorized, "worker "+strconv.Quote(truncate(name, 64))+
			" not authorized: "+err.Error())
		return
	}

	c.mu.Lock()
	if c.worker(name) == nil {
		if len(c.workers) >= maxWorkersPerConn {
			c.mu.Unlock()
			c.refuse(req.ID, work.CodeUnauthorized, fmt.Sprintf("at most %d workers per connection", maxWorkersPerConn))
			return
		}
		ws := c.srv.stats.worker(name, payout.Address)
		c.workers = append(c.workers, &authWorker{name: name, payout: payout, stats: ws})
	}
	now := c.srv.now()
	if fixed > 0 {
		c.fixedDiff = true
		c.vd = nil
		c.setDiffLocked(c.clampDiff(fixed, 0))
	} else if c.vd == nil && !c.fixedDiff {
		c.vd = vardiff.New(c.port.Vardiff, c.diff, now)
	}
	c.worker(name).stats.diff.Store(math.Float64bits(c.diff))
	c.mu.Unlock()
	c.handshaken.Store(true)
	c.ok(req, true)
	if e := c.srv.currentJob(); e != nil {
		c.sendJob(e, true, true)
	} else {
		// No job yet (the node was still syncing when the last one
		// was asked for): ask now, and the broadcast brings it.
		c.srv.requestJob()
	}
	log.Debugf("Authorized %q from %s", name, c.remote)
}

// worker returns the authorized worker of a name, nil if none. c.mu is
// held.
func (c *conn) worker(name string) *authWorker {
	for _, w := range c.workers {
		if w.name == name {
			return w
		}
	}
	return nil
}

// parsePassword splits a password field into the password proper and the
// options: comma-separated items, where d=<n> sets a fixed difficulty.
func parsePassword(field string) (password string, diff float64, err error) {
	var rest []string
	for _, item := range strings.Split(field, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(item), "d="); ok {
			d, perr := strconv.ParseFloat(v, 64)
			if perr != nil || !(d > 0) || d > 1e15 {
				return "", 0, fmt.Errorf("d=%s in the password is not a positive difficulty", truncate(v, 32))
			}
			diff = d
			continue
		}
		rest = append(rest, item)
	}
	return strings.Join(rest, ","), diff, nil
}

// clampDiff bounds a difficulty to the port's floor and ceiling and to
// the network difficulty netDiff (when positive; else the current job's).
// c.mu is held.
func (c *conn) clampDiff(d, netDiff float64) float64 {
	d = max(d, c.port.Vardiff.Min)
	if c.port.Vardiff.Max > 0 {
		d = min(d, c.port.Vardiff.Max)
	}
	if netDiff <= 0 {
		if e := c.srv.currentJob(); e != nil {
			netDiff = e.netDiff
		}
	}
	if netDiff > 0 {
		d = min(d, netDiff)
	}
	return d
}

// setDiffLocked changes the difficulty in force. The jobs already sent
// keep accepting shares at the lower of the old and the new difficulty
// (a share found at the difficulty in force before the change stays
// good for its job); jobs sent later take the new one. c.mu is held.
func (c *conn) setDiffLocked(d float64) {
	if d == c.diff {
		return
	}
	if c.diffChangeSeq > c.lastJobSeq {
		// No job since the last change: the jobs before it keep the
		// lowest difficulty they were given.
		c.oldDiff = min(c.oldDiff, c.diff)
	} else {
		c.oldDiff = c.diff
	}
	c.diff = d
	c.diffChangeSeq = c.lastJobSeq + 1
	for _, w := range c.workers {
		w.stats.diff.Store(math.Float64bits(d))
	}
}

// shareDiff is the difficulty a share of job seq is accepted at. c.mu is
// held.
func (c *conn) shareDiff(seq uint64) float64 {
	if seq < c.diffChangeSeq {
		return min(c.oldDiff, c.diff)
	}
	return c.diff
}

// sendJob sends job e to an authorized miner, preceded by
// mining.set_difficulty when the difficulty is not the one last sent (or
// must come down to the network difficulty). fromReader says the caller
// is the connection's reader (it flushes); else a writer is started.
func (c *conn) sendJob(e *jobEntry, clean, fromReader bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// A job older than the last one sent is never sent (authorize's
	// current job may lose a race with a broadcast); the reader may send
	// the last one again (a second authorize).
	if len(c.workers) == 0 || e.seq < c.lastJobSeq || e.seq == c.lastJobSeq && !fromReader {
		return
	}
	if c.diff > e.netDiff {
		c.setDiffLocked(e.netDiff)
	}
	lines := make([][]byte, 0, 2)
	if c.diff != c.sentDiff {
		lines = append(lines, notifyLine("mining.set_difficulty", []any{c.diff}))
		c.sentDiff = c.diff
	}
	c.lastJobSeq = max(c.lastJobSeq, e.seq)
	if clean {
		lines = append(lines, e.notify[1])
	} else {
		lines = append(lines, e.notify[0])
	}
	c.send(!fromReader, lines...)
}

// idleVardiff lets vardiff reconsider the difficulty without a share (a
// miner whose difficulty is too high for it to find any); a change is
// sent at once.
func (c *conn) idleVardiff(now time.Time, netDiff float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.vd == nil || c.fixedDiff {
		return
	}
	if nd, changed := c.vd.Idle(now, netDiff); changed {
		c.setDiffLocked(c.clampDiff(nd, netDiff))
		c.sendDiffLocked(true)
	}
}

// sendDiffLocked sends the difficulty in force if it is not the one last
// sent. c.mu is held.
func (c *conn) sendDiffLocked(async bool) {
	if c.diff == c.sentDiff || len(c.workers) == 0 {
		return
	}
	c.sentDiff = c.diff
	c.send(async, notifyLine("mining.set_difficulty", []any{c.diff}))
}

// handleSuggest answers mining.suggest_difficulty(d): the connection's
// difficulty becomes d within the port's floor and ceiling (and the
// network difficulty), and vardiff goes on from there. A connection with
// a d= password keeps its fixed difficulty.
func (c *conn) handleSuggest(req request) {
	var d float64
	if len(req.Params) < 1 || json.Unmarshal(req.Params[0], &d) != nil || !(d > 0) {
		c.protocolError(req.ID, "mining.suggest_difficulty takes a positive number")
		return
	}
	c.mu.Lock()
	if !c.fixedDiff {
		c.setDiffLocked(c.clampDiff(d, 0))
		if c.vd != nil {
			c.vd = vardiff.New(c.port.Vardiff, c.diff, c.srv.now())
		}
		c.sendDiffLocked(false)
	}
	c.mu.Unlock()
	c.ok(req, true)
}

// handleConfigure answers mining.configure(extensions, parameters)
// (BIP310). version-rolling is negotiated: the miner's mask AND the
// server's, granted when it has at least min-bit-count bits. Other
// extensions are answered false.
func (c *conn) handleConfigure(req request) {
	var exts []string
	params := map[string]json.RawMessage{}
	if len(req.Params) < 1 || json.Unmarshal(req.Params[0], &exts) != nil {
		c.protocolError(req.ID, "mining.configure takes a list of extensions and an object of parameters")
		return
	}
	if len(req.Params) >= 2 && json.Unmarshal(req.Params[1], &params) != nil {
		c.protocolError(req.ID, "mining.configure's parameters must be an object")
		return
	}
	if len(exts) > 16 {
		c.protocolError(req.ID, "too many extensions")
		return
	}
	res := map[string]any{}
	for _, ext := range exts {
		switch ext {
		case "version-rolling":
			mask := uint32(0xffffffff)
			if raw, ok := params["version-rolling.mask"]; ok {
				var hexMask string
				m, err := parseMask(raw, &hexMask)
				if err != nil {
					res["version-rolling"] = false
					continue
				}
				mask = m
			}
			minBits := 0
			if raw, ok := params["version-rolling.min-bit-count"]; ok {
				_ = json.Unmarshal(raw, &minBits)
			}
			c.mu.Lock()
			c.clientMask = mask
			got := mask & c.srv.versionMask.Load()
			if bits.OnesCount32(got) < minBits || got == 0 {
				c.versionRolling = false
				c.mu.Unlock()
				res["version-rolling"] = false
				continue
			}
			c.versionRolling = true
			c.mu.Unlock()
			res["version-rolling"] = true
			res["version-rolling.mask"] = fmt.Sprintf("%08x", got)
		default:
			if len(ext) <= 64 {
				res[ext] = false
			}
		}
	}
	c.ok(req, res)
}

// parseMask decodes a BIP310 mask: 8 hex digits (a JSON string).
func parseMask(raw json.RawMessage, s *string) (uint32, error) {
	if err := json.Unmarshal(raw, s); err != nil {
		return 0, err
	}
	if len(*s) == 0 || len(*s) > 8 {
		return 0, errors.New("mask is not 1 to 8 hex digits")
	}
	v, err := strconv.ParseUint(*s, 16, 32)
	return uint32(v), err
}

// versionMaskLocked is the connection's negotiated mask, 0 without
// version rolling. c.mu is held.
func (c *conn) versionMaskLocked() uint32 {
	if !c.versionRolling {
		return 0
	}
	return c.clientMask & c.srv.versionMask.Load()
}

// trimSpace strips spaces, tabs and carriage returns at both ends.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// truncate cuts s to n bytes for messages.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
