// Package pdfwords reads the words of a PDF and their boxes as poppler's
// pdftotext places them, so that the tests of the briefing read it as a
// reader does: which words are on which page, and whether any two overlap.
package pdfwords

import (
	"fmt"
	"html"
	"os/exec"
	"regexp"
	"strconv"
)

// Word is a word of a page, its box in points from the page's top left.
type Word struct {
	Page                   int // from 1
	Text                   string
	XMin, YMin, XMax, YMax float64
	// Alone: no other word shares its line.
	Alone bool
}

var (
	pageRe = regexp.MustCompile(`(?s)<page .*?</page>`)
	lineRe = regexp.MustCompile(`(?s)<line .*?</line>`)
	wordRe = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)
)

// Read is every word of the PDF at path (pdftotext -bbox-layout) and its
// number of pages.
func Read(path string) (words []Word, pages int, err error) {
	out, err := exec.Command("pdftotext", "-bbox-layout", path, "-").Output()
	if err != nil {
		return nil, 0, fmt.Errorf("pdftotext %s: %w (install poppler-utils)", path, err)
	}
	for p, page := range pageRe.FindAllString(string(out), -1) {
		pages++
		for _, line := range lineRe.FindAllString(page, -1) {
			ms := wordRe.FindAllStringSubmatch(line, -1)
			for _, m := range ms {
				w := Word{Page: p + 1, Text: html.UnescapeString(m[5]), Alone: len(ms) == 1}
				for i, f := range []*float64{&w.XMin, &w.YMin, &w.XMax, &w.YMax} {
					*f, _ = strconv.ParseFloat(m[i+1], 64)
				}
				words = append(words, w)
			}
		}
	}
	return words, pages, nil
}

// OnPage is the words of page p.
func OnPage(words []Word, p int) []Word {
	var out []Word
	for _, w := range words {
		if w.Page == p {
			out = append(out, w)
		}
	}
	return out
}

// Overlaps says, for each two of words whose boxes overlap by more than
// half a point both ways, which they are and where.
func Overlaps(words []Word) []string {
	var out []string
	for i, a := range words {
		for _, b := range words[i+1:] {
			if min(a.XMax, b.XMax)-max(a.XMin, b.XMin) > 0.5 && min(a.YMax, b.YMax)-max(a.YMin, b.YMin) > 0.5 {
				out = append(out, fmt.Sprintf("%q (%.0f,%.0f) overlaps %q (%.0f,%.0f)", a.Text, a.XMin, a.YMin, b.Text, b.XMin, b.YMin))
			}
		}
	}
	return out
}
