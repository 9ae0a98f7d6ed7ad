// Package web holds the browser front end, embedded in the binary: the
// page shell from static/ and the bundle that `make web` builds into dist/
// from src/ (Leaflet and the application, by esbuild).
package web

import (
	"embed"
	"io/fs"
)

//go:embed static all:dist
var files embed.FS

// Static is the page shell, served at /.
var Static, _ = fs.Sub(files, "static")

// Assets is the built bundle, served under /assets/.
var Assets, _ = fs.Sub(files, "dist")
