package api

// Exported for the tests of package api_test.

// StreamPageSize is streamPageSize.
const StreamPageSize = streamPageSize

// SetMaxStreams sets the most subscription streams s serves at once, and
// how many of them are kept for admin.
func SetMaxStreams(s *Server, n, reserved int) {
	s.subs.mu.Lock()
	s.subs.max, s.subs.reserved = n, reserved
	s.subs.mu.Unlock()
}

// Int32Twins is int32Twins, by full names.
func Int32Twins() map[string]string {
	out := make(map[string]string, len(int32Twins))
	for k, v := range int32Twins {
		out[string(k)] = string(v)
	}
	return out
}

// SetMaxLongPolls sets the most long polls s holds at once, and how many
// of them are kept for admin.
func SetMaxLongPolls(s *Server, n, reserved int) {
	s.polls.mu.Lock()
	s.polls.max, s.polls.reserved = n, reserved
	s.polls.mu.Unlock()
}

// LongPolls returns how many long polls s holds.
func LongPolls(s *Server) int {
	s.polls.mu.Lock()
	defer s.polls.mu.Unlock()
	return s.polls.n
}

// MaxSubmitBlockMsg is maxSubmitBlockMsg.
const MaxSubmitBlockMsg = maxSubmitBlockMsg
