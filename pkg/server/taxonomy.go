package server

import (
	"net/http"

	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/labstack/echo/v4"
)

func (s *Server) getTaxonomy(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{
		"categories":      intel.Categories,
		"indicators":      intel.Indicators,
		"classifications": intel.Classifications,
		"grading": map[string]any{
			"source":     map[string]string{"1": "reliable", "2": "untested", "3": "not reliable"},
			"assessment": map[string]string{"A": "known directly", "B": "known indirectly, corroborated", "C": "known indirectly", "D": "not known", "E": "suspected false"},
			"handling":   map[string]string{"P": "lawful sharing permitted", "C": "conditions apply (state them)"},
		},
		"csv_columns": intel.CSVColumns,
	})
}
