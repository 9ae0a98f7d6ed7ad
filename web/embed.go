// Package web holds the browser front end, embedded in the binary and served at /.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var files embed.FS

// Static is the front end's files, rooted at the site root.
var Static, _ = fs.Sub(files, "static")
