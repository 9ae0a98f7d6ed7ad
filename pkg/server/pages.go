package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/api"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/web"
)

// healthz answers while the process is alive, whatever the database does.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "alive", "version": s.version})
}

// readyz answers 200 only when the database is reachable and its schema is
// the one this binary was built for, so a load balancer sends no traffic
// to an instance that would fail it.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	v, err := s.db.Ready(ctx)
	if err == nil {
		ready := map[string]any{"status": "ready", "schema_version": v}
		// A standby that lost its primary is still ready: it answers with
		// what it holds, and says so.
		// Not when the standby last applied a change, to anyone who asks:
		// it would time the primary's writes.
		if stale, st := s.replication.stale(); s.replication.on {
			repl := map[string]any{"stale": stale}
			if stale {
				repl["reason"] = staleReason(st)
			}
			ready["replication"] = repl
		}
		return c.JSON(http.StatusOK, ready)
	}
	var reason string
	switch {
	case errors.Is(err, store.ErrUnreachable):
		reason = "database unreachable"
	case errors.Is(err, store.ErrSchemaTooNew):
		reason = fmt.Sprintf("database schema version %d is newer than this binary's %d", v, store.SchemaVersion)
	case errors.Is(err, store.ErrSchemaDirty):
		reason = fmt.Sprintf("database schema version %d is dirty: a migration failed half-way", v)
	case errors.Is(err, store.ErrSchemaBehind):
		reason = fmt.Sprintf("database schema version %d is behind this binary's %d: run hexwatch migrate up", v, store.SchemaVersion)
	default:
		reason = "database check failed"
	}
	s.log.Warn("not ready", "reason", reason, "err", err)
	return newProblem(http.StatusServiceUnavailable, reason)
}

var (
	pageHandler   = http.FileServerFS(web.Static)
	assetsHandler = http.StripPrefix("/assets/", http.FileServerFS(web.Assets))
)

// openAPI serves the API contract.
func (s *Server) openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", api.OpenAPI)
}

// page serves the page shell; the application decides what to show.
func (s *Server) page(c echo.Context) error {
	pageHandler.ServeHTTP(c.Response(), c.Request())
	return nil
}

// assets serves the built bundle. The bundle's names carry no hash, so
// the browser revalidates them.
func (s *Server) assets(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-cache")
	if strings.HasPrefix(c.Param("*"), "concern.") {
		noStore(c) // a device's cache keeps no trace of the concern page
	}
	assetsHandler.ServeHTTP(c.Response(), c.Request())
	return nil
}
