package intel

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Row is one report read from a bulk upload.
type Row struct {
	// N is the row's line (CSV, NDJSON) or feature (GeoJSON) number, from 1.
	N   int
	Sub Submission
	// Errs are problems found while reading the row; such a row is rejected.
	Errs []FieldError
}

// RowReader reads the reports of a bulk upload one at a time, in constant
// memory. Next returns io.EOF after the last row; any other error means
// the file cannot be read any further.
type RowReader interface {
	Next() (Row, error)
}

// FileError is a problem with a whole upload, such as a missing column.
type FileError struct {
	Field, Message string
}

func (e *FileError) Error() string { return e.Field + ": " + e.Message }

// MaxLine bounds one NDJSON line or CSV record.
const MaxLine = 1 << 20

// ---- NDJSON ----

type ndjsonReader struct {
	r    *bufio.Reader
	line int
}

// NewNDJSONReader reads one JSON report per line; blank lines are skipped.
func NewNDJSONReader(r io.Reader) RowReader {
	return &ndjsonReader{r: bufio.NewReaderSize(r, 64<<10)}
}

func (n *ndjsonReader) Next() (Row, error) {
	for {
		line, tooLong, err := readLine(n.r)
		if err != nil {
			return Row{}, err
		}
		n.line++
		if tooLong {
			return Row{N: n.line, Errs: []FieldError{{Field: "line", Message: fmt.Sprintf("longer than %d bytes", MaxLine)}}}, nil
		}
		line = bytes.TrimSpace(bytes.TrimPrefix(line, bom))
		if len(line) == 0 {
			continue
		}
		sub, errs := DecodeSubmission(line)
		return Row{N: n.line, Sub: sub, Errs: errs}, nil
	}
}

// readLine reads one line of at most MaxLine bytes; the rest of a longer
// line is skipped and reported.
func readLine(r *bufio.Reader) ([]byte, bool, error) {
	var buf []byte
	tooLong := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > MaxLine {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			return buf, tooLong, nil
		case err != nil:
			return nil, false, err
		}
		return buf, tooLong, nil
	}
}

var bom = []byte("\uFEFF")

// ---- CSV ----

// CSVColumns are the columns a CSV upload may have; the header names them
// in any order and case. Give lat and lon, or easting and northing.
var CSVColumns = []string{"external_ref", "category", "indicators", "observed_at", "lat", "lon", "easting", "northing",
	"precision_m", "source", "assessment", "handling", "conditions", "classification", "narrative"}

// CSVRecord is report r as a row of CSVColumns, its position as lat and
// lon: what a partner system's export of it would hold.
func CSVRecord(r Report) []string {
	g := r.Grading
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	v := map[string]string{"external_ref": r.ExternalRef, "category": r.Category, "indicators": strings.Join(r.Indicators, ";"),
		"observed_at": r.ObservedAt.Format(time.RFC3339), "lat": f(r.Location.Lat), "lon": f(r.Location.Lon),
		"precision_m": f(r.PrecisionM), "source": strconv.Itoa(g.Source), "assessment": g.Assessment, "handling": g.Handling,
		"conditions": g.Conditions, "classification": r.Classification, "narrative": r.Narrative}
	out := make([]string, len(CSVColumns))
	for i, c := range CSVColumns {
		out[i] = v[c]
	}
	return out
}

var csvRequired = []string{"external_ref", "category", "observed_at", "source", "assessment", "handling", "classification"}

type csvReader struct {
	r   *csv.Reader
	col map[string]int
}

// NewCSVReader reads reports from CSV with a header row, as Excel writes
// it: UTF-8 with or without BOM, CRLF or LF, quoted fields; indicators
// separated by ";".
func NewCSVReader(r io.Reader) (RowReader, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, bom) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &FileError{"header", "the file is empty: the first line must name the columns"}
	}
	if err != nil {
		return nil, &FileError{"header", "the header line is not valid CSV"}
	}
	c := &csvReader{r: cr, col: map[string]int{}}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		switch {
		case !validColumn(name):
			return nil, &FileError{"header", fmt.Sprintf("unknown column %q; the columns are %s", truncate(h, 40), strings.Join(CSVColumns, ", "))}
		case hasKey(c.col, name):
			return nil, &FileError{"header", fmt.Sprintf("column %q appears twice", name)}
		}
		c.col[name] = i
	}
	for _, req := range csvRequired {
		if !hasKey(c.col, req) {
			return nil, &FileError{"header", fmt.Sprintf("missing column %q", req)}
		}
	}
	latlon := hasKey(c.col, "lat") && hasKey(c.col, "lon")
	bng := hasKey(c.col, "easting") && hasKey(c.col, "northing")
	if !latlon && !bng {
		return nil, &FileError{"header", `give the location as columns "lat" and "lon", or "easting" and "northing"`}
	}
	return c, nil
}

func validColumn(name string) bool {
	for _, c := range CSVColumns {
		if c == name {
			return true
		}
	}
	return false
}

func hasKey(m map[string]int, k string) bool { _, ok := m[k]; return ok }

func (c *csvReader) Next() (Row, error) {
	rec, err := c.r.Read()
	var pe *csv.ParseError
	switch {
	case errors.Is(err, io.EOF):
		return Row{}, io.EOF
	case errors.As(err, &pe):
		return Row{N: pe.StartLine, Errs: []FieldError{{Field: "row", Message: "not valid CSV: " + pe.Err.Error()}}}, nil
	case err != nil:
		return Row{}, err
	}
	line, _ := c.r.FieldPos(0)
	row := Row{N: line}
	if len(rec) != len(c.col) {
		row.Errs = []FieldError{{Field: "row", Message: fmt.Sprintf("has %d fields, the header has %d", len(rec), len(c.col))}}
		return row, nil
	}
	get := func(name string) string {
		if i, ok := c.col[name]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	for _, v := range rec {
		if !utf8.ValidString(v) {
			row.Errs = []FieldError{{Field: "row", Message: "is not valid UTF-8: save the file as CSV UTF-8"}}
			return row, nil
		}
	}
	s := Submission{
		ExternalRef: get("external_ref"), Category: get("category"), ObservedAt: get("observed_at"),
		Classification: get("classification"), Narrative: rec0(rec, c.col, "narrative"),
	}
	for _, ind := range strings.Split(get("indicators"), ";") {
		if ind = strings.TrimSpace(ind); ind != "" {
			s.Indicators = append(s.Indicators, ind)
		}
	}
	var errs []FieldError
	s.Location, errs = csvLocation(get)
	if p := get("precision_m"); p != "" {
		f, e := parseFloat("precision_m", p)
		errs = append(errs, e...)
		s.PrecisionM = &f
	}
	g := Grading{Assessment: strings.ToUpper(get("assessment")), Handling: strings.ToUpper(get("handling")), Conditions: get("conditions")}
	if src := get("source"); src != "" {
		n, err := strconv.Atoi(src)
		if err != nil {
			errs = append(errs, FieldError{Field: "grading.source", Message: "must be 1, 2 or 3"})
		}
		g.Source = n
	}
	s.Grading = &g
	row.Sub, row.Errs = s, errs
	return row, nil
}

// rec0 reads a column without trimming: narrative keeps its spacing.
func rec0(rec []string, col map[string]int, name string) string {
	if i, ok := col[name]; ok {
		return rec[i]
	}
	return ""
}

// csvLocation builds the location member from whichever pair of columns is filled.
func csvLocation(get func(string) string) (json.RawMessage, []FieldError) {
	lat, lon, e, n := get("lat"), get("lon"), get("easting"), get("northing")
	hasLL, hasEN := lat != "" || lon != "", e != "" || n != ""
	switch {
	case hasLL && hasEN:
		return nil, []FieldError{{Field: "location", Message: "give lat/lon or easting/northing, not both"}}
	case hasEN:
		ef, e1 := parseFloat("location.easting", e)
		nf, e2 := parseFloat("location.northing", n)
		if errs := join(e1, e2); errs != nil {
			return nil, errs
		}
		return numberPair("easting", ef, "northing", nf), nil
	case hasLL:
		la, e1 := parseFloat("location.lat", lat)
		lo, e2 := parseFloat("location.lon", lon)
		if errs := join(e1, e2); errs != nil {
			return nil, errs
		}
		return numberPair("lat", la, "lon", lo), nil
	}
	return nil, nil
}

func numberPair(k1 string, v1 float64, k2 string, v2 float64) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{%q:%s,%q:%s}`, k1, strconv.FormatFloat(v1, 'g', -1, 64), k2, strconv.FormatFloat(v2, 'g', -1, 64)))
}

// ---- GeoJSON ----

type geojsonReader struct {
	dec      *json.Decoder
	n        int
	inArray  bool
	done     bool
	bng      bool
	started  bool
	features bool
}

// NewGeoJSONReader reads a FeatureCollection of Points whose properties
// are the report's other fields, feature by feature. A "crs" member naming
// EPSG:27700, as QGIS writes it, makes the coordinates eastings and northings.
func NewGeoJSONReader(r io.Reader) RowReader {
	dec := json.NewDecoder(r)
	return &geojsonReader{dec: dec}
}

func (g *geojsonReader) fail(msg string) error {
	return &FileError{"body", fmt.Sprintf("%s (at byte %d)", msg, g.dec.InputOffset())}
}

func (g *geojsonReader) Next() (Row, error) {
	if g.done {
		return Row{}, io.EOF
	}
	if !g.started {
		g.started = true
		if tok, err := g.dec.Token(); err != nil || tok != json.Delim('{') {
			return Row{}, g.fail("not a GeoJSON FeatureCollection")
		}
	}
	for !g.inArray {
		tok, err := g.dec.Token()
		if err != nil {
			return Row{}, g.fail("malformed JSON")
		}
		if tok == json.Delim('}') {
			g.done = true
			if !g.features {
				return Row{}, g.fail(`no "features" member`)
			}
			return Row{}, io.EOF
		}
		key, _ := tok.(string)
		switch key {
		case "type":
			var typ string
			if err := g.dec.Decode(&typ); err != nil || typ != "FeatureCollection" {
				return Row{}, g.fail(`"type" must be "FeatureCollection"`)
			}
		case "crs":
			var crs json.RawMessage
			if err := g.dec.Decode(&crs); err != nil {
				return Row{}, g.fail("malformed crs")
			}
			g.bng = bytes.Contains(crs, []byte("27700"))
		case "features":
			if tok, err := g.dec.Token(); err != nil || tok != json.Delim('[') {
				return Row{}, g.fail(`"features" must be an array`)
			}
			g.inArray, g.features = true, true
		default:
			var skip json.RawMessage
			if err := g.dec.Decode(&skip); err != nil {
				return Row{}, g.fail("malformed JSON")
			}
		}
	}
	if !g.dec.More() {
		if _, err := g.dec.Token(); err != nil {
			return Row{}, g.fail("malformed JSON")
		}
		g.inArray = false
		return g.Next()
	}
	g.n++
	var f struct {
		Type       string          `json:"type"`
		ID         json.RawMessage `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties json.RawMessage `json:"properties"`
		BBox       json.RawMessage `json:"bbox"`
	}
	if err := g.dec.Decode(&f); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return Row{N: g.n, Errs: []FieldError{{Field: "feature", Message: "must be a GeoJSON Feature object"}}}, nil
		}
		return Row{}, g.fail("malformed JSON in feature " + strconv.Itoa(g.n))
	}
	row := Row{N: g.n}
	if f.Type != "Feature" {
		row.Errs = []FieldError{{Field: "type", Message: `must be "Feature"`}}
		return row, nil
	}
	sub, errs := DecodeSubmission(f.Properties)
	for i := range errs {
		if errs[i].Field == "body" {
			errs[i].Field = "properties"
		} else {
			errs[i].Field = "properties." + errs[i].Field
		}
	}
	if sub.Location != nil {
		errs = append(errs, FieldError{Field: "properties.location", Message: "give the location as the feature's geometry"})
	}
	sub.Location = f.Geometry
	if g.bng && errs == nil {
		sub.Location, errs = bngGeometry(f.Geometry)
	}
	row.Sub, row.Errs = sub, errs
	return row, nil
}

// bngGeometry turns a Point in EPSG:27700 into an easting/northing location.
func bngGeometry(raw json.RawMessage) (json.RawMessage, []FieldError) {
	var p struct {
		Type        string            `json:"type"`
		Coordinates []json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(raw, &p); err != nil || p.Type != "Point" || len(p.Coordinates) < 2 {
		return nil, []FieldError{{Field: "geometry", Message: "must be a Point [easting, northing]"}}
	}
	e, e1 := number("geometry.coordinates[0]", p.Coordinates[0])
	n, e2 := number("geometry.coordinates[1]", p.Coordinates[1])
	if errs := join(e1, e2); errs != nil {
		return nil, errs
	}
	return numberPair("easting", e, "northing", n), nil
}
