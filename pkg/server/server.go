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

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/live"
	"github.com/hexwatch/hexwatch/pkg/snapshot"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// Server holds the dependencies of every handler.
type Server struct {
	cfg       config.Config
	db        *store.DB
	validator *intel.Validator
	// bulkSlots bounds the bulk uploads processed at once.
	bulkSlots chan struct{}
	engine    *live.Engine
	places    *snapshot.Gazetteer
	limits    *limiter
	heavy     heavyWork
	geo       geoWriter
	rendered  *renderCache
	log       *slog.Logger
	echo      *echo.Echo
	metrics   *metrics
	version   string
	consults  *auditQueue
	spent     spentSets
}

// New builds the HTTP handler tree of hexwatch.
func New(cfg config.Config, db *store.DB, v *intel.Validator, log *slog.Logger, version string) (*Server, error) {
	engine, err := live.New(v.Area.Shape, db)
	if err != nil {
		return nil, err
	}
	places, err := snapshot.LoadGazetteer(cfg.Gazetteer)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, db: db, validator: v, log: log, version: version,
		bulkSlots: make(chan struct{}, cfg.BulkConcurrency), heavy: make(heavyWork, cfg.HeavyConcurrency), engine: engine, rendered: newRenderCache(renderCacheBytes), places: places, geo: geoWriter{places: places}}
	s.metrics = newMetrics(db, func() int { return len(s.bulkSlots) })
	s.consults = newAuditQueue(db, log)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	// No proxy is trusted: the caller's address is the connection's.
	e.IPExtractor = echo.ExtractIPDirect()
	e.Use(requestID, s.observe, s.securityHeaders, strictQuery, middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic", "request_id", RequestID(c), "err", err, "stack", string(stack))
			return err
		},
	}), middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit:   strconv.FormatInt(s.cfg.BodyLimit, 10),
		Skipper: func(c echo.Context) bool { return c.Path() == bulkPath },
	}))
	if cfg.RateLimit > 0 {
		s.limits = newLimiter(cfg.RateLimit, cfg.RateBurst)
	}
	s.echo = e
	s.routes()
	return s, nil
}

// Metrics is the Prometheus handler of the server's metrics. It is not on
// the API's address: serve puts it on HEXWATCH_METRICS_ADDR (loopback by
// default), since it tells of the service's use.
func (s *Server) Metrics() http.Handler { return s.metrics.handler }

// FlushAudit writes the consult events still queued.
func (s *Server) FlushAudit() { s.consults.Flush() }

// Echo exposes the router, so that tests can add routes of their own.
func (s *Server) Echo() *echo.Echo { return s.echo }

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/api/openapi.yaml", s.openAPI)
	for _, r := range s.apiRoutes() {
		var mw []echo.MiddlewareFunc
		if r.path == bulkPath {
			mw = append(mw, middleware.BodyLimit(strconv.FormatInt(s.cfg.BulkLimit, 10)))
		} else {
			mw = append(mw, s.deadline)
		}
		if !r.public {
			mw = append(mw, s.authenticate, s.rateLimit, s.require(r.perm))
		} else {
			mw = append(mw, s.rateLimit)
		}
		e.Add(r.method, r.path, r.handler, mw...)
	}

	e.GET("/", s.page)
	e.GET("/assets/*", s.assets)
}

// route is one API endpoint and the permission it needs.
type route struct {
	method, path string
	// perm is what the caller must hold; "" admits any authenticated caller.
	perm auth.Permission
	// public routes admit anonymous callers.
	public  bool
	handler echo.HandlerFunc
}

// apiRoutes is the API: every route names who may call it.
func (s *Server) apiRoutes() []route {
	const v1 = "/api/v1"
	return []route{
		{http.MethodPost, v1 + "/session", "", true, s.login},
		{http.MethodDelete, v1 + "/session", "", false, s.logout},
		{http.MethodGet, v1 + "/me", "", false, s.getMe},

		{http.MethodGet, v1 + "/agencies", auth.ViewReference, false, s.listAgencies},
		{http.MethodPost, v1 + "/agencies", auth.ManageIdentities, false, s.createAgency},
		{http.MethodGet, v1 + "/users", auth.ManageIdentities, false, s.listUsers},
		{http.MethodPost, v1 + "/users", auth.ManageIdentities, false, s.createUser},
		{http.MethodPatch, v1 + "/users/:id", auth.ManageIdentities, false, s.updateUser},
		{http.MethodGet, v1 + "/keys", auth.ManageIdentities, false, s.listKeys},
		{http.MethodPost, v1 + "/keys", auth.ManageIdentities, false, s.createKey},
		{http.MethodDelete, v1 + "/keys/:id", auth.ManageIdentities, false, s.revokeKey},
		{http.MethodGet, v1 + "/audit", auth.ReadAudit, false, s.listAudit},
		{http.MethodGet, v1 + "/disclosure", auth.ReadAudit, false, s.getDisclosureReport},

		{http.MethodGet, v1 + "/taxonomy", auth.ViewReference, false, s.getTaxonomy},
		{http.MethodPost, v1 + "/reports", auth.SubmitReports, false, s.createReport},
		{http.MethodPost, bulkPath, auth.SubmitReports, false, s.bulkReports},
		{http.MethodGet, v1 + "/reports", auth.ReadOwnReports, false, s.listReports},
		{http.MethodGet, v1 + "/reports/:id", auth.ReadOwnReports, false, s.getReport},
		{http.MethodPatch, v1 + "/reports/:id", auth.ReadOwnReports, false, s.amendReport},
		{http.MethodDelete, v1 + "/reports/:id", auth.ReadOwnReports, false, s.withdrawReport},
		{http.MethodPost, v1 + "/reports/:id/erase", auth.EraseData, false, s.eraseReport},
		{http.MethodPost, v1 + "/reports/:id/retain", auth.EraseData, false, s.retainReport},
		{http.MethodGet, v1 + "/review", auth.EraseData, false, s.listReview},

		{http.MethodGet, v1 + "/map-config", auth.ViewReference, false, s.getMapConfig},
		{http.MethodGet, v1 + "/hotspots", auth.ViewHotspots, false, s.listHotspots},
		{http.MethodGet, v1 + "/hotspots/:cell", auth.ViewHotspots, false, s.getHotspotCell},

		{http.MethodPost, v1 + "/snapshots", auth.CreateSnapshots, false, s.createSnapshot},
		{http.MethodGet, v1 + "/snapshots", auth.ExportSnapshots, false, s.listSnapshots},
		{http.MethodGet, v1 + "/snapshots/:id", auth.ExportSnapshots, false, s.getSnapshot},
		{http.MethodGet, v1 + "/snapshots/:id/changes", auth.ExportSnapshots, false, s.snapshotChanges},
		{http.MethodGet, v1 + "/snapshots/:id/:export", auth.ExportSnapshots, false, s.exportSnapshot},
		{http.MethodDelete, v1 + "/snapshots/:id", auth.EraseData, false, s.deleteSnapshot},
	}
}

// bulkPath streams uploads of any size: it has its own body limit and no
// request deadline.
const bulkPath = "/api/v1/reports/bulk"

// deadline bounds the work of an ordinary request.
func (s *Server) deadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.RequestTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
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
	s.consults.Flush()
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	if err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	return nil
}
