package store

import (
	"strconv"
	"strings"
)

// filter builds the WHERE clause of a query from optional conditions,
// numbering their placeholders.
type filter struct {
	where []string
	args  []any
}

// add appends a condition whose each ? takes the next of vs.
func (f *filter) add(cond string, vs ...any) {
	for _, v := range vs {
		f.args = append(f.args, v)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(f.args)), 1)
	}
	f.where = append(f.where, cond)
}

// query is base with the conditions, the order and a limit.
func (f *filter) query(base, orderBy string, limit int) (string, []any) {
	sql := base
	if len(f.where) > 0 {
		sql += " WHERE " + strings.Join(f.where, " AND ")
	}
	args := append(f.args, limit)
	return sql + " ORDER BY " + orderBy + " LIMIT $" + strconv.Itoa(len(args)), args
}

// count is the query of how many rows of table the conditions select.
func (f *filter) count(table string) string {
	sql := "SELECT count(*) FROM " + table
	if len(f.where) > 0 {
		sql += " WHERE " + strings.Join(f.where, " AND ")
	}
	return sql
}
