package notarize

import (
	"time"

	"github.com/mainstake/sidenode/chainparams"
)

// Lag is how far notarization is behind the sidechain: what the API, the
// metrics and the alarms report (docs/protocol.md §13.4).
type Lag struct {
	// Blocks is the number of sideblocks above the last notarized height
	// (the whole chain, tip height + 1, before the first notarization).
	Blocks int32

	// Age is the time since the mainchain block that holds the last
	// notarization; 0 before the first, never negative.
	Age time.Duration

	// Next is the next height to notarize: the next multiple of the
	// interval above the last notarized height.
	Next int32

	// Notarized reports whether a notarization counts yet; Health is
	// HealthAt(Age) when one does.
	Notarized bool
	Health    Health
}

// LagAt returns the lag at sidechain tip sideTip and time now of the last
// notarization that counts (nil: none yet), whose mainchain block has the
// timestamp lastTime.
func LagAt(last *Notarization, lastTime time.Time, sideTip int32, now time.Time,
	np *chainparams.NotaryParams) Lag {

	l := Lag{Blocks: max(sideTip+1, 0), Next: np.NotarizationInterval}
	if last == nil {
		return l
	}
	l.Notarized = true
	l.Blocks = max(sideTip-last.Height, 0)
	l.Next = (last.Height/np.NotarizationInterval + 1) * np.NotarizationInterval
	l.Age = max(now.Sub(lastTime), 0)
	l.Health = HealthAt(l.Age, np)
	return l
}
