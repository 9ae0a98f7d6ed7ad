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
			"source":     intel.Labels(intel.Sources),
			"assessment": intel.Labels(intel.Assessments),
			"handling":   intel.Labels(intel.Handlings),
		},
		"csv_columns":     intel.CSVColumns,
		"tactics":         intel.Tactics,
		"action_statuses": intel.ActionStatuses,
	})
}
