package api

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// CredentialSize is the size of a credential in bytes; credential files
// hold it as 64 hex digits.
const CredentialSize = 32

// AuthorizationKey is the gRPC metadata key that carries the credential,
// as "Bearer <hex>".
const AuthorizationKey = "authorization"

// bearerPrefix starts the value of the authorization metadata.
const bearerPrefix = "Bearer "

// role is what a credential allows.
type role int

const (
	roleNone role = iota
	roleReadOnly
	roleAdmin
)

func (r role) String() string {
	switch r {
	case roleAdmin:
		return "admin"
	case roleReadOnly:
		return "read-only"
	}
	return "none"
}

// tokens are the server's two credentials.
type tokens struct {
	admin, readOnly []byte

	// waitingForWallet is Config.WaitingForWallet (walletGate).
	waitingForWallet bool
}

// loadOrCreateCredentials reads both credential files, creating each one
// that is missing.
func loadOrCreateCredentials(adminPath, readOnlyPath string) (*tokens, error) {
	admin, err := loadOrCreateCredential(adminPath)
	if err != nil {
		return nil, err
	}
	readOnly, err := loadOrCreateCredential(readOnlyPath)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(admin, readOnly) == 1 {
		return nil, fmt.Errorf("credential files %s and %s hold the same "+
			"credential: delete %s to have a new one generated",
			adminPath, readOnlyPath, readOnlyPath)
	}
	return &tokens{admin: admin, readOnly: readOnly}, nil
}

// loadOrCreateCredential reads the credential in path, or, when the file
// does not exist, writes a new random one there with mode 0600.
func loadOrCreateCredential(path string) ([]byte, error) {
	cred, err := ReadCredential(path)
	if err == nil {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			log.Warnf("Credential file %s is readable by others (mode %v): "+
				"chmod 600 it", path, fi.Mode().Perm())
		}
		return cred, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}

	cred = make([]byte, CredentialSize)
	if _, err := rand.Read(cred); err != nil {
		return nil, fmt.Errorf("generate credential: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("credential dir: %w", err)
	}
	if err := writeFileAtomic(path, []byte(hex.EncodeToString(cred)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write credential: %w", err)
	}
	log.Infof("Created credential file %s", path)
	return cred, nil
}

// ReadCredential reads a credential file: 64 hex digits, surrounding white
// space ignored. An error for a missing file wraps fs.ErrNotExist.
func ReadCredential(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read credential: %w", err)
	}
	cred, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(cred) != CredentialSize {
		return nil, fmt.Errorf("credential file %s: want %d hex digits",
			path, 2*CredentialSize)
	}
	return cred, nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// dir, so that path never holds part of it.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// authenticate returns the role of the credential in the request's
// metadata. Both tokens are compared in constant time.
func (c *tokens) authenticate(ctx context.Context) (role, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	return c.authenticateValues(md.Get(AuthorizationKey))
}

// authenticateValues returns the role of the credential in values, the
// authorization metadata of a gRPC call or the Authorization headers of a
// REST request.
func (c *tokens) authenticateValues(values []string) (role, error) {
	switch len(values) {
	case 0:
		return roleNone, status.Errorf(codes.Unauthenticated,
			"no credential: send %q metadata (over REST, the HTTP "+
				"header Authorization) %q followed by the hex "+
				"contents of %s or %s", AuthorizationKey, bearerPrefix,
			AdminCredFilename, ReadOnlyCredFilename)
	case 1:
	default:
		return roleNone, status.Errorf(codes.Unauthenticated,
			"%d %q metadata values: send one", len(values), AuthorizationKey)
	}
	v := values[0]
	if len(v) < len(bearerPrefix) || !strings.EqualFold(v[:len(bearerPrefix)], bearerPrefix) {
		return roleNone, status.Errorf(codes.Unauthenticated,
			"%s metadata must be %q followed by the credential in hex",
			AuthorizationKey, bearerPrefix)
	}
	token, err := hex.DecodeString(strings.TrimSpace(v[len(bearerPrefix):]))
	if err != nil || len(token) != CredentialSize {
		return roleNone, status.Errorf(codes.Unauthenticated,
			"invalid credential: want %d hex digits", 2*CredentialSize)
	}
	isAdmin := subtle.ConstantTimeCompare(token, c.admin)
	isReadOnly := subtle.ConstantTimeCompare(token, c.readOnly)
	switch {
	case isAdmin == 1:
		return roleAdmin, nil
	case isReadOnly == 1:
		return roleReadOnly, nil
	}
	return roleNone, status.Error(codes.Unauthenticated, "unknown credential")
}

// authorize checks that the request may call method: it needs a known
// credential, an entry for method in the permission map, and the admin
// credential for a write method.
func (c *tokens) authorize(ctx context.Context, method string) error {
	_, err := c.authorizeRole(ctx, method)
	return err
}

// authorizeRole is authorize, returning the caller's role as well.
func (c *tokens) authorizeRole(ctx context.Context, method string) (role, error) {
	r, err := c.authenticate(ctx)
	if err != nil {
		log.Debugf("%s refused: %v", method, err)
		return roleNone, err
	}
	return r, c.permit(r, method)
}

// permit checks that role r may call method.
func (c *tokens) permit(r role, method string) error {
	perm, ok := permissions[method]
	if !ok {
		perm, ok = reflectionPermissions[method]
	}
	if !ok {
		log.Warnf("%s refused: the method has no permission entry", method)
		return status.Errorf(codes.PermissionDenied,
			"method %s has no permission entry: refused", method)
	}
	switch perm.Action {
	case Read:
		return nil
	case Write:
		if r == roleAdmin {
			return nil
		}
		log.Debugf("%s refused to the %v credential", method, r)
		return status.Errorf(codes.PermissionDenied,
			"%s needs %s, which only the admin credential (%s) allows",
			method, perm, AdminCredFilename)
	}
	return status.Errorf(codes.PermissionDenied,
		"method %s has an unknown action %q: refused", method, perm.Action)
}

// unaryInterceptor enforces the credentials on unary calls, and tells the
// handler its caller's role (callerRole), by which the server counts long
// polls.
func (c *tokens) unaryInterceptor(ctx context.Context, req any,
	info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {

	r, err := c.authorizeRole(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}
	if err := c.walletGate(info.FullMethod); err != nil {
		return nil, err
	}
	return handler(context.WithValue(ctx, roleKey{}, r), req)
}

// walletGate refuses, on a server of a node that waits for its wallet
// (Config.WaitingForWallet), every method but CreateWallet and
// UnlockWallet.
func (c *tokens) walletGate(method string) error {
	if !c.waitingForWallet {
		return nil
	}
	switch method {
	case apiv1.WalletService_CreateWallet_FullMethodName, apiv1.WalletService_UnlockWallet_FullMethodName:
		return nil
	}
	return status.Errorf(codes.FailedPrecondition, "the node waits for its wallet: "+
		"unlock it (sidecli unlock), or create one (sidecli create), and it starts")
}

// streamInterceptor enforces the credentials on streams, and tells the
// stream its caller's role (callerRole), by which the server counts
// subscription streams.
func (c *tokens) streamInterceptor(srv any, ss grpc.ServerStream,
	info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {

	r, err := c.authorizeRole(ss.Context(), info.FullMethod)
	if err != nil {
		return err
	}
	if err := c.walletGate(info.FullMethod); err != nil {
		return err
	}
	return handler(srv, &roleStream{ServerStream: ss,
		ctx: context.WithValue(ss.Context(), roleKey{}, r)})
}

// roleKey is the context key of the caller's role.
type roleKey struct{}

// callerRole returns the role the interceptors found for the call of ctx;
// roleNone if they found none.
func callerRole(ctx context.Context) role {
	r, _ := ctx.Value(roleKey{}).(role)
	return r
}

// roleStream is a stream whose context carries its caller's role.
type roleStream struct {
	grpc.ServerStream
	ctx context.Context
}

// Context implements grpc.ServerStream.
func (s *roleStream) Context() context.Context { return s.ctx }
