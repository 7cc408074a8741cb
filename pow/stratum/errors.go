package stratum

import "errors"

// Errors of the line parser.
var (
	errBadID = errors.New("the id is an object or an array")
)

// Drop reasons: why the server closed a connection. Snapshot counts each.
const (
	DropLineTooLong    = "line too long"
	DropQueueOverflow  = "write queue overflow"
	DropMemory         = "total buffer memory"
	DropWrite          = "write failed or stalled"
	DropHandshake      = "handshake timeout"
	DropIdle           = "idle timeout"
	DropSlowloris      = "partial line timeout"
	DropProtocol       = "too many protocol errors"
	DropBanned         = "invalid share ratio"
	DropShutdown       = "shutdown"
	DropExtranonce     = "new extranonce"
	RefusedTotal       = "refused: too many connections"
	RefusedPerIP       = "refused: too many connections from the address"
	RefusedBannedIP    = "refused: banned address"
	DropReadError      = "read error or closed by peer"
	DropDuplicateNonce = "extranonce space exhausted"
)
