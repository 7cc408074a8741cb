package stratum

import (
	"fmt"
	"time"

	"github.com/mainstake/sidenode/pow/stratum/vardiff"
)

// Config is the server's configuration. DefaultConfig returns the
// defaults; every limit is one field, and a zero or negative value where a
// positive one is needed is refused by New.
type Config struct {
	// Extranonce2Size is the size in bytes of the extranonce2 miners
	// roll (at least 4).
	Extranonce2Size int

	// VersionMask is the server's BIP310 version-rolling mask: the
	// header version bits a miner may roll. A miner's mask is its
	// requested mask AND this one.
	VersionMask uint32

	// Vardiff is the default port's difficulty policy (target share
	// interval, retarget period, dead band, floor and ceiling).
	// StartDifficulty is the first difficulty of a connection.
	Vardiff         vardiff.Config
	StartDifficulty float64

	// MaxJobs is the number of recent jobs kept: a share for an older
	// job is stale (21).
	MaxJobs int

	// MaxSharesPerJob bounds each job's duplicate set (entries of about
	// 55 bytes). A job whose set is full refuses further shares (20);
	// the server sends a new job once the newest job's set holds 3/4 of
	// this.
	MaxSharesPerJob int

	// JobRefresh sends a new job from a fresh template this often when
	// the template has not changed (so that difficulty changes reach
	// miners that hold one job for long). Zero disables it.
	JobRefresh time.Duration

	// MaxConnections and MaxConnsPerIP bound the open connections in
	// total and from one IP address.
	MaxConnections int
	MaxConnsPerIP  int

	// MaxLineSize is the largest request line in bytes (newline
	// included); a longer one disconnects without being read whole.
	MaxLineSize int

	// ReadBufferSize is a connection's first read buffer; it grows (by
	// doubling) only while a line does not fit, up to MaxLineSize, and
	// shrinks back once the line is handled.
	ReadBufferSize int

	// MaxWriteQueue bounds the bytes queued for one connection; a
	// client whose queue would overflow is dropped.
	MaxWriteQueue int

	// MaxBufferedBytes bounds the bytes held in read buffers above
	// ReadBufferSize and in write queues over all connections; a
	// connection that would push the total over it is dropped.
	MaxBufferedBytes int64

	// WriteTimeout drops a client whose socket takes no bytes for this
	// long while the server has some to send.
	WriteTimeout time.Duration

	// HandshakeTimeout drops a connection not subscribed and authorized
	// this long after it connected.
	HandshakeTimeout time.Duration

	// IdleTimeout drops a connection that sent no accepted share and no
	// successful request for this long.
	IdleTimeout time.Duration

	// LineTimeout drops a connection with part of a line pending for
	// this long (slowloris).
	LineTimeout time.Duration

	// SweepInterval is how often the timeouts above are checked.
	SweepInterval time.Duration

	// SubmitRate (per second) and SubmitBurst are each connection's
	// token bucket for mining.submit; a submit without a token is
	// refused (20) unchecked and does not count toward the ban.
	SubmitRate  float64
	SubmitBurst int

	// MaxProtocolErrors disconnects a connection after this many
	// unparsable lines or unknown methods.
	MaxProtocolErrors int

	// BanCheckThreshold, BanInvalidRatio and BanDuration: after every
	// BanCheckThreshold checked submits of a connection, if the share of
	// invalid ones exceeds BanInvalidRatio (0..1), the connection is
	// dropped and its IP refused for BanDuration. BanCheckThreshold 0
	// disables the ban. MaxBans bounds the ban table.
	BanCheckThreshold int
	BanInvalidRatio   float64
	BanDuration       time.Duration
	MaxBans           int

	// SessionTTL is how long a disconnected session can be resumed;
	// MaxSessions bounds the table of resumable sessions.
	SessionTTL  time.Duration
	MaxSessions int

	// HashrateWindow is the window of the hashrate estimates.
	HashrateWindow time.Duration

	// Now is the clock (time.Now when nil); tests inject one.
	Now func() time.Time
}

// DefaultConfig returns the default configuration.
func DefaultConfig() Config {
	return Config{
		Extranonce2Size: 4,
		VersionMask:     0x1fffe000,
		Vardiff: vardiff.Config{
			TargetInterval: 10 * time.Second,
			RetargetEvery:  90 * time.Second,
			DeadBand:       0.3,
			Min:            1,
			Max:            1 << 40,
		},
		StartDifficulty:   64,
		MaxJobs:           8,
		MaxSharesPerJob:   1 << 18,
		JobRefresh:        30 * time.Second,
		MaxConnections:    50000,
		MaxConnsPerIP:     1024,
		MaxLineSize:       4096,
		ReadBufferSize:    512,
		MaxWriteQueue:     64 << 10,
		MaxBufferedBytes:  256 << 20,
		WriteTimeout:      30 * time.Second,
		HandshakeTimeout:  60 * time.Second,
		IdleTimeout:       15 * time.Minute,
		LineTimeout:       30 * time.Second,
		SweepInterval:     time.Second,
		SubmitRate:        100,
		SubmitBurst:       200,
		MaxProtocolErrors: 10,
		BanCheckThreshold: 50,
		BanInvalidRatio:   0.5,
		BanDuration:       10 * time.Minute,
		MaxBans:           100000,
		SessionTTL:        10 * time.Minute,
		MaxSessions:       100000,
		HashrateWindow:    10 * time.Minute,
	}
}

// check refuses a configuration the server cannot run with, naming the
// field.
func (c *Config) check() error {
	positive := []struct {
		name string
		v    int64
	}{
		{"MaxJobs", int64(c.MaxJobs)},
		{"MaxSharesPerJob", int64(c.MaxSharesPerJob)},
		{"MaxConnections", int64(c.MaxConnections)},
		{"MaxConnsPerIP", int64(c.MaxConnsPerIP)},
		{"MaxLineSize", int64(c.MaxLineSize)},
		{"ReadBufferSize", int64(c.ReadBufferSize)},
		{"MaxWriteQueue", int64(c.MaxWriteQueue)},
		{"MaxBufferedBytes", c.MaxBufferedBytes},
		{"WriteTimeout", int64(c.WriteTimeout)},
		{"HandshakeTimeout", int64(c.HandshakeTimeout)},
		{"IdleTimeout", int64(c.IdleTimeout)},
		{"LineTimeout", int64(c.LineTimeout)},
		{"SweepInterval", int64(c.SweepInterval)},
		{"SubmitBurst", int64(c.SubmitBurst)},
		{"MaxProtocolErrors", int64(c.MaxProtocolErrors)},
		{"MaxBans", int64(c.MaxBans)},
		{"SessionTTL", int64(c.SessionTTL)},
		{"MaxSessions", int64(c.MaxSessions)},
		{"HashrateWindow", int64(c.HashrateWindow)},
	}
	for _, p := range positive {
		if p.v <= 0 {
			return fmt.Errorf("stratum config: %s must be positive, got %d", p.name, p.v)
		}
	}
	switch {
	case c.Extranonce2Size < 4 || c.Extranonce2Size > 16:
		return fmt.Errorf("stratum config: Extranonce2Size must be 4..16 bytes, got %d", c.Extranonce2Size)
	case c.SubmitRate <= 0:
		return fmt.Errorf("stratum config: SubmitRate must be positive (submits per second), got %v", c.SubmitRate)
	case c.StartDifficulty <= 0:
		return fmt.Errorf("stratum config: StartDifficulty must be positive, got %v", c.StartDifficulty)
	case c.BanCheckThreshold < 0:
		return fmt.Errorf("stratum config: BanCheckThreshold must not be negative, got %d", c.BanCheckThreshold)
	case c.BanInvalidRatio < 0 || c.BanInvalidRatio > 1:
		return fmt.Errorf("stratum config: BanInvalidRatio must be within 0..1, got %v", c.BanInvalidRatio)
	case c.BanCheckThreshold > 0 && c.BanDuration <= 0:
		return fmt.Errorf("stratum config: BanDuration must be positive when BanCheckThreshold is set, got %v", c.BanDuration)
	case c.ReadBufferSize > c.MaxLineSize:
		return fmt.Errorf("stratum config: ReadBufferSize (%d) must not exceed MaxLineSize (%d)", c.ReadBufferSize, c.MaxLineSize)
	}
	return checkVardiff("Vardiff", c.Vardiff)
}

// checkVardiff refuses a vardiff policy that package vardiff refuses.
func checkVardiff(name string, v vardiff.Config) error {
	if err := v.Validate(); err != nil {
		return fmt.Errorf("stratum config: %s: %w", name, err)
	}
	return nil
}
