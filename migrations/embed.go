// Package migrations holds the SQL schema migrations, embedded in the binary
// and applied with golang-migrate.
package migrations

import "embed"

// FS holds every NNNNNN_name.{up,down}.sql file of this folder.
//
//go:embed *.sql
var FS embed.FS
