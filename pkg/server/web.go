package server

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb/geojson"
)

// securityHeaders sets the headers every answer carries: a strict content
// security policy (the basemap's host added for images only), no framing,
// no sniffing, no referrer, and HSTS when the request came over TLS.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	csp := "default-src 'self'; img-src 'self' data:" + tileSource(s.cfg.TileURL) +
		"; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if c.Scheme() == "https" {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		return next(c)
	}
}

// tileSource is the CSP source of the basemap's tiles, or "" for none.
func tileSource(tileURL string) string {
	if tileURL == "" || tileURL == "none" {
		return ""
	}
	u, err := url.Parse(strings.ReplaceAll(tileURL, "{s}", "a"))
	if err != nil || u.Host == "" {
		return ""
	}
	host := u.Host
	if strings.Contains(tileURL, "{s}.") {
		host = "*." + strings.SplitN(host, ".", 2)[1]
	}
	return " " + u.Scheme + "://" + host
}

// mapConfig is what the map page needs to start.
type mapConfig struct {
	TileURL         string           `json:"tile_url"`
	TileAttribution string           `json:"tile_attribution"`
	ServiceArea     *geojson.Feature `json:"service_area"`
	DataFirst       *string          `json:"data_first"`
	DataLast        *string          `json:"data_last"`
	MinCellReports  int              `json:"min_cell_reports"`
}

func (s *Server) getMapConfig(c echo.Context) error {
	if err := s.Sync(c.Request().Context()); err != nil {
		return err
	}
	cfg := mapConfig{TileURL: s.cfg.TileURL, TileAttribution: s.cfg.TileAttribution,
		ServiceArea: geojson.NewFeature(s.validator.Area.Shape), MinCellReports: s.cfg.MinCellReports}
	if cfg.TileURL == "none" {
		cfg.TileURL = ""
	}
	if first, last, ok := s.engine.Span(); ok {
		f, l := first.Format(time.RFC3339), last.Format(time.RFC3339)
		cfg.DataFirst, cfg.DataLast = &f, &l
	}
	return c.JSON(http.StatusOK, cfg)
}
