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
