// Package intel is hexwatch's domain: the intelligence report, its
// taxonomy and 3x5x2 grading, locations in WGS84 or British National Grid,
// the service area, and the validation and readers of what partners send.
// It is pure: no database, no HTTP.
package intel

import "slices"

// Category is a kind of intelligence, with its default harm weight.
type Category struct {
	Code   string  `json:"code"`
	Label  string  `json:"label"`
	Weight float64 `json:"weight"`
}

// Categories is the taxonomy of report categories, most harmful first.
var Categories = []Category{
	{"child_exploitation", "Child criminal exploitation", 10},
	{"violence", "Violence", 9},
	{"cuckooing", "Cuckooing (home taken over)", 8},
	{"weapons", "Weapons", 7},
	{"missing_found", "Missing or found out of area", 6},
	{"grooming_association", "Grooming or association", 6},
	{"stash_location", "Stash location", 6},
	{"drug_supply", "Drug supply", 5},
	{"transport_hub", "Transport hub activity", 3},
	{"deal_line_activity", "Deal line activity", 3},
	{"suspicious_vehicle", "Suspicious vehicle", 2},
	{"community_concern", "Community concern", 1},
}

// Indicator is an optional tag: a sign professionals are trained to spot.
type Indicator struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// Indicators is the taxonomy of indicators.
var Indicators = []Indicator{
	{"missing_from_home_or_school", "Missing from home or school"},
	{"found_out_of_area", "Found out of area"},
	{"unexplained_money_or_goods", "Unexplained money or goods"},
	{"multiple_phones", "Multiple phones"},
	{"older_controlling_associates", "Older, controlling associates"},
	{"unexplained_injuries", "Unexplained injuries"},
	{"carrying_weapon", "Carrying a weapon"},
	{"decline_at_school", "Decline at school"},
	{"gang_association", "Gang association"},
	{"wellbeing_change", "Change in wellbeing"},
	{"social_media_contact", "Social media contact"},
	{"parental_concern", "Parental concern"},
}

// CategoryByCode finds a category.
func CategoryByCode(code string) (Category, bool) {
	i := slices.IndexFunc(Categories, func(c Category) bool { return c.Code == code })
	if i < 0 {
		return Category{}, false
	}
	return Categories[i], true
}

// ValidIndicator reports whether code is one of Indicators.
func ValidIndicator(code string) bool {
	return slices.ContainsFunc(Indicators, func(i Indicator) bool { return i.Code == code })
}

// Classifications are the Government Security Classifications a report may carry,
// lowest first.
var Classifications = []string{"OFFICIAL", "OFFICIAL-SENSITIVE"}
