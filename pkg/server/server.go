// Package server is hexwatch's HTTP interface: echo routes, middleware and
// handlers, and the mapping of domain errors to problem+json.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// Server holds the dependencies of every handler.
type Server struct {
	cfg     config.Config
	db      *store.DB
	log     *slog.Logger
	echo    *echo.Echo
	metrics *metrics
	version string
}

// New builds the HTTP handler tree of hexwatch.
func New(cfg config.Config, db *store.DB, log *slog.Logger, version string) *Server {
	s := &Server{cfg: cfg, db: db, log: log, version: version, metrics: newMetrics(db)}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(requestID, s.observe, middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic", "request_id", RequestID(c), "err", err, "stack", string(stack))
			return err
		},
	}), middleware.BodyLimit(strconv.FormatInt(s.cfg.BodyLimit, 10)))
	s.echo = e
	s.routes()
	return s
}

// Echo exposes the router, so that tests can add routes of their own.
func (s *Server) Echo() *echo.Echo { return s.echo }

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metrics.handler)
	e.GET("/api/openapi.yaml", s.openAPI)

	e.GET("/", s.static)
	e.GET("/assets/*", s.static)
}

// Run serves on ln until ctx is cancelled, then stops accepting connections
// and waits up to the shutdown timeout for in-flight requests to finish.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String(), "version", s.version)

	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	if err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	return nil
}
