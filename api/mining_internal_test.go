package api

import (
	"context"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"
)

// pollBackend holds every long poll until release is closed.
type pollBackend struct {
	Backend // nil: only BlockTemplate is called
	entered chan struct{}
	release chan struct{}
}

func (b *pollBackend) BlockTemplate(ctx context.Context, id string) (*BlockTemplate, error) {
	b.entered <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(&wire.TxIn{SignatureScript: make([]byte, 10)})
	return &BlockTemplate{Coinbase: TemplateTx{Tx: cb}, Target: big.NewInt(1), LongPollID: "next"}, nil
}

// TestRESTLongPollOutlastsWriteTimeout: a long poll over REST is answered
// however long it waited, beyond the gateway's write timeout, which
// bounds each write, not the wait before the first.
func TestRESTLongPollOutlastsWriteTimeout(t *testing.T) {
	defer func(d time.Duration) { restWriteTimeout = d }(restWriteTimeout)
	restWriteTimeout = 50 * time.Millisecond

	b := &pollBackend{entered: make(chan struct{}, 1), release: make(chan struct{})}
	s, cred, tlsConf := startRESTServer(t, b)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf.Clone()}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, "https://"+s.RESTAddrs()[0].String()+
		"/v1/mining/template?long_poll_id=current", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+cred)
	type answer struct {
		status int
		body   string
		err    error
	}
	res := make(chan answer, 1)
	go func() {
		resp, err := client.Do(req)
		if err != nil {
			res <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		res <- answer{resp.StatusCode, string(body), err}
	}()
	<-b.entered
	// The wait outlasts the deadline set when the request came in.
	time.Sleep(4 * restWriteTimeout)
	close(b.release)
	a := <-res
	if a.err != nil || a.status != http.StatusOK || !strings.Contains(a.body, `"long_poll_id":"next"`) {
		t.Fatalf("long poll: HTTP %d %q, %v", a.status, a.body, a.err)
	}
}
