package api

// Exported for the tests of package api_test.

// StreamPageSize is streamPageSize.
const StreamPageSize = streamPageSize

// SetMaxStreams sets the most subscription streams s serves at once.
func SetMaxStreams(s *Server, n int) {
	s.subs.mu.Lock()
	s.subs.max = n
	s.subs.mu.Unlock()
}
