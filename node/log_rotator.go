package node

import (
	"io"

	"github.com/jrick/logrotate/rotator"
)

const (
	// logRotateThresholdKB is the size at which the log file is rotated.
	// The rotator counts a KB as 1000 bytes, so 10*1024 is about 10 MiB.
	logRotateThresholdKB = 10 * 1024

	// logRotateMaxRolls is the number of rotated (gzipped) files kept.
	logRotateMaxRolls = 3
)

// openLogFile opens the log file at path through a rotator that gzips the
// file once it reaches logRotateThresholdKB and keeps logRotateMaxRolls old
// files.
func openLogFile(path string) (io.WriteCloser, error) {
	return rotator.New(path, logRotateThresholdKB, false, logRotateMaxRolls)
}
