package randomx

import (
	"errors"
	"fmt"
)

// Monero's key rotation parameters.
const (
	// SeedHashEpochBlocks is how often the key changes, in blocks: the
	// seed height is a multiple of it.
	SeedHashEpochBlocks = 2048

	// SeedHashEpochLag is how many blocks after an epoch boundary the key
	// switches to the boundary block, so that every node has seen that
	// block (and can prepare its cache) before it is needed.
	SeedHashEpochLag = 64
)

// Schedule is a key rotation: the key of the block at height h is the ID of
// the block at SeedHeight(h).
type Schedule struct {
	// EpochBlocks is the rotation period, a power of two.
	EpochBlocks uint64
	// Lag is the delay, in blocks, after a boundary before its block
	// becomes the key.
	Lag uint64
}

// MoneroSchedule is the rotation Monero uses: 2048 blocks with a 64-block
// lag.
var MoneroSchedule = Schedule{EpochBlocks: SeedHashEpochBlocks, Lag: SeedHashEpochLag}

// Validate checks that the schedule is usable.
func (s Schedule) Validate() error {
	if s.EpochBlocks < 2 || s.EpochBlocks&(s.EpochBlocks-1) != 0 {
		return fmt.Errorf("randomx seed epoch %d blocks: must be a power of two, at least 2", s.EpochBlocks)
	}
	if s.Lag >= s.EpochBlocks {
		return errors.New("randomx seed lag must be smaller than the seed epoch")
	}
	return nil
}

// SeedHeight returns the height of the block whose ID is the key of the
// block at height: 0 up to EpochBlocks+Lag, then (height-Lag-1) rounded down
// to a multiple of EpochBlocks. This is Monero's rx_seedheight.
func (s Schedule) SeedHeight(height uint64) uint64 {
	if height <= s.EpochBlocks+s.Lag {
		return 0
	}
	return (height - s.Lag - 1) &^ (s.EpochBlocks - 1)
}

// NextSeedHeight returns the seed height that blocks Lag heights above
// height will use: when it differs from SeedHeight(height), its block is
// already in the chain and a node can prepare the next key.
func (s Schedule) NextSeedHeight(height uint64) uint64 {
	return s.SeedHeight(height + s.Lag)
}
