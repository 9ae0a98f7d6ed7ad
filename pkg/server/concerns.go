package server

import (
	"bytes"
	"errors"
	"html/template"
	"io/fs"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb/geojson"

	"github.com/hexwatch/hexwatch/pkg/concern"
	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/places"
	"github.com/hexwatch/hexwatch/pkg/store"
	"github.com/hexwatch/hexwatch/web"
)

// concerns is the public "Report a concern" desk: on only with
// HEXWATCH_PUBLIC_CONCERNS. The sealer opens contact details for the
// evaluation queue whenever HEXWATCH_CONCERN_KEY is set.
type concerns struct {
	on      bool
	puzzles *concern.Puzzles
	sealer  *concern.Sealer
	limits  *concern.Limits
	page    *template.Template
	csp     string
}

const concernsPath = "/api/v1/concerns"

// concernBodyLimit bounds a concern's body: its fields' limits and then some.
const concernBodyLimit = "16K"

func newConcerns(cfg config.Config) (*concerns, error) {
	d := &concerns{on: cfg.PublicConcerns}
	if cfg.ConcernKey != "" {
		key, err := config.ConcernKeyBytes(cfg.ConcernKey)
		if err != nil {
			return nil, errors.New("HEXWATCH_CONCERN_KEY: " + err.Error())
		}
		if d.sealer, err = concern.NewSealer(key); err != nil {
			return nil, err
		}
		d.puzzles = concern.NewPuzzles(key, cfg.ConcernDifficulty)
	}
	if !d.on {
		return d, nil
	}
	if d.sealer == nil {
		return nil, errors.New("HEXWATCH_PUBLIC_CONCERNS needs HEXWATCH_CONCERN_KEY")
	}
	d.limits = concern.NewLimits(cfg.ConcernsPerHour, cfg.ConcernsPerDay)
	shell, err := fs.ReadFile(web.Static, "concern.html")
	if err != nil {
		return nil, err
	}
	if d.page, err = template.New("concern").Parse(string(shell)); err != nil {
		return nil, err
	}
	// The page asks nothing of another host, unless the operator gave it
	// a tile server of their own.
	d.csp = "default-src 'self'; img-src 'self' data:" + tileSource(cfg.ConcernTileURL) +
		"; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	return d, nil
}

// concernRoutes are the public endpoints of the concern page, when it is on.
func (s *Server) concernRoutes() []route {
	if !s.concerns.on {
		return nil
	}
	return []route{
		{method: http.MethodGet, path: concernsPath + "/form", public: true, handler: s.concernForm},
		{method: http.MethodGet, path: concernsPath + "/nonce", public: true, handler: s.concernNonce},
		{method: http.MethodPost, path: concernsPath, public: true, handler: s.createConcern},
	}
}

// noStore keeps an answer out of every cache, the browser's included.
func noStore(c echo.Context) { c.Response().Header().Set("Cache-Control", "no-store") }

// concernPage is the page, its Quick exit's address written in.
func (s *Server) concernPage(c echo.Context) error {
	if !s.concerns.on {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", s.concerns.csp)
	noStore(c)
	var b bytes.Buffer
	if err := s.concerns.page.Execute(&b, map[string]string{"ExitURL": s.cfg.ConcernExitURL}); err != nil {
		return err
	}
	return c.HTMLBlob(http.StatusOK, b.Bytes())
}

// concernForm is what the page shows: its boxes, times, places and map.
type concernForm struct {
	Boxes           []concern.Box       `json:"boxes"`
	Times           []concern.TimeOfDay `json:"times"`
	Places          []places.Place      `json:"places"`
	ServiceArea     *geojson.Feature    `json:"service_area"`
	TileURL         string              `json:"tile_url"`
	TileAttribution string              `json:"tile_attribution"`
	ExitURL         string              `json:"exit_url"`
	MaxDetails      int                 `json:"max_details"`
	MaxContactName  int                 `json:"max_contact_name"`
	MaxContactWay   int                 `json:"max_contact_way"`
}

func (s *Server) concernForm(c echo.Context) error {
	noStore(c)
	f := concernForm{
		Boxes: concern.Boxes, Times: concern.Times, Places: s.places.Places(),
		ServiceArea: geojson.NewFeature(s.validator.Area.Shape), TileURL: s.cfg.ConcernTileURL,
		ExitURL: s.cfg.ConcernExitURL, MaxDetails: concern.MaxDetails,
		MaxContactName: concern.MaxContactName, MaxContactWay: concern.MaxContactWay,
	}
	if f.TileURL != "" {
		f.TileAttribution = s.cfg.TileAttribution
	}
	return c.JSON(http.StatusOK, f)
}

// concernNonce issues a proof-of-work puzzle.
func (s *Server) concernNonce(c echo.Context) error {
	noStore(c)
	return c.JSON(http.StatusOK, s.concerns.puzzles.Issue())
}

// concernAnswer is all a person gets back: a reference to quote.
type concernAnswer struct {
	Reference string `json:"reference"`
	Message   string `json:"message"`
}

// concernFields maps the report's fields to the page's.
var concernFields = map[string]string{
	"location": "where", "observed_at": "when", "narrative": "details",
	"category": "seen", "indicators": "seen", "precision_m": "where",
}

// createConcern takes a concern from the public into the evaluation
// queue: checked, proved, limited, then stored with its contact details
// sealed. A filled honeypot and a repeat of the same words from the same
// address in a day get the same answer as a stored concern.
func (s *Server) createConcern(c echo.Context) error {
	noStore(c)
	var req concern.Request
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	now := time.Now()
	ref := concern.NewReference()
	made, errs := concern.Make(req, ref, s.places, now)
	if errs != nil {
		return badRequest("the concern is not complete: see errors", errs...)
	}
	r, errs := s.validator.Validate(made.Submission)
	if errs != nil {
		for i, fe := range errs {
			field, _, _ := strings.Cut(fe.Field, ".")
			if to, ok := concernFields[strings.Split(field, "[")[0]]; ok {
				errs[i].Field = to
			}
		}
		return badRequest("the concern is not complete: see errors", errs...)
	}
	ctx := c.Request().Context()
	spent, expires, err := s.concerns.puzzles.Check(req.Nonce, req.Solution)
	if err == nil {
		var fresh bool
		if fresh, err = s.db.SpendNonce(ctx, spent, expires); err != nil {
			return err
		} else if !fresh {
			err = concern.ErrNonceUsed
		}
	}
	if err != nil {
		field := "nonce"
		if errors.Is(err, concern.ErrUnsolved) {
			field = "solution"
		}
		return badRequest("the page's check did not pass: reload the page and send again", FieldError{Field: field, Message: err.Error()})
	}

	addr, fp := c.RealIP(), req.Fingerprint()
	prev, wait := s.concerns.limits.Admit(addr, fp, ref, now)
	switch {
	case wait > 0:
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return newProblem(http.StatusTooManyRequests, "too many concerns from this connection: please try again later, or call Crimestoppers on 0800 555 111")
	case prev != "":
		return c.JSON(http.StatusCreated, concernThanks(prev))
	case req.Website != "":
		return c.JSON(http.StatusCreated, concernThanks(ref)) // counted, stored nowhere
	}

	r.ID, r.AgencyID = uuid.Must(uuid.NewV7()), store.PublicAgencyID
	r.Intake(false)
	var sealed []byte
	if made.Contact != "" {
		sealed = s.concerns.sealer.Seal(r.ID, made.Contact)
	}
	// The audit says a concern came, never from where.
	ev := store.AuditEvent{Action: store.ActionCollect, Actor: "public", RequestID: RequestID(c)}
	o, err := s.db.InsertConcern(ctx, r, sealed, ev)
	if err == nil && o.Status != store.Created {
		err = errors.New("a concern's reference is taken") // 50 random bits: not seen
	}
	if err != nil {
		s.concerns.limits.Release(addr, fp, now)
		return err
	}
	return c.JSON(http.StatusCreated, concernThanks(ref))
}

func concernThanks(ref string) concernAnswer {
	return concernAnswer{Reference: ref, Message: "Thank you. We have your concern. A police officer will look at it. Your reference is " + ref + "."}
}

// publicRoute: the request log keeps no address of the concern page's callers.
func publicRoute(path string) bool {
	return path == "/concern" || strings.HasPrefix(path, concernsPath) || strings.HasPrefix(path, "/assets/concern.")
}

// trustProxies makes the caller's address the one the trusted proxies name
// in X-Forwarded-For; without any, the connection's.
func trustProxies(e *echo.Echo, cfg config.Config) error {
	prefixes, err := config.ParseProxies(cfg.TrustedProxies)
	if err != nil || len(prefixes) == 0 {
		e.IPExtractor = echo.ExtractIPDirect()
		return err
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range prefixes {
		_, n, err := net.ParseCIDR(p.String())
		if err != nil {
			return err
		}
		opts = append(opts, echo.TrustIPRange(n))
	}
	e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	return nil
}

// contactsOf opens the contact details of the public's reports in rs.
func (s *Server) contactsOf(c echo.Context, rs []intel.Report) (map[uuid.UUID]string, error) {
	var ids []uuid.UUID
	for _, r := range rs {
		if r.AgencyID == store.PublicAgencyID {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 || s.concerns.sealer == nil {
		return nil, nil
	}
	sealed, err := s.db.ConcernContacts(c.Request().Context(), ids)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]string, len(sealed))
	for id, b := range sealed {
		if out[id], err = s.concerns.sealer.Open(id, b); err != nil {
			s.log.Error("contact details do not open", "report", id, "err", err)
			out[id] = "(the contact details do not open with this server's HEXWATCH_CONCERN_KEY)"
		}
	}
	return out, nil
}
