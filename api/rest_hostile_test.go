package api_test

import (
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
)

// badUTF8Paths are requests whose path or query decodes to bytes that are
// not UTF-8: the cases the probe of issue 11 found answered 500.
var badUTF8Paths = []string{
	"/v1/sidetxs/%ff",
	"/v1/sideaddresses/%ff/utxos",
	"/v1/peg/verifypayout?raw_tx_hex=%ff",
	"/v1/subscribe/lottery?cursor.hash=%c3%28",
	"/v1/subscribe/sideblocks?cursor.hash=%c3%28",
	"/v1/sideblocks/%ff",
	"/v1/peg/deposits/%ff",
	"/v1/peg/outpoints/%ff:1",
	"/v1/peg/withdrawals/%ff",
	"/v1/sideaddresses/%ff/balance",
	"/v1/tickets?limit=%ff",
	"/v1/%ff",
}

// TestRESTBadUTF8 checks that a path or query that is not UTF-8 is
// answered 401 without a credential and 400 with one, never 500.
func TestRESTBadUTF8(t *testing.T) {
	srv := apitest.StartServer(t, apitest.NewBackend(5), nil)
	client := restClient(t, srv)
	admin := credential(t, srv, api.AdminCredFilename)
	for _, p := range badUTF8Paths {
		c := restCall{verb: "GET", path: p}
		status, body := restDo(t, client, srv, "", c)
		wantREST(t, "no credential: "+p, status, body, http.StatusUnauthorized, codes.Unauthenticated)
		status, body = restDo(t, client, srv, admin, c)
		if status == http.StatusNotFound {
			continue
		}
		wantREST(t, "admin: "+p, status, body, http.StatusBadRequest, codes.InvalidArgument)
	}
}
