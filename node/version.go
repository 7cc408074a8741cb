package node

import (
	"fmt"
	"runtime"
)

// Version is the sidenode's semantic version. Release builds set it with
//
//	go build -ldflags "-X github.com/mainstake/sidenode/node.Version=1.2.3"
var Version = "0.1.0-dev"

// VersionString returns the line that --version prints: the version, the
// Go release the binary was built with, and its platform.
func VersionString() string {
	return fmt.Sprintf("sidenode version %s (%s %s/%s)", Version,
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
