// Package api holds hexwatch's HTTP contract, embedded in the binary and
// served at /api/openapi.yaml.
package api

import _ "embed"

// OpenAPI is the OpenAPI 3.1 description of the HTTP API.
//
//go:embed openapi.yaml
var OpenAPI []byte
