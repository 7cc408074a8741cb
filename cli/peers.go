package cli

// The peers group: the commands that list, connect, disconnect, ban and
// unban the node's sidechain peers. Each is a commandSpec with group
// groupPeers, added to the list below; sidecli help lists the group once
// it has a command.
func peerCommands() []commandSpec {
	return nil
}
