package api

import (
	"fmt"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// apiPackage is the proto package of the API's services.
const apiPackage = "sidenode.api.v1"

// registeredMethods returns the full gRPC name of every method of every
// service in the generated code of the API's proto package.
func registeredMethods(t *testing.T) map[string]bool {
	t.Helper()
	// Referencing the Go package registers its files.
	_ = apiv1.File_sidenode_api_v1_node_proto

	methods := make(map[string]bool)
	protoregistry.GlobalFiles.RangeFilesByPackage(apiPackage,
		func(fd protoreflect.FileDescriptor) bool {
			services := fd.Services()
			for i := 0; i < services.Len(); i++ {
				sd := services.Get(i)
				ms := sd.Methods()
				for j := 0; j < ms.Len(); j++ {
					methods[fmt.Sprintf("/%s/%s", sd.FullName(), ms.Get(j).Name())] = true
				}
			}
			return true
		})
	if len(methods) == 0 {
		t.Fatalf("no services registered in package %s", apiPackage)
	}
	return methods
}

// TestPermissionsComplete fails on any method of the generated services
// that has no entry in the permission map (the server would refuse it),
// and on any entry that names no method.
func TestPermissionsComplete(t *testing.T) {
	methods := registeredMethods(t)
	for m := range methods {
		p, ok := permissions[m]
		if !ok {
			t.Errorf("method %s has no entry in the permission map (api/permissions.go)", m)
			continue
		}
		if p.Entity == "" || (p.Action != Read && p.Action != Write) {
			t.Errorf("method %s: malformed permission %q", m, p)
		}
	}
	for m := range permissions {
		if !methods[m] {
			t.Errorf("permission map entry %s names no method", m)
		}
	}
}

// TestServerServesEveryService checks that the server registers exactly
// the services of the proto package, so that the test above covers every
// method the server serves, and every generated service is served.
func TestServerServesEveryService(t *testing.T) {
	gs := grpc.NewServer()
	(&Server{}).register(gs)
	served := make(map[string]bool)
	for svc, info := range gs.GetServiceInfo() {
		for _, m := range info.Methods {
			served[fmt.Sprintf("/%s/%s", svc, m.Name)] = true
		}
	}
	registered := registeredMethods(t)
	for m := range registered {
		if !served[m] {
			t.Errorf("method %s is generated but not served (register its service in Server.register)", m)
		}
	}
	for m := range served {
		if !registered[m] {
			t.Errorf("method %s is served but not in package %s", m, apiPackage)
		}
	}
}
