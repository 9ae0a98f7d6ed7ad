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
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/live"
	"github.com/hexwatch/hexwatch/pkg/places"
	"github.com/hexwatch/hexwatch/pkg/release"
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
	releases  *release.Publisher
	places    *places.Gazetteer
	limits    *limiter
	heavy     heavyWork
	geo       geoWriter
	rendered  *renderCache
	split     *splitCache
	log       *slog.Logger
	echo      *echo.Echo
	metrics   *metrics
	version   string
	consults  *auditQueue
	spent     spentSets
	concerns  *concerns
	// replication is watched when db reads a hot standby.
	replication replication
}

// New builds the HTTP handler tree of hexwatch.
func New(cfg config.Config, db *store.DB, v *intel.Validator, log *slog.Logger, version string) (*Server, error) {
	engine, err := live.New(v.Area.Shape, db)
	if err != nil {
		return nil, err
	}
	gazetteer, err := places.LoadGazetteer(cfg.Gazetteer)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, db: db, validator: v, log: log, version: version,
		bulkSlots: make(chan struct{}, cfg.BulkConcurrency), heavy: make(heavyWork, cfg.HeavyConcurrency), engine: engine, rendered: newRenderCache(renderCacheBytes), split: &splitCache{}, places: gazetteer, geo: geoWriter{places: gazetteer}}
	s.releases = release.New(db, engine, release.DefaultMenu(cfg.PublishedMaxRes, cfg.MinCellReports), log)
	s.releases.History = cfg.ReleaseHistory
	s.releases.BufferRings = cfg.BufferRings
	s.metrics = newMetrics(db, func() int { return len(s.bulkSlots) })
	s.consults = newAuditQueue(db, log)
	s.replication.on = db.ReadsStandby()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	if err := trustProxies(e, cfg); err != nil {
		return nil, err
	}
	if s.concerns, err = newConcerns(cfg); err != nil {
		return nil, err
	}
	if s.concerns.on && cfg.TrustedProxies == "" {
		log.Warn("public concerns are on and HEXWATCH_TRUSTED_PROXIES is empty: behind a reverse proxy every caller has the proxy's address and all share its limits")
	}
	e.Use(requestID, s.observe, s.securityHeaders, s.markStale, strictQuery, middleware.RecoverWithConfig(middleware.RecoverConfig{
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
	for _, r := range slices.Concat(s.apiRoutes(), s.ogcRoutes(), s.concernRoutes()) {
		var mw []echo.MiddlewareFunc
		if r.path == concernsPath {
			mw = append(mw, middleware.BodyLimit(concernBodyLimit))
		}
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
	e.GET("/concern", s.concernPage)
	e.GET("/assets/*", s.assets)
}

// route is one API endpoint and the permission it needs.
type route struct {
	method, path string
	// perm is what the caller must hold; none admits any authenticated caller.
	perm auth.Permission
	// public routes admit anonymous callers.
	public  bool
	handler echo.HandlerFunc
}

// apiRoutes is the API: every route names who may call it.
func (s *Server) apiRoutes() []route {
	const v1 = "/api/v1"
	return []route{
		{method: http.MethodPost, path: v1 + "/session", public: true, handler: s.login},
		{method: http.MethodDelete, path: v1 + "/session", handler: s.logout},
		{method: http.MethodGet, path: v1 + "/me", handler: s.getMe},
		{method: http.MethodPut, path: v1 + "/me/password", handler: s.changeOwnPassword},

		{method: http.MethodGet, path: v1 + "/agencies", perm: auth.ViewReference, handler: s.listAgencies},
		{method: http.MethodPost, path: v1 + "/agencies", perm: auth.ManageIdentities, handler: s.createAgency},
		{method: http.MethodPatch, path: v1 + "/agencies/:id", perm: auth.ManageIdentities, handler: s.updateAgency},
		{method: http.MethodGet, path: v1 + "/roles", perm: auth.ManageIdentities, handler: s.listRoles},
		{method: http.MethodGet, path: v1 + "/users", perm: auth.ManageIdentities, handler: s.listUsers},
		{method: http.MethodPost, path: v1 + "/users", perm: auth.ManageIdentities, handler: s.createUser},
		{method: http.MethodPatch, path: v1 + "/users/:id", perm: auth.ManageIdentities, handler: s.updateUser},
		{method: http.MethodGet, path: v1 + "/keys", perm: auth.ManageIdentities, handler: s.listKeys},
		{method: http.MethodPost, path: v1 + "/keys", perm: auth.ManageIdentities, handler: s.createKey},
		{method: http.MethodDelete, path: v1 + "/keys/:id", perm: auth.ManageIdentities, handler: s.revokeKey},
		{method: http.MethodGet, path: v1 + "/audit", perm: auth.ReadAudit, handler: s.listAudit},
		{method: http.MethodGet, path: v1 + "/disclosure", perm: auth.ReadAudit, handler: s.getDisclosureReport},

		{method: http.MethodGet, path: v1 + "/taxonomy", perm: auth.ViewReference, handler: s.getTaxonomy},
		{method: http.MethodGet, path: v1 + "/releases", perm: auth.ViewReference, handler: s.listReleases},
		{method: http.MethodPost, path: v1 + "/reports", perm: auth.SubmitReports, handler: s.createReport},
		{method: http.MethodPost, path: bulkPath, perm: auth.SubmitReports, handler: s.bulkReports},
		{method: http.MethodGet, path: v1 + "/reports", perm: auth.ReadOwnReports, handler: s.listReports},
		{method: http.MethodGet, path: v1 + "/reports/:id", perm: auth.ReadOwnReports, handler: s.getReport},
		{method: http.MethodPatch, path: v1 + "/reports/:id", perm: auth.ChangeOwnReports, handler: s.amendReport},
		{method: http.MethodDelete, path: v1 + "/reports/:id", perm: auth.ChangeOwnReports, handler: s.withdrawReport},
		{method: http.MethodPost, path: v1 + "/reports/:id/erase", perm: auth.EraseData, handler: s.eraseReport},
		{method: http.MethodPost, path: v1 + "/reports/:id/retain", perm: auth.EraseData, handler: s.retainReport},
		{method: http.MethodGet, path: v1 + "/review", perm: auth.EraseData, handler: s.listReview},
		{method: http.MethodGet, path: v1 + "/evaluations", perm: auth.EvaluateReports, handler: s.listEvaluations},
		{method: http.MethodPost, path: v1 + "/reports/:id/evaluation", perm: auth.EvaluateReports, handler: s.evaluateReport},
		{method: http.MethodGet, path: v1 + "/feedback", perm: auth.ViewFeedback, handler: s.getFeedback},

		{method: http.MethodGet, path: v1 + "/map-config", perm: auth.ViewReference, handler: s.getMapConfig},
		{method: http.MethodGet, path: v1 + "/hotspots", perm: auth.ViewHotspots, handler: s.listHotspots},
		{method: http.MethodGet, path: v1 + "/hotspots/:cell", perm: auth.ViewHotspots, handler: s.getHotspotCell},
		{method: http.MethodGet, path: v1 + "/coverage", perm: auth.ViewHotspots, handler: s.getCoverage},
		{method: http.MethodGet, path: v1 + "/accuracy", perm: auth.ReadAllReports, handler: s.getAccuracy},
		{method: http.MethodGet, path: v1 + "/agencies/activity", perm: auth.ViewActivity, handler: s.getActivity},

		{method: http.MethodGet, path: v1 + "/locations", perm: auth.ViewReference, handler: s.listLocations},
		{method: http.MethodPost, path: v1 + "/locations", perm: auth.ManageLocations, handler: s.createLocation},
		{method: http.MethodGet, path: v1 + "/locations/:id", perm: auth.ViewReference, handler: s.getLocation},
		{method: http.MethodPatch, path: v1 + "/locations/:id", perm: auth.ManageLocations, handler: s.updateLocation},
		{method: http.MethodGet, path: v1 + "/locations/:id/evaluation", perm: auth.ViewHotspots, handler: s.locationEvaluation},
		{method: http.MethodPost, path: v1 + "/locations/:id/actions", perm: auth.ManageLocations, handler: s.createAction},
		{method: http.MethodGet, path: v1 + "/actions", perm: auth.WorkActions, handler: s.listActions},
		{method: http.MethodGet, path: v1 + "/actions/:id", perm: auth.WorkActions, handler: s.getAction},
		{method: http.MethodPatch, path: v1 + "/actions/:id", perm: auth.WorkActions, handler: s.updateAction},

		{method: http.MethodPost, path: v1 + "/snapshots", perm: auth.CreateSnapshots, handler: s.createSnapshot},
		{method: http.MethodGet, path: v1 + "/snapshots", perm: auth.ExportSnapshots, handler: s.listSnapshots},
		{method: http.MethodGet, path: v1 + "/snapshots/:id", perm: auth.ExportSnapshots, handler: s.getSnapshot},
		{method: http.MethodGet, path: v1 + "/snapshots/:id/changes", perm: auth.ExportSnapshots, handler: s.snapshotChanges},
		{method: http.MethodGet, path: v1 + "/snapshots/:id/:export", perm: auth.ExportSnapshots, handler: s.exportSnapshot},
		{method: http.MethodDelete, path: v1 + "/snapshots/:id", perm: auth.EraseData, handler: s.deleteSnapshot},
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
