// Package config reads hexwatch's settings from environment variables and
// command-line flags into one typed struct.
//
// Every setting is described once, in Variables, with its environment
// variable, flag, default and meaning. A value comes from the default, is
// replaced by the environment variable when that is set, and by the flag when
// that is given: flags win over the environment, which wins over defaults.
package config

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultDatabaseURL is the local database that `make db` provisions, as
// the service's own role (store.AppRole), which `hexwatch migrate up`
// creates.
const DefaultDatabaseURL = "postgres://hexwatch_app@127.0.0.1:5432/hexwatch?sslmode=disable"

// DefaultOwnerURL is the same local database as the owner of its schema,
// which migrations run as.
const DefaultOwnerURL = "postgres://postgres@127.0.0.1:5432/hexwatch?sslmode=disable"

// Config holds every setting of the hexwatch binary.
type Config struct {
	DatabaseURL       string
	MigrateURLSetting string
	PrimaryURL        string
	AllowSuperuser    bool
	DBMaxConns        int
	Addr              string
	LogLevel          slog.Level
	Migrate           bool
	BodyLimit         int64
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	ShutdownTimeout   time.Duration
	RequestTimeout    time.Duration
	SessionIdle       time.Duration
	SessionMax        time.Duration
	LoginWindow       time.Duration
	LoginMaxFailures  int
	ServiceArea       string
	Retention         time.Duration
	RetentionBy       string
	PurgeEvery        time.Duration
	ClockSkew         time.Duration
	BulkLimit         int64
	BulkConcurrency   int
	HeavyConcurrency  int
	MinCellReports    int
	BufferRings       int
	PublishedMaxRes   int
	PublishedBudget   int
	ReleaseHistory    int
	// CorroborationMetres and CorroborationDays: counted reports of two
	// agencies this close in space and time corroborate each other.
	CorroborationMetres float64
	CorroborationDays   int
	MaxCells            int
	TileURL             string
	TileAttribution     string
	Gazetteer           string
	PprofAddr           string
	MetricsAddr         string
	RateLimit           float64
	RateBurst           int
	TrustedProxies      string
	// Concerns from the public (README: "Report a concern").
	PublicConcerns    bool
	ConcernKey        string
	ConcernExitURL    string
	ConcernTileURL    string
	ConcernsPerHour   int
	ConcernsPerDay    int
	ConcernDifficulty int
}

// Scope says which subcommands a setting applies to.
type Scope int

const (
	// Database settings apply to every subcommand that opens the database.
	Database Scope = iota
	// HTTP settings apply to the server only.
	HTTP
)

// Variable describes one setting.
type Variable struct {
	Env     string
	Flag    string
	Default string
	Usage   string
	Scope   Scope
	value   flag.Value
}

// Variables lists every setting bound to the fields of c, in documentation order.
func (c *Config) Variables() []Variable {
	return []Variable{
		{"HEXWATCH_DATABASE_URL", "database-url", DefaultDatabaseURL, "PostgreSQL/PostGIS connection URL", Database, (*stringValue)(&c.DatabaseURL)},
		{"HEXWATCH_MIGRATE_DATABASE_URL", "migrate-database-url", "", "the schema owner's URL, which migrations and the app role's grants run as; empty: HEXWATCH_DATABASE_URL, or the local owner when that is the default", Database, (*stringValue)(&c.MigrateURLSetting)},
		{"HEXWATCH_DB_MAX_CONNS", "db-max-conns", "10", "largest number of pooled database connections", Database, (*intValue)(&c.DBMaxConns)},
		{"HEXWATCH_LOG_LEVEL", "log-level", "info", "log level: debug, info, warn or error", Database, (*levelValue)(&c.LogLevel)},
		{"HEXWATCH_SERVICE_AREA", "service-area", "", "GeoJSON polygon of the area served: reports outside it are refused; empty for the built-in Cambridgeshire and Peterborough", Database, (*stringValue)(&c.ServiceArea)},
		{"HEXWATCH_RETENTION", "retention", "2190d", "how long a report is kept before review (review_at = observed_at + this); older reports are refused", Database, (*durationValue)(&c.Retention)},
		{"HEXWATCH_RETENTION_BY_CATEGORY", "retention-by-category", "", "retention periods of some categories, e.g. community_concern=365d,suspicious_vehicle=730d", Database, (*stringValue)(&c.RetentionBy)},
		{"HEXWATCH_CLOCK_SKEW", "clock-skew", "5m", "how far in the future observed_at may be", Database, (*durationValue)(&c.ClockSkew)},
		{"HEXWATCH_CORROBORATION_METRES", "corroboration-metres", "150", "counted reports of different agencies this close corroborate each other (with HEXWATCH_CORROBORATION_DAYS)", Database, (*floatValue)(&c.CorroborationMetres)},
		{"HEXWATCH_CORROBORATION_DAYS", "corroboration-days", "7", "counted reports of different agencies observed this many days apart or fewer corroborate each other (with HEXWATCH_CORROBORATION_METRES)", Database, (*intValue)(&c.CorroborationDays)},
		{"HEXWATCH_ADDR", "addr", ":8080", "address the HTTP server listens on", HTTP, (*stringValue)(&c.Addr)},
		{"HEXWATCH_PRIMARY_DATABASE_URL", "primary-database-url", "", "set when HEXWATCH_DATABASE_URL is a hot standby: the primary, where this instance records what it answers (audit events, key use, budgets); it serves reads, refuses changes, runs no releases or purges, and says when its data are stale", HTTP, (*stringValue)(&c.PrimaryURL)},
		{"HEXWATCH_MIGRATE", "migrate", "true", "apply pending migrations when the server starts", HTTP, (*boolValue)(&c.Migrate)},
		{"HEXWATCH_ALLOW_SUPERUSER", "allow-superuser", "false", "development only: let serve connect as a superuser or table owner, a role that could rewrite the audit log", HTTP, (*boolValue)(&c.AllowSuperuser)},
		{"HEXWATCH_BODY_LIMIT", "body-limit", "1MiB", "largest request body accepted by ordinary endpoints", HTTP, (*bytesValue)(&c.BodyLimit)},
		{"HEXWATCH_READ_HEADER_TIMEOUT", "read-header-timeout", "5s", "time allowed to read request headers", HTTP, (*durationValue)(&c.ReadHeaderTimeout)},
		{"HEXWATCH_READ_TIMEOUT", "read-timeout", "5m", "time allowed to read a whole request, body included", HTTP, (*durationValue)(&c.ReadTimeout)},
		{"HEXWATCH_WRITE_TIMEOUT", "write-timeout", "5m", "time allowed to write a response", HTTP, (*durationValue)(&c.WriteTimeout)},
		{"HEXWATCH_IDLE_TIMEOUT", "idle-timeout", "2m", "time an idle keep-alive connection is kept", HTTP, (*durationValue)(&c.IdleTimeout)},
		{"HEXWATCH_REQUEST_TIMEOUT", "request-timeout", "30s", "deadline of the database work of an ordinary request", HTTP, (*durationValue)(&c.RequestTimeout)},
		{"HEXWATCH_SHUTDOWN_TIMEOUT", "shutdown-timeout", "30s", "time in-flight requests get to finish on SIGINT/SIGTERM", HTTP, (*durationValue)(&c.ShutdownTimeout)},
		{"HEXWATCH_BULK_LIMIT", "bulk-limit", "1GiB", "largest bulk upload accepted (413 beyond)", HTTP, (*bytesValue)(&c.BulkLimit)},
		{"HEXWATCH_BULK_CONCURRENCY", "bulk-concurrency", "2", "bulk uploads processed at once; more wait for a slot, then get 503", HTTP, (*intValue)(&c.BulkConcurrency)},
		{"HEXWATCH_HEAVY_CONCURRENCY", "heavy-concurrency", "4", "hotspot computations (maps, explanations, snapshots) run at once; more wait their turn, and a caller's rate limit is charged by the time its computations take", HTTP, (*intValue)(&c.HeavyConcurrency)},
		{"HEXWATCH_MIN_CELL_REPORTS", "min-cell-reports", "5", "the floor of the weekly releases (the published view of callers who may not read raw reports): no cell is shown with fewer counted reports outside its largest agency, nor any split with fewer; above it a cell is shown on a perturbed count (README: releases)", HTTP, (*intValue)(&c.MinCellReports)},
		{"HEXWATCH_PUBLISHED_MAX_RES", "published-max-res", "8", "finest H3 resolution of the published view (6 to 10)", HTTP, (*intValue)(&c.PublishedMaxRes)},
		{"HEXWATCH_PUBLISHED_BUDGET", "published-budget", "200", "distinct parameter sets each agency may ask of the published view per cell (or for the map, or snapshots) per day; 429 beyond", HTTP, (*intValue)(&c.PublishedBudget)},
		{"HEXWATCH_BUFFER_RINGS", "buffer-rings", "2", "the buffer of a location of concern's evaluation: the cells within this many rings around its area (README: locations of concern)", HTTP, (*intValue)(&c.BufferRings)},
		{"HEXWATCH_RELEASE_HISTORY", "release-history", "52", "weeks before the latest cut-off whose missing releases serve computes at start (marked late); the latest is always computed", HTTP, (*intValue)(&c.ReleaseHistory)},
		{"HEXWATCH_MAX_CELLS", "max-cells", "30000", "largest number of cells one hotspot answer may hold (400 beyond: narrow the request)", HTTP, (*intValue)(&c.MaxCells)},
		{"HEXWATCH_TILE_URL", "tile-url", "", "basemap tile URL template of the map (ideally a tile server of your own: every viewport an analyst looks at is asked of it); empty for none, the map then shows the service area and the gazetteer's places", HTTP, (*stringValue)(&c.TileURL)},
		{"HEXWATCH_TILE_ATTRIBUTION", "tile-attribution", "© OpenStreetMap contributors", "attribution shown with the basemap", HTTP, (*stringValue)(&c.TileAttribution)},
		{"HEXWATCH_GAZETTEER", "gazetteer", "", "CSV of named places (name,lat,lon) that the map and the snapshot exports name hexagons after; empty for the built-in one of Cambridgeshire and Peterborough", HTTP, (*stringValue)(&c.Gazetteer)},
		{"HEXWATCH_METRICS_ADDR", "metrics-addr", "127.0.0.1:9090", "address of /metrics (Prometheus), apart from the API; empty for none", HTTP, (*stringValue)(&c.MetricsAddr)},
		{"HEXWATCH_PPROF_ADDR", "pprof-addr", "", "if set, a loopback address (127.0.0.1:6060) serving Go's pprof profiles, for diagnosis", HTTP, (*stringValue)(&c.PprofAddr)},
		{"HEXWATCH_RATE_LIMIT", "rate-limit", "50", "API requests per second allowed to each API key, user or (when anonymous) address; 0 for no limit", HTTP, (*floatValue)(&c.RateLimit)},
		{"HEXWATCH_RATE_BURST", "rate-burst", "200", "requests a caller may make at once above its rate", HTTP, (*intValue)(&c.RateBurst)},
		{"HEXWATCH_PURGE_EVERY", "purge-every", "0s", "if set (e.g. 24h), the server erases reports past their review date this often; 0s leaves it to hexwatch purge", HTTP, (*durationValue)(&c.PurgeEvery)},
		{"HEXWATCH_SESSION_IDLE", "session-idle", "30m", "a session unused this long ends", HTTP, (*durationValue)(&c.SessionIdle)},
		{"HEXWATCH_SESSION_MAX", "session-max", "12h", "a session ends this long after login, however used", HTTP, (*durationValue)(&c.SessionMax)},
		{"HEXWATCH_LOGIN_WINDOW", "login-window", "15m", "window over which failed logins are counted", HTTP, (*durationValue)(&c.LoginWindow)},
		{"HEXWATCH_LOGIN_MAX_FAILURES", "login-max-failures", "5", "failed logins of one username in the window before each further attempt waits (1 s after the last failure, doubling with each); ten times that per address", HTTP, (*intValue)(&c.LoginMaxFailures)},
		{"HEXWATCH_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated addresses or CIDR ranges of the reverse proxies in front of the server, whose X-Forwarded-For names the caller; empty: the caller is the connection's address", HTTP, (*stringValue)(&c.TrustedProxies)},
		{"HEXWATCH_PUBLIC_CONCERNS", "public-concerns", "false", "serve the public \"Report a concern\" page at /concern and POST /api/v1/concerns, open to anyone (needs HEXWATCH_CONCERN_KEY)", HTTP, (*boolValue)(&c.PublicConcerns)},
		{"HEXWATCH_CONCERN_KEY", "concern-key", "", "32 bytes, base64: seals the contact details of public concerns (AES-256-GCM) and signs their proof-of-work nonces; keep it apart from the database and its backups", HTTP, (*stringValue)(&c.ConcernKey)},
		{"HEXWATCH_CONCERN_EXIT_URL", "concern-exit-url", "https://www.google.co.uk/", "the neutral page that Quick exit and Esc replace the concern page with", HTTP, (*stringValue)(&c.ConcernExitURL)},
		{"HEXWATCH_CONCERN_TILE_URL", "concern-tile-url", "", "basemap tile URL template of the concern page, only of a tile server of your own (every visitor's viewport is asked of it); empty for none: the page draws the area and its places", HTTP, (*stringValue)(&c.ConcernTileURL)},
		{"HEXWATCH_CONCERNS_PER_HOUR", "concerns-per-hour", "5", "concerns accepted from one address (an IPv6 /64) in an hour; 429 beyond", HTTP, (*intValue)(&c.ConcernsPerHour)},
		{"HEXWATCH_CONCERNS_PER_DAY", "concerns-per-day", "20", "concerns accepted from one address (an IPv6 /64) in a day; 429 beyond", HTTP, (*intValue)(&c.ConcernsPerDay)},
		{"HEXWATCH_CONCERN_DIFFICULTY", "concern-difficulty", "18", "leading zero bits of the proof-of-work hash each concern must carry (each bit doubles the work; README: abuse)", HTTP, (*intValue)(&c.ConcernDifficulty)},
	}
}

// Load fills a Config for the given scopes from defaults, then getenv, then
// the flags in args, which are registered on fs. It returns fs's remaining
// arguments.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string, scopes ...Scope) (Config, []string, error) {
	var c Config
	for _, v := range c.Variables() {
		if !inScope(v.Scope, scopes) {
			continue
		}
		if err := v.value.Set(v.Default); err != nil {
			return c, nil, fmt.Errorf("config: default of %s: %w", v.Env, err)
		}
		if s, ok := lookup(getenv, v.Env); ok {
			if err := v.value.Set(s); err != nil {
				return c, nil, fmt.Errorf("config: %s=%q: %w", v.Env, s, err)
			}
		}
		fs.Var(v.value, v.Flag, fmt.Sprintf("%s (env %s, default %s)", v.Usage, v.Env, v.Default))
	}
	if err := fs.Parse(args); err != nil {
		return c, nil, err
	}
	return c, fs.Args(), c.validate(scopes)
}

func lookup(getenv func(string) string, name string) (string, bool) {
	s := getenv(name)
	return s, s != ""
}

func inScope(s Scope, scopes []Scope) bool {
	for _, want := range scopes {
		if s == want {
			return true
		}
	}
	return false
}

func (c Config) validate(scopes []Scope) error {
	var errs []error
	if inScope(Database, scopes) {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			errs = append(errs, errors.New("HEXWATCH_DATABASE_URL must be a postgres:// URL"))
		}
		if _, err := c.RetentionByCategory(); err != nil {
			errs = append(errs, err)
		}
		if c.Retention < 24*time.Hour {
			errs = append(errs, errors.New("HEXWATCH_RETENTION must be at least 1d"))
		}
		if c.DBMaxConns < 2 {
			errs = append(errs, errors.New("HEXWATCH_DB_MAX_CONNS must be at least 2"))
		}
		if c.CorroborationMetres <= 0 || c.CorroborationMetres > 5000 || c.CorroborationDays < 0 || c.CorroborationDays > 365 {
			errs = append(errs, errors.New("HEXWATCH_CORROBORATION_METRES must be more than 0 and at most 5000, HEXWATCH_CORROBORATION_DAYS 0 to 365"))
		}
	}
	if inScope(HTTP, scopes) {
		if c.MinCellReports < 1 || c.MaxCells < 1 {
			errs = append(errs, errors.New("HEXWATCH_MIN_CELL_REPORTS and HEXWATCH_MAX_CELLS must be at least 1"))
		}
		if c.PublishedMaxRes < 6 || c.PublishedMaxRes > 10 {
			errs = append(errs, errors.New("HEXWATCH_PUBLISHED_MAX_RES must be from 6 to 10"))
		}
		if c.ReleaseHistory < 0 || c.ReleaseHistory > 520 {
			errs = append(errs, errors.New("HEXWATCH_RELEASE_HISTORY must be from 0 to 520 weeks"))
		}
		if c.BufferRings < 1 || c.BufferRings > 5 {
			errs = append(errs, errors.New("HEXWATCH_BUFFER_RINGS must be 1 to 5"))
		}
		if c.PublishedBudget < 1 {
			errs = append(errs, errors.New("HEXWATCH_PUBLISHED_BUDGET must be at least 1"))
		}
		if c.HeavyConcurrency < 1 {
			errs = append(errs, errors.New("HEXWATCH_HEAVY_CONCURRENCY must be at least 1"))
		}
		if c.BulkConcurrency < 1 {
			errs = append(errs, errors.New("HEXWATCH_BULK_CONCURRENCY must be at least 1"))
		}
		if c.LoginMaxFailures < 1 {
			errs = append(errs, errors.New("HEXWATCH_LOGIN_MAX_FAILURES must be at least 1"))
		}
		if c.PublicConcerns {
			if _, err := ConcernKeyBytes(c.ConcernKey); err != nil {
				errs = append(errs, fmt.Errorf("HEXWATCH_PUBLIC_CONCERNS needs HEXWATCH_CONCERN_KEY: %w", err))
			}
			if u, err := url.Parse(c.ConcernExitURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				errs = append(errs, errors.New("HEXWATCH_CONCERN_EXIT_URL must be an http(s) URL"))
			}
		}
		if c.ConcernsPerHour < 1 || c.ConcernsPerDay < c.ConcernsPerHour {
			errs = append(errs, errors.New("HEXWATCH_CONCERNS_PER_HOUR must be at least 1 and HEXWATCH_CONCERNS_PER_DAY at least that"))
		}
		if c.ConcernDifficulty < 0 || c.ConcernDifficulty > 32 {
			errs = append(errs, errors.New("HEXWATCH_CONCERN_DIFFICULTY must be from 0 to 32 bits"))
		}
		if _, err := ParseProxies(c.TrustedProxies); err != nil {
			errs = append(errs, err)
		}
		if c.BodyLimit < 1024 {
			errs = append(errs, errors.New("HEXWATCH_BODY_LIMIT must be at least 1KiB"))
		}
		for name, d := range map[string]time.Duration{
			"HEXWATCH_READ_HEADER_TIMEOUT": c.ReadHeaderTimeout, "HEXWATCH_READ_TIMEOUT": c.ReadTimeout,
			"HEXWATCH_WRITE_TIMEOUT": c.WriteTimeout, "HEXWATCH_IDLE_TIMEOUT": c.IdleTimeout,
			"HEXWATCH_REQUEST_TIMEOUT": c.RequestTimeout, "HEXWATCH_SHUTDOWN_TIMEOUT": c.ShutdownTimeout,
			"HEXWATCH_SESSION_IDLE": c.SessionIdle, "HEXWATCH_SESSION_MAX": c.SessionMax, "HEXWATCH_LOGIN_WINDOW": c.LoginWindow,
		} {
			if d <= 0 {
				errs = append(errs, fmt.Errorf("%s must be positive", name))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

// ConcernKeyBytes decodes HEXWATCH_CONCERN_KEY: 32 bytes in standard or
// URL-safe base64 (openssl rand -base64 32).
func ConcernKeyBytes(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("not set (make one with: openssl rand -base64 32)")
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(strings.TrimSpace(s)); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("want 32 bytes, got %d", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("not base64 (make one with: openssl rand -base64 32)")
}

// ParseProxies reads HEXWATCH_TRUSTED_PROXIES: addresses or CIDR ranges.
func ParseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if a, err := netip.ParseAddr(part); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("HEXWATCH_TRUSTED_PROXIES: %q is neither an address nor a CIDR range", part)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// The flag.Value adapters below let one description serve defaults,
// environment and flags alike.

type stringValue string

func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }
func (v *stringValue) String() string     { return string(*v) }

type intValue int

func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	*v = intValue(n)
	return err
}
func (v *intValue) String() string { return strconv.Itoa(int(*v)) }

type floatValue float64

func (v *floatValue) Set(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f != f {
		return fmt.Errorf("want a number of at least 0")
	}
	*v = floatValue(f)
	return nil
}
func (v *floatValue) String() string { return strconv.FormatFloat(float64(*v), 'g', -1, 64) }

type boolValue bool

func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	*v = boolValue(b)
	return err
}
func (v *boolValue) String() string   { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) IsBoolFlag() bool { return true }

type durationValue time.Duration

// Set accepts Go durations (90s, 72h) and whole days (28d).
func (v *durationValue) Set(s string) error {
	d, err := ParseDuration(s)
	*v = durationValue(d)
	return err
}

// ParseDuration reads a Go duration such as 72h or 90s, or a number of
// days such as 28d.
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || n < 0 || n > 36500 {
			return 0, fmt.Errorf("want a duration such as 28d, 72h or 90m, got %q", s)
		}
		return time.Duration(n * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 28d, 72h or 90m, got %q", s)
	}
	return d, nil
}
func (v *durationValue) String() string {
	d := time.Duration(*v)
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}

type levelValue slog.Level

func (v *levelValue) Set(s string) error { return (*slog.Level)(v).UnmarshalText([]byte(s)) }
func (v *levelValue) String() string     { return slog.Level(*v).String() }

type bytesValue int64

// Set accepts a plain byte count or one with a KiB, MiB or GiB suffix.
func (v *bytesValue) Set(s string) error {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("want a byte count such as 1048576 or 1MiB")
	}
	*v = bytesValue(n * mult)
	return nil
}
func (v *bytesValue) String() string { return strconv.FormatInt(int64(*v), 10) }

// RetentionByCategory parses HEXWATCH_RETENTION_BY_CATEGORY.
func (c Config) RetentionByCategory() (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for _, part := range strings.Split(c.RetentionBy, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		cat, dur, ok := strings.Cut(part, "=")
		d, err := ParseDuration(strings.TrimSpace(dur))
		if !ok || err != nil || d < 24*time.Hour {
			return nil, fmt.Errorf("HEXWATCH_RETENTION_BY_CATEGORY: want category=period pairs such as community_concern=365d, got %q", part)
		}
		out[strings.TrimSpace(cat)] = d
	}
	return out, nil
}

// MigrateURL is the URL migrations run as: HEXWATCH_MIGRATE_DATABASE_URL,
// else the local owner when HEXWATCH_DATABASE_URL is the default, else
// HEXWATCH_DATABASE_URL.
func (c Config) MigrateURL() string {
	switch {
	case c.MigrateURLSetting != "":
		return c.MigrateURLSetting
	case c.DatabaseURL == DefaultDatabaseURL:
		return DefaultOwnerURL
	}
	return c.DatabaseURL
}
