package node

import (
	"context"
	"strings"

	"github.com/btcsuite/btclog"

	"github.com/mainstake/sidenode/api"
)

// control gives the API the node's own controls (nodeapi.Control): its
// shutdown and its log levels.
type control struct {
	shutdown context.CancelFunc
}

// Shutdown cancels the context Run runs under, as SIGINT does.
func (c control) Shutdown() {
	log.Infof("Shutdown requested by the operator through the API")
	c.shutdown()
}

// levelName is the --debuglevel word for a btclog level.
func levelName(l btclog.Level) string {
	switch l {
	case btclog.LevelTrace:
		return "trace"
	case btclog.LevelDebug:
		return "debug"
	case btclog.LevelInfo:
		return "info"
	case btclog.LevelWarn:
		return "warn"
	case btclog.LevelError:
		return "error"
	case btclog.LevelCritical:
		return "critical"
	case btclog.LevelOff:
		return "off"
	}
	return strings.ToLower(l.String())
}

// LogLevels returns every subsystem with its level, ordered by tag.
func (control) LogLevels() []api.LogLevel {
	tags := supportedSubsystems()
	out := make([]api.LogLevel, len(tags))
	for i, tag := range tags {
		out[i] = api.LogLevel{Tag: tag,
			Level: levelName(subsystemLoggers[tag].Level())}
	}
	return out
}

// SetLogLevels applies spec as --debuglevel does.
func (control) SetLogLevels(spec string) error {
	if err := SetLogLevels(spec); err != nil {
		return err
	}
	log.Infof("Log levels set by the operator: %s", spec)
	return nil
}
