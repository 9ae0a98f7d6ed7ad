package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"time"

	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/server"
	"github.com/hexwatch/hexwatch/pkg/store"
)

func serve(ctx context.Context, env *environment, args []string) error {
	cfg, rest, err := config.Load(flagSet(env, "serve"), args, env.getenv, config.Database, config.HTTP)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	log := newLogger(env.stderr, cfg.LogLevel)
	v, err := newValidator(cfg)
	if err != nil {
		return err
	}

	mg, err := store.NewMigrator(cfg.MigrateURL())
	if err != nil {
		return err
	}
	mg.ForApp(cfg.DatabaseURL)
	// A standby's schema is the primary's: it is migrated there.
	reader := cfg.PrimaryURL != ""
	if cfg.Migrate && !reader {
		err = mg.Up()
	} else {
		err = mg.Check()
	}
	if closeErr := mg.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return err
	}

	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err == nil {
		db.SetCorroboration(store.Corroboration{Metres: cfg.CorroborationMetres, Days: cfg.CorroborationDays})
	}
	if err != nil {
		return err
	}
	defer db.Close()
	if reader {
		if err := db.UsePrimary(ctx, cfg.PrimaryURL, 2); err != nil {
			return err
		}
		log.Info("reading a hot standby: changes are refused; the weekly releases and purges are the primary's instances' work")
	}
	if err := db.CheckUnprivileged(ctx); err != nil {
		if !cfg.AllowSuperuser {
			return fmt.Errorf("%w: serve must connect as the %s role, which `hexwatch migrate up` creates "+
				"(HEXWATCH_DATABASE_URL=postgres://%s@host/db, HEXWATCH_MIGRATE_DATABASE_URL=the owner's URL); "+
				"--allow-superuser is for development only", err, store.AppRole, store.AppRole)
		}
		log.Warn("serving as a privileged database role: the audit log is not protected from this process", "err", err)
	}

	srv, err := server.New(cfg, db, v, log, version)
	if err != nil {
		return err
	}
	// Profiles from before the load, which they may diagnose.
	if cfg.PprofAddr != "" {
		if err := servePprof(cfg.PprofAddr, log); err != nil {
			return err
		}
	}
	start := time.Now()
	if err := srv.Load(ctx); err != nil {
		return fmt.Errorf("load the hotspot engine: %w", err)
	}
	// Loading leaves garbage behind: give it back before serving.
	debug.FreeOSMemory()
	log.Info("hotspot engine loaded", "reports", srv.Engine().Len(), "ms", time.Since(start).Milliseconds())
	if cfg.MetricsAddr != "" {
		if err := serveMetrics(cfg.MetricsAddr, srv.Metrics(), env, log); err != nil {
			return err
		}
	}
	if cfg.PurgeEvery > 0 && !reader {
		go purgeEvery(ctx, db, cfg.PurgeEvery, log)
	}
	// The weekly releases: those missed are computed now (marked late),
	// each next one at its cut-off.
	if reader {
		go srv.WatchReplication(ctx)
	} else {
		go srv.Publisher().Run(ctx)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "hexwatch %s serving on %s\n", version, displayURL(ln.Addr()))
	return srv.Run(ctx, ln)
}

// newValidator checks reports against the configured service area,
// retention period and clock.
func newValidator(cfg config.Config) (*intel.Validator, error) {
	area, err := intel.LoadServiceArea(cfg.ServiceArea)
	if err != nil {
		return nil, err
	}
	byCategory, err := cfg.RetentionByCategory()
	if err != nil {
		return nil, err
	}
	return &intel.Validator{Area: area, Retention: cfg.Retention, ByCategory: byCategory, Skew: cfg.ClockSkew, Now: time.Now,
		Spreader: &hexgrid.Spreader{}}, nil
}

// displayURL is the address a person on this machine can open.
func displayURL(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	switch {
	case !ok || tcp == nil:
		if a == nil {
			return "http://localhost/"
		}
		return "http://" + a.String() + "/"
	case tcp.IP == nil || tcp.IP.IsUnspecified():
		return fmt.Sprintf("http://localhost:%d/", tcp.Port)
	}
	return "http://" + tcp.String() + "/"
}

// serveMetrics serves /metrics alone on addr, apart from the API: the
// metrics tell of the service's use and are for its operators.
func serveMetrics(addr string, h http.Handler, env *environment, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("HEXWATCH_METRICS_ADDR: %w", err)
	}
	fmt.Fprintf(env.stderr, "metrics on http://%s/metrics\n", ln.Addr())
	go func() {
		log.Warn("metrics stopped", "err", (&http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}).Serve(ln))
	}()
	return nil
}

// servePprof serves Go's profiles on a loopback address only: they reveal
// the program's inner workings.
func servePprof(addr string, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("HEXWATCH_PPROF_ADDR must be a loopback address such as 127.0.0.1:6060, got %q", addr)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/heap", pprof.Index)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	go func() {
		log.Warn("pprof stopped", "err", (&http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}).Serve(ln))
	}()
	return nil
}

// purgeEvery erases the reports past their review date, every period.
func purgeEvery(ctx context.Context, db *store.DB, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := purge(ctx, db, store.AuditEvent{Actor: "hexwatch retention job"})
		log.Info("retention purge", "erased", n, "err", err)
	}
}

// purge erases every report past its review date, in rounds.
func purge(ctx context.Context, db *store.DB, ev store.AuditEvent) (int, error) {
	total := 0
	for {
		n, err := db.PurgeDue(ctx, time.Now(), 500, ev)
		total += n
		if err != nil || n < 500 {
			return total, err
		}
	}
}

// purgeCmd is `hexwatch purge`: erase what is past its review date.
func purgeCmd(ctx context.Context, env *environment, args []string) error {
	cfg, pos, err := loadInterspersed(flagSet(env, "purge"), args, env)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "no arguments besides flags"); err != nil {
		return err
	}
	db, err := openCurrent(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := purge(ctx, db, store.AuditEvent{Actor: operatorName()})
	fmt.Fprintln(env.stdout, n)
	fmt.Fprintf(env.stderr, "erased %d reports past their review date\n", n)
	return err
}
