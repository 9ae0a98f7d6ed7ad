package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/hotspot"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/release"
	"github.com/hexwatch/hexwatch/pkg/snapshot"
	"github.com/hexwatch/hexwatch/pkg/store"
)

type snapshotRequest struct {
	Title       string                     `json:"title"`
	MeetingDate string                     `json:"meeting_date"`
	Notes       string                     `json:"notes"`
	Parameters  map[string]json.RawMessage `json:"parameters"`
	// View is "published" (the default) or "full" (exact figures, for
	// readers of every report only).
	View string `json:"view"`
}

// snapshotJSON is a snapshot's metadata and the links to its exports.
type snapshotJSON struct {
	store.Snapshot
	// Release is the cut-off date of the release a published snapshot froze.
	Release     string                `json:"release,omitempty"`
	MeetingDate string                `json:"meeting_date"`
	Notes       string                `json:"notes,omitempty"`
	Parameters  json.RawMessage       `json:"parameters,omitempty"`
	Top         []snapshot.FrozenCell `json:"top,omitempty"`
	Links       map[string]string     `json:"links"`
}

func snapshotOut(s store.Snapshot) snapshotJSON {
	base := "/api/v1/snapshots/" + s.ID.String()
	rel := ""
	if s.Release != nil {
		rel = s.Release.In(hotspot.London).Format(time.DateOnly)
	}
	return snapshotJSON{Snapshot: s, Release: rel, MeetingDate: s.MeetingDate.Format(time.DateOnly), Parameters: s.Parameters, Links: map[string]string{
		"self": base, "geojson": base + "/hotspots.geojson", "csv": base + "/hotspots.csv", "pdf": base + "/briefing.pdf", "locations_csv": base + "/locations.csv",
		"content": base + "/content.json", "changes": base + "/changes",
	}}
}

// createSnapshot freezes the hotspots of the parameters given. Snapshots
// are for multi-agency meetings: they are published views unless a reader
// of every report asks for exact figures.
func (s *Server) createSnapshot(c echo.Context) error {
	var req snapshotRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var errs []FieldError
	req.Title = strings.TrimSpace(req.Title)
	if req.Title == "" || utf8.RuneCountInString(req.Title) > 200 {
		errs = append(errs, FieldError{Field: "title", Message: "required, at most 200 characters", Code: textCode(req.Title, 200)})
	}
	meeting, err := time.Parse(time.DateOnly, req.MeetingDate)
	if err != nil {
		errs = append(errs, FieldError{Field: "meeting_date", Message: "required, a date such as 2026-12-03", Code: textCode(req.MeetingDate, len(time.DateOnly))})
	}
	if utf8.RuneCountInString(req.Notes) > 2000 {
		errs = append(errs, FieldError{Field: "notes", Message: "at most 2000 characters"})
	}
	q, qerrs := hotspot.ValuesOfJSON(req.Parameters)
	errs = append(errs, prefixed("parameters.", qerrs)...)
	now := time.Now()
	pr := principal(c)
	published := req.View != viewFull
	switch {
	case req.View != "" && req.View != viewFull && req.View != viewPublished:
		errs = append(errs, FieldError{Field: "view", Message: "published (the default) or full"})
	case !published && !pr.Can(auth.ReadAllReports):
		errs = append(errs, FieldError{Field: "view", Message: "only readers of every report may freeze exact figures"})
	}
	p, perrs := hotspot.Parse(q, now, s.cfg.Retention)
	errs = append(errs, prefixed("parameters.", perrs)...)
	if published && perrs == nil && qerrs == nil {
		errs = append(errs, prefixed("parameters.", hotspot.ParsePublished(q, &p, s.cfg.PublishedMaxRes, now))...)
		if q["bbox"] != "" {
			// A published snapshot is of the whole area: a bbox of one cell
			// would make its classification speak of that cell.
			errs = append(errs, FieldError{Field: "parameters.bbox", Message: "a published snapshot covers the whole service area"})
		}
		p = publishedParams(s.releases.Menu(), p)
	}
	if errs != nil {
		return badRequest("the snapshot request is not valid", errs...)
	}
	refund, err := s.spendQuery(c, scopeSnapshots, p)
	if err != nil {
		return err
	}
	if !published {
		if err := s.engine.Sync(c.Request().Context()); err != nil {
			return err
		}
	}
	// A published snapshot freezes a table of a release.
	res, err := s.hotspots(c, p, refund)
	if err != nil {
		return err
	}
	if len(res.Cells) > s.cfg.MaxCells {
		return badRequest("too many cells: narrow the parameters", FieldError{Field: "parameters.res", Message: "use a coarser resolution"})
	}
	params, err := json.Marshal(paramsOf(p))
	if err != nil {
		return err
	}
	made := now.UTC().Truncate(time.Second)
	content, err := snapshot.Freeze(res, params, snapshot.Meta{Title: req.Title, MeetingDate: meeting, Notes: req.Notes, CreatedBy: pr.Name, CreatedAt: made}, s.places)
	if err != nil {
		return err
	}
	if content.Received, err = s.receivedInWords(c, content); err != nil {
		return err
	}
	b, sum, err := snapshot.Encode(content)
	if err != nil {
		return err
	}
	snap := store.Snapshot{ID: uuid.Must(uuid.NewV7()), Title: req.Title, MeetingDate: meeting, Res: p.Res,
		Classification: content.Classification, DataVersion: res.Version, Cells: len(content.Cells), CreatedBy: pr.Name,
		AgencyID: &pr.AgencyID, CreatedAt: made, Content: b, SHA256: sum, Published: published}
	if published {
		cutoff := p.AsOf
		snap.Release = &cutoff
	}
	if err := s.db.CreateSnapshot(c.Request().Context(), snap, s.event(c, store.ActionCombine)); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/snapshots/"+snap.ID.String())
	return c.JSON(http.StatusCreated, snapshotOut(snap))
}

// snapshotsQuery is the query of GET /api/v1/snapshots.
type snapshotsQuery struct {
	before   time.Time
	beforeID uuid.UUID
	limit    int
}

func (q *snapshotsQuery) parse(v url.Values) intel.FieldErrors {
	r := queryReader{v: v}
	q.before, q.beforeID = r.timeIDCursor()
	q.limit = r.limit()
	return r.errs
}

func (s *Server) listSnapshots(c echo.Context) error {
	var q snapshotsQuery
	if err := parseQuery(c, &q, "snapshots"); err != nil {
		return err
	}
	before, beforeID, limit := q.before, q.beforeID, q.limit
	ss, err := s.db.Snapshots(c.Request().Context(), before, beforeID, limit, !principal(c).Can(auth.ReadAllReports))
	if err != nil {
		return err
	}
	out := list[snapshotJSON]{Items: make([]snapshotJSON, len(ss))}
	for i, sn := range ss {
		out.Items[i] = snapshotOut(sn)
	}
	if len(ss) == limit {
		last := ss[len(ss)-1]
		out.NextCursor = timeIDCursorOf(last.CreatedAt, last.ID)
	}
	return c.JSON(http.StatusOK, out)
}

// loadSnapshot reads the snapshot of the path and its content.
func (s *Server) loadSnapshot(c echo.Context) (store.Snapshot, snapshot.Content, error) {
	id, err := pathUUID(c, "id")
	if err != nil {
		return store.Snapshot{}, snapshot.Content{}, err
	}
	sn, err := s.snapshot(c, id)
	if err != nil {
		return sn, snapshot.Content{}, err
	}
	content, err := snapshot.Decode(sn.Content)
	return sn, content, err
}

// snapshot reads snapshot id, if the caller may see it: exact figures are
// for readers of every report only; to anyone else they do not exist.
func (s *Server) snapshot(c echo.Context, id uuid.UUID) (store.Snapshot, error) {
	sn, err := s.db.Snapshot(c.Request().Context(), id)
	if err == nil && !sn.Published && !principal(c).Can(auth.ReadAllReports) {
		return store.Snapshot{}, store.ErrNotFound
	}
	return sn, err
}

func (s *Server) getSnapshot(c echo.Context) error {
	sn, content, err := s.loadSnapshot(c)
	if err != nil {
		return err
	}
	out := snapshotOut(sn)
	out.Notes, out.Parameters, out.Top = content.Notes, content.Parameters, content.Cells[:min(10, len(content.Cells))]
	if out.Top == nil {
		out.Top = []snapshot.FrozenCell{}
	}
	return c.JSON(http.StatusOK, out)
}

// comparison is a snapshot compared with an earlier one.
type comparison struct {
	changes []snapshot.Change
	other   store.Snapshot
	against *snapshot.Against
}

// changes compares a snapshot with another: against, or the previous one
// (no other: the zero comparison). Only like compares with like: when the
// two were frozen with different settings, a published earlier one is
// recomputed from its weekly release (which holds every table of the
// menu) under this one's settings; exact figures are not compared
// (against.Unlike), since the data they were frozen from have moved on.
func (s *Server) changes(c echo.Context, sn store.Snapshot, content snapshot.Content) (comparison, error) {
	var (
		other store.Snapshot
		err   error
	)
	if v := c.QueryParam("against"); v != "" {
		id, perr := uuid.Parse(v)
		if perr != nil {
			return comparison{}, badRequest("", FieldError{Field: "against", Message: "must be a snapshot id"})
		}
		other, err = s.snapshot(c, id)
		if err == nil && other.Published != sn.Published {
			return comparison{}, badRequest("", FieldError{Field: "against", Message: "a published snapshot compares only with published ones, exact figures only with exact ones"})
		}
	} else {
		other, err = s.db.PreviousSnapshot(c.Request().Context(), sn)
	}
	if errors.Is(err, store.ErrNotFound) {
		return comparison{}, nil
	}
	if err != nil {
		return comparison{}, err
	}
	before, err := snapshot.Decode(other.Content)
	if err != nil {
		return comparison{}, err
	}
	against := &snapshot.Against{Title: other.Title, Settings: snapshot.Settings(before.Parameters)}
	if snapshot.SettingsKey(before.Parameters) != snapshot.SettingsKey(content.Parameters) {
		if !sn.Published {
			against.Unlike = true
			return comparison{other: other, against: against}, nil
		}
		recomputed, ok, err := s.recompute(c, content, other)
		if err != nil {
			return comparison{}, err
		}
		if !ok {
			against.Unlike = true
			return comparison{other: other, against: against}, nil
		}
		before = recomputed
		against.Settings, against.Recomputed = snapshot.Settings(before.Parameters), true
	}
	return comparison{changes: snapshot.Compare(content, before, s.places.Places()), other: other, against: against}, nil
}

// recompute is the published snapshot other as this snapshot's settings
// (content) would have frozen it from other's weekly release, a published
// answer like any other (the caller's budget spent, audited as such); ok
// is false when that cannot be done: other froze no release (it is older
// than releases) or its release holds no table of these settings.
func (s *Server) recompute(c echo.Context, content snapshot.Content, other store.Snapshot) (_ snapshot.Content, ok bool, _ error) {
	var pj paramsJSON
	if err := json.Unmarshal(content.Parameters, &pj); err != nil {
		return snapshot.Content{}, false, err
	}
	asOf, errA := time.Parse(time.RFC3339, pj.AsOf)
	from, errF := time.Parse(time.RFC3339, pj.From)
	halfLife, errH := config.ParseDuration(pj.HalfLife)
	if err := errors.Join(errA, errF, errH); err != nil {
		return snapshot.Content{}, false, fmt.Errorf("snapshot parameters unreadable: %w", err)
	}
	if other.Release == nil {
		return snapshot.Content{}, false, nil
	}
	category := ""
	if len(pj.Categories) == 1 {
		category = pj.Categories[0]
	}
	p := s.releases.Menu().Params(*other.Release, pj.Res, asOf.Sub(from).Round(24*time.Hour), category, halfLife)
	t, err := s.releases.Table(c.Request().Context(), p.AsOf, p.Res, p.AsOf.Sub(p.From).Round(24*time.Hour), category)
	if errors.Is(err, release.ErrNoRelease) {
		return snapshot.Content{}, false, nil
	}
	if err != nil {
		return snapshot.Content{}, false, err
	}
	if _, err := s.spendQuery(c, scopeSnapshots, p); err != nil {
		return snapshot.Content{}, false, err
	}
	params, err := json.Marshal(paramsOf(p))
	if err != nil {
		return snapshot.Content{}, false, err
	}
	frozen, err := snapshot.Freeze(t.Result(p), params, snapshot.Meta{Title: other.Title, MeetingDate: other.MeetingDate,
		CreatedBy: other.CreatedBy, CreatedAt: other.CreatedAt}, s.places)
	return frozen, err == nil, err
}

func (s *Server) snapshotChanges(c echo.Context) error {
	sn, content, err := s.loadSnapshot(c)
	if err != nil {
		return err
	}
	cmp, err := s.changes(c, sn, content)
	if err != nil {
		return err
	}
	switch {
	case cmp.against == nil:
		return newProblem(http.StatusNotFound, "there is no earlier snapshot to compare with")
	case cmp.against.Unlike:
		return newProblem(http.StatusConflict, "only like compares with like", FieldError{Field: "against", Message: fmt.Sprintf(
			"%q was frozen with other settings (%s) than this snapshot (%s): freeze both with the same settings to compare them",
			cmp.other.Title, cmp.against.Settings, snapshot.Settings(content.Parameters))})
	}
	chs := cmp.changes
	if chs == nil {
		chs = []snapshot.Change{}
	}
	return c.JSON(http.StatusOK, map[string]any{"snapshot": sn.ID, "against": cmp.other.ID, "against_title": cmp.other.Title,
		"settings": snapshot.Settings(content.Parameters), "against_settings": cmp.against.Settings, "recomputed": cmp.against.Recomputed,
		"changes": chs})
}

// exportSnapshot discloses a snapshot as a file, audited with its purpose.
func (s *Server) exportSnapshot(c echo.Context) error {
	export := c.Param("export")
	switch export {
	case "hotspots.geojson", "hotspots.csv", "briefing.pdf", "content.json", "locations.csv":
	default:
		return store.ErrNotFound
	}
	purpose := strings.TrimSpace(c.QueryParam("purpose"))
	if purpose == "" || utf8.RuneCountInString(purpose) > 200 {
		return badRequest("exports are disclosures: say why", FieldError{Field: "purpose", Message: "required: the purpose of the disclosure, at most 200 characters"})
	}
	sn, content, err := s.loadSnapshot(c)
	if err != nil {
		return err
	}
	// The CSV and the briefing disclose the comparison too: it is in the audit.
	var cmp comparison
	detail := map[string]any{"export": export, "sha256": sn.SHA256}
	if export == "hotspots.csv" || export == "briefing.pdf" || export == "locations.csv" {
		if cmp, err = s.changes(c, sn, content); err != nil {
			return err
		}
		if cmp.against != nil {
			detail["against"], detail["recomputed"], detail["compared"] = cmp.other.ID.String(), cmp.against.Recomputed, !cmp.against.Unlike
		}
	}
	if err := s.db.Audit(c.Request().Context(), s.snapshotDisclosure(c, sn, purpose, detail)); err != nil {
		return err
	}
	name := fmt.Sprintf("hexwatch-%s-%s", sn.MeetingDate.Format(time.DateOnly), sn.ID.String()[:8])
	var (
		body        []byte
		contentType string
	)
	switch export {
	case "content.json":
		body, contentType = sn.Content, echo.MIMEApplicationJSON
	case "hotspots.geojson":
		body, err = snapshot.GeoJSON(content, sn.ID.String(), sn.SHA256)
		contentType, name = mimeGeoJSON, name+".geojson"
	case "hotspots.csv":
		body = snapshot.CSV(content, cmp.changes, cmp.against, s.places.Places())
		contentType, name = "text/csv; charset=utf-8", name+".csv"
	case "briefing.pdf", "locations.csv":
		var page snapshot.LocationsPage
		if page, err = s.locationsPage(c, sn, cmp.other); err != nil {
			return err
		}
		if export == "locations.csv" {
			body, contentType, name = snapshot.LocationsCSV(page), "text/csv; charset=utf-8", name+"-locations.csv"
			break
		}
		body, err = snapshot.PDF(snapshot.Briefing{Content: content, SHA256: sn.SHA256, Changes: cmp.changes, Against: cmp.against,
			Area: s.validator.Area.Shape, Places: s.places.Places(), Locations: &page})
		contentType, name = "application/pdf", name+".pdf"
	}
	if err != nil {
		return err
	}
	if export != "content.json" {
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	}
	return c.Blob(http.StatusOK, contentType, body)
}

// snapshotDisclosure is the audit event of disclosing snapshot sn for
// purpose, to the recipient the query names.
func (s *Server) snapshotDisclosure(c echo.Context, sn store.Snapshot, purpose string, detail map[string]any) store.AuditEvent {
	ev := s.event(c, store.ActionDisclose)
	ev.ObjectType, ev.ObjectID = "snapshot", sn.ID.String()
	ev.Justification, ev.Recipient, ev.Detail = purpose, c.QueryParam("recipient"), detail
	return ev
}

func (s *Server) deleteSnapshot(c echo.Context) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	if err := s.db.DeleteSnapshot(c.Request().Context(), id, s.event(c, store.ActionErase)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// receivedInWords is the briefing's line of the information received in
// the snapshot's window, by agency kind, frozen with the snapshot. A
// published snapshot has none: a kind one agency holds would give that
// agency's count, and snapshots of successive weeks the week of its
// reports; no release publishes an area-wide count by kind.
func (s *Server) receivedInWords(c echo.Context, content snapshot.Content) (string, error) {
	if content.View == snapshot.Published {
		return "", nil
	}
	var p struct {
		From string `json:"from"`
		AsOf string `json:"as_of"`
	}
	if err := json.Unmarshal(content.Parameters, &p); err != nil {
		return "", err
	}
	from, err1 := time.Parse(time.RFC3339, p.From)
	to, err2 := time.Parse(time.RFC3339, p.AsOf)
	if err1 != nil || err2 != nil {
		return "", nil
	}
	kinds, err := s.db.ReceivedByKind(c.Request().Context(), from, to)
	if err != nil {
		return "", err
	}
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, strings.ReplaceAll(k.Kind, "_", " ")+" "+strconv.Itoa(k.Reports))
	}
	if len(parts) == 0 {
		parts = append(parts, "none")
	}
	return fmt.Sprintf("Information received this period (%s to %s), by agency kind, as stored when frozen: %s.",
		from.In(hotspot.London).Format("2 Jan 2006"), to.In(hotspot.London).Format("2 Jan 2006"), strings.Join(parts, "; ")), nil
}
