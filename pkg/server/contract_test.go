package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/hexwatch/hexwatch/api"
)

var contract struct {
	once   sync.Once
	router routers.Router
	err    error
}

// checkContract fails the test when a response of the real server does not
// match api/openapi.yaml: an undocumented status, or a body off its schema.
func checkContract(t testing.TB, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	contract.once.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(api.OpenAPI)
		if err == nil {
			err = doc.Validate(loader.Context)
		}
		if err == nil {
			doc.Servers = nil
			contract.router, err = gorillamux.NewRouter(doc)
		}
		contract.err = err
	})
	if contract.err != nil {
		t.Fatalf("api/openapi.yaml: %v", contract.err)
	}
	r := req.Clone(context.Background())
	r.URL.Scheme, r.URL.Host, r.Host = "", "", ""
	route, params, err := contract.router.FindRoute(r)
	if err != nil {
		t.Errorf("%s %s is not in api/openapi.yaml: %v", req.Method, req.URL.Path, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s answered %d off the contract: %v", req.Method, req.URL.Path, resp.StatusCode, firstLine(err.Error()))
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestEveryRouteIsInTheContract(t *testing.T) {
	f := newFixture(t)
	for _, r := range f.srv.Echo().Routes() {
		if r.Path == "/" || strings.HasPrefix(r.Path, "/assets") {
			continue
		}
		path := r.Path
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, ":") {
				path = strings.Replace(path, seg, "00000000-0000-0000-0000-000000000000", 1)
			}
		}
		req, _ := http.NewRequest(r.Method, path, nil)
		if _, _, err := contractRouter(t).FindRoute(req); err != nil {
			t.Errorf("route %s %s is not in api/openapi.yaml", r.Method, r.Path)
		}
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func contractRouter(t *testing.T) routers.Router {
	checkContract(t, &http.Request{Method: http.MethodGet, URL: mustURL("/healthz"), Header: http.Header{}},
		&http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}}, []byte(`{"status":"alive"}`))
	return contract.router
}
