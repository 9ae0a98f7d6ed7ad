package server

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/geojson"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/hexgrid"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// Locations of concern and the actions on them: every agency sees the
// locations' names and outlines (a multi-agency meeting agreed them);
// chairs and analysts record and change them; an agency sees and updates
// only the actions it owns, and another's is not found.

// maxAreaCells bounds a location's area.
const maxAreaCells = 400

// locationJSON is a location as a GeoJSON feature: its outline, and its
// actions when the caller may see some.
type locationJSON struct {
	Type       string             `json:"type"`
	ID         string             `json:"id"`
	Geometry   *geojson.Geometry  `json:"geometry"`
	Properties locationProperties `json:"properties"`
	// Actions are there (perhaps empty) only for a caller who may see some.
	Actions *[]actionJSON `json:"actions,omitempty"`
}

type locationProperties struct {
	Name         string            `json:"name"`
	MeetingRef   string            `json:"meeting_ref"`
	OwnerAgency  string            `json:"owner_agency"`
	OwnerID      uuid.UUID         `json:"owner_agency_id"`
	Status       string            `json:"status"`
	ClosedReason string            `json:"closed_reason,omitempty"`
	ReviewDate   *string           `json:"review_date"`
	Res          int               `json:"res"`
	Cells        []string          `json:"cells"`
	AreaVersion  int               `json:"area_version"`
	AreaFrom     time.Time         `json:"area_from"`
	Drawn        *geojson.Geometry `json:"drawn,omitempty"`
	// ActionCounts are its actions by status, and ActionStatus the one
	// that colours it on the map: overdue, in_progress, planned, done or none.
	ActionCounts map[string]int `json:"action_counts"`
	Overdue      int            `json:"overdue"`
	ActionStatus string         `json:"action_status"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
}

type actionJSON struct {
	ID          uuid.UUID `json:"id"`
	LocationID  uuid.UUID `json:"location_id"`
	Location    string    `json:"location"`
	Tactic      string    `json:"tactic"`
	TacticLabel string    `json:"tactic_label"`
	OwnerAgency string    `json:"owner_agency"`
	OwnerID     uuid.UUID `json:"owner_agency_id"`
	StartDate   string    `json:"start_date"`
	DueDate     string    `json:"due_date"`
	Status      string    `json:"status"`
	Overdue     bool      `json:"overdue"`
	Note        string    `json:"note"`
	DoneAt      *string   `json:"done_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func dateText(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

// overdue reports whether a is due before today (Europe/London) and neither done nor cancelled.
func overdue(a store.Action, now time.Time) bool {
	today := now.In(hotspot.London).Format(time.DateOnly)
	return (a.Status == "planned" || a.Status == "in_progress") && a.DueDate.Format(time.DateOnly) < today
}

func actionOut(a store.Action, now time.Time) actionJSON {
	t, _ := intel.TacticByCode(a.Tactic)
	out := actionJSON{ID: a.ID, LocationID: a.LocationID, Location: a.Location, Tactic: a.Tactic, TacticLabel: cmp.Or(t.Label, a.Tactic),
		OwnerAgency: a.OwnerAgency, OwnerID: a.OwnerAgencyID, StartDate: a.StartDate.Format(time.DateOnly), DueDate: a.DueDate.Format(time.DateOnly),
		Status: a.Status, Overdue: overdue(a, now), Note: a.Note, UpdatedAt: a.UpdatedAt}
	if a.DoneAt != nil {
		d := a.DoneAt.In(hotspot.London).Format(time.DateOnly)
		out.DoneAt = &d
	}
	return out
}

func locationOut(l store.Location) locationJSON {
	cells := make([]string, len(l.Area.Cells))
	for i, c := range l.Area.Cells {
		cells[i] = hexgrid.Cell(c).String()
	}
	status := "none"
	switch {
	case l.Overdue > 0:
		status = "overdue"
	case l.Actions["in_progress"] > 0:
		status = "in_progress"
	case l.Actions["planned"] > 0:
		status = "planned"
	case l.Actions["done"] > 0:
		status = "done"
	}
	out := locationJSON{Type: "Feature", ID: l.ID.String(), Geometry: geojson.NewGeometry(l.Area.Outline), Properties: locationProperties{
		Name: l.Name, MeetingRef: l.MeetingRef, OwnerAgency: l.OwnerAgency, OwnerID: l.OwnerAgencyID, Status: l.Status, ClosedReason: l.ClosedReason,
		ReviewDate: dateText(l.ReviewDate), Res: l.Area.Res, Cells: cells, AreaVersion: l.Area.Version, AreaFrom: l.Area.ValidFrom,
		ActionCounts: l.Actions, Overdue: l.Overdue, ActionStatus: status, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt}}
	if len(l.Area.Drawn) > 0 {
		out.Properties.Drawn = geojson.NewGeometry(l.Area.Drawn)
	}
	return out
}

// actionsAgency is the agency whose actions the caller sees: every
// agency's (uuid.Nil) for those who manage locations, else its own.
func actionsAgency(p *auth.Principal) uuid.UUID {
	if p.Can(auth.ManageLocations) {
		return uuid.Nil
	}
	return p.AgencyID
}

func (s *Server) listLocations(c echo.Context) error {
	ls, err := s.db.Locations(c.Request().Context(), actionsAgency(principal(c)))
	if err != nil {
		return err
	}
	out := struct {
		Type     string         `json:"type"`
		Features []locationJSON `json:"features"`
	}{Type: "FeatureCollection", Features: make([]locationJSON, len(ls))}
	for i, l := range ls {
		out.Features[i] = locationOut(l)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getLocation(c echo.Context) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	l, err := s.db.Location(ctx, id, actionsAgency(principal(c)))
	if err != nil {
		return err
	}
	out := locationOut(l)
	if p := principal(c); p.Can(auth.WorkActions) {
		as, err := s.db.Actions(ctx, store.ActionFilter{LocationID: id, Agency: actionsAgency(p)})
		if err != nil {
			return err
		}
		list := make([]actionJSON, len(as))
		for i, a := range as {
			list[i] = actionOut(a, time.Now())
		}
		out.Actions = &list
	}
	return c.JSON(http.StatusOK, out)
}

// locationRequest creates or changes a location. Its area is one of:
// cells (of one resolution); a cell and the rings around it (a hotspot
// cell and its ring in one click); or a drawn polygon covered by the
// cells of res.
type locationRequest struct {
	Name         *string           `json:"name"`
	MeetingRef   *string           `json:"meeting_ref"`
	OwnerAgency  *string           `json:"owner_agency"`
	ReviewDate   *json.RawMessage  `json:"review_date"`
	Status       *string           `json:"status"`
	ClosedReason *string           `json:"closed_reason"`
	Cells        []string          `json:"cells"`
	Cell         string            `json:"cell"`
	Rings        *int              `json:"rings"`
	Polygon      *geojson.Geometry `json:"polygon"`
	Res          int               `json:"res"`
}

func (s *Server) createLocation(c echo.Context) error {
	var req locationRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var errs intel.FieldErrors
	if req.Name == nil || strings.TrimSpace(*req.Name) == "" {
		errs.AddCode("name", intel.CodeRequired, "required: what the meeting calls the place (no personal names)")
	}
	if req.OwnerAgency == nil {
		errs.AddCode("owner_agency", intel.CodeRequired, "required: the agency that owns the location (id or name)")
	}
	if req.Status != nil || req.ClosedReason != nil {
		errs.AddCode("status", intel.CodeNotAllowed, "a location is recorded open; close it with PATCH")
	}
	ch := s.locationChange(c, req, &errs)
	area := s.locationArea(req, &errs, true)
	if len(errs) > 0 {
		return invalid(errs)
	}
	p := principal(c)
	l := store.Location{ID: uuid.Must(uuid.NewV7()), Name: *ch.Name, MeetingRef: cmp.Or(deref(ch.MeetingRef), ""), OwnerAgencyID: *ch.OwnerAgencyID,
		CreatedBy: p.Name, Area: *area}
	if ch.ReviewDate != nil {
		l.ReviewDate = *ch.ReviewDate
	}
	out, err := s.db.CreateLocation(c.Request().Context(), l, s.event(c, store.ActionCollect))
	if errors.Is(err, store.ErrConflict) {
		return newProblem(http.StatusConflict, "a location of that name exists", FieldError{Field: "name", Message: "already used: names must differ"})
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/locations/"+out.ID.String())
	return c.JSON(http.StatusCreated, locationOut(out))
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (s *Server) updateLocation(c echo.Context) error {
	id, req, err := idAndBody[locationRequest](c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cur, err := s.db.Location(ctx, id, uuid.Nil)
	if err != nil {
		return err
	}
	var errs intel.FieldErrors
	ch := s.locationChange(c, req, &errs)
	status := cmp.Or(deref(req.Status), cur.Status)
	if status != "open" && status != "closed" {
		errs.AddCode("status", intel.CodeNotAllowed, "open or closed")
	}
	ch.Status = req.Status
	// A closed location says why, whatever else the change does.
	if reason := cur.ClosedReason; status == "closed" {
		if req.ClosedReason != nil {
			reason = strings.TrimSpace(*req.ClosedReason)
		}
		if reason == "" {
			errs.AddCode("closed_reason", intel.CodeRequired, "required to close a location: why (e.g. the address is no longer used)")
		}
	}
	if req.ClosedReason != nil {
		r := strings.TrimSpace(*req.ClosedReason)
		if utf8.RuneCountInString(r) > 500 {
			errs.AddCode("closed_reason", intel.CodeTooLong, "at most 500 characters")
		} else if what := intel.PersonalData(r); what != "" {
			errs.AddCode("closed_reason", intel.CodePersonalData, "seems to hold "+what+": no personal data here")
		}
		ch.ClosedReason = &r
	}
	ch.Area = s.locationArea(req, &errs, false)
	if len(errs) > 0 {
		return invalid(errs)
	}
	out, err := s.db.UpdateLocation(ctx, id, ch, s.event(c, store.ActionAlter))
	if errors.Is(err, store.ErrConflict) {
		return newProblem(http.StatusConflict, "a location of that name exists", FieldError{Field: "name", Message: "already used: names must differ"})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, locationOut(out))
}

// locationChange reads the fields of a location other than its area and status.
func (s *Server) locationChange(c echo.Context, req locationRequest, errs *intel.FieldErrors) store.LocationChange {
	var ch store.LocationChange
	text := func(field string, v *string, max int) *string {
		if v == nil {
			return nil
		}
		t := strings.TrimSpace(*v)
		switch {
		case utf8.RuneCountInString(t) > max:
			errs.AddCode(field, intel.CodeTooLong, fmt.Sprintf("at most %d characters", max))
		case field == "name" && t == "":
			errs.AddCode(field, intel.CodeRequired, "must not be empty")
		default:
			if what := intel.PersonalData(t); what != "" {
				errs.AddCode(field, intel.CodePersonalData, "seems to hold "+what+": no personal data here")
			}
		}
		return &t
	}
	ch.Name = text("name", req.Name, 120)
	ch.MeetingRef = text("meeting_ref", req.MeetingRef, 120)
	if req.OwnerAgency != nil {
		if id, err := s.agencyID(c, *req.OwnerAgency); err != nil {
			errs.AddCode("owner_agency", intel.CodeNotAllowed, "no such agency: give its id or its name")
		} else {
			ch.OwnerAgencyID = &id
		}
	}
	if req.ReviewDate != nil {
		var d *time.Time
		if string(*req.ReviewDate) != "null" {
			var v string
			t, err := time.Parse(time.DateOnly, strings.Trim(string(*req.ReviewDate), `"`))
			if json.Unmarshal(*req.ReviewDate, &v) != nil || err != nil {
				errs.Add("review_date", "a date, YYYY-MM-DD, or null")
			}
			d = &t
		}
		ch.ReviewDate = &d
	}
	return ch
}

// agencyID is the agency named by id or by name.
func (s *Server) agencyID(c echo.Context, v string) (uuid.UUID, error) {
	ctx := c.Request().Context()
	if id, err := uuid.Parse(v); err == nil {
		a, err := s.db.AgencyByID(ctx, id)
		return a.ID, err
	}
	a, err := s.db.AgencyByName(ctx, v)
	return a.ID, err
}

// locationArea reads the area of req, when it has one; required says it must.
func (s *Server) locationArea(req locationRequest, errs *intel.FieldErrors, required bool) *store.LocationArea {
	given := 0
	for _, b := range []bool{len(req.Cells) > 0, req.Cell != "", req.Polygon != nil} {
		if b {
			given++
		}
	}
	switch {
	case given == 0 && required:
		errs.AddCode("cells", intel.CodeRequired, "required: the area as cells, as a cell and rings around it, or as a drawn polygon with res")
		return nil
	case given == 0:
		return nil
	case given > 1:
		errs.AddCode("cells", intel.CodeNotAllowed, "give one of cells, cell (with rings) and polygon (with res)")
		return nil
	}
	var cells []hexgrid.Cell
	var drawn orb.Polygon
	switch {
	case len(req.Cells) > 0:
		for i, v := range req.Cells {
			c, err := hexgrid.Parse(v)
			if err != nil {
				errs.Add(fmt.Sprintf("cells[%d]", i), "not an H3 cell")
				return nil
			}
			cells = append(cells, c)
		}
	case req.Cell != "":
		c, err := hexgrid.Parse(req.Cell)
		if err != nil {
			errs.Add("cell", "not an H3 cell")
			return nil
		}
		rings := deref(req.Rings)
		if rings < 0 || rings > 3 {
			errs.Add("rings", "0 to 3")
			return nil
		}
		if cells, err = c.Disk(rings); err != nil {
			errs.Add("cell", err.Error())
			return nil
		}
	default:
		poly, ok := req.Polygon.Geometry().(orb.Polygon)
		if !ok || len(poly) == 0 || len(poly[0]) < 4 {
			errs.Add("polygon", "a GeoJSON Polygon of at least three corners, longitude first")
			return nil
		}
		if req.Res < hexgrid.MinRes || req.Res > s.cfg.PublishedMaxRes {
			errs.Add("res", fmt.Sprintf("the resolution of the cells that cover the polygon: %d to %d", hexgrid.MinRes, s.cfg.PublishedMaxRes))
			return nil
		}
		// Covering a polygon far larger than an area may be would make
		// cells by the million before they could be counted.
		if km2 := geo.Area(poly) / 1e6; km2 > 2*maxAreaCells*hexgrid.AreaKm2(req.Res) {
			errs.Add("polygon", fmt.Sprintf("%.0f km²: too large for %d cells at resolution %d (draw a smaller area, or use a coarser res)", km2, maxAreaCells, req.Res))
			return nil
		}
		var err error
		if cells, err = hexgrid.Cover(orb.MultiPolygon{poly}, req.Res); err != nil {
			errs.Add("polygon", err.Error())
			return nil
		}
		drawn = poly
	}
	if len(cells) == 0 {
		errs.Add("polygon", "covers no cell")
		return nil
	}
	res := cells[0].Resolution()
	inStudy := false
	for _, c := range cells {
		if c.Resolution() != res {
			errs.Add("cells", "every cell must be of one resolution")
			return nil
		}
		inStudy = inStudy || s.engine.InStudy(c)
	}
	switch {
	case res < hexgrid.MinRes || res > s.cfg.PublishedMaxRes:
		// Every agency reads a location's evaluation from the weekly
		// releases, which publish no finer resolution.
		errs.Add("cells", fmt.Sprintf("cells of resolution %d to %d, the published view's", hexgrid.MinRes, s.cfg.PublishedMaxRes))
		return nil
	case len(cells) > maxAreaCells:
		errs.Add("cells", fmt.Sprintf("%d cells: at most %d (draw a smaller area, or use a coarser res)", len(cells), maxAreaCells))
		return nil
	case !inStudy:
		errs.AddCode("cells", intel.CodeOutsideArea, "the area lies outside the service area")
		return nil
	}
	ids := make([]int64, len(cells))
	for i, c := range cells {
		ids[i] = int64(c)
	}
	outline, err := hexgrid.Outline(cells)
	if err != nil {
		errs.Add("cells", err.Error())
		return nil
	}
	return &store.LocationArea{Res: res, Cells: ids, Outline: outline, Drawn: drawn}
}

// actionRequest creates or changes an action.
type actionRequest struct {
	Tactic      *string `json:"tactic"`
	OwnerAgency *string `json:"owner_agency"`
	StartDate   *string `json:"start_date"`
	DueDate     *string `json:"due_date"`
	Status      *string `json:"status"`
	Note        *string `json:"note"`
}

// actionChange reads req; mayPlan is whether the caller may change more
// than the status and note (those who manage locations).
func (s *Server) actionChange(c echo.Context, req actionRequest, mayPlan bool, errs *intel.FieldErrors) store.ActionChange {
	var ch store.ActionChange
	if !mayPlan {
		for field, set := range map[string]bool{"tactic": req.Tactic != nil, "owner_agency": req.OwnerAgency != nil,
			"start_date": req.StartDate != nil, "due_date": req.DueDate != nil} {
			if set {
				errs.AddCode(field, intel.CodeNotAllowed, "the meeting's chair or an analyst changes this; the agency that owns the action updates its status and note")
			}
		}
	}
	if req.Tactic != nil {
		if _, ok := intel.TacticByCode(*req.Tactic); !ok {
			errs.AddCode("tactic", intel.CodeNotAllowed, "one of the taxonomy's tactics (GET /api/v1/taxonomy)")
		}
		ch.Tactic = req.Tactic
	}
	if req.OwnerAgency != nil {
		if id, err := s.agencyID(c, *req.OwnerAgency); err != nil {
			errs.AddCode("owner_agency", intel.CodeNotAllowed, "no such agency: give its id or its name")
		} else {
			ch.OwnerAgencyID = &id
		}
	}
	date := func(field string, v *string) *time.Time {
		if v == nil {
			return nil
		}
		t, err := time.Parse(time.DateOnly, *v)
		if err != nil {
			errs.Add(field, "a date, YYYY-MM-DD")
			return nil
		}
		return &t
	}
	ch.StartDate, ch.DueDate = date("start_date", req.StartDate), date("due_date", req.DueDate)
	if ch.StartDate != nil && ch.DueDate != nil && ch.DueDate.Before(*ch.StartDate) {
		errs.Add("due_date", "on or after start_date")
	}
	if req.Status != nil {
		ok := false
		for _, st := range intel.ActionStatuses {
			ok = ok || st == *req.Status
		}
		if !ok {
			errs.AddCode("status", intel.CodeNotAllowed, "one of "+strings.Join(intel.ActionStatuses, ", "))
		}
		ch.Status = req.Status
	}
	if req.Note != nil {
		n := strings.TrimSpace(*req.Note)
		if utf8.RuneCountInString(n) > 500 {
			errs.AddCode("note", intel.CodeTooLong, "at most 500 characters")
		} else if what := intel.PersonalData(n); what != "" {
			errs.AddCode("note", intel.CodePersonalData, "seems to hold "+what+": write no names or other personal data in a note")
		}
		ch.Note = &n
	}
	return ch
}

func (s *Server) createAction(c echo.Context) error {
	id, req, err := idAndBody[actionRequest](c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.db.Location(ctx, id, uuid.Nil); err != nil {
		return err
	}
	var errs intel.FieldErrors
	ch := s.actionChange(c, req, true, &errs)
	for field, v := range map[string]bool{"tactic": req.Tactic == nil, "owner_agency": req.OwnerAgency == nil, "start_date": req.StartDate == nil,
		"due_date": req.DueDate == nil} {
		if v {
			errs.AddCode(field, intel.CodeRequired, "required")
		}
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	a := store.Action{ID: uuid.Must(uuid.NewV7()), LocationID: id, Tactic: *ch.Tactic, OwnerAgencyID: *ch.OwnerAgencyID, StartDate: *ch.StartDate,
		DueDate: *ch.DueDate, Status: cmp.Or(deref(ch.Status), "planned"), Note: deref(ch.Note), CreatedBy: principal(c).Name}
	out, err := s.db.CreateAction(ctx, a, s.event(c, store.ActionCollect))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/actions/"+out.ID.String())
	return c.JSON(http.StatusCreated, actionOut(out, time.Now()))
}

func (s *Server) updateAction(c echo.Context) error {
	id, req, err := idAndBody[actionRequest](c)
	if err != nil {
		return err
	}
	p := principal(c)
	ctx := c.Request().Context()
	// Another agency's action is not found, whatever the request says.
	cur, err := s.db.Action(ctx, id, actionsAgency(p))
	if err != nil {
		return err
	}
	var errs intel.FieldErrors
	ch := s.actionChange(c, req, p.Can(auth.ManageLocations), &errs)
	// One date changed alone must still keep its order with the other.
	start, due := cur.StartDate, cur.DueDate
	if ch.StartDate != nil {
		start = *ch.StartDate
	}
	if ch.DueDate != nil {
		due = *ch.DueDate
	}
	if due.Before(start) && (ch.StartDate == nil) != (ch.DueDate == nil) {
		errs.Add(cmp.Or(map[bool]string{true: "start_date"}[ch.StartDate != nil], "due_date"), fmt.Sprintf("the action runs from %s to %s: the due date is on or after the start", start.Format(time.DateOnly), due.Format(time.DateOnly)))
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	out, err := s.db.UpdateAction(ctx, id, actionsAgency(p), ch, s.event(c, store.ActionAlter))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, actionOut(out, time.Now()))
}

func (s *Server) getAction(c echo.Context) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	a, err := s.db.Action(c.Request().Context(), id, actionsAgency(principal(c)))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, actionOut(a, time.Now()))
}

// listActions lists the actions the caller sees (its agency's, or every
// one for those who manage locations); overdue=true only those overdue.
func (s *Server) listActions(c echo.Context) error {
	f := store.ActionFilter{Agency: actionsAgency(principal(c))}
	switch v := c.QueryParam("overdue"); v {
	case "", "false":
	case "true":
		f.Overdue = true
	default:
		return badRequest("the query is not valid", FieldError{Field: "overdue", Message: "true or false"})
	}
	as, err := s.db.Actions(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := make([]actionJSON, len(as))
	for i, a := range as {
		out[i] = actionOut(a, time.Now())
	}
	return c.JSON(http.StatusOK, newList(out))
}
