// Command op runs the example OpenID provider of github.com/zitadel/oidc/v3
// (exampleop.SetupServer: its in-memory storage, login page and options) as
// the example's own main does, with two differences: it listens on
// 127.0.0.1:4981 only, and it gives /authorize back its name (the example
// moves it to /auth with op.WithCustomAuthEndpoint; the option passed here
// comes after and restores the library's default), so every endpoint is the
// library's: /authorize, /oauth/token, /userinfo, /revoke, /end_session,
// /keys. Clients, as the example registers them: "web" (storage.WebClient:
// confidential, client_secret_basic, secret "secret") and "spa"
// (storage.NativeClient: public, PKCE required, loopback redirect URIs
// matched without their port). With EXTRA_CORS_HEADERS set (a comma
// separated list) the provider's CORS policy is the library's default
// (pkg/op's defaultCORSOptions, copied here since it is not exported) with
// those request headers allowed too, through op.WithCORSOptions, as a
// deployment serving a browser SDK that sends its own header must do. Built by gen.sh in a temporary module; not
// part of traceaudit.
package main

import (
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/rs/cors"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
)

func main() {
	issuer := "http://127.0.0.1:4981/"
	storage.RegisterClients(
		storage.NativeClient("spa", "http://localhost:4982/callback.html"),
		storage.WebClient("web", "secret", "http://localhost:4983/auth/callback"),
	)
	stor := storage.NewStorage(storage.NewUserStore(issuer))
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := []op.Option{op.WithCustomAuthEndpoint(op.NewEndpoint("authorize"))}
	if extra := os.Getenv("EXTRA_CORS_HEADERS"); extra != "" {
		opts = append(opts, op.WithCORSOptions(&cors.Options{
			AllowCredentials: true,
			AllowedHeaders:   append([]string{"Origin", "Accept", "Accept-Language", "Authorization", "Content-Type", "X-Requested-With"}, strings.Split(extra, ",")...),
			AllowedMethods:   []string{http.MethodGet, http.MethodHead, http.MethodPost},
			ExposedHeaders:   []string{"Location", "Content-Length"},
			AllowOriginFunc:  func(string) bool { return true },
		}))
	}
	router := exampleop.SetupServer(issuer, stor, logger, false, opts...)
	log.Fatal(http.ListenAndServe("127.0.0.1:4981", router))
}
