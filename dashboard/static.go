package dashboard

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
)

// staticFile is an embedded file as the dashboard serves it: its bytes,
// gzipped once, and an ETag of its content, so that a browser revalidates
// it with a 304 rather than load it again.
type staticFile struct {
	ctype string
	raw   []byte
	gz    []byte
	etag  string
}

// staticFiles holds the prepared files, by name.
type staticFiles struct {
	mu    sync.Mutex
	files map[string]*staticFile
}

// get returns the prepared file name, preparing it from data once.
func (s *staticFiles) get(name, ctype string, data func() ([]byte, bool)) (*staticFile, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.files[name]; ok {
		return f, true
	}
	raw, ok := data()
	if !ok {
		return nil, false
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	sum := sha256.Sum256(raw)
	f := &staticFile{ctype: ctype, raw: raw, gz: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	if s.files == nil {
		s.files = make(map[string]*staticFile)
	}
	s.files[name] = f
	return f, true
}

// serve writes f: 304 when the browser holds it, gzipped when the browser
// takes gzip.
func (f *staticFile) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	h.Set("Vary", "Accept-Encoding")
	// The browser keeps a script or style, and asks each time whether
	// it changed. A page stays no-store: a page the browser may keep in
	// its back-forward cache would hold its event stream open there.
	if !strings.HasPrefix(f.ctype, "text/html") {
		h.Set("Cache-Control", "private, no-cache")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		_, _ = w.Write(f.gz)
		return
	}
	_, _ = w.Write(f.raw)
}
